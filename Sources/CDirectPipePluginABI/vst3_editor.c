/*
 * A VST3 plugin's editor on Linux: the view the controller makes (IPlugView), the frame the host gives it
 * (IPlugFrame, which answers for the host's run loop, Linux::IRunLoop, as DPF's and JUCE's editors ask it), and
 * the calls through to the plugin's timer and event handlers. Our own declarations of the published interfaces.
 */
#include "directpipe_vst3.h"
#include "vst3_abi.h"

#include <stdio.h>
#include <stdlib.h>

static const dp_vst3_uid iid_plug_view = UID(0x5BC32507, 0xD06049EA, 0xA6151B52, 0x2B755B29);
static const dp_vst3_uid iid_plug_frame = UID(0x367FAF01, 0xAFA94693, 0x8D4DA2A0, 0xED0882A3);
static const dp_vst3_uid iid_run_loop = UID(0x18C35366, 0x97764F1A, 0x9C5B8385, 0x7A871389);

#define PLATFORM_X11 "X11EmbedWindowID"

typedef struct {
    int32_t left, top, right, bottom;
} view_rect;

typedef struct {
    UNKNOWN_METHODS;
    result_t (*is_platform_type_supported)(void *self, const char *type);
    result_t (*attached)(void *self, void *parent, const char *type);
    result_t (*removed)(void *self);
    result_t (*on_wheel)(void *self, float distance);
    result_t (*on_key_down)(void *self, int16_t key, int16_t code, int16_t modifiers);
    result_t (*on_key_up)(void *self, int16_t key, int16_t code, int16_t modifiers);
    result_t (*get_size)(void *self, view_rect *size);
    result_t (*on_size)(void *self, view_rect *size);
    result_t (*on_focus)(void *self, uint8_t focused);
    result_t (*set_frame)(void *self, void *frame);
    result_t (*can_resize)(void *self);
    result_t (*check_size_constraint)(void *self, view_rect *size);
} plug_view_vtable;

typedef struct {
    UNKNOWN_METHODS;
    void (*on_timer)(void *self);
} timer_handler_vtable;

typedef struct {
    UNKNOWN_METHODS;
    void (*on_fd_is_set)(void *self, int fd);
} event_handler_vtable;

_Static_assert(sizeof(view_rect) == 16, "ViewRect");
_Static_assert(offsetof(plug_view_vtable, check_size_constraint) == 14 * 8, "IPlugView");

/* Our two objects: each a vtable pointer first, as the plugin expects, inside the editor. */
typedef struct {
    const void *vtable;
    dp_vst3_editor *editor;
} editor_object;

struct dp_vst3_editor {
    editor_object frame, run_loop;
    void *view; /* IPlugView */
    dp_vst3_run_loop loop;
    dp_editor_queue *queue;
    dp_x11 *x11;
    unsigned long window;
    bool resizable;
};

static dp_vst3_editor *editor_of(void *self) { return ((editor_object *)self)->editor; }

/* Both objects answer for both interfaces: a plugin may ask either for the run loop. Owned by the editor: the
   reference counts are not kept (the plugin's view is gone before the editor is). */
static result_t editor_query(void *self, const dp_vst3_uid iid, void **object) {
    dp_vst3_editor *editor = editor_of(self);
    if (same_uid(iid, iid_plug_frame) || same_uid(iid, iid_unknown)) {
        *object = &editor->frame;
        return RESULT_OK;
    }
    if (same_uid(iid, iid_run_loop)) {
        *object = &editor->run_loop;
        return RESULT_OK;
    }
    *object = NULL;
    return RESULT_NO_INTERFACE;
}
static uint32_t editor_add_ref(void *self) { (void)self; return 1; }
static uint32_t editor_release(void *self) { (void)self; return 1; }

/* IPlugFrame::resizeView: the window takes the size, then the view is told (in the same call, as the format asks). */
static result_t frame_resize_view(void *self, void *view, view_rect *size) {
    dp_vst3_editor *editor = editor_of(self);
    if (size == NULL || view == NULL) return RESULT_INVALID_ARGUMENT;
    int32_t width = size->right - size->left, height = size->bottom - size->top;
    if (width <= 0 || height <= 0) return RESULT_INVALID_ARGUMENT;
    if (editor->x11 != NULL) dp_x11_window_resize(editor->x11, editor->window, width, height, editor->resizable);
    dp_editor_queue_push(editor->queue, DP_EDITOR_RESIZE, (uint32_t)width, height); /* the window's size, on record */
    VTABLE(view, plug_view_vtable)->on_size(view, size);
    return RESULT_OK;
}
static const struct {
    UNKNOWN_METHODS;
    result_t (*resize_view)(void *self, void *view, view_rect *size);
} frame_vtable = {editor_query, editor_add_ref, editor_release, frame_resize_view};

static result_t loop_register_event_handler(void *self, void *handler, int fd) {
    dp_vst3_editor *editor = editor_of(self);
    if (handler == NULL || editor->loop.register_fd == NULL) return RESULT_INVALID_ARGUMENT;
    return editor->loop.register_fd(editor->loop.context, handler, fd) ? RESULT_OK : RESULT_FALSE;
}
static result_t loop_unregister_event_handler(void *self, void *handler) {
    dp_vst3_editor *editor = editor_of(self);
    if (handler == NULL || editor->loop.unregister_fd == NULL) return RESULT_INVALID_ARGUMENT;
    editor->loop.unregister_fd(editor->loop.context, handler);
    return RESULT_OK;
}
static result_t loop_register_timer(void *self, void *handler, uint64_t milliseconds) {
    dp_vst3_editor *editor = editor_of(self);
    if (handler == NULL || editor->loop.register_timer == NULL) return RESULT_INVALID_ARGUMENT;
    return editor->loop.register_timer(editor->loop.context, handler, milliseconds) ? RESULT_OK : RESULT_FALSE;
}
static result_t loop_unregister_timer(void *self, void *handler) {
    dp_vst3_editor *editor = editor_of(self);
    if (handler == NULL || editor->loop.unregister_timer == NULL) return RESULT_INVALID_ARGUMENT;
    editor->loop.unregister_timer(editor->loop.context, handler);
    return RESULT_OK;
}
static const struct {
    UNKNOWN_METHODS;
    result_t (*register_event_handler)(void *self, void *handler, int fd);
    result_t (*unregister_event_handler)(void *self, void *handler);
    result_t (*register_timer)(void *self, void *handler, uint64_t milliseconds);
    result_t (*unregister_timer)(void *self, void *handler);
} run_loop_vtable = {editor_query,          editor_add_ref,      editor_release, loop_register_event_handler,
                     loop_unregister_event_handler, loop_register_timer, loop_unregister_timer};

bool dp_vst3_instance_has_view(dp_vst3_instance *instance) {
    void *view = dp_vst3_instance_create_view(instance);
    if (view == NULL) return false;
    bool embeds = VTABLE(view, plug_view_vtable)->is_platform_type_supported(view, PLATFORM_X11) == RESULT_TRUE;
    VTABLE(view, plug_view_vtable)->release(view);
    return embeds;
}

dp_vst3_editor *dp_vst3_editor_new(dp_vst3_instance *instance, const dp_vst3_run_loop *loop, dp_editor_queue *queue, int32_t *width,
                                   int32_t *height, bool *resizable, char *error, size_t error_size) {
    void *view = dp_vst3_instance_create_view(instance);
    if (view == NULL) {
        snprintf(error, error_size, "its controller made no editor view");
        return NULL;
    }
    const plug_view_vtable *methods = VTABLE(view, plug_view_vtable);
    if (methods->is_platform_type_supported(view, PLATFORM_X11) != RESULT_TRUE) {
        methods->release(view);
        snprintf(error, error_size, "its editor cannot embed in an X11 window");
        return NULL;
    }
    dp_vst3_editor *editor = calloc(1, sizeof *editor);
    if (editor == NULL) {
        methods->release(view);
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    editor->frame = (editor_object){&frame_vtable, editor};
    editor->run_loop = (editor_object){&run_loop_vtable, editor};
    editor->view = view;
    editor->loop = *loop;
    editor->queue = queue;
    methods->set_frame(view, &editor->frame);
    view_rect size = {0, 0, 0, 0};
    if (methods->get_size(view, &size) == RESULT_OK) {
        *width = size.right - size.left;
        *height = size.bottom - size.top;
    }
    *resizable = editor->resizable = methods->can_resize(view) == RESULT_TRUE;
    return editor;
}

bool dp_vst3_editor_attach(dp_vst3_editor *editor, dp_x11 *x11, unsigned long window) {
    editor->x11 = x11;
    editor->window = window;
    return VTABLE(editor->view, plug_view_vtable)->attached(editor->view, (void *)(uintptr_t)window, PLATFORM_X11) == RESULT_OK;
}

void dp_vst3_editor_resized(dp_vst3_editor *editor, int32_t width, int32_t height) {
    const plug_view_vtable *methods = VTABLE(editor->view, plug_view_vtable);
    view_rect size = {0, 0, width, height};
    methods->check_size_constraint(editor->view, &size);
    methods->on_size(editor->view, &size);
}

void dp_vst3_editor_close(dp_vst3_editor *editor) {
    const plug_view_vtable *methods = VTABLE(editor->view, plug_view_vtable);
    if (editor->x11 != NULL) methods->removed(editor->view); /* before setFrame(NULL): JUCE unregisters through the frame */
    methods->set_frame(editor->view, NULL);
    methods->release(editor->view);
    free(editor);
}

void dp_vst3_timer_fired(void *handler) { VTABLE(handler, timer_handler_vtable)->on_timer(handler); }

void dp_vst3_fd_ready(void *handler, int fd) { VTABLE(handler, event_handler_vtable)->on_fd_is_set(handler, fd); }
