/*
 * What every plugin editor shares, whatever its format: the queue a plugin's editor reports through (a
 * parameter moved, a gesture begun or ended, a new size asked for), and the X11 window DirectPipe gives each
 * editor to embed itself in.
 *
 * The queue: plugins report from whatever thread they like (their UI, the audio thread for a CLAP plugin's
 * output events), so pushing is lock-free and wait-free for many producers; only the plugin thread pops.
 *
 * The window layer loads libX11 at run time (dlopen), so DirectPipe runs where no X library is installed and
 * says what is missing only when an editor is asked for. All window calls are the plugin thread's.
 */
#ifndef DIRECTPIPE_EDITOR_H
#define DIRECTPIPE_EDITOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- What an editor reports ---- */

typedef enum dp_editor_event_kind {
    /** A parameter took a value: `index` is the format's parameter index or id, `value` its value as the format
        gives it (normalized for VST2 and VST3, plain for CLAP and LV2). */
    DP_EDITOR_VALUE = 1,
    /** The user took hold of a control (`index`), and let go of it. */
    DP_EDITOR_GESTURE_BEGIN = 2,
    DP_EDITOR_GESTURE_END = 3,
    /** The editor asks for a new size: `index` is the width, `value` the height (pixels). */
    DP_EDITOR_RESIZE = 4,
    /** The editor asks to be closed. */
    DP_EDITOR_CLOSE = 5,
} dp_editor_event_kind;

typedef struct dp_editor_event {
    uint32_t kind;
    uint32_t index;
    double value;
} dp_editor_event;

#define DP_EDITOR_QUEUE_CAPACITY 512 /* a power of two */

/** A bounded many-producer, one-consumer queue of editor events (Vyukov's bounded queue). */
typedef struct dp_editor_queue {
    _Atomic uint64_t sequence[DP_EDITOR_QUEUE_CAPACITY];
    dp_editor_event events[DP_EDITOR_QUEUE_CAPACITY];
    _Atomic uint64_t head; /* next slot a producer claims */
    _Atomic uint64_t tail; /* next slot the consumer reads */
    _Atomic uint32_t dropped;
} dp_editor_queue;

void dp_editor_queue_init(dp_editor_queue *queue);
/** Adds an event; real-time safe (no lock, no allocation, no system call). A full queue drops it and counts. */
bool dp_editor_queue_push(dp_editor_queue *queue, uint32_t kind, uint32_t index, double value);
/** Takes the oldest event into `event`; false when there is none. One consumer only. */
bool dp_editor_queue_pop(dp_editor_queue *queue, dp_editor_event *event);

/* ---- The X11 windows editors embed in ---- */

typedef struct dp_x11 dp_x11;

/** Opens the display `name` (NULL: $DISPLAY). On failure returns NULL and writes why into `error`. */
dp_x11 *dp_x11_open(const char *name, char *error, int error_size);
void dp_x11_close(dp_x11 *x11);
/** The connection's file descriptor, to poll. */
int dp_x11_fd(dp_x11 *x11);

/** A top-level window titled `title`, `width` x `height`, fixed in size unless `resizable`; not mapped yet.
    0 on failure. */
unsigned long dp_x11_window_create(dp_x11 *x11, const char *title, int width, int height, bool resizable);
void dp_x11_window_show(dp_x11 *x11, unsigned long window);
void dp_x11_window_resize(dp_x11 *x11, unsigned long window, int width, int height, bool resizable);
void dp_x11_window_destroy(dp_x11 *x11, unsigned long window);
/** The window's size now, from the server (false when it is gone). */
bool dp_x11_window_size(dp_x11 *x11, unsigned long window, int *width, int *height);

typedef enum dp_x11_event_kind {
    DP_X11_CLOSE_ASKED = 1, /* the window manager's close button */
    DP_X11_RESIZED = 2,     /* the user resized it (width, height) */
} dp_x11_event_kind;

typedef struct dp_x11_event {
    int kind;
    unsigned long window;
    int width, height;
} dp_x11_event;

/** Reads the events waiting on the connection, one per call: true and `event` filled for one DirectPipe acts
    on, false when none is left. */
bool dp_x11_next_event(dp_x11 *x11, dp_x11_event *event);
/** Sends what is buffered to the server. */
void dp_x11_flush(dp_x11 *x11);

#endif
