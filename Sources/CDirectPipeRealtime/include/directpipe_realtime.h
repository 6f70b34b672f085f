/*
 * What an audio thread needs from the system that Swift cannot call or
 * express: real-time scheduling, locked memory, flushing denormals, sleeping
 * to an absolute deadline, and an optional allocation counter (tests).
 */
#ifndef DIRECTPIPE_REALTIME_H
#define DIRECTPIPE_REALTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Makes the calling thread SCHED_FIFO at `priority`. Returns 0 or an errno (EPERM when not allowed). */
int dp_rt_make_realtime(int priority);

/** Locks current and future pages in memory (no page faults on the audio path). Returns 0 or an errno. */
int dp_rt_lock_memory(void);

/** Flushes denormals to zero on the calling thread (x86 FTZ and DAZ, ARM FZ): they cost 100x on some CPUs. */
void dp_rt_flush_denormals(void);

/** Sleeps until the absolute CLOCK_MONOTONIC time `deadline_ns`. */
void dp_rt_sleep_until(uint64_t deadline_ns);

/*
 * Allocation counting on the audio thread, for tests: when the program runs
 * with libdirectpipe-alloc-counter.so preloaded, begin() starts counting the
 * calling thread's allocations and end() returns how many there were.
 * Without the library, present() is 0 and the others do nothing.
 */
int dp_alloc_probe_present(void);
void dp_alloc_probe_begin(void);
uint64_t dp_alloc_probe_end(void);

#ifdef __cplusplus
}
#endif

#endif
