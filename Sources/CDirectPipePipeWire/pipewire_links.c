/*
 * A DirectPipe node links its own ports, as a JACK client connects its own:
 * it watches the registry (nodes, ports, links, the "default" metadata) and,
 * whenever the graph changes, links each port group to its target node,
 * channel by channel. So capture works with WirePlumber and without any
 * session manager, and a source that is removed and comes back is linked
 * again. Runs on the node's loop thread only; nothing here is real-time.
 */
#define _GNU_SOURCE /* the SPA headers use newlocale and friends */
#include "pipewire_links.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/extensions/metadata.h>
#include <pipewire/pipewire.h>
#pragma GCC diagnostic push /* SPA's inline JSON parser is not -Wextra clean */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <spa/utils/json.h>
#pragma GCC diagnostic pop

#define NAME_SIZE 256

struct tracked_node {
    uint32_t id;
    char name[NAME_SIZE];
};

struct tracked_port {
    uint32_t id, node_id;
    int is_output, is_monitor;
    char name[NAME_SIZE];
    char channel[32];
};

struct tracked_link {
    uint32_t id, output_port, input_port;
};

/* A link this node asked for; the proxy keeps it alive (object.linger=false). Allocated one by
   one: the proxy's listener hook must not move. */
struct own_link {
    struct pw_proxy *proxy;
    struct spa_hook listener;
    uint32_t output_port, input_port;
    int wanted; /* still wanted after this relink pass */
    int failed; /* the daemon refused it */
};

struct group {
    int is_output;
    uint32_t count;
    char target[NAME_SIZE];
    char port_names[DP_PW_MAX_PORTS][NAME_SIZE];
    char channels[DP_PW_MAX_PORTS][32];
    _Atomic int target_present;
    _Atomic uint32_t linked;
};

struct dp_pw_links {
    struct pw_core *core;
    struct pw_registry *registry;
    struct spa_hook registry_listener;
    struct pw_metadata *metadata;
    struct spa_hook metadata_listener;
    uint32_t metadata_id;
    uint32_t own_node;
    char default_source[NAME_SIZE], default_sink[NAME_SIZE];
    /* Making our own virtual source the default: its name, and the values it replaced (raw JSON). */
    char own_default[NAME_SIZE];
    char replaced_configured[NAME_SIZE], replaced_current[NAME_SIZE];
    int default_set;
    struct group groups[DP_PW_MAX_GROUPS];
    uint32_t group_count;
    struct tracked_node *nodes;
    size_t node_count, node_capacity;
    struct tracked_port *ports;
    size_t port_count, port_capacity;
    struct tracked_link *links;
    size_t link_count, link_capacity;
    struct own_link **own;
    size_t own_count, own_capacity;
    /* Our own virtual source, and holding off linking it while a session manager configures it:
       WirePlumber's activation of an adapter stalls for good if the adapter is linked meanwhile. */
    char virtual_source[NAME_SIZE];
    uint32_t session_manager_clients[8];
    int session_managers;
    int holding, hold_saw_removal;
    struct spa_source *hold_timer;
    dp_pw_renew_fn renew_virtual_source;
    void *renew_user;
};

/* Appends one zeroed element to a growing array; NULL when out of memory. */
static void *grow(void **array, size_t *count, size_t *capacity, size_t size) {
    if (*count == *capacity) {
        size_t next = *capacity ? *capacity * 2 : 16;
        void *bigger = realloc(*array, next * size);
        if (!bigger) return NULL;
        *array = bigger, *capacity = next;
    }
    void *element = (char *)*array + (*count)++ * size;
    memset(element, 0, size);
    return element;
}

static void copy(char *to, const char *from, size_t size) { snprintf(to, size, "%s", from ? from : ""); }

static const struct tracked_node *find_node(dp_pw_links *links, const char *name_or_id) {
    char *end;
    unsigned long id = strtoul(name_or_id, &end, 10);
    int by_id = *name_or_id && *end == '\0';
    for (size_t i = 0; i < links->node_count; i++) {
        const struct tracked_node *node = &links->nodes[i];
        if (node->id == links->own_node) continue;
        if (by_id ? node->id == id : strcmp(node->name, name_or_id) == 0) return node;
    }
    return NULL;
}

static const struct tracked_port *find_port(dp_pw_links *links, uint32_t id) {
    for (size_t i = 0; i < links->port_count; i++)
        if (links->ports[i].id == id) return &links->ports[i];
    return NULL;
}

static int link_exists(dp_pw_links *links, uint32_t output_port, uint32_t input_port) {
    for (size_t i = 0; i < links->link_count; i++)
        if (links->links[i].output_port == output_port && links->links[i].input_port == input_port) return 1;
    for (size_t i = 0; i < links->own_count; i++)
        if (!links->own[i]->failed && links->own[i]->output_port == output_port && links->own[i]->input_port == input_port)
            return 1;
    return 0;
}

static int port_is_linked(dp_pw_links *links, uint32_t port) {
    for (size_t i = 0; i < links->link_count; i++)
        if (links->links[i].output_port == port || links->links[i].input_port == port) return 1;
    return 0;
}

static void destroy_own(dp_pw_links *links, size_t index) {
    struct own_link *own = links->own[index];
    spa_hook_remove(&own->listener);
    pw_proxy_destroy(own->proxy);
    free(own);
    links->own[index] = links->own[--links->own_count];
}

static void on_link_error(void *data, int seq, int res, const char *message) {
    (void)seq, (void)res, (void)message;
    ((struct own_link *)data)->failed = 1;
}

static const struct pw_proxy_events link_events = {
    PW_VERSION_PROXY_EVENTS,
    .error = on_link_error,
};

static void create_link(dp_pw_links *links, const struct tracked_port *output, const struct tracked_port *input) {
    struct own_link *own = calloc(1, sizeof *own);
    struct own_link **slot = own ? grow((void **)&links->own, &links->own_count, &links->own_capacity, sizeof *slot) : NULL;
    if (!slot) {
        free(own);
        return;
    }
    *slot = own;
    struct pw_properties *props = pw_properties_new(NULL, NULL);
    pw_properties_setf(props, PW_KEY_LINK_OUTPUT_NODE, "%u", output->node_id);
    pw_properties_setf(props, PW_KEY_LINK_OUTPUT_PORT, "%u", output->id);
    pw_properties_setf(props, PW_KEY_LINK_INPUT_NODE, "%u", input->node_id);
    pw_properties_setf(props, PW_KEY_LINK_INPUT_PORT, "%u", input->id);
    pw_properties_set(props, PW_KEY_OBJECT_LINGER, "false");
    own->proxy = pw_core_create_object(links->core, "link-factory", PW_TYPE_INTERFACE_Link, PW_VERSION_LINK,
                                       &props->dict, 0);
    pw_properties_free(props);
    own->output_port = output->id, own->input_port = input->id;
    if (own->proxy) {
        pw_proxy_add_listener(own->proxy, &own->listener, &link_events, own);
    } else {
        links->own_count--;
        free(own);
    }
}

/* The peer port for our port `index` (channel `channel`): the same channel if the target has it,
   else the same position, else its only port (a mono microphone feeds every input). */
static const struct tracked_port *peer_port(const struct tracked_port **theirs, size_t count, uint32_t index,
                                            const char *channel) {
    for (size_t i = 0; i < count; i++)
        if (theirs[i]->channel[0] && strcmp(theirs[i]->channel, channel) == 0) return theirs[i];
    if (index < count) return theirs[index];
    return count ? theirs[index % count] : NULL;
}

static int compare_ports(const void *a, const void *b) {
    uint32_t x = (*(const struct tracked_port *const *)a)->id, y = (*(const struct tracked_port *const *)b)->id;
    return x < y ? -1 : x > y;
}

/* "default.audio.source" holds {"name":"NODE"}. */
static void parse_default(const char *value, char *name, size_t size) {
    name[0] = '\0';
    if (!value) return;
    struct spa_json it[2];
    char key[64];
    spa_json_init(&it[0], value, strlen(value));
    if (spa_json_enter_object(&it[0], &it[1]) <= 0) return;
    while (spa_json_get_string(&it[1], key, sizeof key) > 0) {
        if (strcmp(key, "name") == 0) {
            spa_json_get_string(&it[1], name, (int)size);
            return;
        }
        const char *skip;
        if (spa_json_next(&it[1], &skip) <= 0) return;
    }
}

/* Makes the graph match the groups' targets: links what is missing, unlinks what we made that is
   no longer wanted (the default changed), and publishes what it found. */
static void relink(dp_pw_links *links) {
    if (links->own_node == SPA_ID_INVALID) return;
    /* Links the daemon refused are forgotten, so this pass may ask again where still wanted. */
    for (size_t i = links->own_count; i-- > 0;)
        if (links->own[i]->failed) destroy_own(links, i);
    for (size_t i = 0; i < links->own_count; i++) links->own[i]->wanted = 0;
    for (uint32_t g = 0; g < links->group_count; g++) {
        struct group *group = &links->groups[g];
        const char *target = group->target;
        char replaced[NAME_SIZE];
        if (strcmp(target, DP_PW_DEFAULT_SOURCE) == 0) {
            target = links->default_source;
            /* Never capture our own virtual source: while it is the default, capture the one it replaced. */
            if (links->own_default[0] && strcmp(target, links->own_default) == 0) {
                parse_default(links->replaced_current, replaced, NAME_SIZE);
                target = replaced;
            }
        }
        if (strcmp(target, DP_PW_DEFAULT_SINK) == 0) target = links->default_sink;
        const struct tracked_node *node = target[0] ? find_node(links, target) : NULL;
        atomic_store(&group->target_present, node != NULL);
        if (node && links->holding && strcmp(node->name, links->virtual_source) == 0) node = NULL;
        const struct tracked_port *theirs[64];
        size_t their_count = 0;
        /* Their ports the other way round; monitor ports only when there are no others (a virtual
           source's capture ports are monitors of what it is fed). */
        for (int monitors = 0; monitors < 2 && their_count == 0; monitors++) {
            for (size_t i = 0; node && i < links->port_count && their_count < 64; i++) {
                const struct tracked_port *port = &links->ports[i];
                if (port->node_id == node->id && port->is_output != group->is_output && port->is_monitor == monitors)
                    theirs[their_count++] = port;
            }
        }
        qsort(theirs, their_count, sizeof theirs[0], compare_ports);
        uint32_t linked = 0;
        for (uint32_t p = 0; p < group->count; p++) {
            const struct tracked_port *ours = NULL;
            for (size_t i = 0; i < links->port_count && !ours; i++)
                if (links->ports[i].node_id == links->own_node && strcmp(links->ports[i].name, group->port_names[p]) == 0)
                    ours = &links->ports[i];
            if (!ours) continue;
            const struct tracked_port *peer = peer_port(theirs, their_count, p, group->channels[p]);
            if (peer) {
                const struct tracked_port *output = group->is_output ? ours : peer;
                const struct tracked_port *input = group->is_output ? peer : ours;
                if (!link_exists(links, output->id, input->id)) create_link(links, output, input);
                for (size_t i = 0; i < links->own_count; i++)
                    if (links->own[i]->output_port == output->id && links->own[i]->input_port == input->id)
                        links->own[i]->wanted = 1;
            }
            if (port_is_linked(links, ours->id)) linked++;
        }
        atomic_store(&group->linked, linked);
    }
    for (size_t i = links->own_count; i-- > 0;)
        if (!links->own[i]->wanted) destroy_own(links, i);
}

static void set_default(dp_pw_links *links, const char *key, const char *json) {
    pw_metadata_set_property(links->metadata, PW_ID_CORE, key, json ? "Spa:String:JSON" : NULL, json);
}

/* Once the metadata is bound: our virtual source becomes the default. */
static void apply_own_default(dp_pw_links *links) {
    if (!links->metadata || !links->own_default[0] || links->default_set) return;
    char json[NAME_SIZE + 16];
    snprintf(json, sizeof json, "{ \"name\": \"%s\" }", links->own_default);
    set_default(links, "default.configured.audio.source", json);
    set_default(links, "default.audio.source", json); /* what clients follow, with no session manager too */
    links->default_set = 1;
}

/* Remembers what a default held before it was ours (values that do not name our own source). */
static void remember_replaced(dp_pw_links *links, const char *value, char *replaced) {
    char name[NAME_SIZE];
    parse_default(value, name, NAME_SIZE);
    if (links->own_default[0] && strcmp(name, links->own_default) == 0) return;
    copy(replaced, value, NAME_SIZE);
}

static int on_metadata_property(void *data, uint32_t subject, const char *key, const char *type, const char *value) {
    (void)type;
    dp_pw_links *links = data;
    if (subject != PW_ID_CORE) return 0;
    if (key && strcmp(key, "default.configured.audio.source") == 0) remember_replaced(links, value, links->replaced_configured);
    if (key && strcmp(key, "default.audio.source") == 0) remember_replaced(links, value, links->replaced_current);
    if (key == NULL || strcmp(key, "default.audio.source") == 0) parse_default(key ? value : NULL, links->default_source, NAME_SIZE);
    if (key == NULL || strcmp(key, "default.audio.sink") == 0) parse_default(key ? value : NULL, links->default_sink, NAME_SIZE);
    relink(links);
    return 0;
}

static const struct pw_metadata_events metadata_events = {
    PW_VERSION_METADATA_EVENTS,
    .property = on_metadata_property,
};

static const struct tracked_node *virtual_source_node(dp_pw_links *links) {
    return links->virtual_source[0] ? find_node(links, links->virtual_source) : NULL;
}

static void release_hold(dp_pw_links *links) {
    if (!links->holding) return;
    links->holding = 0;
    pw_loop_update_timer(pw_context_get_main_loop(pw_core_get_context(links->core)), links->hold_timer, NULL, NULL, false);
    relink(links);
}

static void on_hold_timeout(void *data, uint64_t expirations) {
    (void)expirations;
    release_hold(data); /* the session manager did not reconfigure it (or is slow): link anyway */
}

/* A session manager is (newly) there while our virtual source exists: unlink the source and wait
   until the manager has reconfigured its ports (removed and re-added them), or two seconds. */
static void hold_virtual_source(dp_pw_links *links) {
    const struct tracked_node *source = virtual_source_node(links);
    if (!source || links->session_managers == 0) return;
    for (size_t i = links->own_count; i-- > 0;) {
        const struct tracked_port *output = find_port(links, links->own[i]->output_port);
        const struct tracked_port *input = find_port(links, links->own[i]->input_port);
        if ((output && output->node_id == source->id) || (input && input->node_id == source->id)) destroy_own(links, i);
    }
    links->holding = 1;
    links->hold_saw_removal = 0;
    struct timespec timeout = {.tv_sec = 2};
    pw_loop_update_timer(pw_context_get_main_loop(pw_core_get_context(links->core)), links->hold_timer, &timeout, NULL, false);
}

static int is_session_manager(const struct spa_dict *props) {
    const char *name = spa_dict_lookup(props, PW_KEY_APP_NAME);
    return name && (strcmp(name, "WirePlumber") == 0 || strcmp(name, "pipewire-media-session") == 0);
}

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
                      const struct spa_dict *props) {
    (void)permissions, (void)version;
    dp_pw_links *links = data;
    if (!props) return;
    if (strcmp(type, PW_TYPE_INTERFACE_Client) == 0) {
        if (!is_session_manager(props) || links->session_managers == 8) return;
        links->session_manager_clients[links->session_managers++] = id;
        /* A manager restarted under a running source: make the source anew for it (hold comes with it). */
        if (virtual_source_node(links) && links->renew_virtual_source) links->renew_virtual_source(links->renew_user);
        return;
    }
    if (strcmp(type, PW_TYPE_INTERFACE_Node) == 0) {
        struct tracked_node *node = grow((void **)&links->nodes, &links->node_count, &links->node_capacity, sizeof *node);
        if (!node) return;
        node->id = id;
        copy(node->name, spa_dict_lookup(props, PW_KEY_NODE_NAME), NAME_SIZE);
        if (links->virtual_source[0] && strcmp(node->name, links->virtual_source) == 0) hold_virtual_source(links);
    } else if (strcmp(type, PW_TYPE_INTERFACE_Port) == 0) {
        const char *node_id = spa_dict_lookup(props, PW_KEY_NODE_ID);
        const char *direction = spa_dict_lookup(props, PW_KEY_PORT_DIRECTION);
        const char *monitor = spa_dict_lookup(props, PW_KEY_PORT_MONITOR);
        if (!node_id || !direction) return;
        struct tracked_port *port = grow((void **)&links->ports, &links->port_count, &links->port_capacity, sizeof *port);
        if (!port) return;
        port->id = id;
        port->node_id = (uint32_t)strtoul(node_id, NULL, 10);
        port->is_output = strcmp(direction, "out") == 0;
        port->is_monitor = monitor && strcmp(monitor, "true") == 0;
        copy(port->name, spa_dict_lookup(props, PW_KEY_PORT_NAME), NAME_SIZE);
        copy(port->channel, spa_dict_lookup(props, PW_KEY_AUDIO_CHANNEL), sizeof port->channel);
        /* Ports coming back after the manager removed them: it has reconfigured our virtual source. */
        const struct tracked_node *source = virtual_source_node(links);
        if (links->holding && links->hold_saw_removal && source && port->node_id == source->id) {
            release_hold(links);
            return;
        }
    } else if (strcmp(type, PW_TYPE_INTERFACE_Link) == 0) {
        const char *output = spa_dict_lookup(props, PW_KEY_LINK_OUTPUT_PORT);
        const char *input = spa_dict_lookup(props, PW_KEY_LINK_INPUT_PORT);
        if (!output || !input) return;
        struct tracked_link *link = grow((void **)&links->links, &links->link_count, &links->link_capacity, sizeof *link);
        if (!link) return;
        link->id = id;
        link->output_port = (uint32_t)strtoul(output, NULL, 10);
        link->input_port = (uint32_t)strtoul(input, NULL, 10);
    } else if (strcmp(type, PW_TYPE_INTERFACE_Metadata) == 0 && !links->metadata) {
        const char *name = spa_dict_lookup(props, PW_KEY_METADATA_NAME);
        if (!name || strcmp(name, "default") != 0) return;
        links->metadata = pw_registry_bind(links->registry, id, PW_TYPE_INTERFACE_Metadata, PW_VERSION_METADATA, 0);
        links->metadata_id = id;
        if (links->metadata) pw_metadata_add_listener(links->metadata, &links->metadata_listener, &metadata_events, links);
        apply_own_default(links);
        return;
    } else {
        return;
    }
    relink(links);
}

static void on_global_remove(void *data, uint32_t id) {
    dp_pw_links *links = data;
    for (int i = 0; i < links->session_managers; i++)
        if (links->session_manager_clients[i] == id) links->session_manager_clients[i--] = links->session_manager_clients[--links->session_managers];
    const struct tracked_node *source = virtual_source_node(links);
    const struct tracked_port *removed = find_port(links, id);
    if (links->holding && source && removed && removed->node_id == source->id) links->hold_saw_removal = 1;
    for (size_t i = 0; i < links->node_count; i++)
        if (links->nodes[i].id == id) links->nodes[i] = links->nodes[--links->node_count];
    for (size_t i = 0; i < links->port_count; i++)
        if (links->ports[i].id == id) links->ports[i] = links->ports[--links->port_count];
    for (size_t i = 0; i < links->link_count; i++)
        if (links->links[i].id == id) links->links[i] = links->links[--links->link_count];
    /* Our links that are gone (a port left, or someone unlinked them by hand): drop their
       proxies, so the next pass makes them again where they are still wanted. */
    for (size_t i = links->own_count; i-- > 0;)
        if (pw_proxy_get_bound_id(links->own[i]->proxy) == id || !find_port(links, links->own[i]->output_port) ||
            !find_port(links, links->own[i]->input_port))
            destroy_own(links, i);
    if (id == links->metadata_id && links->metadata) {
        spa_hook_remove(&links->metadata_listener);
        pw_proxy_destroy((struct pw_proxy *)links->metadata);
        links->metadata = NULL;
        links->default_source[0] = links->default_sink[0] = '\0';
    }
    relink(links);
}

static const struct pw_registry_events registry_events = {
    PW_VERSION_REGISTRY_EVENTS,
    .global = on_global,
    .global_remove = on_global_remove,
};

dp_pw_links *dp_pw_links_new(struct pw_core *core, const dp_pw_node_config *config, dp_pw_renew_fn renew, void *user) {
    dp_pw_links *links = calloc(1, sizeof *links);
    if (!links) return NULL;
    links->core = core;
    links->renew_virtual_source = renew;
    links->renew_user = user;
    links->own_node = SPA_ID_INVALID;
    links->metadata_id = SPA_ID_INVALID;
    links->group_count = config->group_count;
    for (uint32_t g = 0; g < config->group_count; g++) {
        const dp_pw_port_group *from = &config->groups[g];
        struct group *group = &links->groups[g];
        group->is_output = from->is_output;
        group->count = from->count;
        copy(group->target, from->target, NAME_SIZE);
        for (uint32_t p = 0; p < from->count && p < DP_PW_MAX_PORTS; p++) {
            snprintf(group->port_names[p], NAME_SIZE, "%s_%s", from->prefix, from->channels[p]);
            copy(group->channels[p], from->channels[p], sizeof group->channels[p]);
        }
    }
    copy(links->virtual_source, config->virtual_source.node_name, NAME_SIZE);
    links->hold_timer = pw_loop_add_timer(pw_context_get_main_loop(pw_core_get_context(core)), on_hold_timeout, links);
    links->registry = pw_core_get_registry(core, PW_VERSION_REGISTRY, 0);
    if (!links->registry || !links->hold_timer) {
        if (links->hold_timer) pw_loop_destroy_source(pw_context_get_main_loop(pw_core_get_context(core)), links->hold_timer);
        free(links);
        return NULL;
    }
    pw_registry_add_listener(links->registry, &links->registry_listener, &registry_events, links);
    return links;
}

void dp_pw_links_set_own_node(dp_pw_links *links, uint32_t node_id) {
    if (links->own_node == node_id) return;
    links->own_node = node_id;
    relink(links);
}

void dp_pw_links_make_default_source(dp_pw_links *links, const char *name) {
    copy(links->own_default, name, NAME_SIZE);
    apply_own_default(links);
}

void dp_pw_links_restore_default_source(dp_pw_links *links) {
    if (!links->metadata || !links->default_set) return;
    /* Put back what our virtual source replaced (or clear it, if nothing was set). */
    set_default(links, "default.configured.audio.source", links->replaced_configured[0] ? links->replaced_configured : NULL);
    set_default(links, "default.audio.source", links->replaced_current[0] ? links->replaced_current : NULL);
    links->default_set = 0;
}

int dp_pw_links_target_present(dp_pw_links *links, uint32_t group) {
    return group < links->group_count && atomic_load(&links->groups[group].target_present);
}

uint32_t dp_pw_links_linked_ports(dp_pw_links *links, uint32_t group) {
    return group < links->group_count ? atomic_load(&links->groups[group].linked) : 0;
}

void dp_pw_links_free(dp_pw_links *links) {
    if (!links) return;
    while (links->own_count) destroy_own(links, links->own_count - 1);
    if (links->metadata) {
        spa_hook_remove(&links->metadata_listener);
        pw_proxy_destroy((struct pw_proxy *)links->metadata);
    }
    spa_hook_remove(&links->registry_listener);
    pw_proxy_destroy((struct pw_proxy *)links->registry);
    pw_loop_destroy_source(pw_context_get_main_loop(pw_core_get_context(links->core)), links->hold_timer);
    free(links->nodes), free(links->ports), free(links->links), free(links->own);
    free(links);
}
