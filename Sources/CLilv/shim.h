#include <lilv/lilv.h>
#include <lv2/core/lv2.h>
#include <lv2/state/state.h>
