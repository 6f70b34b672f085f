/*
 * directpipe-reader-check: reads a pipe through libdirectpipe-reader (the
 * library the OBS plugin uses) and reports, as JSON lines on stdout, every
 * change of state or of writer (generation) as it is seen and a final summary. With --verify-counter it
 * checks every sample against `directpipe send --signal counter`.
 *
 *   directpipe-reader-check --pipe NAME --seconds S [--latency FRAMES]
 *       [--verify-counter | --verify-ramp] [--stall-after-ms MS --stall-ms MS]
 *
 * --verify-ramp checks the ramp jack-ramp plays (channel c offset by c * 2^21):
 * each sample continues the previous one, across blocks unless a
 * discontinuity was reported, each channel on its own (a player connects and
 * disconnects its ports one at a time). Silence before the ramp arrives on a
 * channel and after it stops is not an error; silence inside it is. Each jump
 * and each dropout (however long) is one ramp error, what one skipped graph
 * cycle costs. ramp_frames is what the least-fed channel carried.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "directpipe_futex.h"
#include "directpipe_reader.h"
#include "ramp.h"

static void sleep_ms(uint64_t ms) {
    struct timespec t = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static float counter_value(uint64_t position, uint32_t channel, uint32_t channels) {
    return (float)((position * channels + channel) % 8388608u) / 8388608.0f;
}

/* SIGTERM or SIGINT ends the run early, with the final line as usual (the fault campaign stops it). */
static volatile sig_atomic_t stop_requested;
static void request_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char **argv) {
    signal(SIGTERM, request_stop);
    signal(SIGINT, request_stop);
    const char *pipe = NULL;
    double seconds = 1;
    uint32_t latency = 0;
    int verify = 0, verify_ramp = 0;
    uint64_t stall_after_ms = 0, stall_ms = 0;
    static const struct option options[] = {
        {"pipe", required_argument, 0, 'p'},       {"seconds", required_argument, 0, 's'},
        {"latency", required_argument, 0, 'l'},    {"verify-counter", no_argument, 0, 'v'},
        {"verify-ramp", no_argument, 0, 'r'},
        {"stall-after-ms", required_argument, 0, 'a'}, {"stall-ms", required_argument, 0, 'm'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'p': pipe = optarg; break;
        case 's': seconds = atof(optarg); break;
        case 'l': latency = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'v': verify = 1; break;
        case 'r': verify_ramp = 1; break;
        case 'a': stall_after_ms = strtoull(optarg, NULL, 10); break;
        case 'm': stall_ms = strtoull(optarg, NULL, 10); break;
        default: fprintf(stderr, "usage: see the comment at the top of reader_check.c\n"); return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    dp_reader *reader;
    dp_error err = dp_reader_open(pipe, latency, DP_READER_ALLOW_ABSENT, &reader);
    if (err != DP_OK) {
        printf("{\"event\":\"error\",\"error\":%d,\"message\":\"%s\"}\n", err, dp_error_string(err));
        return 1;
    }

    enum { BUFFER_SAMPLES = 65536 * 8 };
    float *buffer = malloc(BUFFER_SAMPLES * sizeof(float));
    uint64_t start = dp_monotonic_ns(), end = start + (uint64_t)(seconds * 1e9);
    uint64_t frames = 0, counter_errors = 0, unreported_gaps = 0, discontinuities = 0, timestamp_errors = 0;
    uint64_t next_position = 0, ramp_errors = 0, ramp_frames = 0;
    /* Per channel, as a player connects and disconnects its ports one at a time. */
    uint32_t ramp_expected[8] = {0};
    int ramp_started[8] = {0};
    uint64_t ramp_silent[8] = {0};        /* silent samples since the ramp last played: a dropout if it plays again */
    uint64_t ramp_channel_frames[8] = {0};
    int have_next = 0, stalled = 0;
    dp_reader_state last_state = (dp_reader_state)-1;
    uint32_t last_generation = 0;
    dp_reader_status status = DP_READER_STATUS_INIT;

    while (dp_monotonic_ns() < end && !stop_requested) {
        dp_reader_wait(reader, 50);
        if (!stalled && stall_ms > 0 && dp_monotonic_ns() - start >= stall_after_ms * 1000000ull) {
            stalled = 1;
            sleep_ms(stall_ms);
        }
        dp_read_info info = DP_READ_INFO_INIT;
        long n;
        while ((n = dp_reader_read(reader, buffer, BUFFER_SAMPLES, &info)) > 0) {
            frames += (uint64_t)n;
            if (info.discontinuity) discontinuities++;
            if (have_next && info.position != next_position && !info.discontinuity) unreported_gaps++;
            if (info.timestamp_ns == 0) timestamp_errors++;
            next_position = info.position + (uint64_t)n;
            have_next = 1;
            if (verify_ramp) {
                uint32_t ch = info.format.channels < 8 ? info.format.channels : 8;
                if (info.discontinuity) memset(ramp_started, 0, sizeof ramp_started);
                for (long f = 0; f < n; f++) {
                    for (uint32_t k = 0; k < ch; k++) {
                        float value = buffer[f * info.format.channels + k];
                        if (value == 0.0f) { /* not arrived yet, stopped, or a dropout if it plays again */
                            if (ramp_started[k]) ramp_silent[k]++;
                            continue;
                        }
                        /* A dropout (silence, then the ramp resuming further on) is one error however long, as a
                         * jump is: a skipped graph cycle costs one or the other, and the tests allow one error per
                         * channel for each skip counted. */
                        uint32_t index = ramp_index(value, k);
                        if (ramp_silent[k] > 0 || (ramp_started[k] && index != ramp_expected[k])) ramp_errors++;
                        ramp_silent[k] = 0;
                        ramp_expected[k] = (index + 1) % RAMP_MODULUS;
                        ramp_started[k] = 1;
                        ramp_channel_frames[k]++;
                    }
                }
            }
            if (verify) {
                uint32_t ch = info.format.channels;
                for (long f = 0; f < n; f++)
                    for (uint32_t k = 0; k < ch; k++)
                        if (buffer[f * ch + k] != counter_value(info.position + (uint64_t)f, k, ch)) counter_errors++;
            }
        }
        dp_reader_get_status(reader, &status);
        if (status.state != last_state || status.generation != last_generation) { /* a new writer is news too */
            last_state = status.state;
            last_generation = status.generation;
            printf("{\"event\":\"state\",\"state\":\"%s\",\"time_ns\":%" PRIu64 ",\"generation\":%u,\"capacity\":%u,"
                   "\"error\":\"%s\"}\n",
                   dp_reader_state_string(status.state), dp_monotonic_ns(), status.generation,
                   status.format.buffer_frames, dp_error_string(status.last_error));
        }
    }
    dp_reader_get_status(reader, &status);
    for (uint32_t k = 0; k < 8 && k < status.format.channels; k++)
        if (k == 0 || ramp_channel_frames[k] < ramp_frames) ramp_frames = ramp_channel_frames[k];
    printf("{\"event\":\"final\",\"state\":\"%s\",\"frames\":%" PRIu64 ",\"counter_errors\":%" PRIu64
           ",\"unreported_gaps\":%" PRIu64 ",\"discontinuities\":%" PRIu64 ",\"timestamp_errors\":%" PRIu64
           ",\"overruns\":%" PRIu64 ",\"reconnects\":%" PRIu64 ",\"generation\":%u,\"capacity\":%u,\"rate\":%u,"
           "\"channels\":%u,\"ramp_frames\":%" PRIu64 ",\"ramp_errors\":%" PRIu64 "}\n",
           dp_reader_state_string(status.state), frames, counter_errors, unreported_gaps, discontinuities,
           timestamp_errors, status.overruns, status.reconnects, status.generation, status.format.buffer_frames,
           status.format.sample_rate, status.format.channels, ramp_frames, ramp_errors);
    free(buffer);
    dp_reader_close(reader);
    return 0;
}
