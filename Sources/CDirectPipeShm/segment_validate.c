#include "directpipe_protocol.h"

#include <string.h>

static int is_power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

dp_error dp_segment_validate(const void *base, size_t size, dp_format *format) {
    if (base == NULL) return DP_ERR_INVALID_ARGUMENT;
    if (size < DP_HEADER_BYTES) return DP_ERR_SHORT_SEGMENT;

    /* Copy the header once: the writer may change it while we look. */
    dp_header h;
    memcpy(&h, base, sizeof h);

    if (h.magic != DP_MAGIC) return DP_ERR_BAD_MAGIC;
    if (h.version != DP_PROTOCOL_VERSION) return DP_ERR_BAD_VERSION;
    if (h.header_bytes != DP_HEADER_BYTES) return DP_ERR_BAD_HEADER_SIZE;
    if (h.sample_rate < DP_MIN_SAMPLE_RATE || h.sample_rate > DP_MAX_SAMPLE_RATE) return DP_ERR_BAD_FORMAT;
    if (h.channels < DP_MIN_CHANNELS || h.channels > DP_MAX_CHANNELS) return DP_ERR_BAD_FORMAT;
    if (h.buffer_frames < DP_MIN_BUFFER_FRAMES || h.buffer_frames > DP_MAX_BUFFER_FRAMES ||
        !is_power_of_two(h.buffer_frames))
        return DP_ERR_BAD_FORMAT;
    if ((uint64_t)size < dp_segment_size(h.buffer_frames, h.channels)) return DP_ERR_SHORT_SEGMENT;

    if (format != NULL) {
        format->sample_rate = h.sample_rate;
        format->channels = h.channels;
        format->buffer_frames = h.buffer_frames;
    }
    return DP_OK;
}

const char *dp_error_string(dp_error error) {
    switch (error) {
    case DP_OK: return "no error";
    case DP_ERR_INVALID_ARGUMENT: return "invalid argument";
    case DP_ERR_BAD_NAME: return "bad pipe name (expected /DirectPipeAudio or /DirectPipeAudio-NAME, NAME of 1-32 characters a-z 0-9 _ -)";
    case DP_ERR_NOT_FOUND: return "no such pipe (is DirectPipe running?)";
    case DP_ERR_PERMISSION: return "permission denied (the pipe belongs to another user)";
    case DP_ERR_SHORT_SEGMENT: return "segment is smaller than its header or format requires";
    case DP_ERR_BAD_MAGIC: return "not a DirectPipe segment (wrong magic)";
    case DP_ERR_BAD_VERSION: return "unsupported protocol version";
    case DP_ERR_BAD_HEADER_SIZE: return "unsupported header size";
    case DP_ERR_BAD_FORMAT: return "bad format (sample rate, channels or capacity out of range)";
    case DP_ERR_SYSTEM: return "system call failed";
    case DP_ERR_NO_MEMORY: return "out of memory";
    }
    return "unknown error";
}
