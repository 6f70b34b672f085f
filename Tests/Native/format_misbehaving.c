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
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(VST2_SHELL) || defined(VST2_CRASH) || defined(VST2_HANG) || defined(VST2_NAN)
#include <math.h>
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
