/*
 * Atoms between an LV2 plugin's UI and its instance: a single-producer, single-consumer byte ring each way (the UI's
 * writes into the plugin's atom inputs, the plugin's atom outputs to the UI). The audio thread's side delivers and
 * collects without a lock, an allocation or a system call; what does not fit is dropped and counted.
 */
#include "directpipe_lv2.h"

#include <lv2/atom/util.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct dp_lv2_atom_ring {
    uint8_t *bytes;
    uint32_t capacity; /* a power of two */
    _Atomic uint32_t head, tail;
    _Atomic uint32_t moved, dropped;
    uint8_t *scratch; /* one atom, for the consumer */
};

typedef struct {
    uint32_t port, size; /* size: the atom's, header included */
} record;

dp_lv2_atom_ring *dp_lv2_atom_ring_new(uint32_t capacity) {
    uint32_t size = 1024;
    while (size < capacity) size <<= 1;
    dp_lv2_atom_ring *ring = calloc(1, sizeof *ring);
    if (ring == NULL) return NULL;
    ring->bytes = calloc(size, 1);
    ring->scratch = aligned_alloc(8, size);
    ring->capacity = size;
    if (ring->bytes == NULL || ring->scratch == NULL) {
        dp_lv2_atom_ring_free(ring);
        return NULL;
    }
    return ring;
}

void dp_lv2_atom_ring_free(dp_lv2_atom_ring *ring) {
    if (ring == NULL) return;
    free(ring->bytes);
    free(ring->scratch);
    free(ring);
}

static void copy_in(dp_lv2_atom_ring *ring, uint32_t at, const void *data, uint32_t size) {
    uint32_t start = at & (ring->capacity - 1), first = ring->capacity - start < size ? ring->capacity - start : size;
    memcpy(ring->bytes + start, data, first);
    memcpy(ring->bytes, (const uint8_t *)data + first, size - first);
}

static void copy_out(const dp_lv2_atom_ring *ring, uint32_t at, void *data, uint32_t size) {
    uint32_t start = at & (ring->capacity - 1), first = ring->capacity - start < size ? ring->capacity - start : size;
    memcpy(data, ring->bytes + start, first);
    memcpy((uint8_t *)data + first, ring->bytes, size - first);
}

bool dp_lv2_atom_ring_write(dp_lv2_atom_ring *ring, uint32_t port, const LV2_Atom *atom) {
    record header = {port, (uint32_t)sizeof(LV2_Atom) + atom->size};
    uint32_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
    if (header.size > ring->capacity || ring->capacity - (head - tail) < sizeof header + header.size) {
        atomic_fetch_add_explicit(&ring->dropped, 1, memory_order_relaxed);
        return false;
    }
    copy_in(ring, head, &header, sizeof header);
    copy_in(ring, head + (uint32_t)sizeof header, atom, header.size);
    atomic_store_explicit(&ring->head, head + (uint32_t)sizeof header + header.size, memory_order_release);
    return true;
}

const LV2_Atom *dp_lv2_atom_ring_read(dp_lv2_atom_ring *ring, uint32_t *port) {
    uint32_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    uint32_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    if (head == tail) return NULL;
    record header;
    copy_out(ring, tail, &header, sizeof header);
    copy_out(ring, tail + (uint32_t)sizeof header, ring->scratch, header.size);
    atomic_store_explicit(&ring->tail, tail + (uint32_t)sizeof header + header.size, memory_order_release);
    atomic_fetch_add_explicit(&ring->moved, 1, memory_order_relaxed);
    *port = header.port;
    return (const LV2_Atom *)ring->scratch;
}

void dp_lv2_atom_ring_deliver(dp_lv2_atom_ring *ring, const uint32_t *ports, void *const *sequences, uint32_t count,
                              uint32_t capacity) {
    uint32_t port;
    const LV2_Atom *atom;
    while ((atom = dp_lv2_atom_ring_read(ring, &port)) != NULL) {
        for (uint32_t i = 0; i < count; i++) {
            if (ports[i] != port) continue;
            LV2_Atom_Sequence *sequence = sequences[i];
            LV2_Atom_Event *event = lv2_atom_sequence_end(&sequence->body, sequence->atom.size);
            uint32_t size = (uint32_t)sizeof(LV2_Atom_Event) + atom->size;
            if (sizeof(LV2_Atom) + sequence->atom.size + lv2_atom_pad_size(size) > capacity) {
                atomic_fetch_add_explicit(&ring->dropped, 1, memory_order_relaxed);
                break;
            }
            event->time.frames = 0;
            memcpy(&event->body, atom, sizeof(LV2_Atom) + atom->size);
            sequence->atom.size += lv2_atom_pad_size(size);
            break;
        }
    }
}

void dp_lv2_atom_ring_collect(dp_lv2_atom_ring *ring, const uint32_t *ports, void *const *sequences, uint32_t count,
                              uint32_t sequence_urid) {
    for (uint32_t i = 0; i < count; i++) {
        const LV2_Atom_Sequence *sequence = sequences[i];
        if (sequence->atom.type != sequence_urid) continue; /* nothing written: still the empty chunk */
        LV2_ATOM_SEQUENCE_FOREACH(sequence, event) dp_lv2_atom_ring_write(ring, ports[i], &event->body);
    }
}

uint32_t dp_lv2_atom_ring_moved(dp_lv2_atom_ring *ring) { return atomic_load(&ring->moved); }
