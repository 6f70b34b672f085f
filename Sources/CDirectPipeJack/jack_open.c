#include "directpipe_jack.h"

#include <stddef.h>

jack_client_t *dp_jack_client_open(const char *client_name, const char *server_name, jack_status_t *status) {
    if (server_name != NULL && server_name[0] != '\0')
        return jack_client_open(client_name, JackNoStartServer | JackServerName, status, server_name);
    return jack_client_open(client_name, JackNoStartServer, status);
}
