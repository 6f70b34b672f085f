/*
 * dp-busy-worker: an LV2 plugin for the tests whose worker is always busy. run() schedules a job every
 * cycle and work() takes 2 ms, so a removal almost always finds a job queued or running. It checks the
 * threading rules a host must keep when it removes a plugin: no work() once deactivate() has begun,
 * deactivate() and cleanup() never while work() runs. A broken rule aborts the process with a line on
 * stderr saying which. cleanup() reports on stderr how many jobs were scheduled and done, and keeps the
 * instance's memory (a test plugin: a late work() must find its state, to be caught rather than crash).
 * With the log feature it also logs a trace from run() every 64 cycles, as some plugins do.
 */
#define _GNU_SOURCE
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUSY_URI "urn:directpipe:test:busy-worker"

enum phase { INACTIVE, ACTIVE, DEACTIVATED, CLEANED_UP };

typedef struct {
    const float *in;
    float *out;
    LV2_Worker_Schedule *schedule;
    LV2_Log_Log *log;
    LV2_URID trace;
    _Atomic int phase;
    _Atomic int working;
    _Atomic long scheduled, worked, answered;
} busy_worker;

static void violation(const char *what) {
    fprintf(stderr, "dp-busy-worker: VIOLATION: %s\n", what);
    fflush(stderr);
    abort();
}

static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate, const char *bundle,
                              const LV2_Feature *const *features) {
    (void)descriptor, (void)rate, (void)bundle;
    LV2_Worker_Schedule *schedule = NULL;
    LV2_Log_Log *log = NULL;
    LV2_URID_Map *map = NULL;
    for (int i = 0; features && features[i]; i++) {
        if (strcmp(features[i]->URI, LV2_WORKER__schedule) == 0) schedule = features[i]->data;
        if (strcmp(features[i]->URI, LV2_LOG__log) == 0) log = features[i]->data;
        if (strcmp(features[i]->URI, LV2_URID__map) == 0) map = features[i]->data;
    }
    if (!schedule) return NULL;
    busy_worker *plugin = calloc(1, sizeof *plugin);
    if (!plugin) return NULL;
    plugin->schedule = schedule;
    if (log && map) {
        plugin->log = log;
        plugin->trace = map->map(map->handle, LV2_LOG__Trace);
    }
    return plugin;
}

static void connect_port(LV2_Handle handle, uint32_t port, void *data) {
    busy_worker *plugin = handle;
    if (port == 0) plugin->in = data;
    if (port == 1) plugin->out = data;
}

static void activate(LV2_Handle handle) { atomic_store(&((busy_worker *)handle)->phase, ACTIVE); }

static void run(LV2_Handle handle, uint32_t frames) {
    busy_worker *plugin = handle;
    if (plugin->in != plugin->out) memmove(plugin->out, plugin->in, frames * sizeof(float));
    long job = atomic_fetch_add(&plugin->scheduled, 1);
    plugin->schedule->schedule_work(plugin->schedule->handle, sizeof job, &job);
    if (plugin->log && job % 64 == 0) plugin->log->printf(plugin->log->handle, plugin->trace, "dp-busy-worker: cycle %ld\n", job);
}

static void deactivate(LV2_Handle handle) {
    busy_worker *plugin = handle;
    atomic_store(&plugin->phase, DEACTIVATED);
    if (atomic_load(&plugin->working)) violation("deactivate() while work() runs");
}

static void cleanup(LV2_Handle handle) {
    busy_worker *plugin = handle;
    if (atomic_load(&plugin->working)) violation("cleanup() while work() runs");
    atomic_store(&plugin->phase, CLEANED_UP);
    fprintf(stderr, "dp-busy-worker: cleaned up after %ld jobs scheduled, %ld done\n", atomic_load(&plugin->scheduled),
            atomic_load(&plugin->worked));
}

static LV2_Worker_Status work(LV2_Handle handle, LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle target,
                              uint32_t size, const void *data) {
    busy_worker *plugin = handle;
    if (atomic_load(&plugin->phase) != ACTIVE) violation("work() on an instance that is not active");
    atomic_store(&plugin->working, 1);
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
    if (atomic_load(&plugin->phase) != ACTIVE) violation("work() while the instance was deactivated");
    atomic_store(&plugin->working, 0);
    atomic_fetch_add(&plugin->worked, 1);
    return respond(target, size, data);
}

static LV2_Worker_Status work_response(LV2_Handle handle, uint32_t size, const void *body) {
    (void)size, (void)body;
    atomic_fetch_add(&((busy_worker *)handle)->answered, 1);
    return LV2_WORKER_SUCCESS;
}

static const void *extension_data(const char *uri) {
    static const LV2_Worker_Interface worker = {work, work_response, NULL};
    return strcmp(uri, LV2_WORKER__interface) == 0 ? &worker : NULL;
}

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index) {
    static const LV2_Descriptor descriptor = {BUSY_URI, instantiate, connect_port, activate,
                                              run,      deactivate,  cleanup,      extension_data};
    return index == 0 ? &descriptor : NULL;
}
