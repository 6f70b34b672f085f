/*
 * packaged-reader: a program of someone else's that reads DirectPipe's pipe through the installed
 * libdirectpipe-reader, built with nothing but `cc packaged_reader.c $(pkg-config --cflags --libs
 * directpipe-reader)`. The Debian package test compiles and runs it in a fresh Debian root.
 *
 *   packaged-reader PIPE SECONDS
 *
 * Prints one JSON line: the frames read while connected, the format, and the state at the end.
 */
#include <directpipe_reader.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: packaged-reader PIPE SECONDS\n");
        return 2;
    }
    dp_reader *reader = NULL;
    dp_error error = dp_reader_open(argv[1], 0, DP_READER_ALLOW_ABSENT, &reader);
    if (error != DP_OK) {
        fprintf(stderr, "packaged-reader: cannot open %s (error %d)\n", argv[1], (int)error);
        return 1;
    }
    float buffer[8 * 4096];
    unsigned long long frames = 0;
    dp_read_info info = DP_READ_INFO_INIT;
    double end = now_seconds() + atof(argv[2]);
    while (now_seconds() < end) {
        if (dp_reader_wait(reader, 100) != DP_WAIT_DATA) continue;
        long count = dp_reader_read(reader, buffer, sizeof buffer / sizeof buffer[0], &info);
        if (count > 0) frames += (unsigned long long)count;
    }
    dp_reader_status status = DP_READER_STATUS_INIT;
    dp_reader_get_status(reader, &status);
    printf("{\"frames\":%llu,\"rate\":%u,\"channels\":%u,\"state\":\"%s\"}\n", frames, status.format.sample_rate,
           status.format.channels, dp_reader_state_string(status.state));
    dp_reader_close(reader);
    return 0;
}
