#include "benchmark_anchors.h"

#include <string.h>

#include "directpipe_futex.h"

void anchor_ring_init(dp_header *header, uint32_t capacity_frames, uint32_t channels) {
    memset(header, 0, sizeof *header);
    header->buffer_frames = capacity_frames;
    header->channels = channels;
}

void anchor_ring_write(dp_header *header, const float *frames, uint32_t count) {
    uint64_t pos = header->write_pos; /* only this thread writes it */
    uint32_t channels = header->channels;
    uint64_t capacity = header->buffer_frames;
    uint64_t first = pos & (capacity - 1);
    uint64_t head = capacity - first < count ? capacity - first : count;
    float *data = dp_segment_data(header);
    memcpy(data + first * channels, frames, head * channels * sizeof(float));
    if (count > head) memcpy(data, frames + head * channels, (count - head) * channels * sizeof(float));
    dp_atomic_store_u64_release(&header->write_pos, pos + count);
}

uint32_t anchor_ring_read(dp_header *header, uint64_t *position, float *dst, uint32_t max_frames) {
    uint64_t write_pos = dp_atomic_load_u64_acquire(&header->write_pos);
    uint64_t avail = write_pos - *position;
    uint32_t n = avail < max_frames ? (uint32_t)avail : max_frames;
    uint32_t channels = header->channels;
    uint64_t capacity = header->buffer_frames;
    uint64_t first = *position & (capacity - 1);
    uint64_t head = capacity - first < n ? capacity - first : n;
    const float *data = dp_segment_data(header);
    memcpy(dst, data + first * channels, head * channels * sizeof(float));
    if (n > head) memcpy(dst + head * channels, data, (n - head) * channels * sizeof(float));
    *position += n;
    dp_atomic_store_u64_release(&header->read_pos, *position);
    return n;
}

void anchor_wake_publish(anchor_wake_page *page, uint64_t now_ns) {
    __atomic_store_n(&page->publish_ns, now_ns, __ATOMIC_RELAXED);
    __atomic_add_fetch(&page->seq, 1, __ATOMIC_SEQ_CST);
    dp_futex_wake_all(&page->seq);
}

void anchor_passthrough(const float *const *inputs, float *const *outputs, uint32_t channels, uint32_t frames) {
    for (uint32_t c = 0; c < channels; c++) memcpy(outputs[c], inputs[c], frames * sizeof(float));
}
