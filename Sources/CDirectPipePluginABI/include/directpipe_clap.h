/*
 * CLAP 1.x as a host sees it, declared from the format's published facts
 * (struct layouts, extension ids, event types, flags) with our own names;
 * every offset relied on is checked by a static assert in clap_host.c.
 *
 * And the host's side in C: the clap_host a plugin is created with (its
 * extensions: thread-check, latency, params, state, log), the event lists and
 * the process call, with no allocation once made, and the memory streams state
 * is saved through.
 */
#ifndef DIRECTPIPE_CLAP_H
#define DIRECTPIPE_CLAP_H

#include <stdatomic.h>
#include <stdbool.h>

#include "directpipe_editor.h"
#include <stdint.h>

typedef uint32_t dp_clap_id;

typedef struct {
    uint32_t major, minor, revision;
} dp_clap_version;

typedef struct dp_clap_host_record dp_clap_host_record;
typedef struct dp_clap_plugin dp_clap_plugin;

/** What a plugin is created with (clap_host). */
struct dp_clap_host_record {
    dp_clap_version version;
    void *host_data;
    const char *name, *vendor, *url, *version_text;
    const void *(*get_extension)(const dp_clap_host_record *host, const char *id);
    void (*request_restart)(const dp_clap_host_record *host);
    void (*request_process)(const dp_clap_host_record *host);
    void (*request_callback)(const dp_clap_host_record *host);
};

typedef struct {
    dp_clap_version version;
    const char *id, *name, *vendor, *url, *manual_url, *support_url, *version_text, *description;
    const char *const *features;
} dp_clap_descriptor;

typedef struct {
    float **data32;
    double **data64;
    uint32_t channel_count;
    uint32_t latency;
    uint64_t constant_mask;
} dp_clap_audio_buffer;

typedef struct {
    uint32_t size, time;
    uint16_t space_id, type;
    uint32_t flags;
} dp_clap_event_header;

enum dp_clap_event_type { DP_CLAP_EVENT_PARAM_VALUE = 5, DP_CLAP_EVENT_PARAM_GESTURE_BEGIN = 7, DP_CLAP_EVENT_PARAM_GESTURE_END = 8 };

typedef struct {
    dp_clap_event_header header;
    dp_clap_id param_id;
    void *cookie;
    int32_t note_id;
    int16_t port_index, channel, key;
    double value;
} dp_clap_event_param_value;

typedef struct dp_clap_input_events {
    void *ctx;
    uint32_t (*size)(const struct dp_clap_input_events *list);
    const dp_clap_event_header *(*get)(const struct dp_clap_input_events *list, uint32_t index);
} dp_clap_input_events;

typedef struct dp_clap_output_events {
    void *ctx;
    bool (*try_push)(const struct dp_clap_output_events *list, const dp_clap_event_header *event);
} dp_clap_output_events;

typedef struct {
    int64_t steady_time;
    uint32_t frames_count;
    const void *transport;
    const dp_clap_audio_buffer *audio_inputs;
    dp_clap_audio_buffer *audio_outputs;
    uint32_t audio_inputs_count, audio_outputs_count;
    const dp_clap_input_events *in_events;
    const dp_clap_output_events *out_events;
} dp_clap_process_data;

enum dp_clap_process_status { DP_CLAP_PROCESS_ERROR = 0, DP_CLAP_PROCESS_CONTINUE = 1 };

struct dp_clap_plugin {
    const dp_clap_descriptor *desc;
    void *plugin_data;
    bool (*init)(const dp_clap_plugin *plugin);
    void (*destroy)(const dp_clap_plugin *plugin);
    bool (*activate)(const dp_clap_plugin *plugin, double sample_rate, uint32_t min_frames, uint32_t max_frames);
    void (*deactivate)(const dp_clap_plugin *plugin);
    bool (*start_processing)(const dp_clap_plugin *plugin);
    void (*stop_processing)(const dp_clap_plugin *plugin);
    void (*reset)(const dp_clap_plugin *plugin);
    int32_t (*process)(const dp_clap_plugin *plugin, const dp_clap_process_data *process);
    const void *(*get_extension)(const dp_clap_plugin *plugin, const char *id);
    void (*on_main_thread)(const dp_clap_plugin *plugin);
};

typedef struct dp_clap_factory {
    uint32_t (*get_plugin_count)(const struct dp_clap_factory *factory);
    const dp_clap_descriptor *(*get_plugin_descriptor)(const struct dp_clap_factory *factory, uint32_t index);
    const dp_clap_plugin *(*create_plugin)(const struct dp_clap_factory *factory, const dp_clap_host_record *host, const char *id);
} dp_clap_factory;

/** The library's exported `clap_entry`. */
typedef struct {
    dp_clap_version version;
    bool (*init)(const char *plugin_path);
    void (*deinit)(void);
    const void *(*get_factory)(const char *factory_id);
} dp_clap_entry;

#define DP_CLAP_PLUGIN_FACTORY "clap.plugin-factory"
#define DP_CLAP_EXT_PARAMS "clap.params"
#define DP_CLAP_EXT_STATE "clap.state"
#define DP_CLAP_EXT_LATENCY "clap.latency"
#define DP_CLAP_EXT_AUDIO_PORTS "clap.audio-ports"
#define DP_CLAP_EXT_THREAD_CHECK "clap.thread-check"
#define DP_CLAP_EXT_LOG "clap.log"
#define DP_CLAP_EXT_GUI "clap.gui"
#define DP_CLAP_EXT_TIMER_SUPPORT "clap.timer-support"
#define DP_CLAP_EXT_POSIX_FD_SUPPORT "clap.posix-fd-support"
#define DP_CLAP_WINDOW_API_X11 "x11"

/* A gesture a plugin's editor sends out (in process's or flush's output list). */
typedef struct {
    dp_clap_event_header header;
    dp_clap_id param_id;
} dp_clap_event_param_gesture;

/** The window a plugin's editor embeds in: an API name and, for X11, the window id. */
typedef struct {
    const char *api;
    union {
        void *pointer;
        unsigned long x11;
    };
} dp_clap_window;

/** The gui extension, the plugin's side. */
typedef struct {
    bool (*is_api_supported)(const dp_clap_plugin *plugin, const char *api, bool is_floating);
    bool (*get_preferred_api)(const dp_clap_plugin *plugin, const char **api, bool *is_floating);
    bool (*create)(const dp_clap_plugin *plugin, const char *api, bool is_floating);
    void (*destroy)(const dp_clap_plugin *plugin);
    bool (*set_scale)(const dp_clap_plugin *plugin, double scale);
    bool (*get_size)(const dp_clap_plugin *plugin, uint32_t *width, uint32_t *height);
    bool (*can_resize)(const dp_clap_plugin *plugin);
    bool (*get_resize_hints)(const dp_clap_plugin *plugin, void *hints);
    bool (*adjust_size)(const dp_clap_plugin *plugin, uint32_t *width, uint32_t *height);
    bool (*set_size)(const dp_clap_plugin *plugin, uint32_t width, uint32_t height);
    bool (*set_parent)(const dp_clap_plugin *plugin, const dp_clap_window *window);
    bool (*set_transient)(const dp_clap_plugin *plugin, const dp_clap_window *window);
    void (*suggest_title)(const dp_clap_plugin *plugin, const char *title);
    bool (*show)(const dp_clap_plugin *plugin);
    bool (*hide)(const dp_clap_plugin *plugin);
} dp_clap_plugin_gui;

/** timer-support and posix-fd-support, the plugin's side. */
typedef struct {
    void (*on_timer)(const dp_clap_plugin *plugin, dp_clap_id timer_id);
} dp_clap_plugin_timer_support;

typedef struct {
    void (*on_fd)(const dp_clap_plugin *plugin, int fd, uint32_t flags);
} dp_clap_plugin_posix_fd_support;

enum { DP_CLAP_FD_READ = 1, DP_CLAP_FD_WRITE = 2, DP_CLAP_FD_ERROR = 4 };

#define DP_CLAP_NAME_SIZE 256
#define DP_CLAP_PATH_SIZE 1024

typedef struct {
    dp_clap_id id;
    uint32_t flags;
    void *cookie;
    char name[DP_CLAP_NAME_SIZE];
    char module[DP_CLAP_PATH_SIZE];
    double min_value, max_value, default_value;
} dp_clap_param_info;

enum dp_clap_param_flag {
    DP_CLAP_PARAM_IS_STEPPED = 1 << 0,
    DP_CLAP_PARAM_IS_HIDDEN = 1 << 2,
    DP_CLAP_PARAM_IS_READONLY = 1 << 3,
    DP_CLAP_PARAM_IS_BYPASS = 1 << 4,
};

typedef struct {
    uint32_t (*count)(const dp_clap_plugin *plugin);
    bool (*get_info)(const dp_clap_plugin *plugin, uint32_t index, dp_clap_param_info *info);
    bool (*get_value)(const dp_clap_plugin *plugin, dp_clap_id id, double *value);
    bool (*value_to_text)(const dp_clap_plugin *plugin, dp_clap_id id, double value, char *text, uint32_t size);
    bool (*text_to_value)(const dp_clap_plugin *plugin, dp_clap_id id, const char *text, double *value);
    void (*flush)(const dp_clap_plugin *plugin, const dp_clap_input_events *in, const dp_clap_output_events *out);
} dp_clap_plugin_params;

typedef struct dp_clap_istream {
    void *ctx;
    int64_t (*read)(const struct dp_clap_istream *stream, void *buffer, uint64_t size);
} dp_clap_istream;

typedef struct dp_clap_ostream {
    void *ctx;
    int64_t (*write)(const struct dp_clap_ostream *stream, const void *buffer, uint64_t size);
} dp_clap_ostream;

typedef struct {
    bool (*save)(const dp_clap_plugin *plugin, const dp_clap_ostream *stream);
    bool (*load)(const dp_clap_plugin *plugin, const dp_clap_istream *stream);
} dp_clap_plugin_state;

typedef struct {
    uint32_t (*get)(const dp_clap_plugin *plugin);
} dp_clap_plugin_latency;

typedef struct {
    dp_clap_id id;
    char name[DP_CLAP_NAME_SIZE];
    uint32_t flags;
    uint32_t channel_count;
    const char *port_type;
    dp_clap_id in_place_pair;
} dp_clap_audio_port_info;

typedef struct {
    uint32_t (*count)(const dp_clap_plugin *plugin, bool is_input);
    bool (*get)(const dp_clap_plugin *plugin, uint32_t index, bool is_input, dp_clap_audio_port_info *info);
} dp_clap_plugin_audio_ports;

/* ---- The host's side ---- */

/** One plugin instance's host: what it asked for, as flags any thread reads. */
typedef struct dp_clap_host {
    dp_clap_host_record record;
    atomic_int restart_requested;
    atomic_int callback_requested;
    atomic_int latency_changed;
    atomic_int params_rescan;
    atomic_int state_dirty;
    /** Where the plugin's editor reports: parameters moved and gestures (from the output events of process or
        flush), sizes asked for, closing (host gui). NULL: nobody listens (the plugin's other instances). */
    dp_editor_queue *editor;
    /** The plugin thread's timers and descriptors, for the timer-support and posix-fd-support extensions
        (main-thread calls): NULL functions refuse. */
    void *loop;
    bool (*register_timer)(void *loop, uint32_t period_ms, dp_clap_id *timer_id);
    bool (*unregister_timer)(void *loop, dp_clap_id timer_id);
    bool (*register_fd)(void *loop, int fd, uint32_t flags);
    bool (*modify_fd)(void *loop, int fd, uint32_t flags);
    bool (*unregister_fd)(void *loop, int fd);
} dp_clap_host;

/** What a plugin can ask of its host, as flags (C11 atomics, which Swift cannot see: read through these). */
enum dp_clap_host_flag { DP_CLAP_HOST_RESTART_REQUESTED, DP_CLAP_HOST_CALLBACK_REQUESTED, DP_CLAP_HOST_LATENCY_CHANGED, DP_CLAP_HOST_STATE_DIRTY };
/** Whether `flag` is set, leaving it so. */
bool dp_clap_host_peek(dp_clap_host *host, enum dp_clap_host_flag flag);
/** Whether `flag` was set, clearing it. */
bool dp_clap_host_take(dp_clap_host *host, enum dp_clap_host_flag flag);

/** A host record for one instance (freed with dp_clap_host_free, after the plugin is destroyed). */
dp_clap_host *dp_clap_host_new(void);
void dp_clap_host_free(dp_clap_host *host);

/** Everything one process call needs, made once: the ports' buffers (channel pointer lists the caller owns and
    keeps), the parameter events of the block (at most `max_events`), and an output list that takes and drops. */
typedef struct dp_clap_processor dp_clap_processor;
dp_clap_processor *dp_clap_processor_new(uint32_t input_ports, const uint32_t *input_channels, float **input_pointers,
                                         uint32_t output_ports, const uint32_t *output_channels, float **output_pointers,
                                         uint32_t max_events);
void dp_clap_processor_free(dp_clap_processor *processor);
/** Queues a parameter change for the next block (at its start); false when the block's list is full. */
bool dp_clap_processor_add_param(dp_clap_processor *processor, dp_clap_id id, void *cookie, double value);
/** Runs the plugin over `frames` frames with the queued events (then forgets them), this thread marked as the
    audio thread for thread-check; the first call starts processing. Outputs are left as they are when the plugin
    refused to start. Real-time safe as far as the plugin is. */
int32_t dp_clap_processor_run(dp_clap_processor *processor, const dp_clap_plugin *plugin, uint32_t frames);
/** Stops processing (start_processing is made by the first block; this is its pair), as the audio thread would:
    call it once the audio thread no longer runs the plugin. */
void dp_clap_processor_stop(dp_clap_processor *processor, const dp_clap_plugin *plugin);
/** Where the output events of `processor`'s process and flush calls go (parameter values and gestures): `queue`,
    or nowhere (NULL). */
void dp_clap_processor_report_to(dp_clap_processor *processor, dp_editor_queue *queue);
/** Hands the queued events to params.flush (an inactive plugin), then forgets them. */
void dp_clap_processor_flush(dp_clap_processor *processor, const dp_clap_plugin *plugin, const dp_clap_plugin_params *params);

/** A growing memory buffer state is saved into. */
typedef struct {
    dp_clap_ostream stream;
    uint8_t *bytes;
    uint64_t size, capacity;
} dp_clap_memory_out;
void dp_clap_memory_out_init(dp_clap_memory_out *out);
void dp_clap_memory_out_free(dp_clap_memory_out *out);

/** A buffer state is loaded from. */
typedef struct {
    dp_clap_istream stream;
    const uint8_t *bytes;
    uint64_t size, position;
} dp_clap_memory_in;
void dp_clap_memory_in_init(dp_clap_memory_in *in, const uint8_t *bytes, uint64_t size);

/** Calls through the structs' function pointers (for Swift). */
bool dp_clap_entry_init(const dp_clap_entry *entry, const char *path);
const dp_clap_factory *dp_clap_entry_factory(const dp_clap_entry *entry);
const dp_clap_plugin *dp_clap_create(const dp_clap_factory *factory, const dp_clap_host *host, const char *id);
const void *dp_clap_extension(const dp_clap_plugin *plugin, const char *id);
bool dp_clap_gui_open(const dp_clap_plugin *plugin, const dp_clap_plugin_gui *gui, unsigned long window, uint32_t *width,
                      uint32_t *height, bool *resizable);
void dp_clap_on_timer(const dp_clap_plugin *plugin, const dp_clap_plugin_timer_support *timers, dp_clap_id id);
void dp_clap_on_fd(const dp_clap_plugin *plugin, const dp_clap_plugin_posix_fd_support *fds, int fd, uint32_t flags);

#endif
