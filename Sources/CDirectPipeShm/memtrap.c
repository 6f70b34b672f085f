#define _GNU_SOURCE
#include "directpipe_memtrap.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

typedef struct trap {
    uintptr_t start; /* atomic; 0 while the slot is free */
    size_t size;     /* atomic */
    int faulted;     /* atomic */
} trap;

static trap traps[DP_MEMTRAP_SLOTS];
static struct sigaction previous_action;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static void forward(int sig, siginfo_t *info, void *context) {
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction != NULL) previous_action.sa_sigaction(sig, info, context);
        return;
    }
    if (previous_action.sa_handler == SIG_DFL || previous_action.sa_handler == SIG_IGN) {
        /* Restore the default and return: the faulting access repeats and the
           process dies of SIGBUS as it would have without us. */
        sigaction(SIGBUS, &previous_action, NULL);
        return;
    }
    previous_action.sa_handler(sig);
}

/* Async-signal-safe: atomics and mmap only. */
static void on_sigbus(int sig, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < DP_MEMTRAP_SLOTS; i++) {
        uintptr_t start = __atomic_load_n(&traps[i].start, __ATOMIC_ACQUIRE);
        size_t size = __atomic_load_n(&traps[i].size, __ATOMIC_ACQUIRE);
        if (start == 0 || address < start || address >= start + size) continue;
        if (mmap((void *)start, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
            MAP_FAILED)
            break; /* cannot repair: let the previous handler decide */
        __atomic_store_n(&traps[i].faulted, 1, __ATOMIC_RELEASE);
        return;
    }
    forward(sig, info, context);
}

static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
}

int dp_memtrap_add(void *start, size_t size) {
    if (start == NULL || size == 0) return -1;
    pthread_once(&install_once, install);
    pthread_mutex_lock(&slots_lock);
    int slot = -1;
    for (int i = 0; i < DP_MEMTRAP_SLOTS; i++) {
        if (__atomic_load_n(&traps[i].start, __ATOMIC_ACQUIRE) == 0) {
            __atomic_store_n(&traps[i].faulted, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&traps[i].size, size, __ATOMIC_RELAXED);
            __atomic_store_n(&traps[i].start, (uintptr_t)start, __ATOMIC_RELEASE);
            slot = i;
            break;
        }
    }
    pthread_mutex_unlock(&slots_lock);
    return slot;
}

void dp_memtrap_remove(int slot) {
    if (slot < 0 || slot >= DP_MEMTRAP_SLOTS) return;
    __atomic_store_n(&traps[slot].start, 0, __ATOMIC_RELEASE);
}

int dp_memtrap_faulted(int slot) {
    if (slot < 0 || slot >= DP_MEMTRAP_SLOTS) return 0;
    return __atomic_load_n(&traps[slot].faulted, __ATOMIC_ACQUIRE);
}
