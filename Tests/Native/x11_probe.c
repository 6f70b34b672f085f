/*
 * What the editor tests ask of the X server, as a command (the tests are Swift; Xlib is easier from C):
 *   x11_probe find TITLE          prints "WINDOW WIDTH HEIGHT MAPPED X Y" for the top-level window named TITLE
 *                                 (exit 1 when there is none)
 *   x11_probe shot WINDOW OUT.png [X Y W H]
 *                                 writes what the screen shows in WINDOW's rectangle (its children included), or
 *                                 in the part X Y W H of it, as a PNG and prints "DISTINCT STDDEV CHECKSUM": distinct
 *                                 colours, the luminance's standard deviation (0 for a blank window), and a hash of
 *                                 the pixels (equal for equal pictures)
 *   x11_probe clients              prints how many clients the server has (X-Resource), itself included
 */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XRes.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Window find(Display *display, Window window, const char *title) {
    char *name = NULL;
    if (XFetchName(display, window, &name) && name != NULL) {
        int same = strcmp(name, title) == 0;
        XFree(name);
        if (same) return window;
    }
    Window root, parent, *children = NULL;
    unsigned int count = 0;
    if (!XQueryTree(display, window, &root, &parent, &children, &count)) return 0;
    Window found = 0;
    for (unsigned int i = 0; i < count && found == 0; i++) found = find(display, children[i], title);
    if (children != NULL) XFree(children);
    return found;
}

static int shot(Display *display, Window window, const char *path, int left, int top, int width, int height) {
    XWindowAttributes attributes;
    if (!XGetWindowAttributes(display, window, &attributes)) return 1;
    if (width <= 0 || height <= 0) {
        width = attributes.width;
        height = attributes.height;
    }
    int x, y;
    Window child;
    Window root = DefaultRootWindow(display);
    XTranslateCoordinates(display, window, root, left, top, &x, &y, &child);
    XImage *image = XGetImage(display, root, x, y, (unsigned)width, (unsigned)height, AllPlanes, ZPixmap);
    if (image == NULL) return 1;
    FILE *file = fopen(path, "wb");
    if (file == NULL) return 1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, file);
    png_set_IHDR(png, info, (png_uint_32)image->width, (png_uint_32)image->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    unsigned char *row = malloc((size_t)image->width * 3);
    double sum = 0, squares = 0;
    size_t pixels = (size_t)image->width * (size_t)image->height;
    unsigned char *seen = calloc(1 << 21, 1); /* colours quantized to 7 bits a channel */
    long distinct = 0;
    unsigned long long checksum = 1469598103934665603ULL; /* FNV-1a */
    for (int j = 0; j < image->height; j++) {
        for (int i = 0; i < image->width; i++) {
            unsigned long pixel = XGetPixel(image, i, j);
            unsigned char r = (unsigned char)((pixel & image->red_mask) >> 16), g = (unsigned char)((pixel & image->green_mask) >> 8),
                          b = (unsigned char)(pixel & image->blue_mask);
            row[i * 3] = r;
            row[i * 3 + 1] = g;
            row[i * 3 + 2] = b;
            double luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
            sum += luminance;
            squares += luminance * luminance;
            checksum = (checksum ^ (pixel & 0xffffff)) * 1099511628211ULL;
            unsigned key = ((unsigned)(r >> 1) << 14) | ((unsigned)(g >> 1) << 7) | (unsigned)(b >> 1);
            if (!seen[key]) {
                seen[key] = 1;
                distinct++;
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(file);
    double mean = sum / (double)pixels;
    printf("%ld %.2f %llx\n", distinct, sqrt(fmax(squares / (double)pixels - mean * mean, 0)), checksum);
    free(row);
    free(seen);
    XDestroyImage(image);
    return 0;
}

int main(int argc, char **argv) {
    Display *display = XOpenDisplay(NULL);
    if (display == NULL) {
        fprintf(stderr, "x11_probe: cannot open the display\n");
        return 2;
    }
    int status = 2;
    if (argc == 3 && strcmp(argv[1], "find") == 0) {
        Window window = find(display, DefaultRootWindow(display), argv[2]);
        XWindowAttributes attributes;
        if (window != 0 && XGetWindowAttributes(display, window, &attributes)) {
            int x, y;
            Window child;
            XTranslateCoordinates(display, window, DefaultRootWindow(display), 0, 0, &x, &y, &child);
            printf("%lu %d %d %d %d %d\n", window, attributes.width, attributes.height, attributes.map_state == IsViewable, x, y);
            status = 0;
        } else {
            status = 1;
        }
    } else if (argc == 2 && strcmp(argv[1], "clients") == 0) {
        int count = 0;
        XResClient *clients = NULL;
        if (XResQueryClients(display, &count, &clients)) { /* a Status: non-zero when the request was answered */
            printf("%d\n", count);
            XFree(clients);
            status = 0;
        }
    } else if ((argc == 4 || argc == 8) && strcmp(argv[1], "shot") == 0) {
        int crop[4] = {0, 0, 0, 0};
        for (int i = 0; argc == 8 && i < 4; i++) crop[i] = atoi(argv[4 + i]);
        status = shot(display, (Window)strtoul(argv[2], NULL, 0), argv[3], crop[0], crop[1], crop[2], crop[3]);
    }
    XCloseDisplay(display);
    return status;
}
