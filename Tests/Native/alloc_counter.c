/*
 * libdirectpipe-alloc-counter.so: preloaded by tests (LD_PRELOAD) to count
 * the allocations one thread makes. The audio thread calls
 * dp_alloc_counter_begin() once warm and dp_alloc_counter_end() when it
 * stops (found with dlsym, see directpipe_realtime.h); every malloc-family
 * call on that thread in between is counted, then passed to glibc.
 * With DP_ALLOC_COUNTER_TRACE set, each counted allocation also prints a
 * backtrace to standard error (to find it: `swift demangle` reads them).
 */
#define _GNU_SOURCE
#include <execinfo.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static __thread int counting __attribute__((tls_model("initial-exec")));
static __thread uint64_t allocations __attribute__((tls_model("initial-exec")));

void dp_alloc_counter_begin(void) {
    allocations = 0;
    counting = 1;
}

uint64_t dp_alloc_counter_end(void) {
    counting = 0;
    return allocations;
}

static __thread int tracing __attribute__((tls_model("initial-exec")));

static inline void note(void) {
    if (!counting) return;
    allocations++;
    if (!tracing && getenv("DP_ALLOC_COUNTER_TRACE")) {
        tracing = 1; /* backtrace() may allocate the first time: not counted, not traced */
        counting = 0;
        void *frames[24];
        backtrace_symbols_fd(frames, backtrace(frames, 24), 2);
        counting = 1;
        tracing = 0;
    }
}

void *malloc(size_t size) {
    note();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    note();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    note();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    note();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return 12; /* ENOMEM */
    *out = p;
    return 0;
}
