/*
 * reader-idle-check: the CPU time a reader's thread spends in dp_reader_wait on a pipe whose writer has
 * stopped (the OBS source's and `tap`'s loop while DirectPipe is not running).
 *
 *   reader-idle-check --pipe NAME --seconds S [--latency FRAMES] [--after-writer]
 *
 * Without --after-writer the pipe's writer is already gone when the reader opens it. With it, the reader
 * waits for a live writer, reads nothing of what it publishes, and starts measuring once that writer has
 * stopped (so unread frames are left behind). Either way it then calls dp_reader_wait(reader, 100) for S
 * seconds and prints one JSON line: the thread's CPU time and the wall time over those calls, how many
 * calls returned, and the reader's state, position and the writer's position.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "directpipe_futex.h"
#include "directpipe_reader.h"

static uint64_t thread_cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void sleep_ms(long ms) {
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
    const char *pipe = NULL;
    double seconds = 1;
    uint32_t latency = 0;
    int after_writer = 0;
    static struct option options[] = {{"pipe", required_argument, 0, 'p'}, {"seconds", required_argument, 0, 's'},
                                      {"latency", required_argument, 0, 'l'}, {"after-writer", no_argument, 0, 'a'},
                                      {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "", options, NULL)) != -1;) {
        switch (c) {
        case 'p': pipe = optarg; break;
        case 's': seconds = atof(optarg); break;
        case 'l': latency = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'a': after_writer = 1; break;
        default: return 2;
        }
    }
    dp_reader *reader = NULL;
    if (dp_reader_open(pipe, latency, DP_READER_ALLOW_ABSENT, &reader) != DP_OK) return 1;
    dp_reader_status status = DP_READER_STATUS_INIT;
    if (after_writer) {
        /* Status only: a wait would return at once with the frames this reader leaves unread. */
        int seen_live = 0;
        for (int i = 0; i < 3000; i++) {
            dp_reader_get_status(reader, &status);
            if (status.state == DP_READER_CONNECTED && !seen_live) {
                seen_live = 1;
                printf("{\"event\":\"connected\"}\n");
                fflush(stdout);
            }
            if (seen_live && status.state != DP_READER_CONNECTED) break;
            sleep_ms(10);
        }
        if (!seen_live || status.state == DP_READER_CONNECTED) {
            fprintf(stderr, "reader-idle-check: no writer came and went\n");
            return 1;
        }
    }
    uint64_t waits = 0;
    uint64_t wall_start = dp_monotonic_ns(), cpu_start = thread_cpu_ns();
    uint64_t end = wall_start + (uint64_t)(seconds * 1e9);
    while (dp_monotonic_ns() < end) {
        dp_reader_wait(reader, 100);
        waits++;
    }
    uint64_t cpu = thread_cpu_ns() - cpu_start, wall = dp_monotonic_ns() - wall_start;
    dp_reader_get_status(reader, &status);
    printf("{\"event\":\"final\",\"cpu_ns\":%" PRIu64 ",\"wall_ns\":%" PRIu64 ",\"waits\":%" PRIu64
           ",\"state\":\"%s\",\"position\":%" PRIu64 ",\"write_pos\":%" PRIu64 "}\n",
           cpu, wall, waits, dp_reader_state_string(status.state), status.position, status.write_pos);
    dp_reader_close(reader);
    return 0;
}
