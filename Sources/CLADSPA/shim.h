#include <ladspa.h>
