/*
 * PipeWire for DirectPipe: one audio node (a pw_filter) with float32 DSP
 * ports, processed on PipeWire's real-time data thread. C because SPA pods
 * and pw_properties_new are macros and variadic functions Swift cannot call.
 *
 * The node runs on its own pw_thread_loop and its own connection to the
 * daemon, so when the daemon goes away only this node's state changes
 * (to DP_PW_DISCONNECTED); destroying and creating it again reconnects.
 */
#ifndef DIRECTPIPE_PIPEWIRE_H
#define DIRECTPIPE_PIPEWIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DP_PW_MAX_PORTS 8
/** The longest graph cycle processed; longer cycles output silence. */
#define DP_PW_MAX_FRAMES 8192

typedef struct dp_pw_node dp_pw_node;

/** Where a node is: the daemon's answer, or DISCONNECTED once the connection broke. */
typedef enum {
    DP_PW_CONNECTING = 0,
    DP_PW_PAUSED = 1,
    DP_PW_STREAMING = 2,
    DP_PW_ERROR = 3,
    DP_PW_DISCONNECTED = 4,
} dp_pw_state;

/**
 * Called once per graph cycle on the data thread with every input port's
 * buffer, then every output port's, in group order. `inputs[c]` are never
 * NULL (an unlinked input reads silence), `outputs[c]` neither (an output
 * nobody reads goes to scratch). `cycle_ns` is the driver's CLOCK_MONOTONIC time at
 * the start of the cycle, `graph_rate` the graph's sample rate now, `skipped_frames`
 * how far the graph skipped ahead since this node's previous cycle (an xrun; 0
 * normally, and 0 for a jump backwards or of more than a second: a driver starting over).
 */
typedef void (*dp_pw_process_fn)(void *user, const float *const *inputs, float *const *outputs,
                                 uint32_t frames, uint64_t cycle_ns, uint32_t graph_rate, uint64_t skipped_frames);

/** Ports of one direction and purpose ("input", "monitor", "mic"), and what they link to. */
typedef struct {
    int is_output;
    const char *prefix;                 /**< port.name = PREFIX_CHANNEL, e.g. "input_FL" */
    uint32_t count;
    const char *const *channels;        /**< audio.channel per port: "FL", "FR", "MONO", "AUX2" */
    /** The node to link with, by node.name or id: "@DEFAULT_SOURCE@" / "@DEFAULT_SINK@" for the
        session's default (from the "default" metadata), NULL to leave the ports for others to link. */
    const char *target;
} dp_pw_port_group;

#define DP_PW_MAX_GROUPS 4
#define DP_PW_DEFAULT_SOURCE "@DEFAULT_SOURCE@"
#define DP_PW_DEFAULT_SINK "@DEFAULT_SINK@"

/** The node. It links its own ports (as a JACK client does), so it works with a session
    manager and without one, and relinks when its target leaves and comes back. */
typedef struct {
    const char *node_name;        /**< node.name, e.g. "directpipe" */
    const char *description;      /**< node.description, what pavucontrol shows */
    const char *media_class;      /**< "Stream/Input/Audio", "Audio/Source", ... */
    uint32_t rate;                /**< asked for with node.rate (0: the graph's) */
    uint32_t quantum;             /**< asked for with node.latency quantum/rate (0: the graph's) */
    const char *driver_group;     /**< node.group: scheduled with that group's driver (NULL: none) */
    uint32_t group_count;
    dp_pw_port_group groups[DP_PW_MAX_GROUPS];
    /** Optional: a virtual source this node's connection creates and owns (so it goes when the node
        goes, also on a crash): an adapter around support.null-audio-sink, media.class
        Audio/Source/Virtual, with input ports input_FL.. that a port group can target and capture
        ports capture_FL.. that every recording app (PipeWire, PulseAudio, ALSA clients) reads. */
    struct {
        const char *node_name;    /**< NULL: none */
        const char *description;
        uint32_t channels;        /**< 1 (MONO) or 2 (FL FR) */
        int make_default;         /**< make it the session's default input while it exists */
    } virtual_source;
} dp_pw_node_config;

/** Connects to the daemon ($PIPEWIRE_REMOTE or the default socket) and creates the node.
    Returns 0, or -1 with a one-line reason in `error`. */
int dp_pw_node_create(const dp_pw_node_config *config, dp_pw_process_fn process, void *user,
                      dp_pw_node **node, char *error, size_t error_size);

/** The node's state now; `error` gets the daemon's message in the ERROR/DISCONNECTED states. */
dp_pw_state dp_pw_node_state(dp_pw_node *node, char *error, size_t error_size);

/** The node's global id in the graph (SPA_ID_INVALID until the daemon has it). */
uint32_t dp_pw_node_id(dp_pw_node *node);

/** Graph cycles processed. */
uint64_t dp_pw_node_cycles(dp_pw_node *node);

/** Discontinuities seen: cycles where the driver's position was not where the previous cycle
    ended (the graph ran late and skipped ahead: PipeWire's xruns, as this node sees them). */
uint64_t dp_pw_node_skipped_cycles(dp_pw_node *node);

/** Inside `process` only: the graph's position (in frames of the graph's clock) of this cycle's
    first frame, the same for every node in the cycle. */
uint64_t dp_pw_node_cycle_position(dp_pw_node *node);

/** Whether group `group`'s target node is in the graph now, and how many of its ports are linked. */
int dp_pw_node_target_present(dp_pw_node *node, uint32_t group);
uint32_t dp_pw_node_linked_ports(dp_pw_node *node, uint32_t group);

/** Whether PipeWire's data thread, which calls `process`, runs with real-time scheduling
    (1 or 0); -1 before the first cycle. */
int dp_pw_node_data_thread_realtime(dp_pw_node *node);

/** Disconnects and frees; the process callback is not called any more when it returns. */
void dp_pw_node_destroy(dp_pw_node *node);

/** Whether a daemon answers now (a short connection attempt). */
int dp_pw_daemon_available(void);

/** One node of the graph, as `dp_pw_list_nodes` reports it; `channels` and `rate` from its
    audio.channels / audio.rate properties (0 when it does not say, as streams often do not). */
typedef void (*dp_pw_node_visitor)(void *user, uint32_t id, const char *name, const char *description,
                                   const char *media_class, uint32_t channels, uint32_t rate);

/** Calls `visit` for every audio node in the graph now (sources, sinks, streams).
    Returns 0, or -1 with a reason in `error` when no daemon answers. */
int dp_pw_list_nodes(dp_pw_node_visitor visit, void *user, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif
