/*
 * libFuzzer target: dp_segment_validate on arbitrary bytes. The input is
 * copied into a buffer of exactly its size, so AddressSanitizer catches any
 * read outside the segment; an accepted segment must really be what the
 * protocol allows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "directpipe_protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *segment = malloc(size ? size : 1);
    if (segment == NULL) return 0;
    memcpy(segment, data, size);
    dp_format format;
    if (dp_segment_validate(segment, size, &format) == DP_OK) {
        const dp_header *h = (const dp_header *)segment;
        if (size < DP_HEADER_BYTES || h->magic != DP_MAGIC || h->version != DP_PROTOCOL_VERSION ||
            format.channels < DP_MIN_CHANNELS || format.channels > DP_MAX_CHANNELS ||
            format.sample_rate < DP_MIN_SAMPLE_RATE || format.sample_rate > DP_MAX_SAMPLE_RATE ||
            (format.buffer_frames & (format.buffer_frames - 1)) != 0 ||
            size < dp_segment_size(format.buffer_frames, format.channels))
            abort(); /* validation accepted something the protocol forbids */
    }
    free(segment);
    return 0;
}
