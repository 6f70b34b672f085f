#define _GNU_SOURCE /* the SPA headers use newlocale and friends */
#include "directpipe_pipewire.h"
#include "pipewire_init.h"
#include "pipewire_links.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/filter.h>
#include <pipewire/pipewire.h>
#include <spa/utils/result.h>

struct dp_pw_port {
    int unused; /* pw_filter wants per-port user data; the node keeps its own table */
};

struct dp_pw_node {
    struct pw_thread_loop *loop;
    struct pw_context *context;
    struct pw_core *core;
    struct spa_hook core_listener;
    struct pw_filter *filter;
    struct spa_hook filter_listener;
    dp_pw_links *links;
    struct pw_proxy *virtual_source; /* owned: gone with this connection */
    dp_pw_node_config virtual_source_config; /* what it was made from (its strings copied) */
    char virtual_source_name[256], virtual_source_description[256];
    int pending_sync, synced;
    void *inputs[DP_PW_MAX_PORTS];
    void *outputs[DP_PW_MAX_PORTS];
    uint32_t input_count, output_count;
    dp_pw_process_fn process;
    void *user;
    /* What the data thread hands to `process`: set up before connecting. */
    const float *in_buffers[DP_PW_MAX_PORTS];
    float *out_buffers[DP_PW_MAX_PORTS];
    float *silence;  /* DP_PW_MAX_FRAMES zeros, for unlinked inputs */
    float *scratch;  /* DP_PW_MAX_FRAMES, for outputs without a buffer */
    _Atomic int state;
    _Atomic uint64_t cycles;
    /* Graph cycles this node missed: the driver's position moved on by more than one cycle. */
    _Atomic uint64_t skipped;
    uint64_t next_position; /* data thread only */
    uint64_t cycle_position; /* data thread only: this cycle's graph position */
    char error[256]; /* written on the loop thread, read under the loop lock */
    int loop_started;
};

static void init_pipewire(void) { pw_init(NULL, NULL); }

/* pthread_once, not a flag: a second thread (the API listing devices while the backend creates its node)
   must wait until pw_init has finished, not go on with libpipewire half set up. */
void dp_pw_init_once(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_pipewire);
}

static void set_error(char *error, size_t size, const char *what, int code) {
    if (error && size) snprintf(error, size, "%s: %s", what, spa_strerror(code));
}

/* The data thread: one graph cycle. No allocation, no lock, no log. */
static void on_process(void *data, struct spa_io_position *position) {
    struct dp_pw_node *node = data;
    uint32_t frames = position ? (uint32_t)position->clock.duration : 0;
    if (frames == 0 || frames > DP_PW_MAX_FRAMES) return;
    for (uint32_t c = 0; c < node->input_count; c++) {
        const float *buffer = pw_filter_get_dsp_buffer(node->inputs[c], frames);
        node->in_buffers[c] = buffer ? buffer : node->silence;
    }
    for (uint32_t c = 0; c < node->output_count; c++) {
        float *buffer = pw_filter_get_dsp_buffer(node->outputs[c], frames);
        node->out_buffers[c] = buffer ? buffer : node->scratch;
    }
    uint64_t now = position->clock.position;
    /* Forward by up to a second: skipped cycles. Backwards, or further: a driver starting over. */
    uint64_t ahead = node->next_position && now > node->next_position ? now - node->next_position : 0;
    uint64_t skipped_frames = ahead <= position->clock.rate.denom ? ahead : 0;
    if (node->next_position && now != node->next_position)
        atomic_fetch_add_explicit(&node->skipped, 1, memory_order_relaxed);
    node->next_position = now + frames;
    node->cycle_position = now;
    node->process(node->user, node->in_buffers, node->out_buffers, frames, position->clock.nsec,
                  position->clock.rate.denom, skipped_frames);
    atomic_fetch_add_explicit(&node->cycles, 1, memory_order_relaxed);
}

static void on_state_changed(void *data, enum pw_filter_state old, enum pw_filter_state state, const char *error) {
    (void)old;
    struct dp_pw_node *node = data;
    int mapped = DP_PW_CONNECTING;
    switch (state) {
    case PW_FILTER_STATE_ERROR: mapped = DP_PW_ERROR; break;
    case PW_FILTER_STATE_UNCONNECTED: mapped = DP_PW_DISCONNECTED; break;
    case PW_FILTER_STATE_CONNECTING: mapped = DP_PW_CONNECTING; break;
    case PW_FILTER_STATE_PAUSED: mapped = DP_PW_PAUSED; break;
    case PW_FILTER_STATE_STREAMING: mapped = DP_PW_STREAMING; break;
    }
    if (error) snprintf(node->error, sizeof node->error, "%s", error);
    /* From PAUSED on, the daemon has given the node its id: time to link its ports. */
    if (node->links && (state == PW_FILTER_STATE_PAUSED || state == PW_FILTER_STATE_STREAMING))
        dp_pw_links_set_own_node(node->links, pw_filter_get_node_id(node->filter));
    /* A broken connection wins over whatever the filter says next. */
    if (atomic_load(&node->state) != DP_PW_DISCONNECTED) atomic_store(&node->state, mapped);
}

static const struct pw_filter_events filter_events = {
    PW_VERSION_FILTER_EVENTS,
    .state_changed = on_state_changed,
    .process = on_process,
};

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message) {
    (void)seq;
    struct dp_pw_node *node = data;
    if (id != PW_ID_CORE) return;
    snprintf(node->error, sizeof node->error, "%s", message ? message : spa_strerror(res));
    if (res == -EPIPE) atomic_store(&node->state, DP_PW_DISCONNECTED);
}

static void on_core_done(void *data, uint32_t id, int seq) {
    struct dp_pw_node *node = data;
    if (id == PW_ID_CORE && seq == node->pending_sync) {
        node->synced = 1;
        pw_thread_loop_signal(node->loop, false);
    }
}

static const struct pw_core_events core_events = {
    PW_VERSION_CORE_EVENTS,
    .done = on_core_done,
    .error = on_core_error,
};

/* The virtual source: an adapter around support.null-audio-sink in the daemon, owned by this
   connection (object.linger=false), with DSP ports made at once so it works with no session manager. */
static struct pw_proxy *create_virtual_source(struct dp_pw_node *node, const dp_pw_node_config *config) {
    struct pw_properties *props = pw_properties_new(
        "factory.name", "support.null-audio-sink",
        PW_KEY_MEDIA_CLASS, "Audio/Source/Virtual",
        PW_KEY_NODE_NAME, config->virtual_source.node_name,
        PW_KEY_NODE_DESCRIPTION, config->virtual_source.description,
        PW_KEY_APP_NAME, "DirectPipe",
        "audio.position", config->virtual_source.channels == 1 ? "[ MONO ]" : "[ FL FR ]",
        "adapter.auto-port-config", "{ mode = dsp monitor = true position = preserve }",
        /* A null sink is a driver, and a driving null sink passes its input on a quantum late: the lowest
           priority, so any real driver in the graph (the capture device) drives instead. */
        PW_KEY_PRIORITY_DRIVER, "1",
        PW_KEY_OBJECT_LINGER, "false",
        NULL);
    if (!props) return NULL;
    if (config->rate) pw_properties_setf(props, PW_KEY_AUDIO_RATE, "%u", config->rate);
    struct pw_proxy *proxy = pw_core_create_object(node->core, "adapter", PW_TYPE_INTERFACE_Node, PW_VERSION_NODE,
                                                   &props->dict, 0);
    pw_properties_free(props);
    return proxy;
}

static void *add_port(struct dp_pw_node *node, enum pw_direction direction, const char *prefix, const char *channel) {
    char name[64];
    snprintf(name, sizeof name, "%s_%s", prefix, channel);
    struct pw_properties *props = pw_properties_new(
        PW_KEY_FORMAT_DSP, "32 bit float mono audio",
        PW_KEY_PORT_NAME, name,
        PW_KEY_AUDIO_CHANNEL, channel,
        NULL);
    if (!props) return NULL;
    return pw_filter_add_port(node->filter, direction, PW_FILTER_PORT_FLAG_MAP_BUFFERS,
                              sizeof(struct dp_pw_port), props, NULL, 0);
}

static struct pw_properties *node_properties(const dp_pw_node_config *config) {
    struct pw_properties *props = pw_properties_new(
        PW_KEY_MEDIA_TYPE, "Audio",
        PW_KEY_MEDIA_CLASS, config->media_class,
        PW_KEY_NODE_NAME, config->node_name,
        PW_KEY_NODE_DESCRIPTION, config->description,
        PW_KEY_APP_NAME, "DirectPipe",
        PW_KEY_APP_ICON_NAME, "audio-input-microphone",
        /* The node links its own ports (pipewire_links.c); the session manager need not. */
        PW_KEY_NODE_AUTOCONNECT, "false",
        NULL);
    if (config->rate) pw_properties_setf(props, PW_KEY_NODE_RATE, "1/%u", config->rate);
    if (config->driver_group) pw_properties_set(props, PW_KEY_NODE_GROUP, config->driver_group);
    /* What the node carries, as a device node says it (pavucontrol, `directpipe devices`). */
    if (config->group_count) pw_properties_setf(props, PW_KEY_AUDIO_CHANNELS, "%u", config->groups[0].count);
    if (config->rate) pw_properties_setf(props, PW_KEY_AUDIO_RATE, "%u", config->rate);
    if (config->quantum && config->rate)
        pw_properties_setf(props, PW_KEY_NODE_LATENCY, "%u/%u", config->quantum, config->rate);
    /* Keep processing (and feeding the OBS pipe) while nothing is linked: with a driver
       but no source, the pipe carries silence instead of going quiet. */
    pw_properties_set(props, PW_KEY_NODE_ALWAYS_PROCESS, "true");
    pw_properties_set(props, PW_KEY_NODE_WANT_DRIVER, "true");
    return props;
}

/* The links watcher saw a session manager (re)join: destroy the virtual source and make it again. */
static void renew_virtual_source(void *user) {
    struct dp_pw_node *node = user;
    if (!node->virtual_source) return;
    pw_proxy_destroy(node->virtual_source);
    node->virtual_source = create_virtual_source(node, &node->virtual_source_config);
}

int dp_pw_node_create(const dp_pw_node_config *config, dp_pw_process_fn process, void *user,
                      dp_pw_node **out, char *error, size_t error_size) {
    uint32_t input_count = 0, output_count = 0;
    for (uint32_t g = 0; g < config->group_count && g < DP_PW_MAX_GROUPS; g++)
        *(config->groups[g].is_output ? &output_count : &input_count) += config->groups[g].count;
    if (config->group_count > DP_PW_MAX_GROUPS || input_count > DP_PW_MAX_PORTS || output_count > DP_PW_MAX_PORTS) {
        if (error && error_size)
            snprintf(error, error_size, "at most %d port groups and %d ports each way", DP_PW_MAX_GROUPS, DP_PW_MAX_PORTS);
        return -1;
    }
    dp_pw_init_once();
    struct dp_pw_node *node = calloc(1, sizeof *node);
    float *silence = calloc(DP_PW_MAX_FRAMES, sizeof(float));
    float *scratch = calloc(DP_PW_MAX_FRAMES, sizeof(float));
    if (!node || !silence || !scratch) {
        free(node), free(silence), free(scratch);
        set_error(error, error_size, "out of memory", -ENOMEM);
        return -1;
    }
    node->silence = silence;
    node->scratch = scratch;
    node->process = process;
    node->user = user;
    atomic_init(&node->state, DP_PW_CONNECTING);

    node->loop = pw_thread_loop_new("directpipe-pw", NULL);
    if (!node->loop) {
        set_error(error, error_size, "could not create PipeWire's loop", -errno);
        dp_pw_node_destroy(node);
        return -1;
    }
    pw_thread_loop_lock(node->loop);
    /* client-rt.conf loads module-rt: the data thread asks for real-time scheduling
       (directly when allowed, else through RTKit), as every PipeWire audio client does. */
    node->context = pw_context_new(pw_thread_loop_get_loop(node->loop),
                                   pw_properties_new(PW_KEY_CONFIG_NAME, "client-rt.conf", NULL), 0);
    node->core = node->context ? pw_context_connect(node->context, NULL, 0) : NULL;
    if (!node->core) {
        set_error(error, error_size, "no PipeWire daemon answers", -errno);
        pw_thread_loop_unlock(node->loop);
        dp_pw_node_destroy(node);
        return -1;
    }
    pw_core_add_listener(node->core, &node->core_listener, &core_events, node);
    node->filter = pw_filter_new(node->core, config->node_name, node_properties(config));
    if (!node->filter) {
        set_error(error, error_size, "PipeWire refused the node", -errno);
        pw_thread_loop_unlock(node->loop);
        dp_pw_node_destroy(node);
        return -1;
    }
    node->links = dp_pw_links_new(node->core, config, renew_virtual_source, node);
    pw_filter_add_listener(node->filter, &node->filter_listener, &filter_events, node);
    int result = node->links ? 0 : -ENOMEM;
    for (uint32_t g = 0; g < config->group_count && result >= 0; g++) {
        const dp_pw_port_group *group = &config->groups[g];
        for (uint32_t c = 0; c < group->count && result >= 0; c++) {
            void *port = add_port(node, group->is_output ? PW_DIRECTION_OUTPUT : PW_DIRECTION_INPUT, group->prefix,
                                  group->channels[c]);
            /* The data thread reads every port's buffer: a node short of one must not run. */
            if (!port) result = errno ? -errno : -ENOMEM;
            else if (group->is_output) node->outputs[node->output_count++] = port;
            else node->inputs[node->input_count++] = port;
        }
    }
    if (result >= 0) result = pw_filter_connect(node->filter, PW_FILTER_FLAG_RT_PROCESS, NULL, 0);
    if (result >= 0 && config->virtual_source.node_name) {
        /* Kept for making it anew after a session-manager restart (the caller's strings go away). */
        snprintf(node->virtual_source_name, sizeof node->virtual_source_name, "%s", config->virtual_source.node_name);
        snprintf(node->virtual_source_description, sizeof node->virtual_source_description, "%s",
                 config->virtual_source.description ? config->virtual_source.description : config->virtual_source.node_name);
        node->virtual_source_config.rate = config->rate;
        node->virtual_source_config.virtual_source.node_name = node->virtual_source_name;
        node->virtual_source_config.virtual_source.description = node->virtual_source_description;
        node->virtual_source_config.virtual_source.channels = config->virtual_source.channels;
        node->virtual_source = create_virtual_source(node, &node->virtual_source_config);
        if (!node->virtual_source) result = -errno;
        else if (config->virtual_source.make_default)
            dp_pw_links_make_default_source(node->links, config->virtual_source.node_name);
    }
    pw_thread_loop_unlock(node->loop);
    if (result < 0) {
        set_error(error, error_size, "PipeWire refused to connect the node", result);
        dp_pw_node_destroy(node);
        return -1;
    }
    if (pw_thread_loop_start(node->loop) < 0) {
        set_error(error, error_size, "could not start PipeWire's loop thread", -errno);
        dp_pw_node_destroy(node);
        return -1;
    }
    node->loop_started = 1;
    *out = node;
    return 0;
}

dp_pw_state dp_pw_node_state(dp_pw_node *node, char *error, size_t error_size) {
    pw_thread_loop_lock(node->loop);
    dp_pw_state state = atomic_load(&node->state);
    if (error && error_size) snprintf(error, error_size, "%s", node->error);
    pw_thread_loop_unlock(node->loop);
    return state;
}

uint32_t dp_pw_node_id(dp_pw_node *node) {
    pw_thread_loop_lock(node->loop);
    uint32_t id = pw_filter_get_node_id(node->filter);
    pw_thread_loop_unlock(node->loop);
    return id;
}

uint64_t dp_pw_node_cycles(dp_pw_node *node) { return atomic_load_explicit(&node->cycles, memory_order_relaxed); }

uint64_t dp_pw_node_skipped_cycles(dp_pw_node *node) { return atomic_load_explicit(&node->skipped, memory_order_relaxed); }

int dp_pw_node_target_present(dp_pw_node *node, uint32_t group) { return dp_pw_links_target_present(node->links, group); }

uint32_t dp_pw_node_linked_ports(dp_pw_node *node, uint32_t group) { return dp_pw_links_linked_ports(node->links, group); }

uint64_t dp_pw_node_cycle_position(dp_pw_node *node) { return node->cycle_position; }

/* Runs on the data thread, between cycles (pw_loop_invoke), not in `process`. */
static int check_scheduling(struct spa_loop *loop, bool async, uint32_t seq, const void *data, size_t size,
                            void *user_data) {
    (void)loop, (void)async, (void)seq, (void)data, (void)size;
    int policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK; /* module-rt sets that flag too */
    *(int *)user_data = policy == SCHED_FIFO || policy == SCHED_RR;
    return 0;
}

int dp_pw_node_data_thread_realtime(dp_pw_node *node) {
    if (dp_pw_node_cycles(node) == 0) return -1;
    int realtime = -1;
    struct pw_loop *data_loop = pw_data_loop_get_loop(pw_context_get_data_loop(node->context));
    /* PipeWire 0.3 and 1.0 queue invokes in a ring with one writer, and this context's own loop thread
       invokes on the data loop too, under its lock while it dispatches: take that lock, so only one
       thread writes there at a time. */
    pw_thread_loop_lock(node->loop);
    pw_loop_invoke(data_loop, check_scheduling, 0, NULL, 0, true, &realtime);
    pw_thread_loop_unlock(node->loop);
    return realtime;
}

void dp_pw_node_destroy(dp_pw_node *node) {
    if (!node) return;
    if (node->loop_started && node->core && node->links) {
        /* While the loop still runs: give the default source back, and wait (at most a second) until
           the daemon has it, so nothing points at the virtual source once it is gone. (Not on create's
           error paths: with no loop thread to dispatch the answer, the wait would last the whole second.) */
        pw_thread_loop_lock(node->loop);
        dp_pw_links_restore_default_source(node->links);
        node->synced = 0;
        node->pending_sync = pw_core_sync(node->core, PW_ID_CORE, 0);
        struct timespec deadline;
        pw_thread_loop_get_time(node->loop, &deadline, SPA_NSEC_PER_SEC); /* the daemon may be gone */
        while (!node->synced && atomic_load(&node->state) != DP_PW_DISCONNECTED)
            if (pw_thread_loop_timed_wait_full(node->loop, &deadline) != 0) break;
        pw_thread_loop_unlock(node->loop);
    }
    if (node->loop) pw_thread_loop_stop(node->loop);
    if (node->virtual_source) pw_proxy_destroy(node->virtual_source);
    if (node->links) dp_pw_links_free(node->links);
    node->links = NULL; /* pw_filter_destroy below reports state changes, whose handler would link with it */
    if (node->filter) pw_filter_destroy(node->filter);
    if (node->core) pw_core_disconnect(node->core);
    if (node->context) pw_context_destroy(node->context);
    if (node->loop) pw_thread_loop_destroy(node->loop);
    free(node->silence);
    free(node->scratch);
    free(node);
}
