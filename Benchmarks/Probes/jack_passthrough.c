/*
 * jack-passthrough: the anchor for the engine's CPU benchmark, the least a
 * JACK client can do: copy in_N to out_N each cycle. Runs for S seconds on
 * the named server; prints its callbacks and the CPU time (user + system) it
 * used while active, so start-up does not count.
 *
 *   jack-passthrough SERVER SECONDS [CLIENT-NAME]
 */
#define _GNU_SOURCE
#include <jack/jack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static unsigned long long cpu_ns(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (unsigned long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000ull +
           (unsigned long long)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000ull;
}

static jack_port_t *in[2], *out[2];
static unsigned long callbacks;

static int process(jack_nframes_t frames, void *arg) {
    (void)arg;
    for (int c = 0; c < 2; c++)
        memcpy(jack_port_get_buffer(out[c], frames), jack_port_get_buffer(in[c], frames), frames * sizeof(float));
    callbacks++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) return 2;
    jack_status_t status;
    jack_client_t *client = jack_client_open(argc == 4 ? argv[3] : "passthrough", JackNoStartServer | JackServerName, &status, argv[1]);
    if (client == NULL) return 1;
    in[0] = jack_port_register(client, "in_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    in[1] = jack_port_register(client, "in_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    out[0] = jack_port_register(client, "out_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    out[1] = jack_port_register(client, "out_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(client, process, NULL);
    unsigned long long start = cpu_ns();
    if (jack_activate(client)) return 1;
    usleep((useconds_t)(atof(argv[2]) * 1e6));
    jack_deactivate(client);
    printf("%lu %llu\n", callbacks, cpu_ns() - start);
    jack_client_close(client);
    return 0;
}
