/*
 * An LV2 plugin's X11 UI, hosted as jalv and suil do it for X11 (without suil, which Debian ships only with the GTK
 * and Qt wrappers): the UI's library loaded, its descriptor found, instantiated with our window as its parent and
 * the features it may ask for; what it writes (float protocol) and touches goes to the editor queue; what the host
 * sends it are port events. Every call is the plugin thread's.
 */
#include "directpipe_lv2.h"

#include <dlfcn.h>
#include <lv2/atom/atom.h>
#include <lv2/data-access/data-access.h>
#include <lv2/instance-access/instance-access.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/ui/ui.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dp_lv2_ui {
    const LV2UI_Descriptor *descriptor;
    LV2UI_Handle handle;
    LV2UI_Widget widget;
    const LV2UI_Idle_Interface *idle;
    dp_editor_queue *queue;
    dp_lv2_atom_ring *to_plugin;
    uint32_t event_transfer; /* atom:eventTransfer's URID */
    float sample_rate;
    LV2_Options_Option options[2];
    LV2UI_Resize resize;
    LV2UI_Touch touch;
    LV2UI_Port_Map port_map;
    char **symbols; /* port symbols by index, for port_map */
    uint32_t symbol_count;
    LV2_Extension_Data_Feature data_access;
    LV2_Feature features[10];
    const LV2_Feature *feature_list[11];
};

static void ui_write(LV2UI_Controller controller, uint32_t port, uint32_t size, uint32_t protocol, const void *buffer) {
    dp_lv2_ui *ui = controller;
    if (buffer == NULL) return;
    if (protocol == 0 && size == sizeof(float)) {
        dp_editor_queue_push(ui->queue, DP_EDITOR_VALUE, port, *(const float *)buffer);
    } else if (protocol == ui->event_transfer && ui->to_plugin != NULL && size >= sizeof(LV2_Atom) &&
               size >= sizeof(LV2_Atom) + ((const LV2_Atom *)buffer)->size) {
        dp_lv2_atom_ring_write(ui->to_plugin, port, buffer);
    } /* other protocols: ignored, as the format asks of hosts that do not know them */
}

static int ui_resize(LV2UI_Feature_Handle handle, int width, int height) {
    dp_lv2_ui *ui = handle;
    return width > 0 && height > 0 && dp_editor_queue_push(ui->queue, DP_EDITOR_RESIZE, (uint32_t)width, height) ? 0 : 1;
}

static void ui_touch(LV2UI_Feature_Handle handle, uint32_t port, bool grabbed) {
    dp_lv2_ui *ui = handle;
    dp_editor_queue_push(ui->queue, grabbed ? DP_EDITOR_GESTURE_BEGIN : DP_EDITOR_GESTURE_END, port, 0);
}

static uint32_t ui_port_index(LV2UI_Feature_Handle handle, const char *symbol) {
    dp_lv2_ui *ui = handle;
    for (uint32_t i = 0; symbol != NULL && i < ui->symbol_count; i++)
        if (strcmp(ui->symbols[i], symbol) == 0) return i;
    return LV2UI_INVALID_PORT_INDEX;
}

static void free_ui(dp_lv2_ui *ui) {
    for (uint32_t i = 0; i < ui->symbol_count; i++) free(ui->symbols[i]);
    free(ui->symbols);
    free(ui);
}

dp_lv2_ui *dp_lv2_ui_new(dp_lv2_urids *urids, const char *binary, const char *ui_uri, const char *plugin_uri, const char *bundle,
                         unsigned long parent, LV2_Handle instance, const void *(*extension_data)(const char *uri), double sample_rate,
                         const char *const *symbols, uint32_t symbol_count, dp_editor_queue *queue, dp_lv2_atom_ring *to_plugin,
                         char *error, size_t error_size) {
    void *library = dlopen(binary, RTLD_NOW | RTLD_LOCAL); /* never closed: UI libraries leave threads and atexit work */
    if (library == NULL) {
        snprintf(error, error_size, "cannot load its UI: %s", dlerror());
        return NULL;
    }
    LV2UI_DescriptorFunction descriptors = (LV2UI_DescriptorFunction)dlsym(library, "lv2ui_descriptor");
    if (descriptors == NULL) {
        snprintf(error, error_size, "%s is not an LV2 UI library (no lv2ui_descriptor)", binary);
        return NULL;
    }
    const LV2UI_Descriptor *descriptor = NULL;
    for (uint32_t i = 0; (descriptor = descriptors(i)) != NULL; i++)
        if (strcmp(descriptor->URI, ui_uri) == 0) break;
    if (descriptor == NULL) {
        snprintf(error, error_size, "%s has no UI %s", binary, ui_uri);
        return NULL;
    }
    dp_lv2_ui *ui = calloc(1, sizeof *ui);
    if (ui == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    ui->descriptor = descriptor;
    ui->symbols = calloc(symbol_count ? symbol_count : 1, sizeof *ui->symbols);
    for (uint32_t i = 0; ui->symbols != NULL && i < symbol_count; i++) ui->symbols[i] = strdup(symbols[i]);
    ui->symbol_count = ui->symbols != NULL ? symbol_count : 0;
    ui->queue = queue;
    ui->to_plugin = to_plugin;
    ui->event_transfer = dp_lv2_urid_map(urids, LV2_ATOM__eventTransfer);
    ui->sample_rate = (float)sample_rate;
    ui->options[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, dp_lv2_urid_map(urids, LV2_PARAMETERS__sampleRate), sizeof(float),
                                          dp_lv2_urid_map(urids, LV2_ATOM__Float), &ui->sample_rate};
    ui->resize = (LV2UI_Resize){ui, ui_resize};
    ui->touch = (LV2UI_Touch){ui, ui_touch};
    ui->port_map = (LV2UI_Port_Map){ui, ui_port_index};
    ui->data_access = (LV2_Extension_Data_Feature){extension_data};
    int n = 0;
    ui->features[n++] = (LV2_Feature){LV2_URID__map, dp_lv2_urids_map_feature(urids)};
    ui->features[n++] = (LV2_Feature){LV2_URID__unmap, dp_lv2_urids_unmap_feature(urids)};
    ui->features[n++] = (LV2_Feature){LV2_OPTIONS__options, ui->options};
    ui->features[n++] = (LV2_Feature){LV2_UI__parent, (void *)(uintptr_t)parent};
    ui->features[n++] = (LV2_Feature){LV2_UI__idleInterface, NULL};
    ui->features[n++] = (LV2_Feature){LV2_UI__resize, &ui->resize};
    ui->features[n++] = (LV2_Feature){LV2_UI__touch, &ui->touch};
    ui->features[n++] = (LV2_Feature){LV2_UI__portMap, &ui->port_map};
    if (instance != NULL) ui->features[n++] = (LV2_Feature){LV2_INSTANCE_ACCESS_URI, instance};
    if (extension_data != NULL) ui->features[n++] = (LV2_Feature){LV2_DATA_ACCESS_URI, &ui->data_access};
    for (int i = 0; i < n; i++) ui->feature_list[i] = &ui->features[i];
    ui->feature_list[n] = NULL;
    ui->handle = descriptor->instantiate(descriptor, plugin_uri, bundle, ui_write, ui, &ui->widget, ui->feature_list);
    if (ui->handle == NULL) {
        snprintf(error, error_size, "its UI %s failed to start", ui_uri);
        free_ui(ui);
        return NULL;
    }
    if (descriptor->extension_data != NULL) ui->idle = descriptor->extension_data(LV2_UI__idleInterface);
    return ui;
}

unsigned long dp_lv2_ui_widget(dp_lv2_ui *ui) { return (unsigned long)(uintptr_t)ui->widget; }

int dp_lv2_ui_idle(dp_lv2_ui *ui) { return ui->idle != NULL && ui->idle->idle != NULL ? ui->idle->idle(ui->handle) : 0; }

void dp_lv2_ui_port_event(dp_lv2_ui *ui, uint32_t port, float value) {
    if (ui->descriptor->port_event != NULL) ui->descriptor->port_event(ui->handle, port, sizeof value, 0, &value);
}

void dp_lv2_ui_atom_event(dp_lv2_ui *ui, uint32_t port, const LV2_Atom *atom) {
    if (ui->descriptor->port_event != NULL)
        ui->descriptor->port_event(ui->handle, port, (uint32_t)sizeof(LV2_Atom) + atom->size, ui->event_transfer, atom);
}

void dp_lv2_ui_free(dp_lv2_ui *ui) {
    if (ui == NULL) return;
    if (ui->descriptor->cleanup != NULL) ui->descriptor->cleanup(ui->handle);
    free_ui(ui);
}
