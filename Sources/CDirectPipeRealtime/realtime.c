#define _GNU_SOURCE
#include "directpipe_realtime.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

int dp_rt_make_realtime(int priority) {
    struct sched_param param = {.sched_priority = priority};
    return pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
}

int dp_rt_lock_memory(void) { return mlockall(MCL_CURRENT | MCL_FUTURE) == 0 ? 0 : errno; }

void dp_rt_flush_denormals(void) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" ::"r"(fpcr | (1ull << 24)));
#endif
}

void dp_rt_sleep_until(uint64_t deadline_ns) {
    struct timespec deadline = {.tv_sec = (time_t)(deadline_ns / 1000000000ull),
                                .tv_nsec = (long)(deadline_ns % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR) {
    }
}

typedef void (*begin_fn)(void);
typedef uint64_t (*end_fn)(void);

/* Resolved once, before counting starts: dlsym itself may allocate. */
static begin_fn probe_begin;
static end_fn probe_end;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void resolve_probe(void) {
    probe_begin = (begin_fn)dlsym(RTLD_DEFAULT, "dp_alloc_counter_begin");
    probe_end = (end_fn)dlsym(RTLD_DEFAULT, "dp_alloc_counter_end");
}

int dp_alloc_probe_present(void) {
    pthread_once(&probe_once, resolve_probe);
    return probe_begin != NULL && probe_end != NULL;
}

void dp_alloc_probe_begin(void) {
    if (dp_alloc_probe_present()) probe_begin();
}

uint64_t dp_alloc_probe_end(void) {
    return dp_alloc_probe_present() ? probe_end() : 0;
}
