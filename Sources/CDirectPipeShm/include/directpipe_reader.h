/*
 * libdirectpipe-reader: read a DirectPipe audio pipe (protocol v1) from any
 * program. Depends on libc only. Used by the DirectPipe OBS source.
 *
 * Typical use, on a thread of its own:
 *
 *     dp_reader *r;
 *     if (dp_reader_open(NULL, 0, DP_READER_ALLOW_ABSENT, &r) != DP_OK) ...;
 *     for (;;) {
 *         if (dp_reader_wait(r, 500) != DP_WAIT_DATA) continue;   // or check a stop flag
 *         dp_read_info info = DP_READ_INFO_INIT;
 *         long n = dp_reader_read(r, buf, buf_samples, &info);
 *         // n frames of info.format.channels interleaved floats,
 *         // the first captured at info.timestamp_ns (CLOCK_MONOTONIC)
 *     }
 *     dp_reader_close(r);
 *
 * A reader is not thread-safe: use one from one thread at a time. Readers
 * never block or slow the writer, whatever they do.
 */
#ifndef DIRECTPIPE_READER_H
#define DIRECTPIPE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "directpipe_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dp_reader dp_reader;

/** Flags for dp_reader_open. */
enum {
    /** Succeed even if the pipe does not exist yet or is malformed: the reader
        starts in DP_READER_WAITING and attaches by itself when a writer appears. */
    DP_READER_ALLOW_ABSENT = 1u << 0,
};

typedef enum dp_reader_state {
    DP_READER_CONNECTED = 0, /* a live writer is publishing audio */
    DP_READER_WAITING = 1,   /* never attached: no pipe yet, or a malformed one (see last_error) */
    DP_READER_LOST = 2,      /* was attached; the writer stopped, stalled, died or changed capacity */
} dp_reader_state;

typedef enum dp_wait_result {
    DP_WAIT_DATA = 0,    /* at least one frame can be read */
    DP_WAIT_TIMEOUT = 1, /* connected, but nothing arrived in time */
    DP_WAIT_LOST = 2,    /* no live writer (state WAITING or LOST) */
} dp_wait_result;

/*
 * The structs the library fills start with `struct_size`, which the caller sets to the size it was built with
 * (DP_READ_INFO_INIT, DP_READER_STATUS_INIT do): the library fills that much, so fields added at the end later
 * reach only callers built to know them, and a caller built later against an older library keeps its new fields
 * as it initialized them. Fields are only ever appended.
 */
typedef struct dp_reader_status {
    uint32_t struct_size;  /* set by the caller: sizeof(dp_reader_status) */
    dp_reader_state state;
    dp_error last_error;   /* why the last attach failed, or DP_OK */
    dp_format format;      /* zero while never attached */
    uint32_t generation;
    uint32_t writer_pid;
    uint64_t position;     /* the next frame this reader will read */
    uint64_t write_pos;
    uint32_t fill_frames;  /* frames written but not yet read by this reader */
    uint64_t overruns;     /* times this reader was lapped or discarded a torn copy and resynced */
    uint64_t reconnects;   /* times it re-attached to a new writer, object or format */
} dp_reader_status;

#define DP_READER_STATUS_INIT {.struct_size = sizeof(dp_reader_status)}

typedef struct dp_read_info {
    uint32_t struct_size;  /* set by the caller: sizeof(dp_read_info) */
    uint64_t position;     /* pipe position of the first frame returned */
    uint64_t timestamp_ns; /* CLOCK_MONOTONIC capture time of that frame; 0 if unknown */
    dp_format format;      /* the format of the frames returned */
    uint32_t discontinuity;/* 1 if frames were skipped before these (resync, reconnect) */
} dp_read_info;

#define DP_READ_INFO_INIT {.struct_size = sizeof(dp_read_info)}

/* The ABI of libdirectpipe-reader.so.2 (x86-64 and other LP64 targets): what callers were built with stays where it is. */
#define DP_ABI_FIELD(type, field, offset, size)                                          \
    _Static_assert(offsetof(type, field) == (offset), #type "." #field " offset");      \
    _Static_assert(sizeof(((type *)0)->field) == (size), #type "." #field " size")
DP_ABI_FIELD(dp_reader_status, struct_size, 0, 4);
DP_ABI_FIELD(dp_reader_status, state, 4, 4);
DP_ABI_FIELD(dp_reader_status, last_error, 8, 4);
DP_ABI_FIELD(dp_reader_status, format, 12, 12);
DP_ABI_FIELD(dp_reader_status, generation, 24, 4);
DP_ABI_FIELD(dp_reader_status, writer_pid, 28, 4);
DP_ABI_FIELD(dp_reader_status, position, 32, 8);
DP_ABI_FIELD(dp_reader_status, write_pos, 40, 8);
DP_ABI_FIELD(dp_reader_status, fill_frames, 48, 4);
DP_ABI_FIELD(dp_reader_status, overruns, 56, 8);
DP_ABI_FIELD(dp_reader_status, reconnects, 64, 8);
_Static_assert(sizeof(dp_reader_status) == 72, "dp_reader_status size");
DP_ABI_FIELD(dp_read_info, struct_size, 0, 4);
DP_ABI_FIELD(dp_read_info, position, 8, 8);
DP_ABI_FIELD(dp_read_info, timestamp_ns, 16, 8);
DP_ABI_FIELD(dp_read_info, format, 24, 12);
DP_ABI_FIELD(dp_read_info, discontinuity, 36, 4);
_Static_assert(sizeof(dp_read_info) == 40, "dp_read_info size");
#undef DP_ABI_FIELD

/**
 * Opens the pipe `name` (NULL for "/DirectPipeAudio"). `target_latency_frames`
 * is how far behind the writer the reader starts and resyncs (0: lowest).
 * Returns DP_OK and a reader in `*out`, or a typed error and `*out == NULL`.
 */
dp_error dp_reader_open(const char *name, uint32_t target_latency_frames, uint32_t flags, dp_reader **out);

/**
 * Waits up to `timeout_ms` for audio; re-attaches by itself while lost.
 * Returns DP_WAIT_LOST at once when a connected reader loses its writer, and
 * after the timeout when no writer came back.
 */
dp_wait_result dp_reader_wait(dp_reader *reader, uint32_t timeout_ms);

/**
 * Copies as many whole frames as are available and fit in `dst`, which holds
 * `dst_samples` floats (frames are interleaved, info->format.channels per
 * frame, so a format change can never overflow `dst`). Returns the number of
 * frames (0 if none or lost), or -DP_ERR_INVALID_ARGUMENT when `dst` cannot
 * hold one frame. Never returns a torn frame: a copy the writer overtook is
 * discarded and counted as an overrun. `info` may be NULL; if not, its struct_size must be set (else
 * -DP_ERR_INVALID_ARGUMENT).
 */
long dp_reader_read(dp_reader *reader, float *dst, size_t dst_samples, dp_read_info *info);

/** Fills `*status` (as much as its struct_size says); updates liveness first. DP_ERR_INVALID_ARGUMENT for a NULL
    reader or status, or a struct_size of less than its first field. */
dp_error dp_reader_get_status(dp_reader *reader, dp_reader_status *status);

/**
 * The CLOCK_MONOTONIC capture time of pipe position `position`, from the
 * writer's clock pair. Returns 0 and sets `*timestamp_ns` on success.
 */
int dp_reader_timestamp(dp_reader *reader, uint64_t position, uint64_t *timestamp_ns);

/** Unmaps and frees. NULL is allowed. */
void dp_reader_close(dp_reader *reader);

/** Whether `name` is a valid pipe name (see dp_error DP_ERR_BAD_NAME). */
int dp_pipe_name_is_valid(const char *name);

/** A short word for a state: "connected", "waiting", "lost". */
const char *dp_reader_state_string(dp_reader_state state);

#ifdef __cplusplus
}
#endif

#endif /* DIRECTPIPE_READER_H */
