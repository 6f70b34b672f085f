/*
 * obs-host: DirectPipe's OBS plugin on the real libobs, for the tests. Starts
 * libobs, resets audio (48 kHz stereo), opens and initialises the plugin from
 * the build, creates a "directpipe_audio" source on --pipe, and collects its
 * audio with obs_source_add_audio_capture_callback while another process
 * (directpipe send --signal counter) writes the pipe. Every sample must be
 * the counter sequence: value = ((position * channels + channel) mod 2^23) /
 * 2^23, so each block says which pipe position it holds. A reader of its own
 * learns the writer's clock (position -> capture time), against which OBS's
 * timestamps are checked. Needs an X display (xvfb-run).
 *
 *   obs-host --plugin PATH --data DIR --pipe NAME --seconds S
 *
 * Prints a JSON line per half second {"event":"status","status":"..."} (the
 * source's own status line, as its properties show it) and a final one:
 * frames, counter_errors, gaps (jumps in position, allowed only where the
 * plugin reported a resync), timestamp_step_errors (consecutive blocks whose
 * timestamps differ by other than frames/rate), max_clock_offset_ns (OBS's
 * timestamp against the writer's clock for the same position).
 *
 * The final line also gives the CPU time the plugin's reader thread ("directpipe-obs") used over the run
 * (reader_thread_cpu_ns, of window_ns): what the source costs while it waits.
 *
 *   obs-host --plugin PATH --data DIR --pipe NAME --latency-samples N
 *
 * The OBS benchmark's probe: prints "ready" once the source exists, then, for
 * the next N blocks the plugin hands to obs_source_output_audio, the time from
 * the block's timestamp (the writer sets it to its publish time) to that call,
 * one number of nanoseconds per line, and exits.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <obs.h>

#include "directpipe_futex.h"
#include "directpipe_reader.h"

#define RATE 48000
#define MODULUS 8388608u

static uint64_t frames, counter_errors, gaps, step_errors, blocks;
static int64_t max_clock_offset;
static uint64_t next_position, last_timestamp, last_frames;
static int have_previous;
/* The writer's clock, from our own reader: position p was captured at clock_ts + (p - clock_pos) / RATE. */
static uint64_t clock_pos, clock_ts;
static int have_clock;

/* The benchmark's samples: publish -> obs_source_output_audio, in ns. */
#define LATENCY_WARMUP 50
static uint64_t *latency_samples;
static long latency_wanted, latency_count, latency_seen;

/* Interposes libobs' obs_source_output_audio: the plugin's call binds to this
 * definition (the executable's exported symbols come first in the lookup),
 * which notes the time of the call and passes the block on to libobs. */
void obs_source_output_audio(obs_source_t *source, const struct obs_source_audio *audio) {
    uint64_t called = dp_monotonic_ns();
    static void (*libobs_output_audio)(obs_source_t *, const struct obs_source_audio *);
    if (!libobs_output_audio) libobs_output_audio = (void (*)(obs_source_t *, const struct obs_source_audio *))dlsym(RTLD_NEXT, "obs_source_output_audio");
    long count = __atomic_load_n(&latency_count, __ATOMIC_RELAXED);
    if (latency_wanted && count < latency_wanted && latency_seen++ >= LATENCY_WARMUP) {
        latency_samples[count] = called - audio->timestamp;
        __atomic_store_n(&latency_count, count + 1, __ATOMIC_RELEASE);
    }
    libobs_output_audio(source, audio);
}

static uint64_t position_of(float value, uint32_t channel) {
    uint32_t raw = (uint32_t)(value * (float)MODULUS);
    return ((raw + MODULUS - channel) % MODULUS) / 2; /* stereo: value = (2p + c) mod 2^23 */
}

static void on_audio(void *param, obs_source_t *source, const struct audio_data *audio, bool muted) {
    (void)param, (void)source, (void)muted;
    const float *left = (const float *)audio->data[0], *right = (const float *)audio->data[1];
    if (!left || !right || audio->frames == 0) return;
    uint64_t first = position_of(left[0], 0);
    for (uint32_t i = 0; i < audio->frames; i++) {
        uint64_t p = (first + i) % (MODULUS / 2);
        if (left[i] != (float)((2 * p) % MODULUS) / (float)MODULUS ||
            right[i] != (float)((2 * p + 1) % MODULUS) / (float)MODULUS)
            counter_errors++;
    }
    if (have_previous) {
        if (first != next_position % (MODULUS / 2)) gaps++;
        else if (audio->timestamp - last_timestamp != last_frames * 1000000000ull / RATE &&
                 llabs((long long)(audio->timestamp - last_timestamp) - (long long)(last_frames * 1000000000ull / RATE)) > 1000)
            step_errors++;
    }
    if (__atomic_load_n(&have_clock, __ATOMIC_ACQUIRE)) {
        int64_t expected = (int64_t)clock_ts + ((int64_t)first - (int64_t)(clock_pos % (MODULUS / 2))) * 1000000000ll / RATE;
        int64_t offset = llabs((int64_t)audio->timestamp - expected);
        if (offset > max_clock_offset) max_clock_offset = offset;
    }
    have_previous = 1;
    next_position = first + audio->frames;
    last_timestamp = audio->timestamp;
    last_frames = audio->frames;
    frames += audio->frames;
    blocks++;
}

static void print_status(obs_source_t *source, const char *event) {
    obs_properties_t *props = obs_source_properties(source);
    obs_property_t *status = obs_properties_get(props, "status");
    printf("{\"event\":\"%s\",\"status\":\"%s\",\"time_ns\":%" PRIu64 "}\n", event,
           status ? obs_property_description(status) : "", dp_monotonic_ns());
    obs_properties_destroy(props);
}

static void shut_down(obs_source_t *source) {
    obs_set_output_source(0, NULL);
    obs_source_release(source);
    obs_shutdown();
}

/* The benchmark: collect the samples the interposed obs_source_output_audio takes (at most 60 s), print them. */
static int measure_latency(obs_source_t *source) {
    latency_samples = calloc((size_t)latency_wanted, sizeof *latency_samples);
    printf("ready\n");
    uint64_t give_up = dp_monotonic_ns() + 60000000000ull;
    while (__atomic_load_n(&latency_count, __ATOMIC_ACQUIRE) < latency_wanted && dp_monotonic_ns() < give_up) {
        struct timespec pause = {0, 10000000};
        nanosleep(&pause, NULL);
    }
    long count = __atomic_load_n(&latency_count, __ATOMIC_ACQUIRE);
    shut_down(source);
    for (long i = 0; i < count; i++) printf("%" PRIu64 "\n", latency_samples[i]);
    free(latency_samples);
    return count == latency_wanted ? 0 : 1;
}

/* The CPU time so far of this process's thread named `name` (/proc/self/task/TID/schedstat), or -1. */
static long long thread_cpu_ns(const char *name) {
    long long cpu = -1;
    DIR *tasks = opendir("/proc/self/task");
    struct dirent *task;
    while (tasks && cpu < 0 && (task = readdir(tasks))) {
        if (task->d_name[0] == '.') continue;
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", task->d_name);
        FILE *file = fopen(path, "r");
        if (!file) continue;
        if (fgets(comm, sizeof comm, file)) comm[strcspn(comm, "\n")] = 0;
        fclose(file);
        if (strcmp(comm, name) != 0) continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", task->d_name);
        if ((file = fopen(path, "r"))) {
            if (fscanf(file, "%lld", &cpu) != 1) cpu = -1;
            fclose(file);
        }
    }
    if (tasks) closedir(tasks);
    return cpu;
}

/* SIGTERM or SIGINT ends the run early, with the final line as usual (the fault campaign stops it). */
static volatile sig_atomic_t stop_requested;
static void request_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char **argv) {
    signal(SIGTERM, request_stop);
    signal(SIGINT, request_stop);
    const char *plugin = NULL, *data = NULL, *pipe = "/DirectPipeAudio";
    double seconds = 3;
    static struct option options[] = {
        {"plugin", required_argument, 0, 'p'}, {"data", required_argument, 0, 'd'},
        {"pipe", required_argument, 0, 'n'},   {"seconds", required_argument, 0, 's'},
        {"latency-samples", required_argument, 0, 'l'}, {0, 0, 0, 0},
    };
    int option;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 'p': plugin = optarg; break;
        case 'd': data = optarg; break;
        case 'n': pipe = optarg; break;
        case 's': seconds = atof(optarg); break;
        case 'l': latency_wanted = atol(optarg); break;
        default: return 2;
        }
    }
    if (!plugin || !data) {
        fprintf(stderr, "usage: obs-host --plugin PATH --data DIR [--pipe NAME] [--seconds S]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!obs_startup("en-US", NULL, NULL)) {
        printf("{\"event\":\"error\",\"message\":\"obs_startup failed (is there an X display?)\"}\n");
        return 1;
    }
    struct obs_audio_info audio = {.samples_per_sec = RATE, .speakers = SPEAKERS_STEREO};
    obs_module_t *module = NULL;
    int opened = obs_open_module(&module, plugin, data);
    if (!obs_reset_audio(&audio) || opened != MODULE_SUCCESS || !obs_init_module(module)) {
        printf("{\"event\":\"error\",\"message\":\"cannot load the plugin (open %d)\"}\n", opened);
        obs_shutdown();
        return 1;
    }
    obs_data_t *settings = obs_data_create();
    obs_data_set_string(settings, "pipe", pipe);
    obs_source_t *source = obs_source_create("directpipe_audio", "DirectPipe Audio", settings, NULL);
    obs_data_release(settings);
    if (!source) {
        printf("{\"event\":\"error\",\"message\":\"no directpipe_audio source\"}\n");
        obs_shutdown();
        return 1;
    }
    obs_set_output_source(0, source); /* active, as in a scene: its audio is mixed */
    if (latency_wanted > 0) return measure_latency(source);
    obs_source_add_audio_capture_callback(source, on_audio, NULL);

    dp_reader *clock_reader = NULL;
    dp_reader_open(pipe, 0, DP_READER_ALLOW_ABSENT, &clock_reader);
    static float scratch[65536 * 8];
    uint64_t window_start = dp_monotonic_ns(), end = window_start + (uint64_t)(seconds * 1e9), next_status = 0;
    long long reader_cpu_start = thread_cpu_ns("directpipe-obs");
    while (dp_monotonic_ns() < end && !stop_requested) {
        if (clock_reader && dp_reader_wait(clock_reader, 20) == DP_WAIT_DATA) {
            dp_read_info info = DP_READ_INFO_INIT;
            if (dp_reader_read(clock_reader, scratch, sizeof scratch / sizeof scratch[0], &info) > 0 && info.timestamp_ns) {
                clock_pos = info.position, clock_ts = info.timestamp_ns;
                __atomic_store_n(&have_clock, 1, __ATOMIC_RELEASE);
            }
        } else {
            struct timespec pause = {0, 20000000};
            nanosleep(&pause, NULL);
        }
        if (dp_monotonic_ns() >= next_status) {
            print_status(source, "status");
            next_status = dp_monotonic_ns() + 500000000ull;
        }
    }
    print_status(source, "status");
    long long reader_cpu = thread_cpu_ns("directpipe-obs") - reader_cpu_start;
    uint64_t window_ns = dp_monotonic_ns() - window_start;
    uint64_t destroy_start = dp_monotonic_ns();
    obs_source_remove_audio_capture_callback(source, on_audio, NULL);
    shut_down(source);
    uint64_t shutdown_ns = dp_monotonic_ns() - destroy_start;
    if (clock_reader) dp_reader_close(clock_reader);
    printf("{\"event\":\"final\",\"frames\":%" PRIu64 ",\"blocks\":%" PRIu64 ",\"counter_errors\":%" PRIu64
           ",\"gaps\":%" PRIu64 ",\"timestamp_step_errors\":%" PRIu64 ",\"max_clock_offset_ns\":%" PRId64
           ",\"shutdown_ns\":%" PRIu64 ",\"leaks\":%ld,\"reader_thread_cpu_ns\":%lld,\"window_ns\":%" PRIu64 "}\n",
           frames, blocks, counter_errors, gaps, step_errors, max_clock_offset, shutdown_ns, bnum_allocs(), reader_cpu,
           window_ns);
    return 0;
}
