/* Internal: pw_init exactly once per process, whichever entry point comes first. */
#ifndef DIRECTPIPE_PIPEWIRE_INIT_H
#define DIRECTPIPE_PIPEWIRE_INIT_H
void dp_pw_init_once(void);
#endif
