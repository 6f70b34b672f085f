/* The plugin thread's mark: a thread-local flag, readable from any plugin callback without a lock. */
#include "directpipe_plugin_thread.h"

#include <sys/eventfd.h>

static __thread bool on_plugin_thread;

void dp_plugin_thread_enter(void) { on_plugin_thread = true; }

bool dp_plugin_thread_is_current(void) { return on_plugin_thread; }

int dp_plugin_thread_make_wake_fd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }
