/*
 * The ramp DirectPipe's test peers play and check (jack-ramp, pw-ramp, the C
 * reader's --verify-ramp): sample n of channel c is ((n + c * 2^21) mod 2^23)
 * / 2^23, exact in float32, so every sample says where it belongs.
 */
#ifndef DIRECTPIPE_TEST_RAMP_H
#define DIRECTPIPE_TEST_RAMP_H

#include <stdint.h>

#define RAMP_MODULUS 8388608u
#define RAMP_CHANNEL_OFFSET 2097152u
#define RAMP_MAX_CHANNELS 8

static inline float ramp_value(uint64_t n, uint32_t channel) {
    return (float)((n + (uint64_t)channel * RAMP_CHANNEL_OFFSET) % RAMP_MODULUS) / (float)RAMP_MODULUS;
}

/* The position (mod 2^23) a sample of `channel` carries. */
static inline uint32_t ramp_index(float value, uint32_t channel) {
    uint32_t raw = (uint32_t)(value * (float)RAMP_MODULUS);
    return (raw + RAMP_MODULUS - (uint32_t)(((uint64_t)channel * RAMP_CHANNEL_OFFSET) % RAMP_MODULUS)) % RAMP_MODULUS;
}

/* Checks blocks of planar channels: every sample must continue the one before it; the latency
   is how far behind `sent` (the feed's position at the start of this cycle) the block starts.
   A dropout (silence, then the ramp resuming further on) is one error however long, as a jump is
   (the C reader counts the same way): a skipped graph cycle costs one or the other. How much
   silence there was is counted apart (dropout_frames, on the first channel), so a test can bound
   it too: a skipped cycle leaves at most one cycle of it. */
typedef struct {
    uint32_t expected[RAMP_MAX_CHANNELS];
    int started[RAMP_MAX_CHANNELS];
    uint64_t silent[RAMP_MAX_CHANNELS];
    uint64_t checked_frames, errors, dropout_frames;
    int64_t latency_min, latency_max;
} ramp_check;

#define RAMP_CHECK_INIT {.latency_min = INT64_MAX, .latency_max = INT64_MIN}

static inline void ramp_check_block(ramp_check *check, const float *const *channels, uint32_t count,
                                    uint32_t frames, uint64_t sent) {
    for (uint32_t c = 0; c < count && c < RAMP_MAX_CHANNELS; c++) {
        for (uint32_t i = 0; i < frames; i++) {
            float value = channels[c][i];
            if (value == 0.0f) { /* nothing arrived yet, or a dropout if the ramp plays again */
                if (check->started[c]) check->silent[c]++;
                continue;
            }
            uint32_t k = ramp_index(value, c);
            if (!check->started[c]) {
                check->started[c] = 1;
            } else if (check->silent[c] > 0 || k != check->expected[c]) {
                check->errors++;
            }
            if (c == 0) {
                check->dropout_frames += check->silent[c];
                check->checked_frames += 1 + check->silent[c];
                if (i == 0) {
                    int64_t latency = (int64_t)((sent % RAMP_MODULUS + RAMP_MODULUS - k) % RAMP_MODULUS);
                    if (latency < check->latency_min) check->latency_min = latency;
                    if (latency > check->latency_max) check->latency_max = latency;
                }
            }
            check->silent[c] = 0;
            check->expected[c] = (k + 1) % RAMP_MODULUS;
        }
    }
}

#endif
