/*
 * DirectPipe Audio: an OBS audio source that reads a DirectPipe pipe
 * (protocol v1) through libdirectpipe-reader, with the pipe's own capture
 * timestamps (CLOCK_MONOTONIC, as OBS uses), so OBS adds no buffering of its
 * own. One reader thread per source waits on the pipe's futex and hands each
 * block to obs_source_output_audio as soon as it is published. There is no
 * buffering setting: OBS places each block by its timestamp and absorbs a late
 * reader with its own audio buffering, so holding blocks back here would only
 * add latency, and a first block made old on purpose makes OBS raise its
 * buffering for every source for the rest of the session. (Scenes saved with
 * the "Buffering" setting of earlier versions keep it; it is ignored.)
 * Writer gone, restarted, reformatted, or the pipe removed: the source says
 * so in its status, outputs nothing, and picks the audio up again by itself.
 *
 * Built with cc against libobs and the reader library's sources (no Swift,
 * nothing but libobs and libc at run time): scripts/build-native.sh.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <obs-module.h>
#include <util/platform.h>
#include <util/threading.h>

#include "directpipe_reader.h"

OBS_DECLARE_MODULE()
OBS_MODULE_USE_DEFAULT_LOCALE("directpipe-obs", "en-US")

#define MAX_SAMPLES (65536 * 8)

struct directpipe_source {
    obs_source_t *source;
    pthread_t thread;
    atomic_int stop;        /* set by destroy, read by the reader thread */
    pthread_mutex_t lock;   /* guards the settings and the status below */
    char pipe[64];
    int reopen;             /* settings changed: open the pipe anew */
    dp_reader_status status;
    int have_status;
    float *buffer;
};

static const char *directpipe_name(void *unused) {
    (void)unused;
    return obs_module_text("DirectPipeAudio");
}

/* OBS's speaker layout for 1-8 channels (OBS has no 3-, 5- or 7-channel "front" layouts of its own;
 * 7 channels go out as 7.1 with a silent eighth, see pad_to_eight). */
static enum speaker_layout layout_for(uint32_t channels) {
    switch (channels) {
    case 1: return SPEAKERS_MONO;
    case 2: return SPEAKERS_STEREO;
    case 3: return SPEAKERS_2POINT1;
    case 4: return SPEAKERS_4POINT0;
    case 5: return SPEAKERS_4POINT1;
    case 6: return SPEAKERS_5POINT1;
    case 7:
    case 8: return SPEAKERS_7POINT1;
    default: return SPEAKERS_UNKNOWN;
    }
}

/* 7 interleaved channels widened in place to 8, the eighth silent, since OBS has no 7-channel layout.
 * From the last frame back, so no frame is overwritten before it is moved. */
static void pad_to_eight(float *samples, long frames) {
    for (long f = frames - 1; f >= 0; f--) {
        memmove(samples + f * 8, samples + f * 7, 7 * sizeof(float));
        samples[f * 8 + 7] = 0.0f;
    }
}

/* One line in OBS's log per change of state, so a user (or support) reading the log sees what the source saw. */
static void log_state_change(const char *pipe, const dp_reader_status *status, dp_reader_state *logged) {
    if (status->state == *logged) return;
    *logged = status->state;
    if (status->state == DP_READER_CONNECTED)
        blog(LOG_INFO, "[directpipe] %s: connected, %u Hz, %u channels, writer pid %u", pipe, status->format.sample_rate,
             status->format.channels, status->writer_pid);
    else if (status->state == DP_READER_LOST)
        blog(LOG_WARNING, "[directpipe] %s: lost (%s); outputting nothing until the writer returns", pipe,
             status->last_error == DP_OK ? "the writer stopped, stalled or died" : dp_error_string(status->last_error));
    else
        blog(LOG_INFO, "[directpipe] %s: waiting for a writer", pipe);
}

static void *reader_thread(void *data) {
    struct directpipe_source *s = data;
    dp_reader *reader = NULL;
    dp_reader_state logged = DP_READER_WAITING;
    os_set_thread_name("directpipe-obs");
    while (!atomic_load(&s->stop)) {
        pthread_mutex_lock(&s->lock);
        int reopen = s->reopen;
        s->reopen = 0;
        char pipe[64];
        snprintf(pipe, sizeof pipe, "%s", s->pipe);
        pthread_mutex_unlock(&s->lock);
        if (reopen && reader) {
            dp_reader_close(reader);
            reader = NULL;
            logged = DP_READER_WAITING;
        }
        dp_error opened = reader ? DP_OK : dp_reader_open(pipe[0] ? pipe : NULL, 0, DP_READER_ALLOW_ABSENT, &reader);
        if (opened != DP_OK) {
            /* A name that is not a pipe name: the status says so until the settings change. */
            pthread_mutex_lock(&s->lock);
            memset(&s->status, 0, sizeof s->status);
            s->status.state = DP_READER_WAITING;
            s->status.last_error = opened;
            s->have_status = 1;
            pthread_mutex_unlock(&s->lock);
            os_sleep_ms(100);
            continue;
        }
        /* 100 ms slices of the futex wait, so destroy returns promptly whatever the writer does. */
        dp_wait_result waited = dp_reader_wait(reader, 100);
        dp_read_info info = DP_READ_INFO_INIT;
        long frames;
        /* Read at most 7/8 of the buffer, so 7-channel frames can be widened to 8 in place. */
        while (waited == DP_WAIT_DATA && (frames = dp_reader_read(reader, s->buffer, MAX_SAMPLES / 8 * 7, &info)) > 0) {
            if (info.timestamp_ns == 0) continue; /* no clock yet: never guess a time */
            if (info.format.channels == 7) pad_to_eight(s->buffer, frames);
            struct obs_source_audio audio = {
                .data = {(const uint8_t *)s->buffer},
                .frames = (uint32_t)frames,
                .speakers = layout_for(info.format.channels),
                .format = AUDIO_FORMAT_FLOAT,
                .samples_per_sec = info.format.sample_rate,
                .timestamp = info.timestamp_ns,
            };
            if (audio.speakers != SPEAKERS_UNKNOWN) obs_source_output_audio(s->source, &audio);
        }
        dp_reader_status status = DP_READER_STATUS_INIT;
        dp_reader_get_status(reader, &status);
        log_state_change(pipe, &status, &logged);
        pthread_mutex_lock(&s->lock);
        s->status = status;
        s->have_status = 1;
        pthread_mutex_unlock(&s->lock);
    }
    if (reader) dp_reader_close(reader);
    return NULL;
}

static void directpipe_update(void *data, obs_data_t *settings) {
    struct directpipe_source *s = data;
    pthread_mutex_lock(&s->lock);
    snprintf(s->pipe, sizeof s->pipe, "%s", obs_data_get_string(settings, "pipe"));
    s->reopen = 1;
    pthread_mutex_unlock(&s->lock);
}

static void *directpipe_create(obs_data_t *settings, obs_source_t *source) {
    struct directpipe_source *s = bzalloc(sizeof *s);
    s->source = source;
    s->buffer = bmalloc(MAX_SAMPLES * sizeof(float));
    pthread_mutex_init(&s->lock, NULL);
    directpipe_update(s, settings);
    s->reopen = 0;
    if (pthread_create(&s->thread, NULL, reader_thread, s) != 0) {
        blog(LOG_ERROR, "[directpipe] cannot start the reader thread");
        pthread_mutex_destroy(&s->lock);
        bfree(s->buffer);
        bfree(s);
        return NULL;
    }
    return s;
}

static void directpipe_destroy(void *data) {
    struct directpipe_source *s = data;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    bfree(s->buffer);
    bfree(s);
}

static void directpipe_defaults(obs_data_t *settings) {
    obs_data_set_default_string(settings, "pipe", "/DirectPipeAudio");
}

/* A translated format for the status line, if its conversions are exactly `expected` ("u u u llu": the
   letters of each, in order, no flags or widths); else the English one. A translation with other
   conversions would be undefined behaviour in OBS's UI thread. */
static const char *checked_format(const char *translated, const char *expected, const char *english) {
    char found[64] = "";
    size_t used = 0;
    for (const char *p = translated; p && *p; p++) {
        if (*p != '%') continue;
        if (*++p == '%') continue;
        const char *start = p;
        while (*p == 'l' || *p == 'h') p++;
        if (*p == '\0') return english;
        size_t length = (size_t)(p - start) + 1;
        if (used + length + 2 > sizeof found) return english;
        if (used) found[used++] = ' ';
        memcpy(found + used, start, length);
        used += length;
        found[used] = '\0';
    }
    return translated && strcmp(found, expected) == 0 ? translated : english;
}

/* The status line the properties show (hosts and tests read it there too: property "status"). */
static void status_text(struct directpipe_source *s, char *text, size_t size) {
    pthread_mutex_lock(&s->lock);
    dp_reader_status status = s->status;
    int have = s->have_status;
    pthread_mutex_unlock(&s->lock);
    if (!have || status.state == DP_READER_WAITING) {
        if (have && status.last_error != DP_OK && status.last_error != DP_ERR_NOT_FOUND)
            snprintf(text, size, checked_format(obs_module_text("Status.Malformed"), "s", "Waiting: %s"),
                     dp_error_string(status.last_error));
        else
            snprintf(text, size, "%s", obs_module_text("Status.Waiting"));
    } else if (status.state == DP_READER_LOST) {
        snprintf(text, size, "%s", obs_module_text("Status.Lost"));
    } else {
        const char *format = checked_format(obs_module_text("Status.Connected"), "u u u llu",
                                            "Connected: %u Hz, %u channels, %u frames buffered, %llu overruns");
        snprintf(text, size, format, status.format.sample_rate, status.format.channels, status.fill_frames,
                 (unsigned long long)status.overruns);
    }
}

static obs_properties_t *directpipe_properties(void *data) {
    struct directpipe_source *s = data;
    obs_properties_t *props = obs_properties_create();
    obs_property_t *pipe = obs_properties_add_list(props, "pipe", obs_module_text("PipeName"), OBS_COMBO_TYPE_EDITABLE,
                                                   OBS_COMBO_FORMAT_STRING);
    /* The pipes that exist now (shared memory objects named DirectPipeAudio*). */
    DIR *shm = opendir("/dev/shm");
    struct dirent *entry;
    while (shm && (entry = readdir(shm))) {
        if (strncmp(entry->d_name, "DirectPipeAudio", 15) != 0) continue;
        char name[300];
        snprintf(name, sizeof name, "/%s", entry->d_name);
        obs_property_list_add_string(pipe, name, name);
    }
    if (shm) closedir(shm);
    if (s) {
        char text[256];
        status_text(s, text, sizeof text);
        obs_properties_add_text(props, "status", text, OBS_TEXT_INFO);
    }
    return props;
}

static struct obs_source_info directpipe_source_info = {
    .id = "directpipe_audio",
    .type = OBS_SOURCE_TYPE_INPUT,
    .output_flags = OBS_SOURCE_AUDIO | OBS_SOURCE_DO_NOT_DUPLICATE,
    .get_name = directpipe_name,
    .create = directpipe_create,
    .destroy = directpipe_destroy,
    .update = directpipe_update,
    .get_defaults = directpipe_defaults,
    .get_properties = directpipe_properties,
    .icon_type = OBS_ICON_TYPE_AUDIO_INPUT,
};

bool obs_module_load(void) {
    obs_register_source(&directpipe_source_info);
    return true;
}
