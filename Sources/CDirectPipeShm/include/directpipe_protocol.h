/*
 * DirectPipe shared-memory audio protocol, version 1.
 *
 * The one definition of the segment layout, shared by the Swift writer and
 * reader (through the Clang importer) and by the C reader library that the
 * OBS plugin and other programs use. The normative description is
 * docs/PROTOCOL.md; every offset in its table is checked below at compile
 * time, so a layout change cannot slip in unnoticed.
 */
#ifndef DIRECTPIPE_PROTOCOL_H
#define DIRECTPIPE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DP_PROTOCOL_VERSION 1u
/** The bytes "D P I P" read as a little-endian u32. */
#define DP_MAGIC 0x50495044u
#define DP_HEADER_BYTES 256u
#define DP_DEFAULT_PIPE_NAME "/DirectPipeAudio"
/** Longest `<name>` in `/DirectPipeAudio-<name>`. */
#define DP_PIPE_SUFFIX_MAX 32u

#define DP_MIN_SAMPLE_RATE 8000u
#define DP_MAX_SAMPLE_RATE 384000u
#define DP_MIN_CHANNELS 1u
#define DP_MAX_CHANNELS 8u
#define DP_MIN_BUFFER_FRAMES 1024u
#define DP_MAX_BUFFER_FRAMES 65536u
#define DP_DEFAULT_BUFFER_FRAMES 4096u

/** Liveness: a reader declares the writer lost after this long without news. */
#define DP_LIVENESS_TIMEOUT_NS 500000000ull
/** Reconnect: a lost reader re-opens the name at most this often. */
#define DP_REOPEN_INTERVAL_NS 1000000000ull

/**
 * The 256-byte header at the start of every segment. Fields marked atomic
 * are only ever accessed atomically: through the dp_atomic_* helpers below
 * in C, through swift-atomics in Swift.
 */
typedef struct dp_header {
    uint64_t write_pos;          /* atomic, writer: frames written, only grows */
    uint8_t pad_writer[56];      /* cache line 0 is the writer's alone */
    uint64_t read_pos;           /* atomic, readers: for display only */
    uint8_t pad_readers[56];     /* cache line 1 is the readers' alone */
    uint32_t sample_rate;        /* writer */
    uint32_t channels;           /* writer, interleaved */
    uint32_t buffer_frames;      /* writer, power of two */
    uint32_t version;            /* writer */
    uint32_t active;             /* atomic, writer */
    uint32_t magic;              /* writer */
    uint32_t header_bytes;       /* writer */
    uint32_t writer_pid;         /* writer */
    uint32_t generation;         /* atomic, writer */
    uint8_t reserved0[28];
    uint32_t data_seq;           /* atomic, writer: the futex word */
    uint32_t waiters;            /* atomic, readers */
    uint32_t clock_seq;          /* atomic, writer: seqlock, odd while written */
    uint8_t reserved1[4];
    uint64_t clock_pos;          /* writer, under clock_seq */
    uint64_t clock_ns;           /* writer, under clock_seq: CLOCK_MONOTONIC */
    uint8_t reserved2[32];
} dp_header;

#define DP_ASSERT_FIELD(field, offset, size)                                      \
    _Static_assert(offsetof(dp_header, field) == (offset), #field " offset");   \
    _Static_assert(sizeof(((dp_header *)0)->field) == (size), #field " size")

DP_ASSERT_FIELD(write_pos, 0, 8);
DP_ASSERT_FIELD(pad_writer, 8, 56);
DP_ASSERT_FIELD(read_pos, 64, 8);
DP_ASSERT_FIELD(pad_readers, 72, 56);
DP_ASSERT_FIELD(sample_rate, 128, 4);
DP_ASSERT_FIELD(channels, 132, 4);
DP_ASSERT_FIELD(buffer_frames, 136, 4);
DP_ASSERT_FIELD(version, 140, 4);
DP_ASSERT_FIELD(active, 144, 4);
DP_ASSERT_FIELD(magic, 148, 4);
DP_ASSERT_FIELD(header_bytes, 152, 4);
DP_ASSERT_FIELD(writer_pid, 156, 4);
DP_ASSERT_FIELD(generation, 160, 4);
DP_ASSERT_FIELD(reserved0, 164, 28);
DP_ASSERT_FIELD(data_seq, 192, 4);
DP_ASSERT_FIELD(waiters, 196, 4);
DP_ASSERT_FIELD(clock_seq, 200, 4);
DP_ASSERT_FIELD(reserved1, 204, 4);
DP_ASSERT_FIELD(clock_pos, 208, 8);
DP_ASSERT_FIELD(clock_ns, 216, 8);
DP_ASSERT_FIELD(reserved2, 224, 32);
_Static_assert(sizeof(dp_header) == DP_HEADER_BYTES, "header is 256 bytes");
_Static_assert(sizeof(float) == 4, "samples are float32");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "protocol v1 is little-endian; this host is not"
#endif

#undef DP_ASSERT_FIELD

/** The audio format a segment carries, as read from a validated header. */
typedef struct dp_format {
    uint32_t sample_rate;
    uint32_t channels;
    uint32_t buffer_frames;
} dp_format;

/** Why a segment (or a call) was refused. Stable numbers: part of the C API. */
typedef enum dp_error {
    DP_OK = 0,
    DP_ERR_INVALID_ARGUMENT = 1, /* NULL pointer, zero-sized buffer, ... */
    DP_ERR_BAD_NAME = 2,         /* not "/DirectPipeAudio" or "/DirectPipeAudio-[a-z0-9_-]{1,32}" */
    DP_ERR_NOT_FOUND = 3,        /* no shared-memory object of that name */
    DP_ERR_PERMISSION = 4,       /* the object exists but is not ours to open */
    DP_ERR_SHORT_SEGMENT = 5,    /* smaller than the header or than its format needs */
    DP_ERR_BAD_MAGIC = 6,        /* not a DirectPipe segment */
    DP_ERR_BAD_VERSION = 7,      /* a protocol version this code does not speak */
    DP_ERR_BAD_HEADER_SIZE = 8,  /* header_bytes is not 256 */
    DP_ERR_BAD_FORMAT = 9,       /* rate, channels or capacity out of range */
    DP_ERR_SYSTEM = 10,          /* a system call failed; errno tells more */
    DP_ERR_NO_MEMORY = 11,
} dp_error;

/** A short English sentence for an error; never NULL. */
const char *dp_error_string(dp_error error);

/**
 * Checks a mapped segment of `size` bytes against reader rule 1, reading
 * only bytes inside [base, base + size). On DP_OK, `*format` (if not NULL)
 * holds the format. Pure: no system call, no allocation, no side effect.
 */
dp_error dp_segment_validate(const void *base, size_t size, dp_format *format);

/** Total segment size for a format: 256 + frames * channels * 4. */
static inline uint64_t dp_segment_size(uint32_t buffer_frames, uint32_t channels) {
    return (uint64_t)DP_HEADER_BYTES + (uint64_t)buffer_frames * channels * sizeof(float);
}

/** The interleaved sample data that follows the header. */
static inline float *dp_segment_data(dp_header *header) {
    return (float *)((uint8_t *)header + DP_HEADER_BYTES);
}

/*
 * Atomic access to header fields for C readers (GCC/Clang builtins on plain
 * integers). Names say the memory order. The Swift writer uses swift-atomics
 * on the same fields, which its @_noAllocation check can see into.
 */
static inline uint64_t dp_atomic_load_u64_acquire(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint64_t dp_atomic_load_u64_relaxed(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void dp_atomic_store_u64_release(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint32_t dp_atomic_load_u32_acquire(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint32_t dp_atomic_load_u32_relaxed(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline uint32_t dp_atomic_load_u32_seq_cst(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
/** Returns the value after the addition; sequentially consistent (the waiters handshake). */
static inline uint32_t dp_atomic_add_u32_seq_cst(uint32_t *p, uint32_t v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static inline uint32_t dp_atomic_sub_u32_seq_cst(uint32_t *p, uint32_t v) { return __atomic_sub_fetch(p, v, __ATOMIC_SEQ_CST); }
static inline void dp_atomic_fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }

#ifdef __cplusplus
}
#endif

#endif /* DIRECTPIPE_PROTOCOL_H */
