/*
 * VST3 hosting: the interfaces' declarations (ours, from the format's published facts), the objects a host must
 * provide, and a plugin instance's life from creation to release.
 */
#define _GNU_SOURCE
#include "directpipe_vst3.h"
#include "vst3_abi.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- Declarations ---- */

static const dp_vst3_uid iid_plugin_base = UID(0x22888DDB, 0x156E45AE, 0x8358B348, 0x08190625);
static const dp_vst3_uid iid_factory2 = UID(0x0007B650, 0xF24B4C0B, 0xA464EDB9, 0xF00B2ABB);
static const dp_vst3_uid iid_component = UID(0xE831FF31, 0xF2D54301, 0x928EBBEE, 0x25697802);
static const dp_vst3_uid iid_audio_processor = UID(0x42043F99, 0xB7DA453C, 0xA569E79D, 0x9AAEC33D);
static const dp_vst3_uid iid_edit_controller = UID(0xDCD7BBE3, 0x7742448D, 0xA874AACC, 0x979C759E);
static const dp_vst3_uid iid_connection_point = UID(0x70A4156F, 0x6E6E4026, 0x989148BF, 0xAA60D8D1);
static const dp_vst3_uid iid_host_application = UID(0x58E595CC, 0xDB2D4969, 0x8B6AAF8C, 0x36A664E5);
static const dp_vst3_uid iid_component_handler = UID(0x93A0BEA3, 0x0BD045DB, 0x8E890B0C, 0xC1E46AC6);
static const dp_vst3_uid iid_stream = UID(0xC3BF6EA2, 0x30994752, 0x9B6BF990, 0x1EE33E9B);
static const dp_vst3_uid iid_message = UID(0x936F033B, 0xC6C047DB, 0xBB0882F8, 0x13C1E613);
static const dp_vst3_uid iid_attribute_list = UID(0x1E5F0AEB, 0xCC7F4533, 0xA2544011, 0x38AD5EE4);
static const dp_vst3_uid iid_event_list = UID(0x3A2C4214, 0x346349FE, 0xB2C4F397, 0xB9695A44);
static const dp_vst3_uid iid_parameter_changes = UID(0xA4779663, 0x0BB64A56, 0xB44384A8, 0x466FEB9D);
static const dp_vst3_uid iid_value_queue = UID(0x01263A18, 0xED074F6F, 0x98C9D356, 0x4686F9BA);

typedef int16_t string128[128]; /* UTF-16 */


typedef struct {
    char vendor[64], url[256], email[128];
    int32_t flags;
} factory_info;

typedef struct {
    dp_vst3_uid cid;
    int32_t cardinality;
    char category[32], name[64];
} class_info;

typedef struct {
    dp_vst3_uid cid;
    int32_t cardinality;
    char category[32], name[64];
    uint32_t class_flags;
    char sub_categories[128], vendor[64], version[64], sdk_version[64];
} class_info2;

typedef struct {
    UNKNOWN_METHODS;
    result_t (*get_factory_info)(void *self, factory_info *info);
    int32_t (*count_classes)(void *self);
    result_t (*get_class_info)(void *self, int32_t index, class_info *info);
    result_t (*create_instance)(void *self, const dp_vst3_uid cid, const dp_vst3_uid iid, void **object);
    result_t (*get_class_info2)(void *self, int32_t index, class_info2 *info); /* IPluginFactory2 */
} factory_vtable;

typedef struct {
    int32_t media_type, direction, channel_count;
    string128 name;
    int32_t bus_type;
    uint32_t flags;
} bus_info;

enum { MEDIA_AUDIO = 0, DIRECTION_INPUT = 0, DIRECTION_OUTPUT = 1 };

typedef struct {
    UNKNOWN_METHODS;
    result_t (*initialize)(void *self, void *context);
    result_t (*terminate)(void *self);
    result_t (*get_controller_class_id)(void *self, dp_vst3_uid cid);
    result_t (*set_io_mode)(void *self, int32_t mode);
    int32_t (*get_bus_count)(void *self, int32_t media_type, int32_t direction);
    result_t (*get_bus_info)(void *self, int32_t media_type, int32_t direction, int32_t index, bus_info *info);
    result_t (*get_routing_info)(void *self, void *input, void *output);
    result_t (*activate_bus)(void *self, int32_t media_type, int32_t direction, int32_t index, uint8_t state);
    result_t (*set_active)(void *self, uint8_t state);
    result_t (*set_state)(void *self, void *stream);
    result_t (*get_state)(void *self, void *stream);
} component_vtable;

typedef struct {
    int32_t process_mode, sample_size, max_block;
    double sample_rate;
} process_setup;

typedef struct {
    int32_t channel_count;
    uint64_t silence_flags;
    float **channels;
} audio_bus_buffers;

typedef struct {
    uint32_t state;
    double sample_rate;
    int64_t project_time_samples, system_time_ns, continuous_time_samples;
    double project_time_quarters, bar_position_quarters, cycle_start_quarters, cycle_end_quarters, tempo;
    int32_t time_signature_numerator, time_signature_denominator;
    struct {
        uint8_t key_note, root_note;
        int16_t chord_mask;
    } chord;
    int32_t smpte_offset_subframes;
    struct {
        uint32_t frames_per_second, flags;
    } frame_rate;
    int32_t samples_to_next_clock;
} process_context;

typedef struct {
    int32_t process_mode, sample_size, frames, input_bus_count, output_bus_count;
    audio_bus_buffers *inputs, *outputs;
    void *input_parameters, *output_parameters, *input_events, *output_events;
    process_context *context;
} process_data;

enum { MODE_REALTIME = 0, MODE_OFFLINE = 2, SAMPLE_32 = 0 };

typedef struct {
    UNKNOWN_METHODS;
    result_t (*set_bus_arrangements)(void *self, uint64_t *inputs, int32_t input_count, uint64_t *outputs, int32_t output_count);
    result_t (*get_bus_arrangement)(void *self, int32_t direction, int32_t index, uint64_t *arrangement);
    result_t (*can_process_sample_size)(void *self, int32_t size);
    uint32_t (*get_latency_samples)(void *self);
    result_t (*setup_processing)(void *self, process_setup *setup);
    result_t (*set_processing)(void *self, uint8_t state);
    result_t (*process)(void *self, process_data *data);
    uint32_t (*get_tail_samples)(void *self);
} processor_vtable;

typedef struct {
    uint32_t id;
    string128 title, short_title, units;
    int32_t step_count;
    double default_normalized;
    int32_t unit_id, flags;
} parameter_info;

typedef struct {
    UNKNOWN_METHODS;
    result_t (*initialize)(void *self, void *context);
    result_t (*terminate)(void *self);
    result_t (*set_component_state)(void *self, void *stream);
    result_t (*set_state)(void *self, void *stream);
    result_t (*get_state)(void *self, void *stream);
    int32_t (*get_parameter_count)(void *self);
    result_t (*get_parameter_info)(void *self, int32_t index, parameter_info *info);
    result_t (*get_parameter_text)(void *self, uint32_t id, double normalized, string128 text);
    result_t (*get_parameter_value)(void *self, uint32_t id, const int16_t *text, double *normalized);
    double (*normalized_to_plain)(void *self, uint32_t id, double normalized);
    double (*plain_to_normalized)(void *self, uint32_t id, double plain);
    double (*get_parameter_normalized)(void *self, uint32_t id);
    result_t (*set_parameter_normalized)(void *self, uint32_t id, double normalized);
    result_t (*set_component_handler)(void *self, void *handler);
    void *(*create_view)(void *self, const char *name);
} controller_vtable;

typedef struct {
    UNKNOWN_METHODS;
    result_t (*connect)(void *self, void *other);
    result_t (*disconnect)(void *self, void *other);
    result_t (*notify)(void *self, void *message);
} connection_vtable;


_Static_assert(sizeof(void *) == 8, "VST3 layout checked for LP64 only");
_Static_assert(sizeof(factory_info) == 452, "PFactoryInfo");
_Static_assert(sizeof(class_info) == 116, "PClassInfo");
_Static_assert(offsetof(class_info2, sub_categories) == 120 && sizeof(class_info2) == 440, "PClassInfo2");
_Static_assert(offsetof(factory_vtable, create_instance) == 6 * 8 && offsetof(factory_vtable, get_class_info2) == 7 * 8, "factory");
_Static_assert(offsetof(bus_info, bus_type) == 268 && sizeof(bus_info) == 276, "BusInfo");
_Static_assert(offsetof(component_vtable, get_state) == 13 * 8, "IComponent");
_Static_assert(sizeof(process_setup) == 24, "ProcessSetup");
_Static_assert(offsetof(audio_bus_buffers, channels) == 16 && sizeof(audio_bus_buffers) == 24, "AudioBusBuffers");
_Static_assert(offsetof(process_data, inputs) == 24 && offsetof(process_data, context) == 72 && sizeof(process_data) == 80,
               "ProcessData");
_Static_assert(offsetof(process_context, tempo) == 72 && offsetof(process_context, samples_to_next_clock) == 104 &&
                   sizeof(process_context) == 112,
               "ProcessContext");
_Static_assert(offsetof(processor_vtable, process) == 9 * 8, "IAudioProcessor");
_Static_assert(offsetof(parameter_info, step_count) == 772 && offsetof(parameter_info, default_normalized) == 776 &&
                   sizeof(parameter_info) == 792,
               "ParameterInfo");
_Static_assert(offsetof(controller_vtable, create_view) == 17 * 8, "IEditController");

/* ---- UTF-16 and UTF-8 ---- */

static void utf16_to_utf8(const int16_t *in, size_t length, char *out, size_t size) {
    size_t o = 0;
    for (size_t i = 0; i < length && in[i] != 0 && o + 4 < size; i++) {
        uint32_t c = (uint16_t)in[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < length) c = 0x10000 + ((c - 0xD800) << 10) + ((uint16_t)in[++i] - 0xDC00);
        if (c < 0x80) out[o++] = (char)c;
        else if (c < 0x800) { out[o++] = (char)(0xC0 | c >> 6); out[o++] = (char)(0x80 | (c & 0x3F)); }
        else if (c < 0x10000) { out[o++] = (char)(0xE0 | c >> 12); out[o++] = (char)(0x80 | ((c >> 6) & 0x3F)); out[o++] = (char)(0x80 | (c & 0x3F)); }
        else { out[o++] = (char)(0xF0 | c >> 18); out[o++] = (char)(0x80 | ((c >> 12) & 0x3F)); out[o++] = (char)(0x80 | ((c >> 6) & 0x3F)); out[o++] = (char)(0x80 | (c & 0x3F)); }
    }
    if (size > 0) out[o] = 0;
}

/* ---- Host objects: reference counts are kept but the instance owns them (freed with it) ---- */

/* An object of ours: the vtable pointer first, as the plugin expects. */
typedef struct {
    const void *vtable;
    const uint8_t *iid;
    atomic_uint references;
} host_object;

static result_t object_query(void *self, const dp_vst3_uid iid, void **object) {
    host_object *host = self;
    if (same_uid(iid, iid_unknown) || same_uid(iid, host->iid)) {
        atomic_fetch_add(&host->references, 1);
        *object = self;
        return RESULT_OK;
    }
    *object = NULL;
    return RESULT_NO_INTERFACE;
}
static uint32_t object_add_ref(void *self) { return atomic_fetch_add(&((host_object *)self)->references, 1) + 1; }
static uint32_t object_release(void *self) {
    uint32_t count = atomic_load(&((host_object *)self)->references);
    if (count > 1) count = atomic_fetch_sub(&((host_object *)self)->references, 1) - 1;
    return count; /* owned by the instance: never freed here */
}

/* Messages and attribute lists: made by the host application for the plugin, freed on their last release. */
typedef struct attribute {
    char id[128];
    int kind; /* 0 int, 1 float, 2 string, 3 binary */
    int64_t integer;
    double number;
    void *data;
    uint32_t size;
    struct attribute *next;
} attribute;

typedef struct {
    const void *vtable;
    atomic_uint references;
    attribute *first;
} attribute_list;

typedef struct {
    const void *vtable;
    atomic_uint references;
    char *id;
    attribute_list *attributes;
} message;

static void attributes_free(attribute_list *list) {
    for (attribute *a = list->first, *next; a != NULL; a = next) {
        next = a->next;
        free(a->data);
        free(a);
    }
    free(list);
}

static attribute *attribute_slot(attribute_list *list, const char *id, bool create) {
    if (id == NULL) return NULL;
    for (attribute *a = list->first; a != NULL; a = a->next)
        if (strcmp(a->id, id) == 0) return a;
    if (!create) return NULL;
    attribute *a = calloc(1, sizeof *a);
    if (a == NULL) return NULL;
    snprintf(a->id, sizeof a->id, "%s", id);
    a->next = list->first;
    list->first = a;
    return a;
}

static result_t list_query(void *self, const dp_vst3_uid iid, void **object) {
    if (same_uid(iid, iid_unknown) || same_uid(iid, iid_attribute_list)) {
        atomic_fetch_add(&((attribute_list *)self)->references, 1);
        *object = self;
        return RESULT_OK;
    }
    *object = NULL;
    return RESULT_NO_INTERFACE;
}
static uint32_t list_add_ref(void *self) { return atomic_fetch_add(&((attribute_list *)self)->references, 1) + 1; }
static uint32_t list_release(void *self) {
    uint32_t left = atomic_fetch_sub(&((attribute_list *)self)->references, 1) - 1;
    if (left == 0) attributes_free(self);
    return left;
}
static result_t list_set_int(void *self, const char *id, int64_t value) {
    attribute *a = attribute_slot(self, id, true);
    if (a == NULL) return RESULT_INVALID_ARGUMENT;
    a->kind = 0;
    a->integer = value;
    return RESULT_OK;
}
static result_t list_get_int(void *self, const char *id, int64_t *value) {
    attribute *a = attribute_slot(self, id, false);
    if (a == NULL || a->kind != 0) return RESULT_FALSE;
    *value = a->integer;
    return RESULT_OK;
}
static result_t list_set_float(void *self, const char *id, double value) {
    attribute *a = attribute_slot(self, id, true);
    if (a == NULL) return RESULT_INVALID_ARGUMENT;
    a->kind = 1;
    a->number = value;
    return RESULT_OK;
}
static result_t list_get_float(void *self, const char *id, double *value) {
    attribute *a = attribute_slot(self, id, false);
    if (a == NULL || a->kind != 1) return RESULT_FALSE;
    *value = a->number;
    return RESULT_OK;
}
static result_t list_set_bytes(void *self, const char *id, const void *data, uint32_t size, int kind) {
    attribute *a = attribute_slot(self, id, true);
    if (a == NULL) return RESULT_INVALID_ARGUMENT;
    void *copy = malloc(size ? size : 1);
    if (copy == NULL) return RESULT_INVALID_ARGUMENT;
    if (size) memcpy(copy, data, size);
    free(a->data);
    a->kind = kind;
    a->data = copy;
    a->size = size;
    return RESULT_OK;
}
static result_t list_set_string(void *self, const char *id, const int16_t *text) {
    uint32_t length = 0;
    while (text != NULL && text[length] != 0) length++;
    return list_set_bytes(self, id, text, (length + 1) * 2, 2);
}
static result_t list_get_string(void *self, const char *id, int16_t *text, uint32_t size) {
    attribute *a = attribute_slot(self, id, false);
    if (a == NULL || a->kind != 2 || size < 2) return RESULT_FALSE;
    uint32_t bytes = a->size < size ? a->size : size; /* size is in bytes, as the format says */
    memcpy(text, a->data, bytes);
    text[bytes / 2 - 1] = 0;
    return RESULT_OK;
}
static result_t list_set_binary(void *self, const char *id, const void *data, uint32_t size) { return list_set_bytes(self, id, data, size, 3); }
static result_t list_get_binary(void *self, const char *id, const void **data, uint32_t *size) {
    attribute *a = attribute_slot(self, id, false);
    if (a == NULL || a->kind != 3) return RESULT_FALSE;
    *data = a->data;
    *size = a->size;
    return RESULT_OK;
}
static const struct {
    UNKNOWN_METHODS;
    result_t (*set_int)(void *, const char *, int64_t);
    result_t (*get_int)(void *, const char *, int64_t *);
    result_t (*set_float)(void *, const char *, double);
    result_t (*get_float)(void *, const char *, double *);
    result_t (*set_string)(void *, const char *, const int16_t *);
    result_t (*get_string)(void *, const char *, int16_t *, uint32_t);
    result_t (*set_binary)(void *, const char *, const void *, uint32_t);
    result_t (*get_binary)(void *, const char *, const void **, uint32_t *);
} attribute_list_vtable = {list_query,     list_add_ref,   list_release,    list_set_int,    list_get_int,   list_set_float,
                           list_get_float, list_set_string, list_get_string, list_set_binary, list_get_binary};

static result_t message_query(void *self, const dp_vst3_uid iid, void **object) {
    if (same_uid(iid, iid_unknown) || same_uid(iid, iid_message)) {
        atomic_fetch_add(&((message *)self)->references, 1);
        *object = self;
        return RESULT_OK;
    }
    *object = NULL;
    return RESULT_NO_INTERFACE;
}
static uint32_t message_add_ref(void *self) { return atomic_fetch_add(&((message *)self)->references, 1) + 1; }
static uint32_t message_release(void *self) {
    message *m = self;
    uint32_t left = atomic_fetch_sub(&m->references, 1) - 1;
    if (left == 0) {
        list_release(m->attributes);
        free(m->id);
        free(m);
    }
    return left;
}
static const char *message_get_id(void *self) { return ((message *)self)->id; }
static void message_set_id(void *self, const char *id) {
    message *m = self;
    free(m->id);
    m->id = id != NULL ? strdup(id) : NULL;
}
static void *message_get_attributes(void *self) { return ((message *)self)->attributes; }
static const struct {
    UNKNOWN_METHODS;
    const char *(*get_message_id)(void *);
    void (*set_message_id)(void *, const char *);
    void *(*get_attributes)(void *);
} message_vtable = {message_query, message_add_ref, message_release, message_get_id, message_set_id, message_get_attributes};

static message *message_new(void) {
    message *m = calloc(1, sizeof *m);
    attribute_list *list = calloc(1, sizeof *list);
    if (m == NULL || list == NULL) {
        free(m);
        free(list);
        return NULL;
    }
    list->vtable = &attribute_list_vtable;
    atomic_init(&list->references, 1);
    m->vtable = &message_vtable;
    atomic_init(&m->references, 1);
    m->attributes = list;
    return m;
}

/* The host application: a name, and messages and attribute lists on request. */
static result_t application_get_name(void *self, string128 name) {
    (void)self;
    static const char text[] = "DirectPipe";
    for (size_t i = 0; i < sizeof text; i++) name[i] = text[i];
    return RESULT_OK;
}
static result_t application_create_instance(void *self, dp_vst3_uid cid, dp_vst3_uid iid, void **object) {
    (void)self;
    (void)cid;
    *object = NULL;
    if (same_uid(iid, iid_message)) {
        *object = message_new();
    } else if (same_uid(iid, iid_attribute_list)) {
        message *m = message_new(); /* a list alone: made with a message's code, the message dropped */
        if (m != NULL) {
            *object = m->attributes;
            m->attributes = NULL;
            free(m);
        }
    } else {
        return RESULT_NO_INTERFACE;
    }
    return *object != NULL ? RESULT_OK : RESULT_FALSE;
}
static const struct {
    UNKNOWN_METHODS;
    result_t (*get_name)(void *, string128);
    result_t (*create_instance)(void *, dp_vst3_uid, dp_vst3_uid, void **);
} application_vtable = {object_query, object_add_ref, object_release, application_get_name, application_create_instance};

/* ---- Streams (state), over a growing buffer ---- */

typedef struct {
    host_object object;
    uint8_t *bytes;
    int64_t size, capacity, position;
} memory_stream;

static result_t stream_read(void *self, void *buffer, int32_t count, int32_t *read) {
    memory_stream *s = self;
    int64_t left = s->size - s->position;
    int32_t n = count < 0 ? 0 : (count > left ? (int32_t)left : count);
    memcpy(buffer, s->bytes + s->position, (size_t)n);
    s->position += n;
    if (read != NULL) *read = n;
    return RESULT_OK;
}
static result_t stream_write(void *self, void *buffer, int32_t count, int32_t *written) {
    memory_stream *s = self;
    if (count < 0) return RESULT_INVALID_ARGUMENT;
    if (s->position + count > s->capacity) {
        int64_t capacity = s->capacity ? s->capacity : 4096;
        while (capacity < s->position + count) capacity *= 2;
        uint8_t *bytes = realloc(s->bytes, (size_t)capacity);
        if (bytes == NULL) return RESULT_FALSE;
        s->bytes = bytes;
        s->capacity = capacity;
    }
    memcpy(s->bytes + s->position, buffer, (size_t)count);
    s->position += count;
    if (s->position > s->size) s->size = s->position;
    if (written != NULL) *written = count;
    return RESULT_OK;
}
static result_t stream_seek(void *self, int64_t position, int32_t mode, int64_t *result) {
    memory_stream *s = self;
    int64_t target = mode == 0 ? position : (mode == 1 ? s->position + position : s->size + position);
    if (target < 0 || target > s->size) return RESULT_INVALID_ARGUMENT;
    s->position = target;
    if (result != NULL) *result = target;
    return RESULT_OK;
}
static result_t stream_tell(void *self, int64_t *position) {
    *position = ((memory_stream *)self)->position;
    return RESULT_OK;
}
static const struct {
    UNKNOWN_METHODS;
    result_t (*read)(void *, void *, int32_t, int32_t *);
    result_t (*write)(void *, void *, int32_t, int32_t *);
    result_t (*seek)(void *, int64_t, int32_t, int64_t *);
    result_t (*tell)(void *, int64_t *);
} stream_vtable = {object_query, object_add_ref, object_release, stream_read, stream_write, stream_seek, stream_tell};

static void stream_init(memory_stream *s, const uint8_t *bytes, size_t size) {
    memset(s, 0, sizeof *s);
    s->object.vtable = &stream_vtable;
    s->object.iid = iid_stream;
    atomic_init(&s->object.references, 1);
    if (bytes != NULL && size > 0) {
        stream_write(s, (void *)bytes, (int32_t)size, NULL);
        s->position = 0;
    }
}

/* ---- Parameter changes and value queues: fixed capacity, made once, no allocation while processing ---- */

enum { QUEUE_POINTS = 8 };

typedef struct {
    host_object object;
    uint32_t id;
    int32_t count;
    int32_t offsets[QUEUE_POINTS];
    double values[QUEUE_POINTS];
} value_queue;

typedef struct {
    host_object object;
    value_queue *queues;
    int32_t count, capacity;
} parameter_changes;

static uint32_t queue_get_id(void *self) { return ((value_queue *)self)->id; }
static int32_t queue_get_count(void *self) { return ((value_queue *)self)->count; }
static result_t queue_get_point(void *self, int32_t index, int32_t *offset, double *value) {
    value_queue *q = self;
    if (index < 0 || index >= q->count) return RESULT_INVALID_ARGUMENT;
    *offset = q->offsets[index];
    *value = q->values[index];
    return RESULT_OK;
}
static result_t queue_add_point(void *self, int32_t offset, double value, int32_t *index) {
    value_queue *q = self;
    if (q->count >= QUEUE_POINTS) return RESULT_FALSE;
    q->offsets[q->count] = offset;
    q->values[q->count] = value;
    if (index != NULL) *index = q->count;
    q->count++;
    return RESULT_OK;
}
static const struct {
    UNKNOWN_METHODS;
    uint32_t (*get_parameter_id)(void *);
    int32_t (*get_point_count)(void *);
    result_t (*get_point)(void *, int32_t, int32_t *, double *);
    result_t (*add_point)(void *, int32_t, double, int32_t *);
} queue_vtable = {object_query, object_add_ref, object_release, queue_get_id, queue_get_count, queue_get_point, queue_add_point};

static int32_t changes_get_count(void *self) { return ((parameter_changes *)self)->count; }
static void *changes_get_data(void *self, int32_t index) {
    parameter_changes *c = self;
    return index >= 0 && index < c->count ? &c->queues[index] : NULL;
}
static void *changes_add_data(void *self, const uint32_t *id, int32_t *index) {
    parameter_changes *c = self;
    for (int32_t i = 0; i < c->count; i++)
        if (c->queues[i].id == *id) {
            if (index != NULL) *index = i;
            return &c->queues[i];
        }
    if (c->count >= c->capacity) return NULL;
    value_queue *q = &c->queues[c->count];
    q->id = *id;
    q->count = 0;
    if (index != NULL) *index = c->count;
    c->count++;
    return q;
}
static const struct {
    UNKNOWN_METHODS;
    int32_t (*get_parameter_count)(void *);
    void *(*get_parameter_data)(void *, int32_t);
    void *(*add_parameter_data)(void *, const uint32_t *, int32_t *);
} changes_vtable = {object_query, object_add_ref, object_release, changes_get_count, changes_get_data, changes_add_data};

static bool changes_init(parameter_changes *c, int32_t capacity) {
    memset(c, 0, sizeof *c);
    c->object.vtable = &changes_vtable;
    c->object.iid = iid_parameter_changes;
    atomic_init(&c->object.references, 1);
    c->capacity = capacity;
    c->queues = calloc((size_t)(capacity ? capacity : 1), sizeof *c->queues);
    if (c->queues == NULL) return false;
    for (int32_t i = 0; i < capacity; i++) {
        c->queues[i].object.vtable = &queue_vtable;
        c->queues[i].object.iid = iid_value_queue;
        atomic_init(&c->queues[i].object.references, 1);
    }
    return true;
}

/* An event list that is always empty (effects take no notes), and takes none. */
static uint32_t events_count(void *self) { (void)self; return 0; }
static result_t events_get(void *self, int32_t index, void *event) { (void)self; (void)index; (void)event; return RESULT_INVALID_ARGUMENT; }
static result_t events_add(void *self, void *event) { (void)self; (void)event; return RESULT_OK; }
static const struct {
    UNKNOWN_METHODS;
    uint32_t (*get_event_count)(void *);
    result_t (*get_event)(void *, int32_t, void *);
    result_t (*add_event)(void *, void *);
} events_vtable = {object_query, object_add_ref, object_release, events_count, events_get, events_add};

/* ---- Modules ---- */

struct dp_vst3_module {
    char *path;
    void *library;
    void *factory; /* IPluginFactory (2 where it says so) */
    bool has_factory2;
    dp_vst3_module *next;
};

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static dp_vst3_module *modules;

/* The library inside a bundle: Contents/<machine>-linux/<name>.so; a plain file is the library itself. */
static char *library_path(const char *path) {
    size_t length = strlen(path);
    while (length > 1 && path[length - 1] == '/') length--;
    char *clean = strndup(path, length);
    if (clean == NULL) return NULL;
    if (access(clean, F_OK) == 0 && length > 5 && strcmp(clean + length - 5, ".vst3") == 0) {
        char probe[4096];
        snprintf(probe, sizeof probe, "%s/Contents", clean);
        if (access(probe, F_OK) == 0) {
            const char *slash = strrchr(clean, '/');
            const char *name = slash != NULL ? slash + 1 : clean;
            struct utsname machine;
            uname(&machine);
            char *library = malloc(4096);
            if (library != NULL)
                snprintf(library, 4096, "%s/Contents/%s-linux/%.*s.so", clean, machine.machine, (int)strlen(name) - 5, name);
            free(clean);
            return library;
        }
    }
    return clean;
}

dp_vst3_module *dp_vst3_module_open(const char *path, char *error, size_t error_size) {
    pthread_mutex_lock(&modules_lock);
    dp_vst3_module *module = modules;
    while (module != NULL && strcmp(module->path, path) != 0) module = module->next;
    if (module != NULL) {
        pthread_mutex_unlock(&modules_lock);
        return module;
    }
    char *library_file = library_path(path);
    void *library = library_file != NULL ? dlopen(library_file, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (library == NULL) {
        snprintf(error, error_size, "cannot load %s: %s", library_file ? library_file : path, dlerror());
        free(library_file);
        pthread_mutex_unlock(&modules_lock);
        return NULL;
    }
    free(library_file);
    bool (*entry)(void *) = (bool (*)(void *))dlsym(library, "ModuleEntry");
    void *(*get_factory)(void) = (void *(*)(void))dlsym(library, "GetPluginFactory");
    if (get_factory == NULL) {
        snprintf(error, error_size, "not a VST3 module (no GetPluginFactory)");
        pthread_mutex_unlock(&modules_lock);
        return NULL;
    }
    if (entry != NULL && !entry(library)) {
        snprintf(error, error_size, "its ModuleEntry failed");
        pthread_mutex_unlock(&modules_lock);
        return NULL;
    }
    void *factory = get_factory();
    if (factory == NULL) {
        snprintf(error, error_size, "GetPluginFactory returned no factory");
        pthread_mutex_unlock(&modules_lock);
        return NULL;
    }
    module = calloc(1, sizeof *module);
    if (module == NULL) {
        snprintf(error, error_size, "out of memory");
        pthread_mutex_unlock(&modules_lock);
        return NULL;
    }
    module->path = strdup(path);
    module->library = library;
    module->factory = factory;
    void *factory2 = NULL;
    if (VTABLE(factory, factory_vtable)->query_interface(factory, iid_factory2, &factory2) == RESULT_OK && factory2 != NULL) {
        module->has_factory2 = true;
        VTABLE(factory2, factory_vtable)->release(factory2);
    }
    module->next = modules;
    modules = module;
    pthread_mutex_unlock(&modules_lock);
    return module;
}

int32_t dp_vst3_module_class_count(dp_vst3_module *module) { return VTABLE(module->factory, factory_vtable)->count_classes(module->factory); }

bool dp_vst3_module_class(dp_vst3_module *module, int32_t index, dp_vst3_class_info *info) {
    const factory_vtable *factory = VTABLE(module->factory, factory_vtable);
    memset(info, 0, sizeof *info);
    if (module->has_factory2) {
        class_info2 full;
        memset(&full, 0, sizeof full);
        if (factory->get_class_info2(module->factory, index, &full) != RESULT_OK) return false;
        memcpy(info->cid, full.cid, 16);
        memcpy(info->category, full.category, sizeof info->category - 1);
        memcpy(info->name, full.name, sizeof info->name - 1);
        memcpy(info->vendor, full.vendor, sizeof info->vendor - 1);
        memcpy(info->sub_categories, full.sub_categories, sizeof info->sub_categories - 1);
        memcpy(info->version, full.version, sizeof info->version - 1);
        return true;
    }
    class_info basic;
    memset(&basic, 0, sizeof basic);
    if (factory->get_class_info(module->factory, index, &basic) != RESULT_OK) return false;
    memcpy(info->cid, basic.cid, 16);
    memcpy(info->category, basic.category, sizeof info->category - 1);
    memcpy(info->name, basic.name, sizeof info->name - 1);
    factory_info vendor;
    memset(&vendor, 0, sizeof vendor);
    if (factory->get_factory_info(module->factory, &vendor) == RESULT_OK) memcpy(info->vendor, vendor.vendor, sizeof info->vendor - 1);
    return true;
}

/* ---- Instances ---- */

enum { MAX_BUSES = 16 };

struct dp_vst3_instance {
    host_object application;
    host_object handler;
    host_object input_events, output_events;
    parameter_changes input_changes, output_changes;
    atomic_int restart_flags;
    _Atomic(dp_editor_queue *) editor; /* where edits from the plugin's editor go */
    void *component;  /* IComponent */
    void *processor;  /* IAudioProcessor */
    void *controller; /* IEditController */
    bool separate_controller;
    void *component_point, *controller_point; /* IConnectionPoint, when connected */
    bool active, processing, offline;
    int32_t input_buses, output_buses;
    int32_t input_channels[MAX_BUSES], output_channels[MAX_BUSES];
    audio_bus_buffers inputs[MAX_BUSES], outputs[MAX_BUSES];
    process_context context;
    process_data data;
};

/* Marks the audio thread while a plugin processes (nothing asks VST3 hosts for it; kept for the log's sake). */
static __thread int in_process;

/* The component handler: the controller's (its editor's) edits go to the editor queue, if one listens. */
static dp_vst3_instance *instance_of_handler(void *self) {
    return (dp_vst3_instance *)((char *)self - offsetof(dp_vst3_instance, handler));
}
static result_t report_edit(void *self, uint32_t kind, uint32_t id, double value) {
    dp_editor_queue *queue = atomic_load(&instance_of_handler(self)->editor);
    if (queue != NULL) dp_editor_queue_push(queue, kind, id, value);
    return RESULT_OK;
}
static result_t handler_begin_edit(void *self, uint32_t id) { return report_edit(self, DP_EDITOR_GESTURE_BEGIN, id, 0); }
static result_t handler_perform_edit(void *self, uint32_t id, double value) { return report_edit(self, DP_EDITOR_VALUE, id, value); }
static result_t handler_end_edit(void *self, uint32_t id) { return report_edit(self, DP_EDITOR_GESTURE_END, id, 0); }
static result_t handler_restart(void *self, int32_t flags) {
    atomic_fetch_or(&instance_of_handler(self)->restart_flags, flags);
    return RESULT_OK;
}
static const struct {
    UNKNOWN_METHODS;
    result_t (*begin_edit)(void *, uint32_t);
    result_t (*perform_edit)(void *, uint32_t, double);
    result_t (*end_edit)(void *, uint32_t);
    result_t (*restart_component)(void *, int32_t);
} handler_vtable = {object_query, object_add_ref, object_release, handler_begin_edit, handler_perform_edit, handler_end_edit, handler_restart};

static void host_object_init(host_object *object, const void *vtable, const uint8_t *iid) {
    object->vtable = vtable;
    object->iid = iid;
    atomic_init(&object->references, 1);
}

static void *query(void *object, const uint8_t *iid) {
    void *result = NULL;
    if (object != NULL && VTABLE(object, unknown_vtable)->query_interface(object, iid, &result) != RESULT_OK) return NULL;
    return result;
}

static void release(void *object) {
    if (object != NULL) VTABLE(object, unknown_vtable)->release(object);
}

dp_vst3_instance *dp_vst3_instance_new(dp_vst3_module *module, const dp_vst3_uid cid, char *error, size_t error_size) {
    dp_vst3_instance *instance = calloc(1, sizeof *instance);
    if (instance == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    host_object_init(&instance->application, &application_vtable, iid_host_application);
    host_object_init(&instance->handler, &handler_vtable, iid_component_handler);
    host_object_init(&instance->input_events, &events_vtable, iid_event_list);
    host_object_init(&instance->output_events, &events_vtable, iid_event_list);
    const factory_vtable *factory = VTABLE(module->factory, factory_vtable);
    if (factory->create_instance(module->factory, cid, iid_component, &instance->component) != RESULT_OK || instance->component == NULL) {
        snprintf(error, error_size, "its factory made no component");
        free(instance);
        return NULL;
    }
    const component_vtable *component = VTABLE(instance->component, component_vtable);
    if (component->initialize(instance->component, &instance->application) != RESULT_OK) {
        snprintf(error, error_size, "its component did not initialize");
        release(instance->component);
        free(instance);
        return NULL;
    }
    instance->processor = query(instance->component, iid_audio_processor);
    if (instance->processor == NULL) {
        snprintf(error, error_size, "its component is not an audio processor");
        dp_vst3_instance_free(instance);
        return NULL;
    }
    instance->controller = query(instance->component, iid_edit_controller);
    if (instance->controller == NULL) {
        dp_vst3_uid controller_cid;
        if (component->get_controller_class_id(instance->component, controller_cid) == RESULT_OK &&
            factory->create_instance(module->factory, controller_cid, iid_edit_controller, &instance->controller) == RESULT_OK &&
            instance->controller != NULL) {
            instance->separate_controller = true;
            if (VTABLE(instance->controller, controller_vtable)->initialize(instance->controller, &instance->application) != RESULT_OK) {
                snprintf(error, error_size, "its edit controller did not initialize");
                release(instance->controller);
                instance->controller = NULL;
                instance->separate_controller = false;
                dp_vst3_instance_free(instance);
                return NULL;
            }
            instance->component_point = query(instance->component, iid_connection_point);
            instance->controller_point = query(instance->controller, iid_connection_point);
            if (instance->component_point != NULL && instance->controller_point != NULL) {
                VTABLE(instance->component_point, connection_vtable)->connect(instance->component_point, instance->controller_point);
                VTABLE(instance->controller_point, connection_vtable)->connect(instance->controller_point, instance->component_point);
            }
        }
    }
    if (instance->controller == NULL) {
        snprintf(error, error_size, "it has no edit controller (its parameters could not be known)");
        dp_vst3_instance_free(instance);
        return NULL;
    }
    VTABLE(instance->controller, controller_vtable)->set_component_handler(instance->controller, &instance->handler);
    /* The controller learns the component's state, as every host tells it. */
    memory_stream stream;
    stream_init(&stream, NULL, 0);
    if (component->get_state(instance->component, &stream) == RESULT_OK) {
        stream.position = 0;
        VTABLE(instance->controller, controller_vtable)->set_component_state(instance->controller, &stream);
    }
    free(stream.bytes);
    instance->input_buses = component->get_bus_count(instance->component, MEDIA_AUDIO, DIRECTION_INPUT);
    instance->output_buses = component->get_bus_count(instance->component, MEDIA_AUDIO, DIRECTION_OUTPUT);
    if (instance->input_buses > MAX_BUSES) instance->input_buses = MAX_BUSES;
    if (instance->output_buses > MAX_BUSES) instance->output_buses = MAX_BUSES;
    for (int32_t direction = 0; direction < 2; direction++) {
        int32_t count = direction == 0 ? instance->input_buses : instance->output_buses;
        for (int32_t i = 0; i < count; i++) {
            bus_info info;
            memset(&info, 0, sizeof info);
            component->get_bus_info(instance->component, MEDIA_AUDIO, direction, i, &info);
            (direction == 0 ? instance->input_channels : instance->output_channels)[i] = info.channel_count;
        }
    }
    int32_t parameters = VTABLE(instance->controller, controller_vtable)->get_parameter_count(instance->controller);
    if (!changes_init(&instance->input_changes, parameters + 8) || !changes_init(&instance->output_changes, parameters + 8)) {
        snprintf(error, error_size, "out of memory");
        dp_vst3_instance_free(instance);
        return NULL;
    }
    return instance;
}

static void stop_processing(dp_vst3_instance *instance) {
    if (instance->processing) {
        in_process = 1; /* the audio thread's call, made for it once it no longer runs the plugin */
        VTABLE(instance->processor, processor_vtable)->set_processing(instance->processor, 0);
        in_process = 0;
        instance->processing = false;
    }
}

void dp_vst3_instance_free(dp_vst3_instance *instance) {
    if (instance == NULL) return;
    stop_processing(instance);
    if (instance->active) VTABLE(instance->component, component_vtable)->set_active(instance->component, 0);
    if (instance->component_point != NULL && instance->controller_point != NULL) {
        VTABLE(instance->component_point, connection_vtable)->disconnect(instance->component_point, instance->controller_point);
        VTABLE(instance->controller_point, connection_vtable)->disconnect(instance->controller_point, instance->component_point);
    }
    release(instance->component_point);
    release(instance->controller_point);
    if (instance->controller != NULL) {
        if (instance->separate_controller) VTABLE(instance->controller, controller_vtable)->terminate(instance->controller);
        release(instance->controller);
    }
    release(instance->processor);
    if (instance->component != NULL) {
        VTABLE(instance->component, component_vtable)->terminate(instance->component);
        release(instance->component);
    }
    free(instance->input_changes.queues);
    free(instance->output_changes.queues);
    free(instance);
}

int32_t dp_vst3_instance_bus_count(dp_vst3_instance *instance, int32_t direction) {
    return direction == 0 ? instance->input_buses : instance->output_buses;
}

int32_t dp_vst3_instance_bus_channels(dp_vst3_instance *instance, int32_t direction, int32_t index) {
    if (index < 0 || index >= dp_vst3_instance_bus_count(instance, direction)) return 0;
    return direction == 0 ? instance->input_channels[index] : instance->output_channels[index];
}

bool dp_vst3_instance_activate(dp_vst3_instance *instance, double sample_rate, int32_t max_frames, bool offline, char *error,
                               size_t error_size) {
    const processor_vtable *processor = VTABLE(instance->processor, processor_vtable);
    const component_vtable *component = VTABLE(instance->component, component_vtable);
    /* The buses as the plugin has them: asked for its arrangements, given them back. */
    uint64_t inputs[MAX_BUSES], outputs[MAX_BUSES];
    for (int32_t i = 0; i < instance->input_buses; i++) {
        inputs[i] = 0;
        processor->get_bus_arrangement(instance->processor, DIRECTION_INPUT, i, &inputs[i]);
    }
    for (int32_t i = 0; i < instance->output_buses; i++) {
        outputs[i] = 0;
        processor->get_bus_arrangement(instance->processor, DIRECTION_OUTPUT, i, &outputs[i]);
    }
    processor->set_bus_arrangements(instance->processor, inputs, instance->input_buses, outputs, instance->output_buses);
    for (int32_t i = 0; i < instance->input_buses; i++) component->activate_bus(instance->component, MEDIA_AUDIO, DIRECTION_INPUT, i, 1);
    for (int32_t i = 0; i < instance->output_buses; i++) component->activate_bus(instance->component, MEDIA_AUDIO, DIRECTION_OUTPUT, i, 1);
    if (processor->can_process_sample_size(instance->processor, SAMPLE_32) != RESULT_TRUE) {
        snprintf(error, error_size, "it cannot process 32-bit samples");
        return false;
    }
    process_setup setup = {offline ? MODE_OFFLINE : MODE_REALTIME, SAMPLE_32, max_frames, sample_rate};
    if (processor->setup_processing(instance->processor, &setup) != RESULT_OK) {
        snprintf(error, error_size, "it refused to process at %.0f Hz in blocks of %d", sample_rate, max_frames);
        return false;
    }
    if (component->set_active(instance->component, 1) != RESULT_OK) {
        snprintf(error, error_size, "it refused to be activated");
        return false;
    }
    instance->active = true;
    instance->offline = offline;
    instance->context.sample_rate = sample_rate;
    instance->data.process_mode = setup.process_mode;
    instance->data.sample_size = SAMPLE_32;
    instance->data.input_bus_count = instance->input_buses;
    instance->data.output_bus_count = instance->output_buses;
    instance->data.inputs = instance->inputs;
    instance->data.outputs = instance->outputs;
    instance->data.input_parameters = &instance->input_changes;
    instance->data.output_parameters = &instance->output_changes;
    instance->data.input_events = &instance->input_events;
    instance->data.output_events = &instance->output_events;
    instance->data.context = &instance->context;
    return true;
}

uint32_t dp_vst3_instance_latency(dp_vst3_instance *instance) {
    return VTABLE(instance->processor, processor_vtable)->get_latency_samples(instance->processor);
}

void dp_vst3_instance_reset(dp_vst3_instance *instance) {
    if (!instance->active) return;
    stop_processing(instance);
    const component_vtable *component = VTABLE(instance->component, component_vtable);
    component->set_active(instance->component, 0);
    component->set_active(instance->component, 1);
}

int32_t dp_vst3_instance_take_restart_flags(dp_vst3_instance *instance) { return atomic_exchange(&instance->restart_flags, 0); }

int32_t dp_vst3_instance_parameter_count(dp_vst3_instance *instance) {
    return VTABLE(instance->controller, controller_vtable)->get_parameter_count(instance->controller);
}

bool dp_vst3_instance_parameter(dp_vst3_instance *instance, int32_t index, dp_vst3_parameter_info *info) {
    parameter_info raw;
    memset(&raw, 0, sizeof raw);
    if (VTABLE(instance->controller, controller_vtable)->get_parameter_info(instance->controller, index, &raw) != RESULT_OK) return false;
    info->id = raw.id;
    utf16_to_utf8(raw.title, 128, info->title, sizeof info->title);
    utf16_to_utf8(raw.units, 128, info->units, sizeof info->units);
    info->step_count = raw.step_count;
    info->default_normalized = raw.default_normalized;
    info->flags = raw.flags;
    return true;
}

double dp_vst3_instance_to_plain(dp_vst3_instance *instance, uint32_t id, double normalized) {
    return VTABLE(instance->controller, controller_vtable)->normalized_to_plain(instance->controller, id, normalized);
}

double dp_vst3_instance_to_normalized(dp_vst3_instance *instance, uint32_t id, double plain) {
    return VTABLE(instance->controller, controller_vtable)->plain_to_normalized(instance->controller, id, plain);
}

double dp_vst3_instance_normalized(dp_vst3_instance *instance, uint32_t id) {
    return VTABLE(instance->controller, controller_vtable)->get_parameter_normalized(instance->controller, id);
}

bool dp_vst3_instance_text(dp_vst3_instance *instance, uint32_t id, double normalized, char *text, size_t size) {
    string128 raw;
    memset(raw, 0, sizeof raw);
    if (VTABLE(instance->controller, controller_vtable)->get_parameter_text(instance->controller, id, normalized, raw) != RESULT_OK) return false;
    utf16_to_utf8(raw, 128, text, size);
    return true;
}

void dp_vst3_instance_report_to(dp_vst3_instance *instance, dp_editor_queue *queue) { atomic_store(&instance->editor, queue); }

void *dp_vst3_instance_create_view(dp_vst3_instance *instance) {
    return VTABLE(instance->controller, controller_vtable)->create_view(instance->controller, "editor");
}

void dp_vst3_instance_set_controller_value(dp_vst3_instance *instance, uint32_t id, double normalized) {
    VTABLE(instance->controller, controller_vtable)->set_parameter_normalized(instance->controller, id, normalized);
}

void dp_vst3_instance_set_buffers(dp_vst3_instance *instance, float **inputs, float **outputs) {
    for (int32_t i = 0, first = 0; i < instance->input_buses; first += instance->input_channels[i], i++) {
        instance->inputs[i].channel_count = instance->input_channels[i];
        instance->inputs[i].channels = inputs + first;
    }
    for (int32_t i = 0, first = 0; i < instance->output_buses; first += instance->output_channels[i], i++) {
        instance->outputs[i].channel_count = instance->output_channels[i];
        instance->outputs[i].channels = outputs + first;
    }
}

bool dp_vst3_instance_queue(dp_vst3_instance *instance, uint32_t id, double normalized) {
    value_queue *queue = changes_add_data(&instance->input_changes, &id, NULL);
    return queue != NULL && queue_add_point(queue, 0, normalized, NULL) == RESULT_OK;
}

int32_t dp_vst3_instance_process(dp_vst3_instance *instance, int32_t frames) {
    in_process = 1;
    const processor_vtable *processor = VTABLE(instance->processor, processor_vtable);
    if (!instance->processing) {
        processor->set_processing(instance->processor, 1);
        instance->processing = true;
    }
    instance->data.frames = frames;
    instance->output_changes.count = 0;
    for (int32_t i = 0; i < instance->output_buses; i++) instance->outputs[i].silence_flags = 0;
    result_t result = processor->process(instance->processor, &instance->data);
    instance->context.continuous_time_samples += frames;
    instance->context.project_time_samples += frames;
    instance->input_changes.count = 0;
    in_process = 0;
    return result;
}

bool dp_vst3_instance_save(dp_vst3_instance *instance, uint8_t **component, size_t *component_size, uint8_t **controller,
                           size_t *controller_size) {
    memory_stream component_stream, controller_stream;
    stream_init(&component_stream, NULL, 0);
    stream_init(&controller_stream, NULL, 0);
    if (VTABLE(instance->component, component_vtable)->get_state(instance->component, &component_stream) != RESULT_OK) {
        free(component_stream.bytes);
        return false;
    }
    if (instance->separate_controller)
        VTABLE(instance->controller, controller_vtable)->get_state(instance->controller, &controller_stream);
    *component = component_stream.bytes;
    *component_size = (size_t)component_stream.size;
    *controller = controller_stream.bytes;
    *controller_size = (size_t)controller_stream.size;
    return true;
}

bool dp_vst3_instance_load(dp_vst3_instance *instance, const uint8_t *component, size_t component_size, const uint8_t *controller,
                           size_t controller_size) {
    memory_stream stream;
    stream_init(&stream, component, component_size);
    bool loaded = VTABLE(instance->component, component_vtable)->set_state(instance->component, &stream) == RESULT_OK;
    if (loaded) {
        stream.position = 0;
        VTABLE(instance->controller, controller_vtable)->set_component_state(instance->controller, &stream);
        if (instance->separate_controller && controller_size > 0) {
            memory_stream controller_stream;
            stream_init(&controller_stream, controller, controller_size);
            VTABLE(instance->controller, controller_vtable)->set_state(instance->controller, &controller_stream);
            free(controller_stream.bytes);
        }
    }
    free(stream.bytes);
    return loaded;
}
