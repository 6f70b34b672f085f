/*
 * Protection against a shared-memory segment shrunk under a mapping.
 *
 * Touching a page of a mapping beyond the end of its (truncated) object
 * raises SIGBUS. Another process of the same user can truncate a pipe at any
 * moment, so a check before each copy can never be enough. Like PulseAudio's
 * memtrap, a process-wide SIGBUS handler recognises faults inside registered
 * mappings, maps zero pages over the whole mapping (so the faulting copy
 * finishes harmlessly) and flags the trap; the owner sees the flag after its
 * copy and reports a short segment. Faults anywhere else go to the handler
 * that was installed before, so crashes elsewhere still crash as they should.
 */
#ifndef DIRECTPIPE_MEMTRAP_H
#define DIRECTPIPE_MEMTRAP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Mappings that can be protected at once in one process. */
#define DP_MEMTRAP_SLOTS 128

/**
 * Protects [start, start + size). Returns a slot number, or -1 when every
 * slot is taken or the handler cannot be installed: then do not use the
 * mapping where another process could shrink it. Installs the SIGBUS
 * handler on first use; unloading the library puts the previous one back.
 */
int dp_memtrap_add(void *start, size_t size);

/** Stops protecting the mapping in `slot` (call before munmap). -1 is allowed. */
void dp_memtrap_remove(int slot);

/** Whether a fault was caught in `slot`'s mapping: its contents are now zeros. */
int dp_memtrap_faulted(int slot);

#ifdef __cplusplus
}
#endif

#endif /* DIRECTPIPE_MEMTRAP_H */
