/*
 * The DirectPipe test plugin, as DPF builds it into LV2, LADSPA, VST2, VST3 and CLAP (DPF's own
 * implementations of each format, not DirectPipe's): what every format must then show alike.
 */
#ifndef DISTRHO_PLUGIN_INFO_H_INCLUDED
#define DISTRHO_PLUGIN_INFO_H_INCLUDED

#define DISTRHO_PLUGIN_BRAND "DirectPipe"
#define DISTRHO_PLUGIN_NAME "DirectPipe Test Filter"
#define DISTRHO_PLUGIN_URI "urn:directpipe:test-filter"
#define DISTRHO_PLUGIN_CLAP_ID "org.directpipe.test-filter"

#define DISTRHO_PLUGIN_NUM_INPUTS 2
#define DISTRHO_PLUGIN_NUM_OUTPUTS 2
#define DISTRHO_PLUGIN_IS_RT_SAFE 1
#define DISTRHO_PLUGIN_HAS_UI 0
#define DISTRHO_PLUGIN_WANT_LATENCY 1
#ifdef DPTEST_NO_STATE /* the LADSPA build: LADSPA has no state, so this build of the plugin keeps none */
#define DISTRHO_PLUGIN_WANT_STATE 0
#define DISTRHO_PLUGIN_WANT_FULL_STATE 0
#else
#define DISTRHO_PLUGIN_WANT_STATE 1
#define DISTRHO_PLUGIN_WANT_FULL_STATE 1
#endif
#define DISTRHO_PLUGIN_WANT_PROGRAMS 0

#define DISTRHO_PLUGIN_LV2_CATEGORY "lv2:FilterPlugin"
#define DISTRHO_PLUGIN_VST3_CATEGORIES "Fx|Filter|Stereo"
#define DISTRHO_PLUGIN_CLAP_FEATURES "audio-effect", "filter", "stereo"

#endif
