/*
 * The X11 windows plugin editors embed in. libX11 is loaded at run time: its absence is an editor's error, not
 * DirectPipe's. Xlib's headers give the types and constants only (libx11-dev at build time).
 */
#include "directpipe_editor.h"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Xlib calls used, looked up once. */
static struct {
    Display *(*open_display)(const char *);
    int (*close_display)(Display *);
    int (*connection_number)(Display *);
    int (*default_screen)(Display *);
    Window (*root_window)(Display *, int);
    unsigned long (*black_pixel)(Display *, int);
    Window (*create_simple_window)(Display *, Window, int, int, unsigned int, unsigned int, unsigned int, unsigned long,
                                   unsigned long);
    int (*store_name)(Display *, Window, const char *);
    Atom (*intern_atom)(Display *, const char *, Bool);
    int (*change_property)(Display *, Window, Atom, Atom, int, int, const unsigned char *, int);
    Status (*set_wm_protocols)(Display *, Window, Atom *, int);
    void (*set_wm_normal_hints)(Display *, Window, XSizeHints *);
    int (*select_input)(Display *, Window, long);
    int (*map_raised)(Display *, Window);
    int (*resize_window)(Display *, Window, unsigned int, unsigned int);
    int (*destroy_window)(Display *, Window);
    int (*pending)(Display *);
    int (*next_event)(Display *, XEvent *);
    int (*flush)(Display *);
    int (*sync)(Display *, Bool);
    Status (*get_window_attributes)(Display *, Window, XWindowAttributes *);
    XErrorHandler (*set_error_handler)(XErrorHandler);
} xlib;

static pthread_once_t xlib_once = PTHREAD_ONCE_INIT;
static const char *xlib_missing; /* NULL once every call was found */

static void load_xlib(void) {
    void *library = dlopen("libX11.so.6", RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        xlib_missing = "libX11.so.6 is not installed (Debian: apt install libx11-6)";
        return;
    }
#define FIND(field, symbol)                                                                                            \
    if ((*(void **)&xlib.field = dlsym(library, symbol)) == NULL) {                                                    \
        xlib_missing = "libX11.so.6 lacks " symbol;                                                                    \
        return;                                                                                                        \
    }
    FIND(open_display, "XOpenDisplay")
    FIND(close_display, "XCloseDisplay")
    FIND(connection_number, "XConnectionNumber")
    FIND(default_screen, "XDefaultScreen")
    FIND(root_window, "XRootWindow")
    FIND(black_pixel, "XBlackPixel")
    FIND(create_simple_window, "XCreateSimpleWindow")
    FIND(store_name, "XStoreName")
    FIND(intern_atom, "XInternAtom")
    FIND(change_property, "XChangeProperty")
    FIND(set_wm_protocols, "XSetWMProtocols")
    FIND(set_wm_normal_hints, "XSetWMNormalHints")
    FIND(select_input, "XSelectInput")
    FIND(map_raised, "XMapRaised")
    FIND(resize_window, "XResizeWindow")
    FIND(destroy_window, "XDestroyWindow")
    FIND(pending, "XPending")
    FIND(next_event, "XNextEvent")
    FIND(flush, "XFlush")
    FIND(sync, "XSync")
    FIND(get_window_attributes, "XGetWindowAttributes")
    FIND(set_error_handler, "XSetErrorHandler")
#undef FIND
}

struct dp_x11 {
    Display *display;
    int screen;
    Atom wm_protocols, wm_delete_window, net_wm_name, utf8_string;
};

/* A window gone under a plugin's feet (it destroyed its own child, say) is not worth ending the process for:
   Xlib's default handler exits. Errors are ignored; each call that matters checks its result. */
static int ignore_error(Display *display, XErrorEvent *event) {
    (void)display;
    (void)event;
    return 0;
}

dp_x11 *dp_x11_open(const char *name, char *error, int error_size) {
    pthread_once(&xlib_once, load_xlib);
    if (xlib_missing != NULL) {
        snprintf(error, (size_t)error_size, "%s", xlib_missing);
        return NULL;
    }
    const char *shown = name != NULL ? name : getenv("DISPLAY");
    if (shown == NULL || shown[0] == '\0') {
        snprintf(error, (size_t)error_size,
                 "no X display: DISPLAY is not set (a Wayland session needs XWayland; a systemd user service needs "
                 "`systemctl --user import-environment DISPLAY XAUTHORITY`)");
        return NULL;
    }
    Display *display = xlib.open_display(name);
    if (display == NULL) {
        snprintf(error, (size_t)error_size, "cannot open X display '%s' (is the X server or XWayland running, and may "
                 "this user connect to it? XAUTHORITY)", shown);
        return NULL;
    }
    xlib.set_error_handler(ignore_error);
    dp_x11 *x11 = calloc(1, sizeof *x11);
    x11->display = display;
    x11->screen = xlib.default_screen(display);
    x11->wm_protocols = xlib.intern_atom(display, "WM_PROTOCOLS", False);
    x11->wm_delete_window = xlib.intern_atom(display, "WM_DELETE_WINDOW", False);
    x11->net_wm_name = xlib.intern_atom(display, "_NET_WM_NAME", False);
    x11->utf8_string = xlib.intern_atom(display, "UTF8_STRING", False);
    return x11;
}

void dp_x11_close(dp_x11 *x11) {
    if (x11 == NULL) return;
    xlib.close_display(x11->display);
    free(x11);
}

int dp_x11_fd(dp_x11 *x11) { return xlib.connection_number(x11->display); }

static void set_size_hints(dp_x11 *x11, Window window, int width, int height, bool resizable) {
    XSizeHints hints;
    memset(&hints, 0, sizeof hints);
    hints.flags = PSize | PMinSize;
    hints.width = width;
    hints.height = height;
    hints.min_width = resizable ? 64 : width;
    hints.min_height = resizable ? 48 : height;
    if (!resizable) {
        hints.flags |= PMaxSize;
        hints.max_width = width;
        hints.max_height = height;
    }
    xlib.set_wm_normal_hints(x11->display, window, &hints);
}

unsigned long dp_x11_window_create(dp_x11 *x11, const char *title, int width, int height, bool resizable) {
    Display *display = x11->display;
    Window window = xlib.create_simple_window(display, xlib.root_window(display, x11->screen), 0, 0,
                                              (unsigned)(width > 0 ? width : 320), (unsigned)(height > 0 ? height : 200), 0,
                                              xlib.black_pixel(display, x11->screen), xlib.black_pixel(display, x11->screen));
    if (window == 0) return 0;
    xlib.store_name(display, window, title);
    xlib.change_property(display, window, x11->net_wm_name, x11->utf8_string, 8, PropModeReplace,
                         (const unsigned char *)title, (int)strlen(title));
    xlib.set_wm_protocols(display, window, &x11->wm_delete_window, 1);
    set_size_hints(x11, window, width, height, resizable);
    xlib.select_input(display, window, StructureNotifyMask);
    /* Plugins reach the window through connections of their own: it must exist on the server first. */
    xlib.sync(display, False);
    return window;
}

void dp_x11_window_show(dp_x11 *x11, unsigned long window) {
    xlib.map_raised(x11->display, window);
    xlib.sync(x11->display, False);
}

void dp_x11_window_resize(dp_x11 *x11, unsigned long window, int width, int height, bool resizable) {
    if (width <= 0 || height <= 0) return;
    set_size_hints(x11, window, width, height, resizable);
    xlib.resize_window(x11->display, window, (unsigned)width, (unsigned)height);
    xlib.flush(x11->display);
}

void dp_x11_window_destroy(dp_x11 *x11, unsigned long window) {
    xlib.destroy_window(x11->display, window);
    xlib.sync(x11->display, False);
}

bool dp_x11_window_size(dp_x11 *x11, unsigned long window, int *width, int *height) {
    XWindowAttributes attributes;
    if (!xlib.get_window_attributes(x11->display, window, &attributes)) return false;
    *width = attributes.width;
    *height = attributes.height;
    return true;
}

bool dp_x11_next_event(dp_x11 *x11, dp_x11_event *event) {
    while (xlib.pending(x11->display) > 0) {
        XEvent next;
        xlib.next_event(x11->display, &next);
        if (next.type == ClientMessage && next.xclient.message_type == x11->wm_protocols &&
            (Atom)next.xclient.data.l[0] == x11->wm_delete_window) {
            *event = (dp_x11_event){.kind = DP_X11_CLOSE_ASKED, .window = next.xclient.window};
            return true;
        }
        if (next.type == ConfigureNotify) {
            *event = (dp_x11_event){.kind = DP_X11_RESIZED, .window = next.xconfigure.window,
                                    .width = next.xconfigure.width, .height = next.xconfigure.height};
            return true;
        }
    }
    return false;
}

void dp_x11_flush(dp_x11 *x11) { xlib.flush(x11->display); }
