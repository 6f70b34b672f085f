/*
 * VST2, VST3 and CLAP plugins built for the scanner's tests, on DirectPipe's own ABI declarations. One file,
 * built once per MODE by scripts/build-native.sh:
 *   VST2_SHELL  a VST2 shell holding two gain plugins ("DP Half" ×0.5, "DP Double" ×2): listed as its parts; each
 *               has a "Level" parameter and three programs setting it (Low 0.2, Middle 0.5, High 0.8)
 *   VST2_CRASH  VSTPluginMain raises SIGSEGV (the library cannot even be listed)
 *   VST2_HANG   a VST2 effect whose processReplacing never returns
 *   VST2_NAN    a VST2 effect that passes its input (gain 1) and turns to NaN from its 1000th frame
 *   VST3_ABORT  GetPluginFactory aborts (SIGABRT)
 *   CLAP_HANG   clap_entry's init never returns
 *   CLAP_GOOD   a CLAP stereo gain ("Gain", 0…2) that checks the host's threads: process, on the audio thread (else
 *               NaN out), asks for a main-thread callback; the callback, on the main thread and not the audio
 *               thread, sets a latency of 32 frames and tells the host so
 */
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(VST2_SHELL) || defined(VST2_CRASH) || defined(VST2_HANG) || defined(VST2_NAN)
#include "directpipe_vst2.h"

#define SHELL_ID 0x44705368 /* 'DpSh' */
#define HALF_ID 0x44704831  /* 'DpH1' */
#define DOUBLE_ID 0x44704432 /* 'DpD2' */

static const char *name_of(int32_t id) { return id == HALF_ID ? "DP Half" : id == DOUBLE_ID ? "DP Double" : "DP Shell"; }

/* What an instance keeps (effect->object): its level, program, and which shell part comes next when listed. */
typedef struct {
    float level;
    int32_t program;
    int32_t next_part;
    int64_t frames; /* processed so far */
} instance;

static const char *const program_names[] = {"Low", "Middle", "High"};
static const float program_levels[] = {0.2f, 0.5f, 0.8f};

static intptr_t dispatch(dp_vst2_effect *effect, int32_t opcode, int32_t index, intptr_t value, void *ptr, float opt) {
    (void)index;
    (void)value;
    (void)opt;
    switch (opcode) {
    case DP_VST2_CLOSE:
        free(effect->object);
        free(effect);
        return 1;
    case DP_VST2_SET_PROGRAM:
        if (value >= 0 && value < 3) {
            ((instance *)effect->object)->program = (int32_t)value;
            ((instance *)effect->object)->level = program_levels[value];
        }
        return 0;
    case DP_VST2_GET_PROGRAM: return ((instance *)effect->object)->program;
    case DP_VST2_GET_PROGRAM_NAME_INDEXED:
        if (index < 0 || index >= 3) return 0;
        strcpy(ptr, program_names[index]);
        return 1;
    case DP_VST2_GET_PLUG_CATEGORY: return effect->unique_id == SHELL_ID ? DP_VST2_CATEGORY_SHELL : DP_VST2_CATEGORY_EFFECT;
    case DP_VST2_SHELL_GET_NEXT_PLUGIN: {
        int32_t *next = &((instance *)effect->object)->next_part;
        int32_t id = *next == 0 ? HALF_ID : *next == 1 ? DOUBLE_ID : 0;
        (*next)++;
        if (id != 0) strcpy(ptr, name_of(id));
        return id;
    }
    case DP_VST2_GET_EFFECT_NAME: strcpy(ptr, name_of(effect->unique_id)); return 1;
    case DP_VST2_GET_VENDOR_STRING: strcpy(ptr, "DirectPipe tests"); return 1;
    case DP_VST2_GET_PARAM_NAME: strcpy(ptr, "Level"); return 1;
    default: return 0;
    }
}

static void process(dp_vst2_effect *effect, float **inputs, float **outputs, int32_t frames) {
#if defined(VST2_HANG)
    for (;;) pause();
#endif
#if defined(VST2_NAN)
    int64_t *done = &((instance *)effect->object)->frames;
    for (int channel = 0; channel < 2; channel++)
        for (int32_t i = 0; i < frames; i++) outputs[channel][i] = *done + i >= 1000 ? NAN : inputs[channel][i];
    *done += frames;
    return;
#endif
    float gain = effect->unique_id == HALF_ID ? 0.5f : 2.0f;
    for (int channel = 0; channel < 2; channel++)
        for (int32_t i = 0; i < frames; i++) outputs[channel][i] = inputs[channel][i] * gain;
}

static void set_parameter(dp_vst2_effect *effect, int32_t index, float value) {
    if (index == 0) ((instance *)effect->object)->level = value;
}
static float get_parameter(dp_vst2_effect *effect, int32_t index) { return index == 0 ? ((instance *)effect->object)->level : 0.0f; }

dp_vst2_effect *VSTPluginMain(dp_vst2_callback host) {
#if defined(VST2_CRASH)
    raise(SIGSEGV);
#endif
    dp_vst2_effect *effect = calloc(1, sizeof *effect);
    effect->magic = DP_VST2_MAGIC;
    effect->dispatcher = dispatch;
    effect->set_parameter = set_parameter;
    effect->get_parameter = get_parameter;
    effect->process_replacing = process;
    effect->object = calloc(1, sizeof(instance));
    ((instance *)effect->object)->level = 0.5f;
    effect->parameter_count = 1;
    effect->program_count = 3;
    effect->input_count = 2;
    effect->output_count = 2;
    effect->flags = DP_VST2_FLAG_CAN_REPLACING;
#if defined(VST2_SHELL)
    int32_t wanted = (int32_t)host(NULL, DP_VST2_HOST_CURRENT_ID, 0, 0, NULL, 0);
    effect->unique_id = wanted == HALF_ID || wanted == DOUBLE_ID ? wanted : SHELL_ID;
#else
    (void)host;
    effect->unique_id = DOUBLE_ID;
#endif
    return effect;
}
#endif

#if defined(VST3_ABORT)
bool ModuleEntry(void *library) { (void)library; return true; }
bool ModuleExit(void) { return true; }
void *GetPluginFactory(void) { abort(); }
#endif

#if defined(CLAP_HANG)
#include "directpipe_clap.h"
static bool entry_init(const char *path) {
    (void)path;
    for (;;) pause();
    return false;
}
static void entry_deinit(void) {}
static const void *entry_factory(const char *id) { (void)id; return NULL; }
const dp_clap_entry clap_entry = {{1, 1, 0}, entry_init, entry_deinit, entry_factory};
#endif

#if defined(CLAP_GOOD)
#include "directpipe_clap.h"

typedef struct {
    bool (*is_main_thread)(const dp_clap_host_record *host);
    bool (*is_audio_thread)(const dp_clap_host_record *host);
} thread_check;
typedef struct {
    void (*changed)(const dp_clap_host_record *host);
} host_latency;

typedef struct {
    dp_clap_plugin plugin;
    const dp_clap_host_record *host;
    const thread_check *threads;
    double gain;
    uint32_t latency;
    bool asked;
} gain_plugin;

static const char *const features[] = {"audio-effect", NULL};
static const dp_clap_descriptor descriptor = {{1, 1, 0}, "org.directpipe.test-gain", "DP Gain", "DirectPipe tests", "", "", "", "1.0",
                                              "", features};

static bool gain_init(const dp_clap_plugin *plugin) {
    gain_plugin *self = plugin->plugin_data;
    self->threads = self->host->get_extension(self->host, DP_CLAP_EXT_THREAD_CHECK);
    return self->threads != NULL;
}
static void gain_destroy(const dp_clap_plugin *plugin) { free(plugin->plugin_data); }
static bool gain_activate(const dp_clap_plugin *p, double rate, uint32_t min, uint32_t max) { (void)p; (void)rate; (void)min; (void)max; return true; }
static void gain_deactivate(const dp_clap_plugin *plugin) { (void)plugin; }
static bool gain_start(const dp_clap_plugin *plugin) { (void)plugin; return true; }
static void gain_stop(const dp_clap_plugin *plugin) { (void)plugin; }
static void gain_reset(const dp_clap_plugin *plugin) { (void)plugin; }

static int32_t gain_process(const dp_clap_plugin *plugin, const dp_clap_process_data *process) {
    gain_plugin *self = plugin->plugin_data;
    for (uint32_t i = 0; i < process->in_events->size(process->in_events); i++) {
        const dp_clap_event_header *header = process->in_events->get(process->in_events, i);
        if (header->type == DP_CLAP_EVENT_PARAM_VALUE) self->gain = ((const dp_clap_event_param_value *)header)->value;
    }
    bool audio = self->threads->is_audio_thread(self->host) && !self->threads->is_main_thread(self->host);
    for (uint32_t c = 0; c < 2; c++)
        for (uint32_t i = 0; i < process->frames_count; i++)
            process->audio_outputs[0].data32[c][i] = audio ? (float)(process->audio_inputs[0].data32[c][i] * self->gain) : NAN;
    if (!self->asked) {
        self->asked = true;
        self->host->request_callback(self->host);
    }
    return DP_CLAP_PROCESS_CONTINUE;
}

static void gain_on_main_thread(const dp_clap_plugin *plugin) {
    gain_plugin *self = plugin->plugin_data;
    if (!self->threads->is_main_thread(self->host) || self->threads->is_audio_thread(self->host)) return;
    self->latency = 32;
    const host_latency *latency = self->host->get_extension(self->host, DP_CLAP_EXT_LATENCY);
    if (latency != NULL) latency->changed(self->host);
}

static uint32_t params_count(const dp_clap_plugin *plugin) { (void)plugin; return 1; }
static bool params_info(const dp_clap_plugin *plugin, uint32_t index, dp_clap_param_info *info) {
    (void)plugin;
    if (index != 0) return false;
    memset(info, 0, sizeof *info);
    info->id = 7;
    strcpy(info->name, "Gain");
    info->max_value = 2;
    info->default_value = 1;
    return true;
}
static bool params_value(const dp_clap_plugin *plugin, dp_clap_id id, double *value) {
    if (id != 7) return false;
    *value = ((gain_plugin *)plugin->plugin_data)->gain;
    return true;
}
static bool params_text(const dp_clap_plugin *p, dp_clap_id id, double value, char *text, uint32_t size) {
    (void)p;
    (void)id;
    snprintf(text, size, "%.2f x", value);
    return true;
}
static const dp_clap_plugin_params params = {params_count, params_info, params_value, params_text, NULL, NULL};

static uint32_t ports_count(const dp_clap_plugin *plugin, bool input) { (void)plugin; (void)input; return 1; }
static bool ports_get(const dp_clap_plugin *plugin, uint32_t index, bool input, dp_clap_audio_port_info *info) {
    (void)plugin;
    (void)input;
    if (index != 0) return false;
    memset(info, 0, sizeof *info);
    strcpy(info->name, "main");
    info->channel_count = 2;
    return true;
}
static const dp_clap_plugin_audio_ports ports = {ports_count, ports_get};

static uint32_t latency_get(const dp_clap_plugin *plugin) { return ((gain_plugin *)plugin->plugin_data)->latency; }
static const dp_clap_plugin_latency latency = {latency_get};

static const void *gain_extension(const dp_clap_plugin *plugin, const char *id) {
    (void)plugin;
    if (strcmp(id, DP_CLAP_EXT_PARAMS) == 0) return &params;
    if (strcmp(id, DP_CLAP_EXT_AUDIO_PORTS) == 0) return &ports;
    if (strcmp(id, DP_CLAP_EXT_LATENCY) == 0) return &latency;
    return NULL;
}

static uint32_t factory_count(const dp_clap_factory *factory) { (void)factory; return 1; }
static const dp_clap_descriptor *factory_descriptor(const dp_clap_factory *factory, uint32_t index) {
    (void)factory;
    return index == 0 ? &descriptor : NULL;
}
static const dp_clap_plugin *factory_create(const dp_clap_factory *factory, const dp_clap_host_record *host, const char *id) {
    (void)factory;
    if (strcmp(id, descriptor.id) != 0) return NULL;
    gain_plugin *self = calloc(1, sizeof *self);
    self->host = host;
    self->gain = 1;
    self->plugin = (dp_clap_plugin){&descriptor, self, gain_init, gain_destroy, gain_activate, gain_deactivate,
                                    gain_start, gain_stop, gain_reset, gain_process, gain_extension, gain_on_main_thread};
    return &self->plugin;
}
static const dp_clap_factory factory = {factory_count, factory_descriptor, factory_create};

static bool entry_init(const char *path) { (void)path; return true; }
static void entry_deinit(void) {}
static const void *entry_factory(const char *id) { return strcmp(id, DP_CLAP_PLUGIN_FACTORY) == 0 ? &factory : NULL; }
const dp_clap_entry clap_entry = {{1, 1, 0}, entry_init, entry_deinit, entry_factory};
#endif
