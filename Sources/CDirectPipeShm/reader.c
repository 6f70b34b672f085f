/*
 * The reader side of protocol v1 (docs/PROTOCOL.md, "Reader rules").
 * The single implementation of those rules: the OBS plugin, the Swift
 * `PipeReader` and any other program read through this file.
 */
#define _GNU_SOURCE
#include "directpipe_reader.h"
#include "directpipe_futex.h"
#include "directpipe_memtrap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DP_NAME_PREFIX "/DirectPipeAudio"
/* How often the object's size is compared with the mapping; the memtrap
   catches a shrink in between. */
#define DP_SIZE_CHECK_INTERVAL_NS 100000000ull
/* A writer killed inside the clock seqlock leaves it odd: give up after this. */
#define DP_SEQLOCK_MAX_TRIES 1024

struct dp_reader {
    char name[sizeof(DP_NAME_PREFIX) + 1 + DP_PIPE_SUFFIX_MAX];
    uint32_t target_latency;

    /* The current mapping, or fd < 0 while never attached. */
    int fd;
    int trap; /* memtrap slot of the mapping, or -1 */
    uint64_t next_size_check_ns;
    int ever_attached;
    dev_t dev;
    ino_t ino;
    dp_header *header;
    size_t map_size;
    const float *data;
    dp_format format;
    uint32_t generation;

    dp_reader_state state;
    dp_error last_error;
    uint64_t pos;
    int discontinuity;     /* report a discontinuity with the next frames */
    uint32_t last_seq;
    uint64_t last_seq_change_ns;
    uint64_t next_reopen_ns;
    uint64_t overruns;
    uint64_t reconnects;
    /* The last clock pair read whole. A writer preempted inside its clock seqlock leaves it odd for a
       while: that is "not known now", not "lost", and the last pair still maps positions to times. */
    uint64_t clock_pos, clock_ns;
    int have_clock;
};

int dp_pipe_name_is_valid(const char *name) {
    if (name == NULL) return 0;
    size_t prefix = strlen(DP_NAME_PREFIX);
    if (strncmp(name, DP_NAME_PREFIX, prefix) != 0) return 0;
    const char *rest = name + prefix;
    if (*rest == '\0') return 1;
    if (*rest != '-') return 0;
    rest++;
    size_t n = strlen(rest);
    if (n < 1 || n > DP_PIPE_SUFFIX_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = rest[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
    }
    return 1;
}

const char *dp_reader_state_string(dp_reader_state state) {
    switch (state) {
    case DP_READER_CONNECTED: return "connected";
    case DP_READER_WAITING: return "waiting";
    case DP_READER_LOST: return "lost";
    }
    return "unknown";
}

static void unmap(dp_reader *r) {
    dp_memtrap_remove(r->trap);
    r->trap = -1;
    if (r->header != NULL) munmap(r->header, r->map_size);
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    r->header = NULL;
    r->data = NULL;
    r->map_size = 0;
}

static dp_error errno_to_error(int e) {
    switch (e) {
    case ENOENT: return DP_ERR_NOT_FOUND;
    case EACCES:
    case EPERM: return DP_ERR_PERMISSION;
    case ENOMEM: return DP_ERR_NO_MEMORY;
    default: return DP_ERR_SYSTEM;
    }
}

/* The current size of the object, or 0 if it cannot be told. */
static uint64_t object_size(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 0) return 0;
    return (uint64_t)st.st_size;
}

/* Whether the object shrank under the mapping (or a fault was trapped). */
static int mapping_damaged(dp_reader *r, uint64_t now) {
    if (dp_memtrap_faulted(r->trap)) return 1;
    if (r->trap >= 0 && now < r->next_size_check_ns) return 0;
    r->next_size_check_ns = now + DP_SIZE_CHECK_INTERVAL_NS;
    return object_size(r->fd) < r->map_size;
}

/* Gives up a damaged mapping: lost, with the reason, and re-open at once. */
static void drop_damaged(dp_reader *r) {
    r->last_error = DP_ERR_SHORT_SEGMENT;
    unmap(r);
    r->next_reopen_ns = 0;
    if (r->state == DP_READER_CONNECTED) r->state = DP_READER_LOST;
}

/* Rule 2: where a (re)attached reader starts: its target latency behind the
   writer, at most half the ring (so it is not lapped at once). */
static uint64_t start_position(const dp_reader *r, uint64_t write_pos) {
    uint64_t back = r->target_latency < r->format.buffer_frames / 2 ? r->target_latency : r->format.buffer_frames / 2;
    return write_pos > back ? write_pos - back : 0;
}

/* Frames the writer is ahead of position `pos`, negative when behind it. Positions wrap modulo 2^64 (a
   reused object may hold any position), so they are compared by their difference, never by `<`. */
static int64_t ahead_of(uint64_t write_pos, uint64_t pos) { return (int64_t)(write_pos - pos); }

/* Rules 2 and 3: start `target_latency` behind the writer (first attach, lapped). */
static void resync(dp_reader *r, int discontinuity) {
    r->pos = start_position(r, dp_atomic_load_u64_acquire(&r->header->write_pos));
    if (discontinuity) r->discontinuity = 1;
}

/* A new writer, generation or object: start at its write position, since the
   frames before it may be an earlier session's (rule 2: never stale audio). */
static void resync_at_writer(dp_reader *r) {
    r->pos = dp_atomic_load_u64_acquire(&r->header->write_pos);
    r->discontinuity = 1;
}

/* Rule 1: open, map, validate. Replaces the current mapping only on success. */
static dp_error attach(dp_reader *r, uint64_t now) {
    int fd = shm_open(r->name, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) return errno_to_error(errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return errno_to_error(e);
    }
    if (r->fd >= 0 && st.st_dev == r->dev && st.st_ino == r->ino && (size_t)st.st_size == r->map_size) {
        close(fd); /* the same object we already watch */
        return DP_OK;
    }
    if (st.st_size < (off_t)DP_HEADER_BYTES) {
        close(fd);
        return DP_ERR_SHORT_SEGMENT;
    }
    size_t size = (size_t)st.st_size;
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        int e = errno;
        close(fd);
        return errno_to_error(e);
    }
    /* No trap, no touching: another process could shrink it under us. */
    int trap = dp_memtrap_add(map, size);
    dp_format format;
    uint32_t generation = 0;
    dp_error err = trap < 0 ? DP_ERR_NO_MEMORY : DP_OK;
    /* The generation read before and after validation must agree, or the format we validated may belong
       to another writer. A writer half-way through its start (rule 1: active 0, the fields, then the
       generation) can still give a mix of two formats; but this reader is not connected while active is 0,
       and the generation that ends the start makes refresh() validate again before it reads a frame. */
    for (int tries = 0; err == DP_OK && tries < 3; tries++) {
        generation = dp_atomic_load_u32_acquire(&((dp_header *)map)->generation);
        err = dp_segment_validate(map, size, &format);
        dp_atomic_fence_acquire();
        if (err == DP_OK && dp_atomic_load_u32_acquire(&((dp_header *)map)->generation) == generation) break;
        if (err == DP_OK && tries == 2) err = DP_ERR_BAD_FORMAT; /* a writer restarting over and over */
    }
    if (err == DP_OK && dp_memtrap_faulted(trap)) err = DP_ERR_SHORT_SEGMENT;
    if (err != DP_OK) {
        dp_memtrap_remove(trap);
        munmap(map, size);
        close(fd);
        return err;
    }
    int had_mapping = r->ever_attached;
    unmap(r);
    r->fd = fd;
    r->trap = trap;
    r->next_size_check_ns = now + DP_SIZE_CHECK_INTERVAL_NS;
    r->dev = st.st_dev;
    r->ino = st.st_ino;
    r->header = map;
    r->map_size = size;
    r->data = dp_segment_data(map);
    r->format = format;
    r->generation = generation;
    r->last_seq = dp_atomic_load_u32_acquire(&r->header->data_seq);
    r->last_seq_change_ns = now;
    r->ever_attached = 1;
    r->have_clock = 0; /* another object: another writer's clock */
    if (had_mapping) {
        resync_at_writer(r);
        r->reconnects++;
    } else {
        resync(r, 0);
    }
    return DP_OK;
}

static int read_clock_pair(const dp_header *h, uint64_t *pos, uint64_t *ns) {
    for (int i = 0; i < DP_SEQLOCK_MAX_TRIES; i++) {
        if (i % 64 == 63) sched_yield(); /* a writer preempted inside its seqlock needs the CPU back */
        uint32_t s1 = dp_atomic_load_u32_acquire(&h->clock_seq);
        if (s1 & 1u) continue;
        uint64_t p = dp_atomic_load_u64_relaxed(&h->clock_pos);
        uint64_t n = dp_atomic_load_u64_relaxed(&h->clock_ns);
        dp_atomic_fence_acquire();
        if (dp_atomic_load_u32_relaxed(&h->clock_seq) == s1) {
            *pos = p;
            *ns = n;
            return 1;
        }
    }
    return 0;
}

/* The writer's clock pair now, or the last one read whole when the seqlock is held (see have_clock). */
static int clock_pair(dp_reader *r, uint64_t *pos, uint64_t *ns) {
    if (r->header != NULL && read_clock_pair(r->header, &r->clock_pos, &r->clock_ns)) r->have_clock = 1;
    *pos = r->clock_pos;
    *ns = r->clock_ns;
    return r->have_clock;
}

/* Rule 7: capture time of frame `position`. */
static int timestamp_of(dp_reader *r, uint64_t position, uint64_t *out) {
    uint64_t clock_pos, clock_ns;
    if (r->header == NULL || !clock_pair(r, &clock_pos, &clock_ns) || clock_ns == 0) return 0;
    int64_t delta = (int64_t)(position - clock_pos);
    int64_t offset;
    if (delta > -(1ll << 32) && delta < (1ll << 32)) /* the usual case: no 128-bit division */
        offset = delta * 1000000000ll / (int64_t)r->format.sample_rate;
    else
        offset = (int64_t)((__int128)delta * 1000000000 / (__int128)r->format.sample_rate);
    *out = clock_ns + (uint64_t)offset;
    return 1;
}

/*
 * Rules 5 and 6: decide whether a live writer is there, re-validating after
 * a generation change and re-opening the name (at most once a second) while
 * lost. Returns 1 when connected.
 */
static int refresh(dp_reader *r) {
    uint64_t now = dp_monotonic_coarse_ns(); /* timeouts here are hundreds of ms */
    int lost = 1;
    if (r->header != NULL) {
        dp_header *h = r->header;
        if (mapping_damaged(r, now)) {
            drop_damaged(r);
        } else {
            uint32_t seq = dp_atomic_load_u32_acquire(&h->data_seq);
            if (seq != r->last_seq) {
                r->last_seq = seq;
                r->last_seq_change_ns = now;
            }
            uint32_t generation = dp_atomic_load_u32_acquire(&h->generation);
            int valid = 1;
            if (generation != r->generation) {
                dp_format format;
                dp_error err = dp_segment_validate(h, r->map_size, &format);
                if (err != DP_OK) {
                    r->last_error = err;
                    valid = 0; /* lost: re-opening (below, once a second) maps an object grown in place */
                } else {
                    r->generation = generation;
                    r->format = format;
                    r->have_clock = 0; /* another writer's clock */
                    resync_at_writer(r);
                    r->reconnects++;
                    r->last_seq_change_ns = now;
                }
            }
            int active = dp_atomic_load_u32_acquire(&h->active) == 1;
            /* Fresh (rule 5): data_seq moved within 500 ms and the clock pair is not 500 ms old. */
            uint64_t clock_pos, clock_ns;
            int fresh = (r->last_seq_change_ns > now || now - r->last_seq_change_ns <= DP_LIVENESS_TIMEOUT_NS) &&
                        clock_pair(r, &clock_pos, &clock_ns) &&
                        (clock_ns >= now || now - clock_ns <= DP_LIVENESS_TIMEOUT_NS);
            lost = !(valid && active && fresh);
            if (dp_memtrap_faulted(r->trap)) {
                drop_damaged(r);
                lost = 1;
            }
        }
    }
    if (lost && now >= r->next_reopen_ns) {
        r->next_reopen_ns = now + DP_REOPEN_INTERVAL_NS;
        dp_error err = attach(r, now);
        if (err != DP_OK) r->last_error = err;
    }
    if (!lost) {
        /* Back from lost on the same generation (a stalled writer resumed): no stale audio. */
        if (r->state == DP_READER_LOST) resync_at_writer(r);
        r->state = DP_READER_CONNECTED;
        r->last_error = DP_OK;
    } else if (r->state == DP_READER_CONNECTED) {
        r->state = DP_READER_LOST;
    }
    return !lost;
}

dp_error dp_reader_open(const char *name, uint32_t target_latency_frames, uint32_t flags, dp_reader **out) {
    if (out == NULL) return DP_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (name == NULL) name = DP_DEFAULT_PIPE_NAME;
    if (!dp_pipe_name_is_valid(name)) return DP_ERR_BAD_NAME;
    dp_reader *r = calloc(1, sizeof *r);
    if (r == NULL) return DP_ERR_NO_MEMORY;
    strcpy(r->name, name);
    r->fd = -1;
    r->trap = -1;
    r->target_latency = target_latency_frames;
    r->state = DP_READER_WAITING;
    dp_error err = attach(r, dp_monotonic_coarse_ns());
    if (err != DP_OK) {
        if (!(flags & DP_READER_ALLOW_ABSENT)) {
            free(r);
            return err;
        }
        r->last_error = err;
    }
    r->next_reopen_ns = dp_monotonic_coarse_ns() + DP_REOPEN_INTERVAL_NS;
    refresh(r);
    *out = r;
    return DP_OK;
}

void dp_reader_close(dp_reader *reader) {
    if (reader == NULL) return;
    unmap(reader);
    free(reader);
}

static void sleep_ns(uint64_t ns) {
    struct timespec t = {.tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull)};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* Rule 4's withdrawal, never below 0: a writer that started meanwhile zeroed the count (writer rule 1), so
   that readers killed while waiting do not leave it raised for good. */
static void withdraw_waiter(uint32_t *waiters) {
    uint32_t count = __atomic_load_n(waiters, __ATOMIC_SEQ_CST);
    while (count > 0 && !__atomic_compare_exchange_n(waiters, &count, count - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
}

dp_wait_result dp_reader_wait(dp_reader *reader, uint32_t timeout_ms) {
    if (reader == NULL) return DP_WAIT_LOST;
    dp_reader *r = reader;
    uint64_t deadline = dp_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
    int was_connected = r->state == DP_READER_CONNECTED;
    for (;;) {
        int connected = refresh(r);
        if (connected && ahead_of(dp_atomic_load_u64_acquire(&r->header->write_pos), r->pos) > 0) return DP_WAIT_DATA;
        if (!connected && was_connected) return DP_WAIT_LOST; /* say so at once */
        uint64_t now = dp_monotonic_ns();
        if (now >= deadline) return connected ? DP_WAIT_TIMEOUT : DP_WAIT_LOST;
        uint64_t slice = deadline - now;
        if (slice > DP_LIVENESS_TIMEOUT_NS) slice = DP_LIVENESS_TIMEOUT_NS;
        if (r->header == NULL) {
            /* Nothing to wait on: sleep until the next re-open is due (same clock as refresh). */
            uint64_t coarse = dp_monotonic_coarse_ns();
            uint64_t until_reopen = r->next_reopen_ns > coarse ? r->next_reopen_ns - coarse : 0;
            if (until_reopen < 1000000ull) until_reopen = 1000000ull;
            sleep_ns(until_reopen < slice ? until_reopen : slice);
            continue;
        }
        /* Rule 4: announce, re-check, sleep on data_seq, withdraw. Unread frames are a reason not to sleep
           only while connected: a stopped writer's frames (left behind, or behind a target latency) are
           not coming back, and a new writer's first publish bumps data_seq. */
        dp_header *h = r->header;
        uint32_t seen = dp_atomic_load_u32_seq_cst(&h->data_seq);
        dp_atomic_add_u32_seq_cst(&h->waiters, 1);
        if (dp_atomic_load_u32_seq_cst(&h->data_seq) == seen &&
            (!connected || ahead_of(dp_atomic_load_u64_acquire(&h->write_pos), r->pos) <= 0))
            dp_futex_wait(&h->data_seq, seen, slice);
        withdraw_waiter(&h->waiters);
    }
}

/* Copies what `filled` holds into `out`, as much of it as the caller's struct_size asks (never its struct_size). */
static void give(void *out, const void *filled, size_t size) {
    uint32_t asked = *(const uint32_t *)out;
    size_t length = asked < size ? asked : size;
    if (length > sizeof(uint32_t))
        memcpy((char *)out + sizeof(uint32_t), (const char *)filled + sizeof(uint32_t), length - sizeof(uint32_t));
}

long dp_reader_read(dp_reader *reader, float *dst, size_t dst_samples, dp_read_info *info) {
    if (reader == NULL || dst == NULL) return -(long)DP_ERR_INVALID_ARGUMENT;
    if (info != NULL && info->struct_size < sizeof info->struct_size) return -(long)DP_ERR_INVALID_ARGUMENT;
    dp_reader *r = reader;
    dp_read_info filled = DP_READ_INFO_INIT;
    if (info != NULL) give(info, &filled, sizeof filled);
    if (!refresh(r)) return 0;
    if (dst_samples < r->format.channels) return -(long)DP_ERR_INVALID_ARGUMENT; /* not one whole frame */

    dp_header *h = r->header;
    const uint64_t capacity = r->format.buffer_frames;
    const uint64_t safe = capacity * 3 / 4;
    const uint32_t channels = r->format.channels;

    uint64_t write_pos = dp_atomic_load_u64_acquire(&h->write_pos);
    if (ahead_of(write_pos, r->pos) < 0) { /* cannot happen with a conforming writer */
        resync(r, 1);
        return 0;
    }
    uint64_t avail = write_pos - r->pos;
    if (avail > safe) { /* Rule 3: lapped. */
        r->pos = start_position(r, write_pos);
        r->overruns++;
        r->discontinuity = 1;
        avail = write_pos - r->pos;
    }
    uint64_t max_frames = dst_samples / channels;
    uint64_t n = avail < max_frames ? avail : max_frames;
    if (n == 0) return 0;

    uint64_t first = r->pos % capacity;
    uint64_t head = capacity - first < n ? capacity - first : n;
    memcpy(dst, r->data + first * channels, head * channels * sizeof(float));
    if (n > head) memcpy(dst + head * channels, r->data, (n - head) * channels * sizeof(float));
    dp_atomic_fence_acquire();
    if (dp_memtrap_faulted(r->trap)) { /* the object shrank during the copy */
        drop_damaged(r);
        return 0;
    }
    if (dp_atomic_load_u32_relaxed(&h->generation) != r->generation) {
        /* A new writer started during the copy, perhaps with another layout of the same size: what was
           copied may be its frames read with the old format. The next refresh takes the new one. */
        return 0;
    }
    if (dp_atomic_load_u64_relaxed(&h->write_pos) - r->pos > safe) { /* (no overflow near 2^64) */
        /* The writer may have overwritten part of what we copied. */
        resync(r, 1);
        r->overruns++;
        return 0;
    }

    if (info != NULL) {
        filled.position = r->pos;
        filled.format = r->format;
        filled.discontinuity = (uint32_t)r->discontinuity;
        if (!timestamp_of(r, r->pos, &filled.timestamp_ns)) filled.timestamp_ns = 0;
        give(info, &filled, sizeof filled);
    }
    r->discontinuity = 0;
    r->pos += n;
    dp_atomic_store_u64_release(&h->read_pos, r->pos);
    return (long)n;
}

dp_error dp_reader_get_status(dp_reader *reader, dp_reader_status *status) {
    if (reader == NULL || status == NULL || status->struct_size < sizeof status->struct_size) return DP_ERR_INVALID_ARGUMENT;
    dp_reader *r = reader;
    refresh(r);
    dp_reader_status filled = DP_READER_STATUS_INIT;
    filled.state = r->state;
    filled.last_error = r->last_error;
    filled.overruns = r->overruns;
    filled.reconnects = r->reconnects;
    filled.position = r->pos;
    if (r->header != NULL) {
        filled.format = r->format;
        filled.generation = r->generation;
        filled.writer_pid = r->header->writer_pid;
        filled.write_pos = dp_atomic_load_u64_acquire(&r->header->write_pos);
        if (ahead_of(filled.write_pos, r->pos) > 0) {
            uint64_t fill = filled.write_pos - r->pos;
            filled.fill_frames = fill > UINT32_MAX ? UINT32_MAX : (uint32_t)fill;
        }
    }
    give(status, &filled, sizeof filled);
    return DP_OK;
}

int dp_reader_timestamp(dp_reader *reader, uint64_t position, uint64_t *timestamp_ns) {
    if (reader == NULL || timestamp_ns == NULL) return -1;
    return timestamp_of(reader, position, timestamp_ns) ? 0 : -1;
}
