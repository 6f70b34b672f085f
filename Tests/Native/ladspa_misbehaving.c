/*
 * LADSPA plugins that misbehave, for the scanner's and the chain's tests.
 * Built once per MODE by scripts/build-native.sh:
 *   GOOD        label dp_gain: output = input × gain (a well-behaved plugin beside the bad ones)
 *   NAN         label dp_nan: turns to NaN after 1000 frames
 *   CRASH       label dp_crash: instantiate dereferences NULL (SIGSEGV)
 *   HANG        label dp_hang: run never returns
 *   LOAD_CRASH  ladspa_descriptor itself aborts (the library cannot even be listed)
 */
#include <ladspa.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(GOOD)
#define LABEL "dp_gain"
#elif defined(NAN_OUTPUT)
#define LABEL "dp_nan"
#elif defined(CRASH)
#define LABEL "dp_crash"
#elif defined(HANG)
#define LABEL "dp_hang"
#else
#define LABEL "dp_load_crash"
#endif

typedef struct {
    LADSPA_Data *gain, *input, *output;
    unsigned long frames;
} Plugin;

static LADSPA_Handle instantiate(const LADSPA_Descriptor *descriptor, unsigned long rate) {
    (void)descriptor;
    (void)rate;
#if defined(CRASH)
    raise(SIGSEGV);
#endif
    return calloc(1, sizeof(Plugin));
}

static void connect_port(LADSPA_Handle handle, unsigned long port, LADSPA_Data *data) {
    Plugin *plugin = handle;
    if (port == 0) plugin->gain = data;
    if (port == 1) plugin->input = data;
    if (port == 2) plugin->output = data;
}

static void run(LADSPA_Handle handle, unsigned long frames) {
    Plugin *plugin = handle;
#if defined(HANG)
    for (;;) pause();
#endif
    for (unsigned long i = 0; i < frames; i++) {
        float value = plugin->input[i] * *plugin->gain;
#if defined(NAN_OUTPUT)
        if (plugin->frames + i >= 1000) value = NAN;
#endif
        plugin->output[i] = value;
    }
    plugin->frames += frames;
}

static void cleanup(LADSPA_Handle handle) { free(handle); }

static const LADSPA_PortDescriptor ports[] = {
    LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL, LADSPA_PORT_INPUT | LADSPA_PORT_AUDIO, LADSPA_PORT_OUTPUT | LADSPA_PORT_AUDIO};
static const char *const names[] = {"Gain", "Input", "Output"};
static const LADSPA_PortRangeHint hints[] = {
    {LADSPA_HINT_BOUNDED_BELOW | LADSPA_HINT_BOUNDED_ABOVE | LADSPA_HINT_DEFAULT_1, 0, 4}, {0, 0, 0}, {0, 0, 0}};

static const LADSPA_Descriptor descriptor = {
    .UniqueID = 9990, .Label = LABEL, .Properties = LADSPA_PROPERTY_HARD_RT_CAPABLE, .Name = "DirectPipe test " LABEL,
    .Maker = "DirectPipe tests", .Copyright = "None", .PortCount = 3, .PortDescriptors = ports, .PortNames = names,
    .PortRangeHints = hints, .instantiate = instantiate, .connect_port = connect_port, .run = run, .cleanup = cleanup};

const LADSPA_Descriptor *ladspa_descriptor(unsigned long index) {
#if defined(LOAD_CRASH)
    abort();
#endif
    return index == 0 ? &descriptor : NULL;
}
