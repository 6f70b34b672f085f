/* Internal: how a DirectPipe node links its own ports (see pipewire_links.c). */
#ifndef DIRECTPIPE_PIPEWIRE_LINKS_H
#define DIRECTPIPE_PIPEWIRE_LINKS_H

#include <pipewire/core.h>

#include "directpipe_pipewire.h"

typedef struct dp_pw_links dp_pw_links;

/** Starts watching the graph on `core` (call on its loop thread, or with the loop locked). */
dp_pw_links *dp_pw_links_new(struct pw_core *core, const dp_pw_node_config *config);

/** Our node's id, once the daemon has given it; linking starts then. */
void dp_pw_links_set_own_node(dp_pw_links *links, uint32_t node_id);

int dp_pw_links_target_present(dp_pw_links *links, uint32_t group);
uint32_t dp_pw_links_linked_ports(dp_pw_links *links, uint32_t group);

/** Stops watching and destroys the links it made (with the loop locked). */
void dp_pw_links_free(dp_pw_links *links);

#endif
