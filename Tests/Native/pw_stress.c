/*
 * pw-stress: DirectPipe's PipeWire node created and destroyed again and again, each time asked from this
 * thread whether its data thread runs real-time (dp_pw_node_data_thread_realtime: an invoke on the data loop
 * in the seconds the loop thread links and activates the node), while a second thread lists the graph's
 * nodes without pause (dp_pw_list_nodes, as the API lists devices while the backend starts). Both threads
 * start libpipewire at the same moment. scripts/build-native.sh builds it with AddressSanitizer; the test
 * runs it on a private graph and kills it if it hangs.
 *
 *   pw-stress --iterations N
 *
 * Prints one JSON line: iterations done, nodes that ran, realtime answers, listings and failed listings.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "directpipe_pipewire.h"

static atomic_int stop, go;
static atomic_long listings, listing_errors;

static void process(void *user, const float *const *inputs, float *const *outputs, uint32_t frames, uint64_t cycle_ns,
                    uint32_t graph_rate, uint64_t skipped_frames) {
    (void)user, (void)inputs, (void)cycle_ns, (void)graph_rate, (void)skipped_frames;
    for (uint32_t i = 0; i < frames; i++) outputs[0][i] = 0.0f;
}

static void count_node(void *user, uint32_t id, const char *name, const char *description, const char *media_class,
                       uint32_t channels, uint32_t rate) {
    (void)id, (void)name, (void)description, (void)media_class, (void)channels, (void)rate;
    ++*(long *)user;
}

static void *list_nodes(void *unused) {
    (void)unused;
    while (!atomic_load(&go)) {
    }
    while (!atomic_load(&stop)) {
        long nodes = 0;
        char error[256];
        if (dp_pw_list_nodes(count_node, &nodes, error, sizeof error) == 0)
            atomic_fetch_add(&listings, 1);
        else
            atomic_fetch_add(&listing_errors, 1);
    }
    return NULL;
}

static void sleep_ms(long ms) {
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
    long iterations = 200;
    static struct option options[] = {{"iterations", required_argument, 0, 'n'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "", options, NULL)) != -1;) {
        if (c != 'n') return 2;
        iterations = atol(optarg);
    }
    static const char *mono[1] = {"MONO"};
    dp_pw_node_config config = {
        .node_name = "dp_stress", .description = "DirectPipe stress", .media_class = "Audio/Source", .rate = 48000,
        .group_count = 1, .groups = {{.is_output = 1, .prefix = "capture", .count = 1, .channels = mono}},
    };
    pthread_t lister;
    pthread_create(&lister, NULL, list_nodes, NULL);
    atomic_store(&go, 1); /* both threads into libpipewire's first use at once */
    long done = 0, ran = 0, realtime_answers = 0;
    for (; done < iterations; done++) {
        dp_pw_node *node = NULL;
        char error[256];
        if (dp_pw_node_create(&config, process, NULL, &node, error, sizeof error) != 0) {
            fprintf(stderr, "pw-stress: iteration %ld: %s\n", done, error);
            break;
        }
        /* As the backend does after connecting: ask every few ms until the data thread has answered a few
           times, for at most 2 s. */
        int answers = 0;
        for (int poll = 0; poll < 400 && answers < 5; poll++) {
            if (dp_pw_node_data_thread_realtime(node) >= 0) answers++;
            sleep_ms(5);
        }
        ran += answers > 0;
        realtime_answers += answers;
        dp_pw_node_destroy(node);
    }
    atomic_store(&stop, 1);
    pthread_join(lister, NULL);
    printf("{\"iterations\":%ld,\"ran\":%ld,\"realtime_answers\":%ld,\"listings\":%ld,\"listing_errors\":%ld}\n", done, ran,
           realtime_answers, atomic_load(&listings), atomic_load(&listing_errors));
    return done == iterations ? 0 : 1;
}
