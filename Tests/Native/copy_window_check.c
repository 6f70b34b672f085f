/*
 * copy-window-check: a writer that restarts with another format of the same size while a reader copies
 * frames must not have its frames read with the old layout (review finding 7; reader rule 3 re-checks the
 * generation after the copy).
 *
 *   copy-window-check --pipe NAME
 *
 * The window is hit on purpose, not by chance: this program builds the reader from reader.c with the
 * copy's memcpy routed through copy_during_restart(), which restarts the writer in place (2 channels ×
 * 1024 frames become 1 channel × 2048, the same bytes) right before the first copy out of the ring. The
 * program is that writer too, following the protocol's writer rules by hand. It prints one JSON line: what
 * the read across the restart returned, what it returned that was not the first writer's, and what the
 * next reads returned once the new writer published. Exit 0 when the reader gave no frame of the new
 * writer under the old format and then read the new writer's frames in the new format.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *copy_during_restart(void *destination, const void *source, size_t bytes);
#define memcpy copy_during_restart
#include "../../Sources/CDirectPipeShm/reader.c"
#undef memcpy

enum { RATE = 48000, FIRST_CHANNELS = 2, FIRST_FRAMES = 1024, SECOND_CHANNELS = 1, SECOND_FRAMES = 2048, BLOCK = 256 };

static dp_header *header; /* the writer's mapping */
static float *ring;
static const float *reader_ring; /* the reader's own mapping of the ring, where its copy reads */
static int restart_armed;

/* What each writer puts in the ring: the first positive, the second negative, both telling the frame. */
static float first_sample(uint64_t frame, uint32_t channel) { return 1.0f + (float)(frame % 4096) * 2 + (float)channel; }
static float second_sample(uint64_t frame) { return -1.0f - (float)(frame % 4096); }

static void publish_clock(uint64_t position) {
    uint32_t seq = dp_atomic_load_u32_relaxed(&header->clock_seq);
    __atomic_store_n(&header->clock_seq, seq + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    header->clock_pos = position;
    header->clock_ns = dp_monotonic_ns();
    __atomic_store_n(&header->clock_seq, seq + 2, __ATOMIC_RELEASE);
}

/* Writer rules 2 and 3: `frames` more frames of the current writer, then the position, data_seq, the clock. */
static void publish(uint32_t frames, int second) {
    uint64_t position = dp_atomic_load_u64_relaxed(&header->write_pos);
    uint32_t channels = header->channels, capacity = header->buffer_frames;
    for (uint64_t f = position; f < position + frames; f++)
        for (uint32_t c = 0; c < channels; c++)
            ring[(f % capacity) * channels + c] = second ? second_sample(f) : first_sample(f, c);
    dp_atomic_store_u64_release(&header->write_pos, position + frames);
    dp_atomic_add_u32_seq_cst(&header->data_seq, 1);
    publish_clock(position + frames);
}

/* Writer rule 1 on an object that is already there: inactive, the new format, a new generation, active. */
static void start_writer(uint32_t channels, uint32_t frames) {
    __atomic_store_n(&header->active, 0, __ATOMIC_RELEASE);
    header->sample_rate = RATE;
    header->channels = channels;
    header->buffer_frames = frames;
    header->version = DP_PROTOCOL_VERSION;
    header->magic = DP_MAGIC;
    header->header_bytes = DP_HEADER_BYTES;
    header->writer_pid = (uint32_t)getpid();
    __atomic_store_n(&header->waiters, 0, __ATOMIC_RELEASE);
    dp_atomic_add_u32_seq_cst(&header->generation, 1);
    __atomic_store_n(&header->active, 1, __ATOMIC_RELEASE);
}

static void *copy_during_restart(void *destination, const void *source, size_t bytes) {
    const char *from = source;
    const char *reader_from = (const char *)reader_ring;
    if (restart_armed && from >= reader_from && from < reader_from + FIRST_CHANNELS * FIRST_FRAMES * sizeof(float)) {
        restart_armed = 0;
        start_writer(SECOND_CHANNELS, SECOND_FRAMES);
        /* The new writer's frames over the whole ring, where the reader is about to copy from. */
        uint64_t position = dp_atomic_load_u64_relaxed(&header->write_pos);
        for (uint64_t f = position - SECOND_FRAMES; f < position; f++) ring[f % SECOND_FRAMES] = second_sample(f);
    }
    char *to = destination;
    for (size_t i = 0; i < bytes; i++) to[i] = from[i];
    return destination;
}

int main(int argc, char **argv) {
    const char *pipe = NULL;
    static struct option options[] = {{"pipe", required_argument, 0, 'p'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "", options, NULL)) != -1;) {
        if (c != 'p') return 2;
        pipe = optarg;
    }
    if (pipe == NULL) return 2;
    size_t size = dp_segment_size(FIRST_FRAMES, FIRST_CHANNELS);
    _Static_assert(FIRST_FRAMES * FIRST_CHANNELS == SECOND_FRAMES * SECOND_CHANNELS, "one size for both writers");
    int fd = shm_open(pipe, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) return perror("shm"), 1;
    header = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (header == MAP_FAILED) return perror("mmap"), 1;
    ring = dp_segment_data(header);
    dp_atomic_store_u64_release(&header->write_pos, 4096); /* a writer that has been running */
    start_writer(FIRST_CHANNELS, FIRST_FRAMES);
    publish(BLOCK, 0);

    dp_reader *reader = NULL;
    int status = 1;
    if (dp_reader_open(pipe, 0, 0, &reader) != DP_OK) goto done;
    float buffer[SECOND_FRAMES * 2];
    dp_read_info info = DP_READ_INFO_INIT;
    long before = dp_reader_read(reader, buffer, sizeof buffer / sizeof *buffer, &info); /* connects at the writer */
    reader_ring = reader->data;
    publish(BLOCK, 0);
    restart_armed = 1;
    long across = dp_reader_read(reader, buffer, sizeof buffer / sizeof *buffer, &info);
    long foreign = 0; /* frames of that read that are not the first writer's */
    for (long f = 0; f < across; f++)
        for (uint32_t c = 0; c < info.format.channels; c++)
            if (buffer[f * info.format.channels + c] != first_sample(info.position + (uint64_t)f, c)) {
                foreign++;
                break;
            }
    /* The new writer publishes; the reader takes its format and reads its frames. */
    publish(BLOCK, 1);
    long after = 0, after_wrong = 0;
    uint32_t after_channels = 0;
    for (int tries = 0; tries < 4 && after == 0; tries++) {
        after = dp_reader_read(reader, buffer, sizeof buffer / sizeof *buffer, &info);
        if (after == 0) publish(BLOCK, 1);
    }
    after_channels = info.format.channels;
    for (long f = 0; f < after; f++)
        if (after_channels != SECOND_CHANNELS || buffer[f] != second_sample(info.position + (uint64_t)f)) after_wrong++;
    printf("{\"restart_done\":%s,\"before\":%ld,\"across\":%ld,\"foreign\":%ld,\"after\":%ld,\"after_channels\":%u,"
           "\"after_wrong\":%ld}\n",
           restart_armed ? "false" : "true", before, across, foreign, after, after_channels, after_wrong);
    status = !restart_armed && foreign == 0 && after > 0 && after_channels == SECOND_CHANNELS && after_wrong == 0 ? 0 : 1;
    dp_reader_close(reader);
done:
    munmap(header, size);
    shm_unlink(pipe);
    return status;
}
