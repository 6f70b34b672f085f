/*
 * JACK for Swift: jack_client_open is variadic, which Swift cannot call.
 * This header brings in the JACK API and a fixed-argument wrapper.
 */
#ifndef DIRECTPIPE_JACK_H
#define DIRECTPIPE_JACK_H

#include <jack/jack.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opens a client on `server_name` (NULL: $JACK_DEFAULT_SERVER or "default"), never starting a server. */
jack_client_t *dp_jack_client_open(const char *client_name, const char *server_name, jack_status_t *status);

#ifdef __cplusplus
}
#endif

#endif
