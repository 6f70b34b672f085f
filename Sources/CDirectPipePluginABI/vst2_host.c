/*
 * The VST2 host callback and the calls Swift makes through the effect record.
 */
#include "directpipe_vst2.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(void *) == 8, "VST2 layout checked for LP64 only");
_Static_assert(offsetof(dp_vst2_effect, magic) == 0, "magic");
_Static_assert(offsetof(dp_vst2_effect, dispatcher) == 8, "dispatcher");
_Static_assert(offsetof(dp_vst2_effect, set_parameter) == 24, "setParameter");
_Static_assert(offsetof(dp_vst2_effect, get_parameter) == 32, "getParameter");
_Static_assert(offsetof(dp_vst2_effect, program_count) == 40, "numPrograms");
_Static_assert(offsetof(dp_vst2_effect, parameter_count) == 44, "numParams");
_Static_assert(offsetof(dp_vst2_effect, input_count) == 48, "numInputs");
_Static_assert(offsetof(dp_vst2_effect, output_count) == 52, "numOutputs");
_Static_assert(offsetof(dp_vst2_effect, flags) == 56, "flags");
_Static_assert(offsetof(dp_vst2_effect, initial_delay) == 80, "initialDelay");
_Static_assert(offsetof(dp_vst2_effect, object) == 96, "object");
_Static_assert(offsetof(dp_vst2_effect, user) == 104, "user");
_Static_assert(offsetof(dp_vst2_effect, unique_id) == 112, "uniqueID");
_Static_assert(offsetof(dp_vst2_effect, version) == 116, "version");
_Static_assert(offsetof(dp_vst2_effect, process_replacing) == 120, "processReplacing");
_Static_assert(offsetof(dp_vst2_effect, process_double_replacing) == 128, "processDoubleReplacing");
_Static_assert(sizeof(dp_vst2_effect) == 192, "effect record size");
_Static_assert(offsetof(dp_vst2_parameter_properties, label) == 12, "properties label");
_Static_assert(offsetof(dp_vst2_parameter_properties, flags) == 76, "properties flags");
_Static_assert(offsetof(dp_vst2_parameter_properties, min_integer) == 80, "properties minInteger");
_Static_assert(offsetof(dp_vst2_parameter_properties, short_label) == 96, "properties shortLabel");
_Static_assert(offsetof(dp_vst2_parameter_properties, category_label) == 112, "properties categoryLabel");
_Static_assert(sizeof(dp_vst2_parameter_properties) == 152, "properties size");
_Static_assert(offsetof(dp_vst2_rect, right) == 6 && sizeof(dp_vst2_rect) == 8, "editor rectangle");

/* Marks the audio thread while it is inside a plugin's process call. */
static __thread int in_process;

/* The instance being loaded: the callback answers from it until effect->user is set. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static dp_vst2_host *loading_host;
static int32_t loading_shell_id;

static dp_vst2_host *host_of(dp_vst2_effect *effect) {
    if (effect != NULL && effect->user != NULL) return (dp_vst2_host *)effect->user;
    return loading_host; /* only non-NULL while the entry runs, under load_lock */
}

static int host_can_do(const char *what) {
    static const char *const yes[] = {"sendVstEvents", "sendVstMidiEvent", "receiveVstEvents", "sizeWindow",
                                      "supplyIdle", "supportShell", "shellCategory", NULL};
    if (what == NULL) return 0;
    for (int i = 0; yes[i] != NULL; i++)
        if (strcmp(what, yes[i]) == 0) return 1;
    return -1;
}

static intptr_t host_callback(dp_vst2_effect *effect, int32_t opcode, int32_t index, intptr_t value, void *ptr, float opt) {
    (void)index;
    (void)value;
    (void)opt;
    dp_vst2_host *host = host_of(effect);
    switch (opcode) {
    case DP_VST2_HOST_VERSION: return 2400;
    case DP_VST2_HOST_CURRENT_ID: return effect != NULL && effect->user != NULL ? effect->unique_id : loading_shell_id;
    case DP_VST2_HOST_AUTOMATE:
        if (host != NULL && host->editor != NULL) dp_editor_queue_push(host->editor, DP_EDITOR_VALUE, (uint32_t)index, opt);
        return 0;
    case DP_VST2_HOST_IO_CHANGED:
        if (host != NULL) atomic_store_explicit(&host->io_changed, 1, memory_order_release);
        return 1;
    case DP_VST2_HOST_GET_SAMPLE_RATE: return host != NULL ? (intptr_t)host->sample_rate : 0;
    case DP_VST2_HOST_GET_BLOCK_SIZE: return host != NULL ? host->block_size : 0;
    case DP_VST2_HOST_GET_CURRENT_PROCESS_LEVEL:
        if (in_process) return host != NULL && host->offline ? DP_VST2_LEVEL_OFFLINE : DP_VST2_LEVEL_REALTIME;
        return DP_VST2_LEVEL_USER;
    case DP_VST2_HOST_GET_AUTOMATION_STATE: return 1; /* off: nothing plays automation back */
    case DP_VST2_HOST_GET_VENDOR_STRING:
        if (ptr != NULL) strcpy((char *)ptr, "DirectPipe");
        return 1;
    case DP_VST2_HOST_GET_PRODUCT_STRING:
        if (ptr != NULL) strcpy((char *)ptr, "DirectPipe");
        return 1;
    case DP_VST2_HOST_GET_VENDOR_VERSION: return 1000;
    case DP_VST2_HOST_CAN_DO: return host_can_do((const char *)ptr);
    case DP_VST2_HOST_GET_LANGUAGE: return 1; /* English */
    case DP_VST2_HOST_BEGIN_EDIT:
    case DP_VST2_HOST_END_EDIT:
        if (host != NULL && host->editor != NULL)
            dp_editor_queue_push(host->editor, opcode == DP_VST2_HOST_BEGIN_EDIT ? DP_EDITOR_GESTURE_BEGIN : DP_EDITOR_GESTURE_END,
                                 (uint32_t)index, 0);
        return 1;
    case DP_VST2_HOST_UPDATE_DISPLAY:
    case DP_VST2_HOST_IDLE: return 1;
    case DP_VST2_HOST_SIZE_WINDOW: /* index: width, value: height */
        if (host == NULL || host->editor == NULL || index <= 0 || value <= 0) return 0;
        return dp_editor_queue_push(host->editor, DP_EDITOR_RESIZE, (uint32_t)index, (double)value) ? 1 : 0;
    default: return 0; /* GET_TIME among them: no transport, the plugin sees none */
    }
}

dp_vst2_effect *dp_vst2_load(dp_vst2_entry_fn entry, dp_vst2_host *host, int32_t shell_id) {
    pthread_mutex_lock(&load_lock);
    loading_host = host;
    loading_shell_id = shell_id;
    dp_vst2_effect *effect = entry(host_callback);
    if (effect != NULL && effect->magic == DP_VST2_MAGIC) effect->user = host;
    loading_host = NULL;
    loading_shell_id = 0;
    pthread_mutex_unlock(&load_lock);
    return effect;
}

intptr_t dp_vst2_dispatch(dp_vst2_effect *effect, int32_t opcode, int32_t index, intptr_t value, void *ptr, float opt) {
    return effect->dispatcher(effect, opcode, index, value, ptr, opt);
}

void dp_vst2_process(dp_vst2_effect *effect, float **inputs, float **outputs, int32_t frames, double **scratch_in,
                     double **scratch_out) {
    in_process = 1;
    if (effect->process_replacing != NULL && (effect->flags & DP_VST2_FLAG_CAN_REPLACING)) {
        effect->process_replacing(effect, inputs, outputs, frames);
    } else if (effect->process_double_replacing != NULL && scratch_in != NULL && scratch_out != NULL) {
        for (int32_t c = 0; c < effect->input_count; c++)
            for (int32_t i = 0; i < frames; i++) scratch_in[c][i] = inputs[c][i];
        effect->process_double_replacing(effect, scratch_in, scratch_out, frames);
        for (int32_t c = 0; c < effect->output_count; c++)
            for (int32_t i = 0; i < frames; i++) outputs[c][i] = (float)scratch_out[c][i];
    }
    in_process = 0;
}

void dp_vst2_set_parameter(dp_vst2_effect *effect, int32_t index, float value) { effect->set_parameter(effect, index, value); }

float dp_vst2_get_parameter(dp_vst2_effect *effect, int32_t index) { return effect->get_parameter(effect, index); }
