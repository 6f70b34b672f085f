/*
 * Anchors for DirectPipe's benchmarks: the least a ring or a wake-up can
 * cost, measured in the same run as our code so the ratio is stable on a
 * noisy machine.
 */
#ifndef BENCHMARK_ANCHORS_H
#define BENCHMARK_ANCHORS_H

#include <stdint.h>

#include "directpipe_protocol.h"

/* A plain single-producer ring with the pipe's layout (256-byte header, then
   interleaved floats): memcpy and one release store to write, one acquire
   load and memcpy to read. No clock, no liveness, no wake-up. */
void anchor_ring_init(dp_header *header, uint32_t capacity_frames, uint32_t channels);
void anchor_ring_write(dp_header *header, const float *frames, uint32_t count);
/* Reads up to max_frames from *position; returns the frames read. */
uint32_t anchor_ring_read(dp_header *header, uint64_t *position, float *dst, uint32_t max_frames);

/* What a minimal JACK pass-through client does per callback: for each
   channel, copy the input port's buffer to the output port's. */
void anchor_passthrough(const float *const *inputs, float *const *outputs, uint32_t channels, uint32_t frames);

/* A raw one-way futex wake between processes: a page holding a 32-bit word
   and the publish time. The benchmark publishes, wake-probe waits. */
typedef struct anchor_wake_page {
    uint32_t seq;
    uint32_t pad;
    uint64_t publish_ns;
} anchor_wake_page;

void anchor_wake_publish(anchor_wake_page *page, uint64_t now_ns);

#endif
