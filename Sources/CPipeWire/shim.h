/* libpipewire, found with pkg-config (its headers live in versioned folders). */
#define _GNU_SOURCE
#include <pipewire/pipewire.h>
