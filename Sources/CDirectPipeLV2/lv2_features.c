#define _GNU_SOURCE
#include "directpipe_lv2.h"

#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/log/log.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- URID map ------------------------------------------------------------------------------------------ */

struct dp_lv2_urids {
    pthread_mutex_t lock;
    char **uris; /* uris[i] has URID i + 1 */
    uint32_t count, capacity;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
};

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri) { return dp_lv2_urid_map(handle, uri); }
static const char *unmap_urid(LV2_URID_Unmap_Handle handle, LV2_URID urid) { return dp_lv2_urid_unmap(handle, urid); }

dp_lv2_urids *dp_lv2_urids_new(void) {
    dp_lv2_urids *urids = calloc(1, sizeof *urids);
    if (!urids) return NULL;
    pthread_mutex_init(&urids->lock, NULL);
    urids->map = (LV2_URID_Map){urids, map_uri};
    urids->unmap = (LV2_URID_Unmap){urids, unmap_urid};
    return urids;
}

void dp_lv2_urids_free(dp_lv2_urids *urids) {
    if (!urids) return;
    for (uint32_t i = 0; i < urids->count; i++) free(urids->uris[i]);
    free(urids->uris);
    pthread_mutex_destroy(&urids->lock);
    free(urids);
}

uint32_t dp_lv2_urid_map(dp_lv2_urids *urids, const char *uri) {
    if (!uri) return 0;
    pthread_mutex_lock(&urids->lock);
    uint32_t urid = 0;
    for (uint32_t i = 0; i < urids->count; i++) {
        if (strcmp(urids->uris[i], uri) == 0) { urid = i + 1; break; }
    }
    if (urid == 0) {
        if (urids->count == urids->capacity) {
            uint32_t capacity = urids->capacity ? urids->capacity * 2 : 64;
            char **grown = realloc(urids->uris, capacity * sizeof *grown);
            if (grown) { urids->uris = grown; urids->capacity = capacity; }
        }
        char *copy = urids->count < urids->capacity ? strdup(uri) : NULL;
        if (copy) {
            urids->uris[urids->count++] = copy;
            urid = urids->count;
        }
    }
    pthread_mutex_unlock(&urids->lock);
    return urid;
}

const char *dp_lv2_urid_unmap(dp_lv2_urids *urids, uint32_t urid) {
    pthread_mutex_lock(&urids->lock);
    const char *uri = urid >= 1 && urid <= urids->count ? urids->uris[urid - 1] : NULL;
    pthread_mutex_unlock(&urids->lock);
    return uri;
}

LV2_URID_Map *dp_lv2_urids_map_feature(dp_lv2_urids *urids) { return &urids->map; }
LV2_URID_Unmap *dp_lv2_urids_unmap_feature(dp_lv2_urids *urids) { return &urids->unmap; }

/* ---- A single-producer single-consumer ring of length-prefixed messages -------------------------------- */

enum { RING_BYTES = 1 << 16 };

typedef struct {
    _Atomic uint32_t head, tail; /* bytes written / read, wrapping */
    uint8_t data[RING_BYTES];
} message_ring;

static void ring_copy_in(message_ring *ring, uint32_t at, const void *source, uint32_t size) {
    for (uint32_t i = 0; i < size; i++) ring->data[(at + i) % RING_BYTES] = ((const uint8_t *)source)[i];
}

static void ring_copy_out(message_ring *ring, uint32_t at, void *target, uint32_t size) {
    for (uint32_t i = 0; i < size; i++) ((uint8_t *)target)[i] = ring->data[(at + i) % RING_BYTES];
}

static int ring_push(message_ring *ring, uint32_t size, const void *body) {
    uint32_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
    if (RING_BYTES - (head - tail) < size + sizeof size) return 0;
    ring_copy_in(ring, head, &size, sizeof size);
    ring_copy_in(ring, head + sizeof size, body, size);
    atomic_store_explicit(&ring->head, head + sizeof size + size, memory_order_release);
    return 1;
}

/* Pops one message into `body` (capacity RING_BYTES); returns its size, or -1 when empty. */
static int64_t ring_pop(message_ring *ring, void *body) {
    uint32_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    uint32_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    if (head == tail) return -1;
    uint32_t size;
    ring_copy_out(ring, tail, &size, sizeof size);
    ring_copy_out(ring, tail + sizeof size, body, size);
    atomic_store_explicit(&ring->tail, tail + sizeof size + size, memory_order_release);
    return size;
}

/* ---- Per-instance features ----------------------------------------------------------------------------- */

struct dp_lv2_features {
    dp_lv2_urids *urids;
    float sample_rate;
    int32_t min_block, max_block, nominal_block, sequence_size;
    LV2_Options_Option options[6];
    LV2_Log_Log log;
    LV2_Worker_Schedule schedule;
    LV2_Feature map_feature, unmap_feature, options_feature, bounded_feature, log_feature, schedule_feature;
    const LV2_Feature *list[7];

    const LV2_Worker_Interface *worker;
    LV2_Handle handle;
    int threaded;
    pthread_t thread;
    int thread_started;
    sem_t pending;
    _Atomic int stopping;
    _Atomic uint64_t dropped;

    /* Log messages: the four kinds' URIDs, resolved once (unmapping takes a lock). In live use, what the
       plugin logs on the thread that runs it (the audio thread) is counted and the last one kept, never
       printed there: stdio locks and may page-fault. */
    LV2_URID log_error, log_warning, log_note, log_trace;
    int live;
    _Atomic unsigned long run_thread; /* pthread_self() of the thread in run(), updated every block */
    _Atomic uint64_t run_messages;
    char last_run_message[256];
    message_ring requests, responses;
    uint8_t worker_scratch[RING_BYTES], audio_scratch[RING_BYTES];
};

static const char *log_kind(const dp_lv2_features *f, LV2_URID type) {
    return type == f->log_error ? "Error" : type == f->log_warning ? "Warning" : type == f->log_note ? "Note"
         : type == f->log_trace ? "Trace" : "log";
}

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *format, va_list args) {
    dp_lv2_features *features = handle;
    if (features->live && (unsigned long)pthread_self() == atomic_load_explicit(&features->run_thread, memory_order_relaxed)) {
        /* The one thread in run(): keep the message; dp_lv2_features_free prints it. */
        int length = snprintf(features->last_run_message, sizeof features->last_run_message, "%s: ", log_kind(features, type));
        if (length > 0 && (size_t)length < sizeof features->last_run_message)
            vsnprintf(features->last_run_message + length, sizeof features->last_run_message - (size_t)length, format, args);
        atomic_fetch_add_explicit(&features->run_messages, 1, memory_order_relaxed);
        return 0;
    }
    fprintf(stderr, "lv2 %s: ", log_kind(features, type));
    return vfprintf(stderr, format, args);
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int written = log_vprintf(handle, type, format, args);
    va_end(args);
    return written;
}

/* The plugin's worker answers; in threaded mode on the worker thread, otherwise inside schedule_work. */
static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data) {
    dp_lv2_features *features = handle;
    return ring_push(&features->responses, size, data) ? LV2_WORKER_SUCCESS : LV2_WORKER_ERR_NO_SPACE;
}

static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size, const void *data) {
    dp_lv2_features *features = handle;
    if (!features->worker) return LV2_WORKER_ERR_UNKNOWN;
    if (!features->threaded) return features->worker->work(features->handle, respond, features, size, data);
    if (!ring_push(&features->requests, size, data)) {
        atomic_fetch_add(&features->dropped, 1);
        return LV2_WORKER_ERR_NO_SPACE;
    }
    sem_post(&features->pending); /* the one wake-up the audio thread makes */
    return LV2_WORKER_SUCCESS;
}

static void *worker_main(void *argument) {
    dp_lv2_features *features = argument;
    for (;;) {
        sem_wait(&features->pending);
        if (atomic_load(&features->stopping)) return NULL;
        int64_t size = ring_pop(&features->requests, features->worker_scratch);
        if (size >= 0) features->worker->work(features->handle, respond, features, (uint32_t)size, features->worker_scratch);
    }
}

static LV2_Options_Option option(dp_lv2_urids *urids, const char *key, const char *type, uint32_t size, const void *value) {
    return (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, dp_lv2_urid_map(urids, key), size, dp_lv2_urid_map(urids, type), value};
}

dp_lv2_features *dp_lv2_features_new(dp_lv2_urids *urids, double sample_rate, uint32_t max_block, int threaded_worker) {
    dp_lv2_features *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->urids = urids;
    f->sample_rate = (float)sample_rate;
    f->min_block = 1;
    f->max_block = (int32_t)max_block;
    f->nominal_block = (int32_t)max_block;
    f->sequence_size = 8192;
    f->threaded = threaded_worker;
    f->live = threaded_worker;
    f->log_error = dp_lv2_urid_map(urids, LV2_LOG__Error);
    f->log_warning = dp_lv2_urid_map(urids, LV2_LOG__Warning);
    f->log_note = dp_lv2_urid_map(urids, LV2_LOG__Note);
    f->log_trace = dp_lv2_urid_map(urids, LV2_LOG__Trace);
    f->options[0] = option(urids, LV2_PARAMETERS__sampleRate, LV2_ATOM__Float, sizeof f->sample_rate, &f->sample_rate);
    f->options[1] = option(urids, LV2_BUF_SIZE__minBlockLength, LV2_ATOM__Int, sizeof f->min_block, &f->min_block);
    f->options[2] = option(urids, LV2_BUF_SIZE__maxBlockLength, LV2_ATOM__Int, sizeof f->max_block, &f->max_block);
    f->options[3] = option(urids, LV2_BUF_SIZE__nominalBlockLength, LV2_ATOM__Int, sizeof f->nominal_block, &f->nominal_block);
    f->options[4] = option(urids, LV2_BUF_SIZE__sequenceSize, LV2_ATOM__Int, sizeof f->sequence_size, &f->sequence_size);
    f->options[5] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
    f->log = (LV2_Log_Log){f, log_printf, log_vprintf};
    f->schedule = (LV2_Worker_Schedule){f, schedule_work};
    f->map_feature = (LV2_Feature){LV2_URID__map, dp_lv2_urids_map_feature(urids)};
    f->unmap_feature = (LV2_Feature){LV2_URID__unmap, dp_lv2_urids_unmap_feature(urids)};
    f->options_feature = (LV2_Feature){LV2_OPTIONS__options, f->options};
    f->bounded_feature = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
    f->log_feature = (LV2_Feature){LV2_LOG__log, &f->log};
    f->schedule_feature = (LV2_Feature){LV2_WORKER__schedule, &f->schedule};
    const LV2_Feature *list[] = {&f->map_feature, &f->unmap_feature, &f->options_feature, &f->bounded_feature,
                                 &f->log_feature, &f->schedule_feature, NULL};
    memcpy(f->list, list, sizeof list);
    sem_init(&f->pending, 0, 0);
    return f;
}

void dp_lv2_features_stop_worker(dp_lv2_features *f) {
    if (!f || !f->thread_started) return;
    atomic_store(&f->stopping, 1);
    sem_post(&f->pending);
    pthread_join(f->thread, NULL);
    f->thread_started = 0;
}

void dp_lv2_features_free(dp_lv2_features *f) {
    if (!f) return;
    dp_lv2_features_stop_worker(f);
    uint64_t unprinted = atomic_load(&f->run_messages);
    if (unprinted > 0) {
        size_t length = strlen(f->last_run_message);
        fprintf(stderr, "lv2: the plugin logged %llu message%s on the audio thread, not printed there; the last: %s%s",
                (unsigned long long)unprinted, unprinted == 1 ? "" : "s", f->last_run_message,
                length > 0 && f->last_run_message[length - 1] == '\n' ? "" : "\n");
    }
    sem_destroy(&f->pending);
    free(f);
}

const LV2_Feature *const *dp_lv2_features_list(dp_lv2_features *f) { return f->list; }

void dp_lv2_features_set_worker(dp_lv2_features *f, const LV2_Worker_Interface *iface, LV2_Handle handle) {
    f->worker = iface && iface->work ? iface : NULL;
    f->handle = handle;
    if (f->worker && f->threaded && !f->thread_started) {
        f->thread_started = pthread_create(&f->thread, NULL, worker_main, f) == 0;
        if (!f->thread_started) f->threaded = 0; /* no thread: do the work inline rather than never */
    }
}

void dp_lv2_features_before_run(dp_lv2_features *f) {
    atomic_store_explicit(&f->run_thread, (unsigned long)pthread_self(), memory_order_relaxed);
}

void dp_lv2_features_after_run(dp_lv2_features *f) {
    if (!f->worker) return;
    int64_t size;
    while ((size = ring_pop(&f->responses, f->audio_scratch)) >= 0) {
        if (f->worker->work_response) f->worker->work_response(f->handle, (uint32_t)size, f->audio_scratch);
    }
    if (f->worker->end_run) f->worker->end_run(f->handle);
}

uint64_t dp_lv2_features_dropped_work(dp_lv2_features *f) { return atomic_load(&f->dropped); }

void dp_lv2_atom_input_clear(void *buffer, uint32_t sequence_urid) {
    LV2_Atom_Sequence *sequence = buffer;
    sequence->atom.size = sizeof(LV2_Atom_Sequence_Body);
    sequence->atom.type = sequence_urid;
    sequence->body.unit = 0;
    sequence->body.pad = 0;
}

void dp_lv2_atom_output_reset(void *buffer, uint32_t capacity, uint32_t chunk_urid) {
    LV2_Atom *atom = buffer;
    atom->size = capacity - (uint32_t)sizeof(LV2_Atom);
    atom->type = chunk_urid;
}
