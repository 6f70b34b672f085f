/*
 * Which thread is DirectPipe's plugin thread (PluginThread.swift): the one CLAP's thread-check calls the main
 * thread, and the only one that makes non-audio calls into VST2, VST3 and CLAP plugins.
 */
#ifndef DIRECTPIPE_PLUGIN_THREAD_H
#define DIRECTPIPE_PLUGIN_THREAD_H

#include <stdbool.h>

/** Marks the calling thread as the plugin thread (called once, by that thread). */
void dp_plugin_thread_enter(void);
/** True on the plugin thread. */
bool dp_plugin_thread_is_current(void);
/** A non-blocking, close-on-exec eventfd: how a caller wakes the plugin thread from its poll (-1 on failure). */
int dp_plugin_thread_make_wake_fd(void);

#endif
