/*
 * Shared (not private) futex wait and wake on a 32-bit word inside a
 * shared-memory segment. `syscall(2)` is variadic, which Swift cannot call,
 * so these two wrappers are the only way the Swift side reaches futex(2).
 */
#ifndef DIRECTPIPE_FUTEX_H
#define DIRECTPIPE_FUTEX_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a futex wait ended with. */
typedef enum dp_futex_result {
    DP_FUTEX_WOKEN = 0,     /* woken, or spuriously returned: re-check the word */
    DP_FUTEX_CHANGED = 1,   /* the word no longer held `expected` */
    DP_FUTEX_TIMED_OUT = 2,
    DP_FUTEX_INTERRUPTED = 3,
    DP_FUTEX_FAILED = 4,    /* errno says why */
} dp_futex_result;

/** Sleeps while `*word == expected`, at most `timeout_ns` (relative, CLOCK_MONOTONIC). */
dp_futex_result dp_futex_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns);

/** Wakes every waiter on `word`. Returns how many were woken, or -1 (errno set). */
int dp_futex_wake_all(uint32_t *word);

/** CLOCK_MONOTONIC in nanoseconds (vDSO: no system call on Linux). */
uint64_t dp_monotonic_ns(void);

/** CLOCK_MONOTONIC_COARSE in nanoseconds: a few ms behind, several times
    cheaper; enough for liveness timeouts counted in hundreds of ms. */
uint64_t dp_monotonic_coarse_ns(void);

#ifdef __cplusplus
}
#endif

#endif /* DIRECTPIPE_FUTEX_H */
