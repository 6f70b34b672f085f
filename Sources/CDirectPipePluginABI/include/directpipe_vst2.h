/*
 * VST 2.4 as a host sees it, declared from the format's published facts
 * (the effect record's layout, opcode numbers, flags, the host callback's
 * signature), with our own names. Every offset the host relies on is checked
 * by a static assert in vst2_host.c. x86_64 and aarch64 Linux (LP64).
 *
 * What Swift cannot do well is here too: the host callback (a C function the
 * plugin calls from any thread, the audio thread included) and the process
 * call that marks the thread as the audio thread for it.
 */
#ifndef DIRECTPIPE_VST2_H
#define DIRECTPIPE_VST2_H

#include <stdint.h>
#include <stdatomic.h>

#include "directpipe_editor.h"

typedef struct dp_vst2_effect dp_vst2_effect;

typedef intptr_t (*dp_vst2_callback)(dp_vst2_effect *effect, int32_t opcode, int32_t index, intptr_t value, void *ptr, float opt);
typedef void (*dp_vst2_process_fn)(dp_vst2_effect *effect, float **inputs, float **outputs, int32_t frames);
typedef void (*dp_vst2_process_double_fn)(dp_vst2_effect *effect, double **inputs, double **outputs, int32_t frames);
typedef void (*dp_vst2_set_parameter_fn)(dp_vst2_effect *effect, int32_t index, float value);
typedef float (*dp_vst2_get_parameter_fn)(dp_vst2_effect *effect, int32_t index);
/** The library's entry (`VSTPluginMain`, or `main` in older and DPF builds). */
typedef dp_vst2_effect *(*dp_vst2_entry_fn)(dp_vst2_callback host);

/** The effect record a plugin returns from its entry. */
struct dp_vst2_effect {
    int32_t magic;                          /* 'VstP' */
    dp_vst2_callback dispatcher;
    dp_vst2_process_fn process_accumulating; /* deprecated; never called */
    dp_vst2_set_parameter_fn set_parameter;
    dp_vst2_get_parameter_fn get_parameter;
    int32_t program_count;
    int32_t parameter_count;
    int32_t input_count;
    int32_t output_count;
    int32_t flags;
    intptr_t reserved1;
    intptr_t reserved2;
    int32_t initial_delay;                  /* latency in frames */
    int32_t real_qualities;
    int32_t off_qualities;
    float io_ratio;
    void *object;                           /* the plugin's */
    void *user;                             /* the host's: our dp_vst2_host */
    int32_t unique_id;
    int32_t version;
    dp_vst2_process_fn process_replacing;
    dp_vst2_process_double_fn process_double_replacing;
    char future[56];
};

#define DP_VST2_MAGIC 0x56737450 /* 'VstP' */

/* Effect flags. */
enum dp_vst2_flag {
    DP_VST2_FLAG_HAS_EDITOR = 1 << 0,
    DP_VST2_FLAG_CAN_REPLACING = 1 << 4,
    DP_VST2_FLAG_PROGRAM_CHUNKS = 1 << 5,
    DP_VST2_FLAG_IS_SYNTH = 1 << 8,
    DP_VST2_FLAG_NO_SOUND_IN_STOP = 1 << 9,
    DP_VST2_FLAG_CAN_DOUBLE_REPLACING = 1 << 12,
};

/* Dispatcher opcodes (host to plugin). */
enum dp_vst2_opcode {
    DP_VST2_OPEN = 0,
    DP_VST2_CLOSE = 1,
    DP_VST2_SET_PROGRAM = 2,
    DP_VST2_GET_PROGRAM = 3,
    DP_VST2_GET_PROGRAM_NAME = 5,
    DP_VST2_GET_PARAM_LABEL = 6,
    DP_VST2_GET_PARAM_DISPLAY = 7,
    DP_VST2_GET_PARAM_NAME = 8,
    DP_VST2_SET_SAMPLE_RATE = 10,
    DP_VST2_SET_BLOCK_SIZE = 11,
    DP_VST2_MAINS_CHANGED = 12,
    DP_VST2_EDIT_GET_RECT = 13,
    DP_VST2_EDIT_OPEN = 14,
    DP_VST2_EDIT_CLOSE = 15,
    DP_VST2_EDIT_IDLE = 19,
    DP_VST2_GET_CHUNK = 23,
    DP_VST2_SET_CHUNK = 24,
    DP_VST2_CAN_BE_AUTOMATED = 26,
    DP_VST2_STRING_TO_PARAMETER = 27,
    DP_VST2_GET_PROGRAM_NAME_INDEXED = 29,
    DP_VST2_GET_PLUG_CATEGORY = 35,
    DP_VST2_SET_BYPASS = 44,
    DP_VST2_GET_EFFECT_NAME = 45,
    DP_VST2_GET_VENDOR_STRING = 47,
    DP_VST2_GET_PRODUCT_STRING = 48,
    DP_VST2_GET_VENDOR_VERSION = 49,
    DP_VST2_CAN_DO = 51,
    DP_VST2_GET_TAIL_SIZE = 52,
    DP_VST2_GET_PARAMETER_PROPERTIES = 56,
    DP_VST2_GET_VST_VERSION = 58,
    DP_VST2_SHELL_GET_NEXT_PLUGIN = 70,
    DP_VST2_START_PROCESS = 71,
    DP_VST2_STOP_PROCESS = 72,
    DP_VST2_SET_PROCESS_PRECISION = 77,
};

/* Host callback opcodes (plugin to host). */
enum dp_vst2_host_opcode {
    DP_VST2_HOST_AUTOMATE = 0,
    DP_VST2_HOST_VERSION = 1,
    DP_VST2_HOST_CURRENT_ID = 2,
    DP_VST2_HOST_IDLE = 3,
    DP_VST2_HOST_WANT_MIDI = 6,
    DP_VST2_HOST_GET_TIME = 7,
    DP_VST2_HOST_PROCESS_EVENTS = 8,
    DP_VST2_HOST_IO_CHANGED = 13,
    DP_VST2_HOST_SIZE_WINDOW = 15,
    DP_VST2_HOST_GET_SAMPLE_RATE = 16,
    DP_VST2_HOST_GET_BLOCK_SIZE = 17,
    DP_VST2_HOST_GET_INPUT_LATENCY = 18,
    DP_VST2_HOST_GET_OUTPUT_LATENCY = 19,
    DP_VST2_HOST_GET_CURRENT_PROCESS_LEVEL = 23,
    DP_VST2_HOST_GET_AUTOMATION_STATE = 24,
    DP_VST2_HOST_GET_VENDOR_STRING = 32,
    DP_VST2_HOST_GET_PRODUCT_STRING = 33,
    DP_VST2_HOST_GET_VENDOR_VERSION = 34,
    DP_VST2_HOST_CAN_DO = 37,
    DP_VST2_HOST_GET_LANGUAGE = 38,
    DP_VST2_HOST_UPDATE_DISPLAY = 42,
    DP_VST2_HOST_BEGIN_EDIT = 43,
    DP_VST2_HOST_END_EDIT = 44,
};

/* Plug categories (DP_VST2_GET_PLUG_CATEGORY). */
enum dp_vst2_category {
    DP_VST2_CATEGORY_UNKNOWN = 0,
    DP_VST2_CATEGORY_EFFECT = 1,
    DP_VST2_CATEGORY_SYNTH = 2,
    DP_VST2_CATEGORY_ANALYSIS = 3,
    DP_VST2_CATEGORY_SHELL = 10,
    DP_VST2_CATEGORY_GENERATOR = 11,
};

/* Process levels (DP_VST2_HOST_GET_CURRENT_PROCESS_LEVEL). */
enum dp_vst2_level {
    DP_VST2_LEVEL_USER = 1,     /* a non-real-time thread of the host */
    DP_VST2_LEVEL_REALTIME = 2, /* the audio thread */
    DP_VST2_LEVEL_OFFLINE = 4,  /* rendering files */
};

/** What DP_VST2_GET_PARAMETER_PROPERTIES fills. */
typedef struct {
    float step;
    float small_step;
    float large_step;
    char label[64];
    int32_t flags;
    int32_t min_integer;
    int32_t max_integer;
    int32_t step_integer;
    int32_t large_step_integer;
    char short_label[8];
    int16_t display_index;
    int16_t category;
    int16_t parameters_in_category;
    int16_t reserved;
    char category_label[24];
    char future[16];
} dp_vst2_parameter_properties;

enum dp_vst2_parameter_flag {
    DP_VST2_PARAM_IS_SWITCH = 1 << 0,
    DP_VST2_PARAM_USES_INTEGER_MIN_MAX = 1 << 1,
    DP_VST2_PARAM_USES_FLOAT_STEP = 1 << 2,
    DP_VST2_PARAM_USES_INT_STEP = 1 << 3,
};

/** The longest strings the format names; plugins overrun them, so hosts pass larger buffers (this size). */
#define DP_VST2_STRING_BUFFER 256

/**
 * The host's side of one plugin instance: what the callback answers with, and what it tells us. The
 * plugin reaches it through `effect->user`, set right after the entry returns (before then the callback
 * answers from the values of the call that is loading it).
 */
/** An editor's rectangle (`effEditGetRect` points the host at one of the plugin's): 16-bit edges. */
typedef struct dp_vst2_rect {
    int16_t top;
    int16_t left;
    int16_t bottom;
    int16_t right;
} dp_vst2_rect;

typedef struct dp_vst2_host {
    double sample_rate;
    int32_t block_size;
    /** Rendering files (process level "offline"), not live. */
    int32_t offline;
    /** Set when the plugin says its inputs, outputs or latency changed (any thread). */
    atomic_int io_changed;
    /** Where the plugin's editor reports: a parameter moved (audioMasterAutomate, normalized), a gesture
        (begin/end edit), a new size (sizeWindow). NULL: nobody listens. */
    dp_editor_queue *editor;
} dp_vst2_host;

/**
 * Calls the entry `entry` with our callback and returns the effect (or NULL), with `host` answering
 * while it loads; `shell_id` answers the "current id" question a shell plugin asks to pick one of its
 * plugins (0: none). Entries are serialized: the callback has no instance to answer from before the
 * entry returns.
 */
dp_vst2_effect *dp_vst2_load(dp_vst2_entry_fn entry, dp_vst2_host *host, int32_t shell_id);

/** The dispatcher, through the effect (for Swift, which cannot call a C function pointer it reads
    from a struct field without a cast). */
intptr_t dp_vst2_dispatch(dp_vst2_effect *effect, int32_t opcode, int32_t index, intptr_t value, void *ptr, float opt);

/** processReplacing (or processDoubleReplacing through `scratch`, frames * channels doubles each way,
    for plugins that only have that), with this thread marked as the audio thread for the callback's
    process level. Real-time safe as far as the plugin is. */
void dp_vst2_process(dp_vst2_effect *effect, float **inputs, float **outputs, int32_t frames, double **scratch_in,
                     double **scratch_out);

void dp_vst2_set_parameter(dp_vst2_effect *effect, int32_t index, float value);
float dp_vst2_get_parameter(dp_vst2_effect *effect, int32_t index);

#endif
