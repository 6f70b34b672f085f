/* Questions about the PipeWire graph from a short-lived connection: is a
   daemon there, and which audio nodes does it have. */
#define _GNU_SOURCE /* the SPA headers use newlocale and friends */
#include "directpipe_pipewire.h"
#include "pipewire_init.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>
#include <spa/utils/result.h>

#define MAX_NODES 256

/* A node bound for its full properties (the registry's global carries only a few). */
struct bound_node {
    struct pw_proxy *proxy;
    struct spa_hook listener;
    struct listing *listing;
    uint32_t id;
    int reported;
};

struct listing {
    struct pw_main_loop *loop;
    struct pw_core *core;
    struct pw_registry *registry;
    dp_pw_node_visitor visit;
    void *user;
    int sync, second_sync;
    int answered;       /* the second round trip came back: the listing is whole */
    char failure[256];  /* the daemon's error for the connection, if it sent one */
    struct bound_node nodes[MAX_NODES];
    int node_count;
};

static uint32_t number(const struct spa_dict *props, const char *key) {
    const char *value = spa_dict_lookup(props, key);
    return value ? (uint32_t)strtoul(value, NULL, 10) : 0;
}

static void on_node_info(void *data, const struct pw_node_info *info) {
    struct bound_node *node = data;
    const struct spa_dict *props = info->props;
    if (node->reported || !props || !node->listing->visit) return;
    node->reported = 1;
    const char *name = spa_dict_lookup(props, PW_KEY_NODE_NAME);
    const char *description = spa_dict_lookup(props, PW_KEY_NODE_DESCRIPTION);
    if (!description) description = spa_dict_lookup(props, PW_KEY_NODE_NICK);
    node->listing->visit(node->listing->user, node->id, name ? name : "", description,
                         spa_dict_lookup(props, PW_KEY_MEDIA_CLASS), number(props, PW_KEY_AUDIO_CHANNELS),
                         number(props, PW_KEY_AUDIO_RATE));
}

static const struct pw_node_events node_events = {
    PW_VERSION_NODE_EVENTS,
    .info = on_node_info,
};

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
                      const struct spa_dict *props) {
    (void)permissions, (void)version;
    struct listing *listing = data;
    if (!props || strcmp(type, PW_TYPE_INTERFACE_Node) != 0 || listing->node_count == MAX_NODES) return;
    const char *media_class = spa_dict_lookup(props, PW_KEY_MEDIA_CLASS);
    if (!media_class || !strstr(media_class, "Audio")) return;
    struct bound_node *node = &listing->nodes[listing->node_count];
    node->proxy = pw_registry_bind(listing->registry, id, PW_TYPE_INTERFACE_Node, PW_VERSION_NODE, 0);
    if (!node->proxy) return;
    node->listing = listing;
    node->id = id;
    pw_proxy_add_object_listener(node->proxy, &node->listener, &node_events, node);
    listing->node_count++;
}

static const struct pw_registry_events registry_events = {
    PW_VERSION_REGISTRY_EVENTS,
    .global = on_global,
};

/* The first round trip brings the globals (and binds the nodes), the second their infos. */
static void on_done(void *data, uint32_t id, int seq) {
    struct listing *listing = data;
    if (id != PW_ID_CORE) return;
    if (seq == listing->sync) listing->second_sync = pw_core_sync(listing->core, PW_ID_CORE, 0);
    else if (seq == listing->second_sync) {
        listing->answered = 1;
        pw_main_loop_quit(listing->loop);
    }
}

/* Only an error of the connection itself ends the listing: one bound node refusing its info (a permission)
   leaves that node out. */
static void on_error(void *data, uint32_t id, int seq, int res, const char *message) {
    (void)seq;
    struct listing *listing = data;
    if (id != PW_ID_CORE) return;
    snprintf(listing->failure, sizeof listing->failure, "%s", message ? message : spa_strerror(res));
    pw_main_loop_quit(listing->loop);
}

static const struct pw_core_events core_events = {
    PW_VERSION_CORE_EVENTS,
    .done = on_done,
    .error = on_error,
};

static void on_timeout(void *data, uint64_t expirations) {
    (void)expirations;
    pw_main_loop_quit(((struct listing *)data)->loop);
}

int dp_pw_list_nodes(dp_pw_node_visitor visit, void *user, char *error, size_t error_size) {
    dp_pw_init_once();
    struct listing *listing = calloc(1, sizeof *listing); /* large: the bound nodes */
    if (!listing) {
        if (error && error_size) snprintf(error, error_size, "out of memory");
        return -1;
    }
    listing->visit = visit;
    listing->user = user;
    listing->loop = pw_main_loop_new(NULL);
    if (!listing->loop) {
        if (error && error_size) snprintf(error, error_size, "could not create a PipeWire loop");
        free(listing);
        return -1;
    }
    struct pw_context *context = pw_context_new(pw_main_loop_get_loop(listing->loop), NULL, 0);
    listing->core = context ? pw_context_connect(context, NULL, 0) : NULL;
    if (!listing->core) {
        if (error && error_size) snprintf(error, error_size, "no PipeWire daemon answers: %s", spa_strerror(-errno));
        if (context) pw_context_destroy(context);
        pw_main_loop_destroy(listing->loop);
        free(listing);
        return -1;
    }
    struct spa_hook core_listener, registry_listener;
    spa_zero(core_listener), spa_zero(registry_listener);
    pw_core_add_listener(listing->core, &core_listener, &core_events, listing);
    struct pw_registry *registry = pw_core_get_registry(listing->core, PW_VERSION_REGISTRY, 0);
    listing->registry = registry;
    if (registry) {
        pw_registry_add_listener(registry, &registry_listener, &registry_events, listing);
        listing->sync = pw_core_sync(listing->core, PW_ID_CORE, 0);
        /* A daemon that accepts the connection but never answers must not hang `devices`. */
        struct spa_source *timer = pw_loop_add_timer(pw_main_loop_get_loop(listing->loop), on_timeout, listing);
        struct timespec timeout = {.tv_sec = 2};
        pw_loop_update_timer(pw_main_loop_get_loop(listing->loop), timer, &timeout, NULL, false);
        pw_main_loop_run(listing->loop);
        for (int i = 0; i < listing->node_count; i++) {
            spa_hook_remove(&listing->nodes[i].listener);
            pw_proxy_destroy(listing->nodes[i].proxy);
        }
        spa_hook_remove(&registry_listener);
        pw_proxy_destroy((struct pw_proxy *)registry);
    } else {
        snprintf(listing->failure, sizeof listing->failure, "no PipeWire registry: %s", spa_strerror(-errno));
    }
    spa_hook_remove(&core_listener);
    pw_core_disconnect(listing->core);
    pw_context_destroy(context);
    pw_main_loop_destroy(listing->loop);
    int answered = listing->answered;
    if (!answered && error && error_size)
        snprintf(error, error_size, "%s", listing->failure[0] ? listing->failure : "the PipeWire daemon did not answer within 2 s");
    free(listing);
    return answered ? 0 : -1;
}

int dp_pw_daemon_available(void) {
    return dp_pw_list_nodes(NULL, NULL, NULL, 0) == 0;
}
