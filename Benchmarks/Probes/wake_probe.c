/*
 * wake-probe: the waiting side of the wake-latency benchmark, in its own
 * process. Prints one latency in nanoseconds per line (publish to return
 * from wait, both on CLOCK_MONOTONIC).
 *
 *   wake-probe pipe NAME COUNT [OFFSET_NS]
 *                                  wait with libdirectpipe-reader; latency is
 *                                  now minus the block's capture timestamp
 *                                  (which the wake benchmark sets to its publish
 *                                  time) minus OFFSET_NS (the capture benchmark
 *                                  gives one period: a block's first frame was
 *                                  captured a period before its callback began)
 *   wake-probe futex SHMNAME COUNT raw futex wait on the anchor page
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "directpipe_futex.h"
#include "directpipe_reader.h"

typedef struct anchor_wake_page { /* as in benchmark_anchors.h */
    uint32_t seq;
    uint32_t pad;
    uint64_t publish_ns;
} anchor_wake_page;

static int probe_pipe(const char *name, long count, uint64_t offset) {
    dp_reader *reader;
    if (dp_reader_open(name, 0, DP_READER_ALLOW_ABSENT, &reader) != DP_OK) return 1;
    static float buffer[65536 * 8];
    printf("ready\n");
    fflush(stdout);
    for (long i = 0; i < count;) {
        if (dp_reader_wait(reader, 2000) != DP_WAIT_DATA) continue;
        uint64_t woke = dp_monotonic_ns();
        dp_read_info info = DP_READ_INFO_INIT;
        long n = dp_reader_read(reader, buffer, sizeof buffer / sizeof buffer[0], &info);
        if (n <= 0 || info.timestamp_ns == 0) continue;
        printf("%" PRIu64 "\n", woke - info.timestamp_ns - offset);
        i++;
        while (dp_reader_read(reader, buffer, sizeof buffer / sizeof buffer[0], &info) > 0) {
        }
    }
    dp_reader_close(reader);
    return 0;
}

static int probe_futex(const char *name, long count) {
    int fd = shm_open(name, O_RDWR, 0);
    if (fd < 0) return 1;
    anchor_wake_page *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED) return 1;
    printf("ready\n");
    fflush(stdout);
    uint32_t seen = __atomic_load_n(&page->seq, __ATOMIC_SEQ_CST);
    for (long i = 0; i < count;) {
        dp_futex_wait(&page->seq, seen, 2000000000ull);
        uint64_t woke = dp_monotonic_ns();
        uint32_t now = __atomic_load_n(&page->seq, __ATOMIC_SEQ_CST);
        if (now == seen) continue;
        seen = now;
        printf("%" PRIu64 "\n", woke - __atomic_load_n(&page->publish_ns, __ATOMIC_RELAXED));
        i++;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: wake-probe pipe|futex NAME COUNT [OFFSET_NS]\n");
        return 2;
    }
    long count = atol(argv[3]);
    uint64_t offset = argc == 5 ? strtoull(argv[4], NULL, 10) : 0;
    if (strcmp(argv[1], "pipe") == 0) return probe_pipe(argv[2], count, offset);
    if (strcmp(argv[1], "futex") == 0) return probe_futex(argv[2], count);
    return 2;
}
