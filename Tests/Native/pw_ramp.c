/*
 * pw-ramp: a PipeWire test peer for DirectPipe. A node with media.class
 * Audio/Source (what a USB microphone looks like to the session manager)
 * plays the same ramp as jack-ramp on its output ports capture_FL, ...:
 * sample n of channel c is ((n + c * 2^21) mod 2^23) / 2^23, exact in
 * float32, from n = 1. With --check, a second node links its inputs to that
 * node's outputs and checks that every sample continues the ramp, and how
 * many frames behind the feed it arrives (in the same cycle: 0). With
 * --check '' the checker (node dp_test_check) links nothing itself: the node
 * under test links its outputs to it.
 * Built on DirectPipe's own PipeWire glue, so it links and is scheduled
 * exactly like DirectPipe's node.
 *
 *   pw-ramp [--name NODE] [--description TEXT] [--channels N] [--check NODE]
 *           [--check-channels N] [--seconds S]
 *
 * Runs until SIGTERM/SIGINT or S seconds; prints one JSON object at the end:
 * frames played, cycles, xruns (graph cycles its nodes saw skipped: each may
 * break the ramp once per channel, through no fault of the node under test),
 * and with --check: checked_frames, errors (a jump or a dropout: one each),
 * dropout_frames (silence the ramp resumed after),
 * latency_min/max (frames).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "directpipe_pipewire.h"
#include "ramp.h"

#define MAX_CHANNELS RAMP_MAX_CHANNELS

static volatile sig_atomic_t stop;
static uint64_t position = 1;    /* a ramp value of 0 looks like silence */
static uint64_t cycle_start = 1; /* position at the start of this cycle's feed */
static uint32_t channels = 2, check_channels = 2;
static ramp_check checked = RAMP_CHECK_INIT;
/* Set 200 ms after all check ports are linked: while the graph re-sorts its nodes after new
   links, a cycle or two may run in the old order. */
static int armed;

static void on_signal(int signal) { (void)signal, stop = 1; }

static void feed(void *user, const float *const *inputs, float *const *outputs, uint32_t frames, uint64_t cycle_ns,
                 uint32_t rate, uint64_t skipped_frames) {
    (void)user, (void)inputs, (void)cycle_ns, (void)rate, (void)skipped_frames;
    __atomic_store_n(&cycle_start, position, __ATOMIC_RELEASE);
    for (uint32_t c = 0; c < channels; c++)
        for (uint32_t i = 0; i < frames; i++)
            outputs[c][i] = ramp_value(position + i, c);
    __atomic_add_fetch(&position, frames, __ATOMIC_RELAXED);
}

static void check(void *user, const float *const *inputs, float *const *outputs, uint32_t frames, uint64_t cycle_ns,
                  uint32_t rate, uint64_t skipped_frames) {
    (void)user, (void)outputs, (void)cycle_ns, (void)rate, (void)skipped_frames;
    uint64_t sent = __atomic_load_n(&cycle_start, __ATOMIC_ACQUIRE);
    if (!__atomic_load_n(&armed, __ATOMIC_ACQUIRE)) return;
    ramp_check_block(&checked, inputs, check_channels, frames, sent);
}

int main(int argc, char **argv) {
    const char *name = "dp_test_source", *description = "DirectPipe test ramp", *check_node = NULL;
    /* Like a sound card, the source comes with a driver: the daemon's dummy driver (its node.group). */
    const char *driver_group = "pipewire.dummy";
    double seconds = 3600;
    static struct option options[] = {
        {"name", required_argument, 0, 'n'},   {"description", required_argument, 0, 'd'},
        {"channels", required_argument, 0, 'c'}, {"check", required_argument, 0, 'k'},
        {"check-channels", required_argument, 0, 'K'}, {"seconds", required_argument, 0, 's'},
        {0, 0, 0, 0},
    };
    int option;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 'n': name = optarg; break;
        case 'd': description = optarg; break;
        case 'c': channels = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'k': check_node = optarg; break;
        case 'K': check_channels = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 's': seconds = atof(optarg); break;
        default: fprintf(stderr, "usage: see the comment at the top of pw_ramp.c\n"); return 2;
        }
    }
    if (channels < 1 || channels > MAX_CHANNELS || check_channels < 1 || check_channels > MAX_CHANNELS) {
        fprintf(stderr, "pw-ramp: --channels and --check-channels must be 1-8\n");
        return 2;
    }
    static const char *surround[MAX_CHANNELS] = {"FL", "FR", "RL", "RR", "FC", "LFE", "SL", "SR"};
    static const char *mono[1] = {"MONO"};
    dp_pw_node_config source = {
        .node_name = name, .description = description, .media_class = "Audio/Source", .rate = 48000,
        .driver_group = driver_group, .group_count = 1,
        .groups = {{.is_output = 1, .prefix = "capture", .count = channels,
                    .channels = channels == 1 ? mono : surround}},
    };
    dp_pw_node_config checker = {
        .node_name = "dp_test_check", .description = "DirectPipe test check", .media_class = "Stream/Input/Audio",
        .group_count = 1,
        .groups = {{.is_output = 0, .prefix = "input", .count = check_channels,
                    .channels = check_channels == 1 ? mono : surround,
                    .target = check_node && check_node[0] ? check_node : NULL}},
    };
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    char error[256];
    dp_pw_node *feed_node, *check_node_handle = NULL;
    if (dp_pw_node_create(&source, feed, NULL, &feed_node, error, sizeof error) != 0 ||
        (check_node && dp_pw_node_create(&checker, check, NULL, &check_node_handle, error, sizeof error) != 0)) {
        fprintf(stderr, "pw-ramp: %s\n", error);
        return 1;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int linked_polls = 0;
    do {
        usleep(20000);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (check_node_handle && dp_pw_node_linked_ports(check_node_handle, 0) == check_channels &&
            ++linked_polls == 10)
            __atomic_store_n(&armed, 1, __ATOMIC_RELEASE);
    } while (!stop && (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    uint64_t cycles = dp_pw_node_cycles(feed_node), xruns = dp_pw_node_skipped_cycles(feed_node);
    if (check_node_handle) xruns += dp_pw_node_skipped_cycles(check_node_handle);
    if (check_node_handle) dp_pw_node_destroy(check_node_handle);
    dp_pw_node_destroy(feed_node);
    printf("{\"frames\":%" PRIu64 ",\"cycles\":%" PRIu64 ",\"xruns\":%" PRIu64,
           __atomic_load_n(&position, __ATOMIC_RELAXED) - 1, cycles, xruns);
    if (check_node)
        printf(",\"checked_frames\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"dropout_frames\":%" PRIu64 ",\"latency_min\":%" PRId64
               ",\"latency_max\":%" PRId64,
               checked.checked_frames, checked.errors, checked.dropout_frames, checked.checked_frames ? checked.latency_min : -1,
               checked.checked_frames ? checked.latency_max : -1);
    printf("}\n");
    return 0;
}
