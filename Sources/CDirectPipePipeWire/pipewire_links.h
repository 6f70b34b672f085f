/* Internal: how a DirectPipe node links its own ports (see pipewire_links.c). */
#ifndef DIRECTPIPE_PIPEWIRE_LINKS_H
#define DIRECTPIPE_PIPEWIRE_LINKS_H

#include <pipewire/core.h>

#include "directpipe_pipewire.h"

typedef struct dp_pw_links dp_pw_links;

/** Called when a session manager joins while our virtual source exists: the owner makes the source
    anew, since WirePlumber cannot take over an adapter another manager instance configured. */
typedef void (*dp_pw_renew_fn)(void *user);

/** Starts watching the graph on `core` (call on its loop thread, or with the loop locked). */
dp_pw_links *dp_pw_links_new(struct pw_core *core, const dp_pw_node_config *config, dp_pw_renew_fn renew, void *user);

/** Our node's id, once the daemon has given it; linking starts then. */
void dp_pw_links_set_own_node(dp_pw_links *links, uint32_t node_id);

/** Makes `name` the session's default source (configured and current) once the "default" metadata
    is there, remembering what it was; `dp_pw_links_free` puts that back. A default source that is
    `name` itself is never a capture target: the previous default is used instead. */
void dp_pw_links_make_default_source(dp_pw_links *links, const char *name);

int dp_pw_links_target_present(dp_pw_links *links, uint32_t group);
uint32_t dp_pw_links_linked_ports(dp_pw_links *links, uint32_t group);

/** Puts back the default source it replaced, if it made its own the default (loop running, locked). */
void dp_pw_links_restore_default_source(dp_pw_links *links);

/** Stops watching and destroys the links it made (with the loop locked). */
void dp_pw_links_free(dp_pw_links *links);

#endif
