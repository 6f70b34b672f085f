/*
 * memtrap-check: the reader library's SIGBUS trap in a process that ignores SIGBUS (as a host may). A
 * SIGBUS sent to it (kill) must leave the trap working: afterwards, a mapping truncated under the process
 * is still caught (the fault repaired, the slot marked) instead of killing it.
 *
 *   memtrap-check
 *
 * Prints {"sent_ignored":true,"caught_after":true|false}; killed by SIGBUS if the trap is gone.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "directpipe_memtrap.h"

int main(void) {
    signal(SIGBUS, SIG_IGN);
    char path[] = "/dev/shm/dp-memtrap-check-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 1;
    unlink(path);
    long page = sysconf(_SC_PAGESIZE);
    if (ftruncate(fd, 2 * page) != 0) return 1;
    volatile unsigned char *map = mmap(NULL, (size_t)(2 * page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return 1;
    int slot = dp_memtrap_add((void *)map, (size_t)(2 * page));
    if (slot < 0) return 1;
    kill(getpid(), SIGBUS); /* someone else's SIGBUS: ignored, as the process asked */
    if (ftruncate(fd, 0) != 0) return 1; /* the object shrinks under the mapping */
    unsigned char value = map[page];     /* a fault: the trap repairs it, or the process dies */
    printf("{\"sent_ignored\":true,\"caught_after\":%s,\"value\":%u}\n", dp_memtrap_faulted(slot) ? "true" : "false", value);
    return 0;
}
