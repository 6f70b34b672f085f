/*
 * What an LV2 host must give a plugin and what Swift cannot express: LV2
 * features are C structs of callbacks, one of them variadic (log's printf).
 *
 * dp_lv2_urids: the URID map and unmap shared by every plugin in a process
 * (thread-safe: plugins map URIs while instantiating, some while running).
 * dp_lv2_features: one plugin instance's feature list (map, unmap, options,
 * bounded block length, log, worker), its worker and its atom-port helpers.
 */
#ifndef DIRECTPIPE_LV2_H
#define DIRECTPIPE_LV2_H

#include <stdint.h>
#include <stddef.h>
#include <lv2/core/lv2.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>
#include <lv2/atom/atom.h>
#include <stdbool.h>

#include "directpipe_editor.h"

typedef struct dp_lv2_urids dp_lv2_urids;
typedef struct dp_lv2_features dp_lv2_features;

dp_lv2_urids *dp_lv2_urids_new(void);
void dp_lv2_urids_free(dp_lv2_urids *urids);
uint32_t dp_lv2_urid_map(dp_lv2_urids *urids, const char *uri);
/** The URI for `urid`, or NULL; the string lives as long as `urids`. */
const char *dp_lv2_urid_unmap(dp_lv2_urids *urids, uint32_t urid);
LV2_URID_Map *dp_lv2_urids_map_feature(dp_lv2_urids *urids);
LV2_URID_Unmap *dp_lv2_urids_unmap_feature(dp_lv2_urids *urids);

/**
 * Features for one instance running at `sample_rate` in blocks of at most
 * `max_block` frames. A threaded worker runs scheduled work on its own thread
 * (live use); otherwise work runs at once inside schedule_work (offline, so
 * results are deterministic, as jalv does when not running live).
 */
dp_lv2_features *dp_lv2_features_new(dp_lv2_urids *urids, double sample_rate, uint32_t max_block, int threaded_worker);
/** Stops the worker thread and waits for the job it runs: before the instance is deactivated, since
    work() runs the plugin's code on its state, and LV2 allows neither during deactivate or cleanup. */
void dp_lv2_features_stop_worker(dp_lv2_features *features);
/** Stops the worker thread (if still running) and frees everything: after the instance is freed, since
    its cleanup() may still log or schedule. */
void dp_lv2_features_free(dp_lv2_features *features);
/** The NULL-terminated list to pass to lilv_plugin_instantiate. */
const LV2_Feature *const *dp_lv2_features_list(dp_lv2_features *features);
/** After instantiating: the plugin's worker interface (may be NULL) and handle. */
void dp_lv2_features_set_worker(dp_lv2_features *features, const LV2_Worker_Interface *iface, LV2_Handle handle);
/** Real-time safe. After each run: hands the worker's responses to the plugin, then calls end_run. */
void dp_lv2_features_after_run(dp_lv2_features *features);
/** On the audio thread, before the instance runs: says which thread that is, so what the plugin logs from
    run() is kept and counted rather than printed there (printed when the features are freed). */
void dp_lv2_features_before_run(dp_lv2_features *features);
/** Work scheduled but dropped because the ring was full (reported, never blocks the audio thread). */
uint64_t dp_lv2_features_dropped_work(dp_lv2_features *features);

/** Real-time safe: an empty atom sequence for an input port. */
void dp_lv2_atom_input_clear(void *buffer, uint32_t sequence_urid);
/** Real-time safe: an output port's buffer, announcing `capacity` bytes of space to the plugin. */
void dp_lv2_atom_output_reset(void *buffer, uint32_t capacity, uint32_t chunk_urid);

/* ---- Atoms between a UI and its plugin (lv2_atom_ring.c): one SPSC ring each way ---- */

typedef struct dp_lv2_atom_ring dp_lv2_atom_ring;

/** A ring of at least `capacity` bytes (NULL when out of memory). */
dp_lv2_atom_ring *dp_lv2_atom_ring_new(uint32_t capacity);
void dp_lv2_atom_ring_free(dp_lv2_atom_ring *ring);
/** The producer: `atom` (header and body) for port `port`; false (dropped) when it does not fit. Real-time safe. */
bool dp_lv2_atom_ring_write(dp_lv2_atom_ring *ring, uint32_t port, const LV2_Atom *atom);
/** The consumer: the next atom and its port, or NULL; valid until the next read. Real-time safe. */
const LV2_Atom *dp_lv2_atom_ring_read(dp_lv2_atom_ring *ring, uint32_t *port);
/** The audio thread, before a run: every atom waiting, appended at frame 0 to the input sequence of its port
    (`sequences[i]`, `capacity` bytes, is port `ports[i]`'s). */
void dp_lv2_atom_ring_deliver(dp_lv2_atom_ring *ring, const uint32_t *ports, void *const *sequences, uint32_t count,
                              uint32_t capacity);
/** The audio thread, after a run: every event of the output sequences into the ring, with its port. */
void dp_lv2_atom_ring_collect(dp_lv2_atom_ring *ring, const uint32_t *ports, void *const *sequences, uint32_t count,
                              uint32_t sequence_urid);
/** Atoms read out of the ring so far. */
uint32_t dp_lv2_atom_ring_moved(dp_lv2_atom_ring *ring);

/* ---- X11 UIs (lv2_ui.c): one UI instance in a parent window of ours, on the plugin thread ---- */

typedef struct dp_lv2_ui dp_lv2_ui;

/**
 * Loads `binary`, finds UI `ui_uri` for `plugin_uri` (bundle `bundle`) and instantiates it in window `parent`,
 * with URID map and unmap, options (the sample rate), parent, idle interface, resize, touch, port map (`symbols`,
 * by port index), and, when not
 * NULL, instance access (`instance`) and data access (`extension_data`, the plugin's). Values it writes, gestures and sizes go to
 * `queue` (by port index); atoms it writes (atom:eventTransfer) to `to_plugin` (NULL: dropped). NULL with `error`
 * written on failure.
 */
dp_lv2_ui *dp_lv2_ui_new(dp_lv2_urids *urids, const char *binary, const char *ui_uri, const char *plugin_uri, const char *bundle,
                         unsigned long parent, LV2_Handle instance, const void *(*extension_data)(const char *uri), double sample_rate,
                         const char *const *symbols, uint32_t symbol_count, dp_editor_queue *queue, dp_lv2_atom_ring *to_plugin,
                         char *error, size_t error_size);
/** The UI's own window (its widget, a child of the parent). */
unsigned long dp_lv2_ui_widget(dp_lv2_ui *ui);
/** Runs the UI's idle interface; non-zero when the UI closed itself. */
int dp_lv2_ui_idle(dp_lv2_ui *ui);
/** Tells the UI a control port's value. */
void dp_lv2_ui_port_event(dp_lv2_ui *ui, uint32_t port, float value);
/** Gives the UI an atom an atom output port produced (atom:eventTransfer). */
void dp_lv2_ui_atom_event(dp_lv2_ui *ui, uint32_t port, const LV2_Atom *atom);
void dp_lv2_ui_free(dp_lv2_ui *ui);

#endif
