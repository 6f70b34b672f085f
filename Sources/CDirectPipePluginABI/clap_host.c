/*
 * The CLAP host's side: host records with their extensions, the event lists and process call, memory streams.
 */
#include "directpipe_clap.h"
#include "directpipe_plugin_thread.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(void *) == 8, "CLAP layout checked for LP64 only");
_Static_assert(offsetof(dp_clap_host_record, host_data) == 16, "clap_host.host_data");
_Static_assert(offsetof(dp_clap_host_record, get_extension) == 56, "clap_host.get_extension");
_Static_assert(sizeof(dp_clap_host_record) == 88, "clap_host size");
_Static_assert(offsetof(dp_clap_descriptor, id) == 16, "descriptor.id");
_Static_assert(offsetof(dp_clap_descriptor, features) == 80, "descriptor.features");
_Static_assert(sizeof(dp_clap_audio_buffer) == 32, "clap_audio_buffer size");
_Static_assert(sizeof(dp_clap_event_header) == 16, "clap_event_header size");
_Static_assert(offsetof(dp_clap_event_param_value, param_id) == 16, "param_value.param_id");
_Static_assert(offsetof(dp_clap_event_param_value, cookie) == 24, "param_value.cookie");
_Static_assert(offsetof(dp_clap_event_param_value, note_id) == 32, "param_value.note_id");
_Static_assert(offsetof(dp_clap_event_param_value, key) == 40, "param_value.key");
_Static_assert(offsetof(dp_clap_event_param_value, value) == 48, "param_value.value");
_Static_assert(sizeof(dp_clap_event_param_value) == 56, "param_value size");
_Static_assert(offsetof(dp_clap_process_data, frames_count) == 8, "process.frames_count");
_Static_assert(offsetof(dp_clap_process_data, audio_inputs_count) == 40, "process.audio_inputs_count");
_Static_assert(offsetof(dp_clap_process_data, in_events) == 48, "process.in_events");
_Static_assert(sizeof(dp_clap_process_data) == 64, "process size");
_Static_assert(offsetof(dp_clap_plugin, init) == 16, "plugin.init");
_Static_assert(offsetof(dp_clap_plugin, process) == 72, "plugin.process");
_Static_assert(offsetof(dp_clap_plugin, on_main_thread) == 88, "plugin.on_main_thread");
_Static_assert(offsetof(dp_clap_entry, init) == 16, "entry.init");
_Static_assert(offsetof(dp_clap_entry, get_factory) == 32, "entry.get_factory");
_Static_assert(offsetof(dp_clap_param_info, cookie) == 8, "param_info.cookie");
_Static_assert(offsetof(dp_clap_param_info, name) == 16, "param_info.name");
_Static_assert(offsetof(dp_clap_param_info, module) == 272, "param_info.module");
_Static_assert(offsetof(dp_clap_param_info, min_value) == 1296, "param_info.min_value");
_Static_assert(sizeof(dp_clap_param_info) == 1320, "param_info size");
_Static_assert(offsetof(dp_clap_audio_port_info, flags) == 260, "audio_port_info.flags");
_Static_assert(offsetof(dp_clap_audio_port_info, channel_count) == 264, "audio_port_info.channel_count");
_Static_assert(offsetof(dp_clap_audio_port_info, port_type) == 272, "audio_port_info.port_type");
_Static_assert(sizeof(dp_clap_audio_port_info) == 288, "audio_port_info size");
_Static_assert(sizeof(dp_clap_event_param_value) == 56 && offsetof(dp_clap_event_param_value, value) == 48, "param value event");
_Static_assert(sizeof(dp_clap_event_param_gesture) == 20, "param gesture event");
_Static_assert(sizeof(dp_clap_window) == 16 && offsetof(dp_clap_window, x11) == 8, "clap_window");
_Static_assert(sizeof(dp_clap_plugin_gui) == 15 * sizeof(void *), "plugin gui extension");

/* Marks the audio thread while it is inside a plugin's process call. */
static __thread int in_process;

static dp_clap_host *host_of(const dp_clap_host_record *record) { return (dp_clap_host *)record->host_data; }

/* thread-check: the main thread is DirectPipe's plugin thread, the audio thread the one inside process. */
static bool is_main_thread(const dp_clap_host_record *host) { (void)host; return dp_plugin_thread_is_current(); }
static bool is_audio_thread(const dp_clap_host_record *host) { (void)host; return in_process; }
static const struct {
    bool (*is_main_thread)(const dp_clap_host_record *);
    bool (*is_audio_thread)(const dp_clap_host_record *);
} thread_check = {is_main_thread, is_audio_thread};

static void latency_changed(const dp_clap_host_record *host) { atomic_store(&host_of(host)->latency_changed, 1); }
static const struct {
    void (*changed)(const dp_clap_host_record *);
} host_latency = {latency_changed};

static void params_rescan(const dp_clap_host_record *host, uint32_t flags) { atomic_fetch_or(&host_of(host)->params_rescan, (int)flags); }
static void params_clear(const dp_clap_host_record *host, dp_clap_id id, uint32_t flags) { (void)host; (void)id; (void)flags; }
static void params_request_flush(const dp_clap_host_record *host) { atomic_store(&host_of(host)->callback_requested, 1); }
static const struct {
    void (*rescan)(const dp_clap_host_record *, uint32_t);
    void (*clear)(const dp_clap_host_record *, dp_clap_id, uint32_t);
    void (*request_flush)(const dp_clap_host_record *);
} host_params = {params_rescan, params_clear, params_request_flush};

static void state_mark_dirty(const dp_clap_host_record *host) { atomic_store(&host_of(host)->state_dirty, 1); }
static const struct {
    void (*mark_dirty)(const dp_clap_host_record *);
} host_state = {state_mark_dirty};

/* log: to standard error, but never from the audio thread (a plugin logging there would block it). */
static void log_message(const dp_clap_host_record *host, int32_t severity, const char *message) {
    (void)host;
    if (in_process || message == NULL) return;
    static const char *const names[] = {"debug", "info", "warning", "error", "fatal"};
    fprintf(stderr, "directpipe: clap plugin %s: %s\n", severity >= 0 && severity <= 4 ? names[severity] : "misbehaving", message);
}
static const struct {
    void (*log)(const dp_clap_host_record *, int32_t, const char *);
} host_log = {log_message};

/* gui: what the plugin's editor asks of its window, reported through the editor queue (the plugin thread acts). */
static void gui_resize_hints_changed(const dp_clap_host_record *host) { (void)host; }
static bool gui_request_resize(const dp_clap_host_record *host, uint32_t width, uint32_t height) {
    dp_editor_queue *queue = host_of(host)->editor;
    return queue != NULL && dp_editor_queue_push(queue, DP_EDITOR_RESIZE, width, (double)height);
}
static bool gui_request_show(const dp_clap_host_record *host) { (void)host; return true; }
static bool gui_request_hide(const dp_clap_host_record *host) { (void)host; return false; }
static void gui_closed(const dp_clap_host_record *host, bool was_destroyed) {
    (void)was_destroyed;
    dp_editor_queue *queue = host_of(host)->editor;
    if (queue != NULL) dp_editor_queue_push(queue, DP_EDITOR_CLOSE, 0, 0);
}
static const struct {
    void (*resize_hints_changed)(const dp_clap_host_record *);
    bool (*request_resize)(const dp_clap_host_record *, uint32_t, uint32_t);
    bool (*request_show)(const dp_clap_host_record *);
    bool (*request_hide)(const dp_clap_host_record *);
    void (*closed)(const dp_clap_host_record *, bool);
} host_gui = {gui_resize_hints_changed, gui_request_resize, gui_request_show, gui_request_hide, gui_closed};

/* timer-support and posix-fd-support: the plugin thread's timers and poll, through the functions Swift set. */
static bool timer_register(const dp_clap_host_record *host, uint32_t period, dp_clap_id *id) {
    dp_clap_host *h = host_of(host);
    return h->register_timer != NULL && id != NULL && h->register_timer(h->loop, period, id);
}
static bool timer_unregister(const dp_clap_host_record *host, dp_clap_id id) {
    dp_clap_host *h = host_of(host);
    return h->unregister_timer != NULL && h->unregister_timer(h->loop, id);
}
static const struct {
    bool (*register_timer)(const dp_clap_host_record *, uint32_t, dp_clap_id *);
    bool (*unregister_timer)(const dp_clap_host_record *, dp_clap_id);
} host_timer_support = {timer_register, timer_unregister};

static bool fd_register(const dp_clap_host_record *host, int fd, uint32_t flags) {
    dp_clap_host *h = host_of(host);
    return h->register_fd != NULL && h->register_fd(h->loop, fd, flags);
}
static bool fd_modify(const dp_clap_host_record *host, int fd, uint32_t flags) {
    dp_clap_host *h = host_of(host);
    return h->modify_fd != NULL && h->modify_fd(h->loop, fd, flags);
}
static bool fd_unregister(const dp_clap_host_record *host, int fd) {
    dp_clap_host *h = host_of(host);
    return h->unregister_fd != NULL && h->unregister_fd(h->loop, fd);
}
static const struct {
    bool (*register_fd)(const dp_clap_host_record *, int, uint32_t);
    bool (*modify_fd)(const dp_clap_host_record *, int, uint32_t);
    bool (*unregister_fd)(const dp_clap_host_record *, int);
} host_posix_fd_support = {fd_register, fd_modify, fd_unregister};

static const void *get_extension(const dp_clap_host_record *host, const char *id) {
    (void)host;
    if (id == NULL) return NULL;
    if (strcmp(id, DP_CLAP_EXT_GUI) == 0) return &host_gui;
    if (strcmp(id, DP_CLAP_EXT_TIMER_SUPPORT) == 0) return &host_timer_support;
    if (strcmp(id, DP_CLAP_EXT_POSIX_FD_SUPPORT) == 0) return &host_posix_fd_support;
    if (strcmp(id, DP_CLAP_EXT_THREAD_CHECK) == 0) return &thread_check;
    if (strcmp(id, DP_CLAP_EXT_LATENCY) == 0) return &host_latency;
    if (strcmp(id, DP_CLAP_EXT_PARAMS) == 0) return &host_params;
    if (strcmp(id, DP_CLAP_EXT_STATE) == 0) return &host_state;
    if (strcmp(id, DP_CLAP_EXT_LOG) == 0) return &host_log;
    return NULL;
}

static void request_restart(const dp_clap_host_record *host) { atomic_store(&host_of(host)->restart_requested, 1); }
static void request_process(const dp_clap_host_record *host) { (void)host; /* always processing while live */ }
static void request_callback(const dp_clap_host_record *host) { atomic_store(&host_of(host)->callback_requested, 1); }

dp_clap_host *dp_clap_host_new(void) {
    dp_clap_host *host = calloc(1, sizeof *host);
    if (host == NULL) return NULL;
    host->record.version = (dp_clap_version){1, 1, 0};
    host->record.host_data = host;
    host->record.name = "DirectPipe";
    host->record.vendor = "DirectPipe";
    host->record.url = "https://github.com/directpipe";
    host->record.version_text = "1.0";
    host->record.get_extension = get_extension;
    host->record.request_restart = request_restart;
    host->record.request_process = request_process;
    host->record.request_callback = request_callback;
    return host;
}

void dp_clap_host_free(dp_clap_host *host) { free(host); }

static atomic_int *host_flag(dp_clap_host *host, enum dp_clap_host_flag flag) {
    switch (flag) {
    case DP_CLAP_HOST_RESTART_REQUESTED: return &host->restart_requested;
    case DP_CLAP_HOST_CALLBACK_REQUESTED: return &host->callback_requested;
    case DP_CLAP_HOST_LATENCY_CHANGED: return &host->latency_changed;
    default: return &host->state_dirty;
    }
}

bool dp_clap_host_peek(dp_clap_host *host, enum dp_clap_host_flag flag) { return atomic_load(host_flag(host, flag)) != 0; }

bool dp_clap_host_take(dp_clap_host *host, enum dp_clap_host_flag flag) { return atomic_exchange(host_flag(host, flag), 0) != 0; }

/* ---- Events and processing ---- */

struct dp_clap_processor {
    dp_clap_process_data process;
    dp_clap_audio_buffer *inputs, *outputs;
    dp_clap_input_events in_events;
    dp_clap_output_events out_events;
    dp_clap_event_param_value *events;
    uint32_t event_count, max_events;
    int started;
    _Atomic(dp_editor_queue *) editor;
};

static uint32_t events_size(const dp_clap_input_events *list) { return ((dp_clap_processor *)list->ctx)->event_count; }
static const dp_clap_event_header *events_get(const dp_clap_input_events *list, uint32_t index) {
    dp_clap_processor *processor = list->ctx;
    return index < processor->event_count ? &processor->events[index].header : NULL;
}
/* What the plugin sends out: its editor's parameter changes and gestures go to the editor queue, if one listens;
   the rest (output parameters for meters) is taken and dropped. */
static bool events_push(const dp_clap_output_events *list, const dp_clap_event_header *event) {
    dp_editor_queue *queue = atomic_load_explicit(&((dp_clap_processor *)list->ctx)->editor, memory_order_acquire);
    if (queue == NULL || event == NULL || event->space_id != 0) return true;
    if (event->type == DP_CLAP_EVENT_PARAM_VALUE && event->size >= sizeof(dp_clap_event_param_value)) {
        const dp_clap_event_param_value *value = (const dp_clap_event_param_value *)event;
        dp_editor_queue_push(queue, DP_EDITOR_VALUE, value->param_id, value->value);
    } else if ((event->type == DP_CLAP_EVENT_PARAM_GESTURE_BEGIN || event->type == DP_CLAP_EVENT_PARAM_GESTURE_END) &&
               event->size >= sizeof(dp_clap_event_param_gesture)) {
        const dp_clap_event_param_gesture *gesture = (const dp_clap_event_param_gesture *)event;
        dp_editor_queue_push(queue, event->type == DP_CLAP_EVENT_PARAM_GESTURE_BEGIN ? DP_EDITOR_GESTURE_BEGIN : DP_EDITOR_GESTURE_END,
                             gesture->param_id, 0);
    }
    return true;
}

void dp_clap_processor_report_to(dp_clap_processor *processor, dp_editor_queue *queue) {
    atomic_store_explicit(&processor->editor, queue, memory_order_release);
}

static dp_clap_audio_buffer *make_ports(uint32_t ports, const uint32_t *channels, float **pointers) {
    dp_clap_audio_buffer *buffers = calloc(ports ? ports : 1, sizeof *buffers);
    if (buffers == NULL) return NULL;
    for (uint32_t port = 0, first = 0; port < ports; first += channels[port], port++) {
        buffers[port].data32 = pointers + first;
        buffers[port].channel_count = channels[port];
    }
    return buffers;
}

dp_clap_processor *dp_clap_processor_new(uint32_t input_ports, const uint32_t *input_channels, float **input_pointers,
                                         uint32_t output_ports, const uint32_t *output_channels, float **output_pointers,
                                         uint32_t max_events) {
    dp_clap_processor *processor = calloc(1, sizeof *processor);
    if (processor == NULL) return NULL;
    processor->inputs = make_ports(input_ports, input_channels, input_pointers);
    processor->outputs = make_ports(output_ports, output_channels, output_pointers);
    processor->max_events = max_events;
    processor->events = calloc(max_events ? max_events : 1, sizeof *processor->events);
    if (processor->inputs == NULL || processor->outputs == NULL || processor->events == NULL) {
        dp_clap_processor_free(processor);
        return NULL;
    }
    processor->in_events = (dp_clap_input_events){processor, events_size, events_get};
    processor->out_events = (dp_clap_output_events){processor, events_push};
    processor->process.steady_time = 0;
    processor->process.audio_inputs = processor->inputs;
    processor->process.audio_outputs = processor->outputs;
    processor->process.audio_inputs_count = input_ports;
    processor->process.audio_outputs_count = output_ports;
    processor->process.in_events = &processor->in_events;
    processor->process.out_events = &processor->out_events;
    return processor;
}

void dp_clap_processor_free(dp_clap_processor *processor) {
    if (processor == NULL) return;
    free(processor->inputs);
    free(processor->outputs);
    free(processor->events);
    free(processor);
}

bool dp_clap_processor_add_param(dp_clap_processor *processor, dp_clap_id id, void *cookie, double value) {
    if (processor->event_count >= processor->max_events) return false;
    dp_clap_event_param_value *event = &processor->events[processor->event_count++];
    event->header = (dp_clap_event_header){sizeof *event, 0, 0, DP_CLAP_EVENT_PARAM_VALUE, 0};
    event->param_id = id;
    event->cookie = cookie;
    event->note_id = -1;
    event->port_index = -1;
    event->channel = -1;
    event->key = -1;
    event->value = value;
    return true;
}

int32_t dp_clap_processor_run(dp_clap_processor *processor, const dp_clap_plugin *plugin, uint32_t frames) {
    processor->process.frames_count = frames;
    in_process = 1;
    if (!processor->started) { /* start_processing is an audio-thread call: the first block makes it */
        processor->started = plugin->start_processing == NULL || plugin->start_processing(plugin) ? 1 : -1;
    }
    int32_t status = processor->started > 0 ? plugin->process(plugin, &processor->process) : DP_CLAP_PROCESS_ERROR;
    in_process = 0;
    processor->process.steady_time += frames;
    processor->event_count = 0;
    return status;
}

void dp_clap_processor_stop(dp_clap_processor *processor, const dp_clap_plugin *plugin) {
    if (processor->started > 0 && plugin->stop_processing != NULL) {
        in_process = 1; /* the audio thread's call, made for it once it no longer runs this plugin */
        plugin->stop_processing(plugin);
        in_process = 0;
    }
    processor->started = 0;
}

void dp_clap_processor_flush(dp_clap_processor *processor, const dp_clap_plugin *plugin, const dp_clap_plugin_params *params) {
    if (params != NULL && params->flush != NULL) params->flush(plugin, &processor->in_events, &processor->out_events);
    processor->event_count = 0;
}

/* ---- Memory streams ---- */

static int64_t memory_write(const dp_clap_ostream *stream, const void *buffer, uint64_t size) {
    dp_clap_memory_out *out = (dp_clap_memory_out *)stream->ctx;
    if (out->size + size > out->capacity) {
        uint64_t capacity = out->capacity ? out->capacity : 4096;
        while (capacity < out->size + size) capacity *= 2;
        uint8_t *bytes = realloc(out->bytes, capacity);
        if (bytes == NULL) return -1;
        out->bytes = bytes;
        out->capacity = capacity;
    }
    memcpy(out->bytes + out->size, buffer, size);
    out->size += size;
    return (int64_t)size;
}

void dp_clap_memory_out_init(dp_clap_memory_out *out) {
    memset(out, 0, sizeof *out);
    out->stream.ctx = out;
    out->stream.write = memory_write;
}

void dp_clap_memory_out_free(dp_clap_memory_out *out) {
    free(out->bytes);
    out->bytes = NULL;
}

static int64_t memory_read(const dp_clap_istream *stream, void *buffer, uint64_t size) {
    dp_clap_memory_in *in = (dp_clap_memory_in *)stream->ctx;
    uint64_t left = in->size - in->position;
    if (size > left) size = left;
    memcpy(buffer, in->bytes + in->position, size);
    in->position += size;
    return (int64_t)size;
}

void dp_clap_memory_in_init(dp_clap_memory_in *in, const uint8_t *bytes, uint64_t size) {
    in->stream.ctx = in;
    in->stream.read = memory_read;
    in->bytes = bytes;
    in->size = size;
    in->position = 0;
}

/* ---- Calls through function pointers ---- */

bool dp_clap_entry_init(const dp_clap_entry *entry, const char *path) { return entry->init != NULL && entry->init(path); }

const dp_clap_factory *dp_clap_entry_factory(const dp_clap_entry *entry) {
    return entry->get_factory != NULL ? entry->get_factory(DP_CLAP_PLUGIN_FACTORY) : NULL;
}

const dp_clap_plugin *dp_clap_create(const dp_clap_factory *factory, const dp_clap_host *host, const char *id) {
    return factory->create_plugin(factory, &host->record, id);
}

const void *dp_clap_extension(const dp_clap_plugin *plugin, const char *id) {
    return plugin->get_extension != NULL ? plugin->get_extension(plugin, id) : NULL;
}

bool dp_clap_gui_open(const dp_clap_plugin *plugin, const dp_clap_plugin_gui *gui, unsigned long window, uint32_t *width,
                      uint32_t *height, bool *resizable) {
    if (gui->is_api_supported == NULL || !gui->is_api_supported(plugin, DP_CLAP_WINDOW_API_X11, false)) return false;
    if (gui->create == NULL || !gui->create(plugin, DP_CLAP_WINDOW_API_X11, false)) return false;
    *resizable = gui->can_resize != NULL && gui->can_resize(plugin);
    if (gui->get_size == NULL || !gui->get_size(plugin, width, height)) *width = *height = 0;
    dp_clap_window parent = {.api = DP_CLAP_WINDOW_API_X11, .x11 = window};
    if (gui->set_parent == NULL || !gui->set_parent(plugin, &parent)) {
        if (gui->destroy != NULL) gui->destroy(plugin);
        return false;
    }
    if (gui->show != NULL) gui->show(plugin);
    uint32_t w = 0, h = 0; /* some editors know their size only once made */
    if (gui->get_size != NULL && gui->get_size(plugin, &w, &h) && w > 0 && h > 0) {
        *width = w;
        *height = h;
    }
    return true;
}

void dp_clap_on_timer(const dp_clap_plugin *plugin, const dp_clap_plugin_timer_support *timers, dp_clap_id id) {
    if (timers != NULL && timers->on_timer != NULL) timers->on_timer(plugin, id);
}

void dp_clap_on_fd(const dp_clap_plugin *plugin, const dp_clap_plugin_posix_fd_support *fds, int fd, uint32_t flags) {
    if (fds != NULL && fds->on_fd != NULL) fds->on_fd(plugin, fd, flags);
}
