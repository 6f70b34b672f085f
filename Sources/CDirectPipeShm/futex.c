#define _GNU_SOURCE
#include "directpipe_futex.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

dp_futex_result dp_futex_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns) {
    struct timespec timeout = {
        .tv_sec = (time_t)(timeout_ns / 1000000000ull),
        .tv_nsec = (long)(timeout_ns % 1000000000ull),
    };
    long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, &timeout, NULL, 0);
    if (rc == 0) return DP_FUTEX_WOKEN;
    switch (errno) {
    case EAGAIN: return DP_FUTEX_CHANGED;
    case ETIMEDOUT: return DP_FUTEX_TIMED_OUT;
    case EINTR: return DP_FUTEX_INTERRUPTED;
    default: return DP_FUTEX_FAILED;
    }
}

int dp_futex_wake_all(uint32_t *word) {
    long rc = syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    return rc < 0 ? -1 : (int)rc;
}

uint64_t dp_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

uint64_t dp_monotonic_coarse_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}
