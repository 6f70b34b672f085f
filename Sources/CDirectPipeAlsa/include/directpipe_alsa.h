/* The ALSA PCM API for Swift (the backend uses the non-macro calls only). */
#ifndef DIRECTPIPE_ALSA_H
#define DIRECTPIPE_ALSA_H

#include <alsa/asoundlib.h>

/** Stops libasound printing its own errors: DirectPipe reports each failure
    once, in one line. (ALSA's handler type is variadic: Swift cannot write one.) */
void dp_alsa_silence_errors(void);

#endif
