#define _GNU_SOURCE
#include "directpipe_memtrap.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

typedef struct trap {
    uintptr_t start; /* atomic; 0 while the slot is free */
    size_t size;     /* atomic; set before start is published */
    int faulted;     /* atomic */
} trap;

static trap traps[DP_MEMTRAP_SLOTS];
static struct sigaction previous_action;
static int installed; /* under slots_lock */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

/* Hands a signal that is not ours to whoever had SIGBUS before, as the kernel would have. */
static void forward(int sig, siginfo_t *info, void *context) {
    void (*handler)(int) = previous_action.sa_handler; /* shares a union with sa_sigaction */
    if (handler == SIG_DFL || handler == SIG_IGN) {
        /* What ends nothing leaves the trap in place: a sent SIGBUS the process ignores, and the kernel's
           advisory notice of a memory error elsewhere (BUS_MCEERR_AO, which asks for no action). */
        if (info->si_code == BUS_MCEERR_AO || (handler == SIG_IGN && info->si_code <= 0)) return;
        /* The rest ends the process, as before the trap: a real fault repeats on return and meets the old
           disposition (the kernel forces the default on an ignored one); a sent signal is raised again. */
        sigaction(SIGBUS, &previous_action, NULL);
        if (info->si_code <= 0) raise(sig);
        return;
    }
    /* The previous handler runs with the signals it asked to block, and once only if it asked for that. */
    sigset_t saved;
    pthread_sigmask(SIG_BLOCK, &previous_action.sa_mask, &saved);
    if (previous_action.sa_flags & SA_SIGINFO)
        previous_action.sa_sigaction(sig, info, context);
    else
        handler(sig);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (previous_action.sa_flags & SA_RESETHAND) {
        previous_action.sa_flags &= ~(SA_SIGINFO | SA_RESETHAND);
        previous_action.sa_handler = SIG_DFL;
    }
}

/* Async-signal-safe: atomics and mmap only. */
static void on_sigbus(int sig, siginfo_t *info, void *context) {
    int saved_errno = errno;
    if (info->si_code == BUS_ADRERR) { /* access beyond the end of a mapped object */
        uintptr_t address = (uintptr_t)info->si_addr;
        for (int i = 0; i < DP_MEMTRAP_SLOTS; i++) {
            uintptr_t start = __atomic_load_n(&traps[i].start, __ATOMIC_ACQUIRE);
            if (start == 0 || address < start) continue;
            size_t size = __atomic_load_n(&traps[i].size, __ATOMIC_ACQUIRE);
            /* The slot must not have been reused while we looked. */
            if (address >= start + size || __atomic_load_n(&traps[i].start, __ATOMIC_ACQUIRE) != start) continue;
            if (mmap((void *)start, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
                MAP_FAILED)
                break; /* cannot repair: let the previous handler decide */
            __atomic_store_n(&traps[i].faulted, 1, __ATOMIC_RELEASE);
            errno = saved_errno;
            return;
        }
    }
    forward(sig, info, context);
    errno = saved_errno;
}

/* Under slots_lock. */
static void install(void) {
    if (installed) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    /* Whose SIGBUS it was, known before ours is in place: a SIGBUS arriving in between finds it filled in. */
    if (sigaction(SIGBUS, NULL, &previous_action) != 0) return;
    if (sigaction(SIGBUS, &action, NULL) == 0) installed = 1;
}

/* When this library is unloaded (OBS unloading its plugins), put the previous
   handler back if ours is still the one installed: no jump into unmapped code. */
__attribute__((destructor)) static void uninstall(void) {
    pthread_mutex_lock(&slots_lock);
    struct sigaction current;
    if (installed && sigaction(SIGBUS, NULL, &current) == 0 && (current.sa_flags & SA_SIGINFO) &&
        current.sa_sigaction == on_sigbus)
        sigaction(SIGBUS, &previous_action, NULL);
    installed = 0;
    pthread_mutex_unlock(&slots_lock);
}

int dp_memtrap_add(void *start, size_t size) {
    if (start == NULL || size == 0) return -1;
    pthread_mutex_lock(&slots_lock);
    install();
    int slot = -1;
    for (int i = 0; installed && i < DP_MEMTRAP_SLOTS; i++) {
        if (__atomic_load_n(&traps[i].start, __ATOMIC_ACQUIRE) == 0) {
            __atomic_store_n(&traps[i].faulted, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&traps[i].size, size, __ATOMIC_RELEASE);
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
