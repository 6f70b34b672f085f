/*
 * jack-ramp: a JACK test peer for DirectPipe. One client ("ramp_feed") plays
 * a ramp into --feed ports: sample n of channel c is ((n + c * 2^21) mod 2^23)
 * / 2^23, exact in float32. A second client ("ramp_check") reads --check
 * ports: every sample must continue the ramp, and the latency (the feed's
 * frame index in this cycle minus the one received) is measured in frames.
 * Two clients, so the graph is feed -> DirectPipe -> check, all in one cycle.
 * Checking starts 200 ms after the connections, once the graph has settled.
 *
 *   jack-ramp --server NAME --feed P1,P2 --check P3,P4 --seconds S
 *   jack-ramp --server NAME --feed-channels N --seconds S   (feed ports only, left
 *       unconnected: someone else, e.g. ALSA's jack plugin, connects to them)
 *
 * Prints one JSON object: checked_frames, errors, dropout_frames, latency_min, latency_max,
 * sample_rate, period (frames per cycle), and
 * xruns (cycles JACK itself reported late: each may break the ramp once per
 * channel, through no fault of the client under test).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <jack/jack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ramp.h"

#define MAX_PORTS 8

static jack_port_t *feed_ports[MAX_PORTS], *check_ports[MAX_PORTS];
static int feed_count, check_count;
static uint64_t feed_position = 1; /* start at 1: a ramp value of 0 looks like silence */
static uint64_t cycle_start;       /* feed_position at the start of this cycle (written by feed, read by check) */
static ramp_check checked = RAMP_CHECK_INIT;
static unsigned long xruns;

static int on_xrun(void *arg) {
    (void)arg;
    __atomic_add_fetch(&xruns, 1, __ATOMIC_RELAXED);
    return 0;
}
/* Set once the connections are made and the graph has settled: while JACK
   re-sorts its clients after new connections, one cycle may run out of order. */
static int armed;

static int feed(jack_nframes_t frames, void *arg) {
    (void)arg;
    __atomic_store_n(&cycle_start, feed_position, __ATOMIC_RELEASE);
    for (int c = 0; c < feed_count; c++) {
        float *out = jack_port_get_buffer(feed_ports[c], frames);
        for (jack_nframes_t i = 0; i < frames; i++) out[i] = ramp_value(feed_position + i, (uint32_t)c);
    }
    feed_position += frames;
    return 0;
}

static int check(jack_nframes_t frames, void *arg) {
    (void)arg;
    uint64_t sent = __atomic_load_n(&cycle_start, __ATOMIC_ACQUIRE);
    if (!__atomic_load_n(&armed, __ATOMIC_ACQUIRE)) return 0;
    const float *in[MAX_PORTS];
    for (int c = 0; c < check_count; c++) in[c] = jack_port_get_buffer(check_ports[c], frames);
    ramp_check_block(&checked, in, (uint32_t)check_count, frames, sent);
    return 0;
}

static int split(char *list, char **out) {
    int n = 0;
    for (char *item = strtok(list, ","); item != NULL && n < MAX_PORTS; item = strtok(NULL, ",")) out[n++] = item;
    return n;
}

int main(int argc, char **argv) {
    const char *server = NULL;
    char *feed_list = NULL, *check_list = NULL;
    double seconds = 2;
    static const struct option options[] = {
        {"server", required_argument, 0, 's'}, {"feed", required_argument, 0, 'f'},
        {"check", required_argument, 0, 'c'},  {"seconds", required_argument, 0, 't'},
        {"feed-channels", required_argument, 0, 'n'},
        {0, 0, 0, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 's': server = optarg; break;
        case 'f': feed_list = strdup(optarg); break;
        case 'c': check_list = strdup(optarg); break;
        case 't': seconds = atof(optarg); break;
        case 'n': feed_count = atoi(optarg) > MAX_PORTS ? MAX_PORTS : atoi(optarg); break;
        default: return 2;
        }
    }
    char *feed_targets[MAX_PORTS] = {0}, *check_sources[MAX_PORTS] = {0};
    if (feed_list) feed_count = split(feed_list, feed_targets);
    check_count = check_list ? split(check_list, check_sources) : 0;

    jack_status_t status;
    jack_options_t flags = JackNoStartServer | (server ? JackServerName : 0);
    jack_client_t *feeder = jack_client_open("ramp_feed", flags, &status, server);
    jack_client_t *checker = jack_client_open("ramp_check", flags, &status, server);
    if (feeder == NULL || checker == NULL) {
        printf("{\"error\":\"cannot open JACK clients\"}\n");
        return 1;
    }
    char name[32];
    for (int c = 0; c < feed_count; c++) {
        snprintf(name, sizeof name, "out_%d", c + 1);
        feed_ports[c] = jack_port_register(feeder, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    }
    for (int c = 0; c < check_count; c++) {
        snprintf(name, sizeof name, "in_%d", c + 1);
        check_ports[c] = jack_port_register(checker, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    }
    jack_set_process_callback(feeder, feed, NULL);
    jack_set_process_callback(checker, check, NULL);
    jack_set_xrun_callback(checker, on_xrun, NULL);
    if (jack_activate(feeder) || jack_activate(checker)) return 1;
    int connect_errors = 0;
    for (int c = 0; c < feed_count; c++)
        if (feed_targets[c] != NULL) connect_errors += jack_connect(feeder, jack_port_name(feed_ports[c]), feed_targets[c]) != 0;
    for (int c = 0; c < check_count; c++)
        connect_errors += jack_connect(checker, check_sources[c], jack_port_name(check_ports[c])) != 0;
    usleep(200000);
    __atomic_store_n(&armed, 1, __ATOMIC_RELEASE);
    usleep((useconds_t)(seconds * 1e6));
    jack_deactivate(checker);
    jack_deactivate(feeder);
    printf("{\"checked_frames\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"dropout_frames\":%" PRIu64 ",\"latency_min\":%" PRId64 ",\"latency_max\":%" PRId64
           ",\"connect_errors\":%d,\"sample_rate\":%u,\"period\":%u,\"xruns\":%lu}\n",
           checked.checked_frames, checked.errors, checked.dropout_frames, checked.latency_min == INT64_MAX ? -1 : checked.latency_min,
           checked.latency_max == INT64_MIN ? -1 : checked.latency_max,
           connect_errors, jack_get_sample_rate(checker), jack_get_buffer_size(checker), __atomic_load_n(&xruns, __ATOMIC_RELAXED));
    jack_client_close(checker);
    jack_client_close(feeder);
    return 0;
}
