/*
 * What every VST3 interface shares, for the files that implement or call them (vst3_host.c, vst3_editor.c):
 * result codes, interface ids (from the format's published words), the three methods every interface starts with.
 * Our own declarations of the format's published facts.
 */
#ifndef DIRECTPIPE_VST3_ABI_H
#define DIRECTPIPE_VST3_ABI_H

#include "directpipe_vst3.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef int32_t result_t;
enum { RESULT_NO_INTERFACE = -1, RESULT_OK = 0, RESULT_TRUE = 0, RESULT_FALSE = 1, RESULT_INVALID_ARGUMENT = 2, RESULT_NOT_IMPLEMENTED = 3 };

/* An interface id from its four 32-bit words, as the format writes them (big-endian bytes off Windows). */
#define UID(a, b, c, d)                                                                                                        \
    {(uint8_t)((a) >> 24), (uint8_t)((a) >> 16), (uint8_t)((a) >> 8), (uint8_t)(a), (uint8_t)((b) >> 24), (uint8_t)((b) >> 16), \
     (uint8_t)((b) >> 8),  (uint8_t)(b),         (uint8_t)((c) >> 24), (uint8_t)((c) >> 16), (uint8_t)((c) >> 8), (uint8_t)(c), \
     (uint8_t)((d) >> 24), (uint8_t)((d) >> 16), (uint8_t)((d) >> 8), (uint8_t)(d)}

static const dp_vst3_uid iid_unknown = UID(0x00000000, 0x00000000, 0xC0000000, 0x00000046);

static inline bool same_uid(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, 16) == 0; }

/* Every interface starts with these three. */
#define UNKNOWN_METHODS                                                                                                        \
    result_t (*query_interface)(void *self, const dp_vst3_uid iid, void **object);                                             \
    uint32_t (*add_ref)(void *self);                                                                                           \
    uint32_t (*release)(void *self)

typedef struct {
    UNKNOWN_METHODS;
} unknown_vtable;

/* The vtable of an object the plugin made: the object is a pointer to it. */
#define VTABLE(object, type) ((const type *)*(void **)(object))

#endif
