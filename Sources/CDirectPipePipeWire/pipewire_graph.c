/* Questions about the PipeWire graph from a short-lived connection: is a
   daemon there, and which audio nodes does it have. */
#define _GNU_SOURCE /* the SPA headers use newlocale and friends */
#include "directpipe_pipewire.h"
#include "pipewire_init.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pipewire/pipewire.h>
#include <spa/utils/result.h>

struct listing {
    struct pw_main_loop *loop;
    struct pw_core *core;
    dp_pw_node_visitor visit;
    void *user;
    int sync;
};

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
                      const struct spa_dict *props) {
    (void)permissions, (void)version;
    struct listing *listing = data;
    if (!props || strcmp(type, PW_TYPE_INTERFACE_Node) != 0) return;
    const char *media_class = spa_dict_lookup(props, PW_KEY_MEDIA_CLASS);
    if (!media_class || !strstr(media_class, "Audio")) return;
    const char *name = spa_dict_lookup(props, PW_KEY_NODE_NAME);
    const char *description = spa_dict_lookup(props, PW_KEY_NODE_DESCRIPTION);
    if (!description) description = spa_dict_lookup(props, PW_KEY_NODE_NICK);
    if (listing->visit) listing->visit(listing->user, id, name ? name : "", description, media_class);
}

static const struct pw_registry_events registry_events = {
    PW_VERSION_REGISTRY_EVENTS,
    .global = on_global,
};

static void on_done(void *data, uint32_t id, int seq) {
    struct listing *listing = data;
    if (id == PW_ID_CORE && seq == listing->sync) pw_main_loop_quit(listing->loop);
}

static void on_error(void *data, uint32_t id, int seq, int res, const char *message) {
    (void)id, (void)seq, (void)res, (void)message;
    struct listing *listing = data;
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
    struct listing listing = {.visit = visit, .user = user};
    listing.loop = pw_main_loop_new(NULL);
    if (!listing.loop) {
        if (error && error_size) snprintf(error, error_size, "could not create a PipeWire loop");
        return -1;
    }
    struct pw_context *context = pw_context_new(pw_main_loop_get_loop(listing.loop), NULL, 0);
    listing.core = context ? pw_context_connect(context, NULL, 0) : NULL;
    if (!listing.core) {
        if (error && error_size) snprintf(error, error_size, "no PipeWire daemon answers: %s", spa_strerror(-errno));
        if (context) pw_context_destroy(context);
        pw_main_loop_destroy(listing.loop);
        return -1;
    }
    struct spa_hook core_listener, registry_listener;
    spa_zero(core_listener), spa_zero(registry_listener);
    pw_core_add_listener(listing.core, &core_listener, &core_events, &listing);
    struct pw_registry *registry = pw_core_get_registry(listing.core, PW_VERSION_REGISTRY, 0);
    pw_registry_add_listener(registry, &registry_listener, &registry_events, &listing);
    listing.sync = pw_core_sync(listing.core, PW_ID_CORE, 0);
    /* A daemon that accepts the connection but never answers must not hang `devices`. */
    struct spa_source *timer = pw_loop_add_timer(pw_main_loop_get_loop(listing.loop), on_timeout, &listing);
    struct timespec timeout = {.tv_sec = 2};
    pw_loop_update_timer(pw_main_loop_get_loop(listing.loop), timer, &timeout, NULL, false);
    pw_main_loop_run(listing.loop);
    spa_hook_remove(&registry_listener);
    spa_hook_remove(&core_listener);
    pw_proxy_destroy((struct pw_proxy *)registry);
    pw_core_disconnect(listing.core);
    pw_context_destroy(context);
    pw_main_loop_destroy(listing.loop);
    return 0;
}

int dp_pw_daemon_available(void) {
    return dp_pw_list_nodes(NULL, NULL, NULL, 0) == 0;
}
