/* The editor event queue: Dmitry Vyukov's bounded queue, each slot stamped with the turn it belongs to. */
#include "directpipe_editor.h"

void dp_editor_queue_init(dp_editor_queue *queue) {
    for (uint64_t i = 0; i < DP_EDITOR_QUEUE_CAPACITY; i++) atomic_init(&queue->sequence[i], i);
    atomic_init(&queue->head, 0);
    atomic_init(&queue->tail, 0);
    atomic_init(&queue->dropped, 0);
}

bool dp_editor_queue_push(dp_editor_queue *queue, uint32_t kind, uint32_t index, double value) {
    uint64_t position = atomic_load_explicit(&queue->head, memory_order_relaxed);
    for (;;) {
        uint64_t slot = position & (DP_EDITOR_QUEUE_CAPACITY - 1);
        uint64_t sequence = atomic_load_explicit(&queue->sequence[slot], memory_order_acquire);
        int64_t difference = (int64_t)sequence - (int64_t)position;
        if (difference == 0) {
            if (atomic_compare_exchange_weak_explicit(&queue->head, &position, position + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                queue->events[slot] = (dp_editor_event){.kind = kind, .index = index, .value = value};
                atomic_store_explicit(&queue->sequence[slot], position + 1, memory_order_release);
                return true;
            }
        } else if (difference < 0) {
            atomic_fetch_add_explicit(&queue->dropped, 1, memory_order_relaxed);
            return false; /* full */
        } else {
            position = atomic_load_explicit(&queue->head, memory_order_relaxed);
        }
    }
}

bool dp_editor_queue_pop(dp_editor_queue *queue, dp_editor_event *event) {
    uint64_t position = atomic_load_explicit(&queue->tail, memory_order_relaxed);
    uint64_t slot = position & (DP_EDITOR_QUEUE_CAPACITY - 1);
    uint64_t sequence = atomic_load_explicit(&queue->sequence[slot], memory_order_acquire);
    if ((int64_t)sequence - (int64_t)(position + 1) < 0) return false; /* empty */
    *event = queue->events[slot];
    atomic_store_explicit(&queue->sequence[slot], position + DP_EDITOR_QUEUE_CAPACITY, memory_order_release);
    atomic_store_explicit(&queue->tail, position + 1, memory_order_relaxed);
    return true;
}
