/*
 * VST3 as a host sees it on Linux, declared from the format's published facts
 * (interface ids, vtable orders, struct layouts, result codes) with our own
 * names; every offset relied on is checked by a static assert in vst3_host.c.
 *
 * VST3 is COM-like: an object is a pointer to a pointer to a vtable whose first
 * three entries are queryInterface, addRef and release. The host must provide
 * objects of its own (host application, component handler, parameter changes
 * and their value queues, event lists, streams, messages and attribute lists):
 * they are in vst3_host.c, and so is the whole life of a plugin instance, so
 * that Swift sees a few plain calls.
 */
#ifndef DIRECTPIPE_VST3_H
#define DIRECTPIPE_VST3_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directpipe_editor.h"

typedef uint8_t dp_vst3_uid[16];

/** A class a VST3 module offers (IPluginFactory's PClassInfo, with PClassInfo2's fields where it has them). */
typedef struct {
    dp_vst3_uid cid;
    char category[32];
    char name[64];
    char vendor[64];
    char sub_categories[128];
    char version[64];
} dp_vst3_class_info;

/** A parameter as the edit controller describes it (strings converted to UTF-8). */
typedef struct {
    uint32_t id;
    char title[256];
    char units[256];
    int32_t step_count;
    double default_normalized;
    int32_t flags;
} dp_vst3_parameter_info;

enum dp_vst3_parameter_flag {
    DP_VST3_PARAM_CAN_AUTOMATE = 1 << 0,
    DP_VST3_PARAM_READ_ONLY = 1 << 1,
    DP_VST3_PARAM_IS_LIST = 1 << 3,
    DP_VST3_PARAM_IS_HIDDEN = 1 << 4,
    DP_VST3_PARAM_IS_BYPASS = 1 << 16,
};

typedef struct dp_vst3_module dp_vst3_module;
typedef struct dp_vst3_instance dp_vst3_instance;

/** Opens the module at `path` (a `.vst3` bundle folder, or a library) once per process: loads its library, calls
    ModuleEntry and gets its factory. NULL with `error` filled when it cannot. Never closed. */
dp_vst3_module *dp_vst3_module_open(const char *path, char *error, size_t error_size);
int32_t dp_vst3_module_class_count(dp_vst3_module *module);
bool dp_vst3_module_class(dp_vst3_module *module, int32_t index, dp_vst3_class_info *info);

/**
 * A new instance of class `cid`: its component initialized with our host application, its edit controller (the
 * component itself, or a separate class connected to it through connection points) initialized, given our
 * component handler and the component's state. NULL with `error` filled when any step fails.
 */
dp_vst3_instance *dp_vst3_instance_new(dp_vst3_module *module, const dp_vst3_uid cid, char *error, size_t error_size);
/** Stops, deactivates, disconnects, terminates and releases everything (processing stopped for the audio thread). */
void dp_vst3_instance_free(dp_vst3_instance *instance);

/** Audio buses on one side (0 inputs, 1 outputs), and each one's channel count. */
int32_t dp_vst3_instance_bus_count(dp_vst3_instance *instance, int32_t direction);
int32_t dp_vst3_instance_bus_channels(dp_vst3_instance *instance, int32_t direction, int32_t index);

/** Sets up processing (the buses as the plugin has them, all active; 32-bit samples; realtime or offline) and
    activates the component. False with `error` filled when the plugin refuses. */
bool dp_vst3_instance_activate(dp_vst3_instance *instance, double sample_rate, int32_t max_frames, bool offline, char *error,
                               size_t error_size);
uint32_t dp_vst3_instance_latency(dp_vst3_instance *instance);
/** Forgets the signal's history: processing stopped, the component deactivated and activated again. */
void dp_vst3_instance_reset(dp_vst3_instance *instance);
/** The component handler's restart flags since the last call (latency changed: 1 << 3). */
int32_t dp_vst3_instance_take_restart_flags(dp_vst3_instance *instance);

int32_t dp_vst3_instance_parameter_count(dp_vst3_instance *instance);
bool dp_vst3_instance_parameter(dp_vst3_instance *instance, int32_t index, dp_vst3_parameter_info *info);
double dp_vst3_instance_to_plain(dp_vst3_instance *instance, uint32_t id, double normalized);
double dp_vst3_instance_to_normalized(dp_vst3_instance *instance, uint32_t id, double plain);
/** The controller's current normalized value of parameter `id`. */
double dp_vst3_instance_normalized(dp_vst3_instance *instance, uint32_t id);
/** The plugin's text for a normalized value, UTF-8. */
bool dp_vst3_instance_text(dp_vst3_instance *instance, uint32_t id, double normalized, char *text, size_t size);
/** Tells the controller a value the processor was given (the two are kept alike, as hosts do). */
void dp_vst3_instance_set_controller_value(dp_vst3_instance *instance, uint32_t id, double normalized);

/** The channel buffers of every bus, inputs then outputs, flattened in bus order; the caller keeps them. */
void dp_vst3_instance_set_buffers(dp_vst3_instance *instance, float **inputs, float **outputs);
/** Queues a normalized parameter value for the next block (at its start); false when the block is full. */
bool dp_vst3_instance_queue(dp_vst3_instance *instance, uint32_t id, double normalized);
/** Runs one block of `frames` frames with the queued changes (then forgets them); the first block switches
    processing on. The thread is the audio thread here. Real-time safe as far as the plugin is. */
int32_t dp_vst3_instance_process(dp_vst3_instance *instance, int32_t frames);

/** The component's and the controller's state, malloc'd (free with free()); false when the plugin gives none. */
bool dp_vst3_instance_save(dp_vst3_instance *instance, uint8_t **component, size_t *component_size, uint8_t **controller,
                           size_t *controller_size);
/** Gives both their state back (the controller also hears the component's). False when the component refuses. */
bool dp_vst3_instance_load(dp_vst3_instance *instance, const uint8_t *component, size_t component_size, const uint8_t *controller,
                           size_t controller_size);

/** Where the controller's edits (its editor's begin, perform and end edit) go: `queue`, or nowhere (NULL). */
void dp_vst3_instance_report_to(dp_vst3_instance *instance, dp_editor_queue *queue);
/** The controller's `createView("editor")` (an IPlugView, or NULL). */
void *dp_vst3_instance_create_view(dp_vst3_instance *instance);

/* ---- Editors (vst3_editor.c) ---- */

/** The run loop a host gives VST3 editors on Linux (Linux::IRunLoop): the plugin thread's timers and descriptors,
    through these functions. `handler` is the plugin's ITimerHandler or IEventHandler. */
typedef struct {
    void *context;
    bool (*register_timer)(void *context, void *handler, uint64_t milliseconds);
    void (*unregister_timer)(void *context, void *handler);
    bool (*register_fd)(void *context, void *handler, int fd);
    void (*unregister_fd)(void *context, void *handler);
} dp_vst3_run_loop;

typedef struct dp_vst3_editor dp_vst3_editor;

/** Whether the controller makes an editor view that embeds in X11 (the view is made, asked and released). */
bool dp_vst3_instance_has_view(dp_vst3_instance *instance);

/** Makes the controller's editor view, checks it embeds in X11, gives it our frame (with `loop`), and says its
    size and whether it can be resized. NULL with `error` written on failure. Plugin thread. */
dp_vst3_editor *dp_vst3_editor_new(dp_vst3_instance *instance, const dp_vst3_run_loop *loop, dp_editor_queue *queue, int32_t *width,
                                   int32_t *height, bool *resizable, char *error, size_t error_size);
/** Embeds the view in `window` (mapped, on `x11`'s server); false when the view refuses. */
bool dp_vst3_editor_attach(dp_vst3_editor *editor, dp_x11 *x11, unsigned long window);
/** The window is now `width` x `height` (the user resized it): the view is told, within its constraints. */
void dp_vst3_editor_resized(dp_vst3_editor *editor, int32_t width, int32_t height);
/** Removes the view from its window and releases it. */
void dp_vst3_editor_close(dp_vst3_editor *editor);
/** Calls a plugin's ITimerHandler::onTimer, or IEventHandler::onFDIsSet. */
void dp_vst3_timer_fired(void *handler);
void dp_vst3_fd_ready(void *handler, int fd);

#endif
