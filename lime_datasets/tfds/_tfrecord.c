/* The records of TFDS's files, a batch at once; optional (example_proto.py and record_files.py
 * hold the Python equivalents, which give the same bytes).
 *
 * frame(data, offsets, out) writes record i = data[offsets[i]:offsets[i + 1]] as TensorFlow's
 * record writer does: uint64 length, uint32 masked CRC-32C of those 8 bytes, the data, uint32
 * masked CRC-32C of the data, little-endian. `out` must hold exactly len(data) + 16 * n bytes.
 *
 * encode_examples(fields, rows, framed) serializes one tf.train.Example per row, as
 * example_proto.serialize_batch does, straight into one buffer, TFRecord-framed if `framed` (so a
 * record is written once, while it is hot in cache, and its CRC read from there). It returns the
 * buffer and the int64 offsets of the rows' records in it (rows + 1 values).
 *
 * CRC-32C runs on the SSE 4.2 instruction where the processor has it, else on a table (the same
 * values). Inputs come through the buffer protocol and are checked before the loops, which run
 * without the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#define MASK_DELTA 0xA282EAD8u
#define CASTAGNOLI 0x82F63B78u /* CRC-32C, reversed polynomial */

static uint32_t crc_table[8][256];

static void make_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ CASTAGNOLI : crc >> 1;
        crc_table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        for (int t = 1; t < 8; t++) {
            uint32_t prev = crc_table[t - 1][n];
            crc_table[t][n] = (prev >> 8) ^ crc_table[0][prev & 0xFF];
        }
    }
}

/* Slicing-by-8 over little-endian loads of 8 bytes. */
static uint32_t crc32c_table(const uint8_t *p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    while (n >= 8) {
        uint32_t low = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                       (uint32_t)p[3] << 24;
        low ^= crc;
        crc = crc_table[7][low & 0xFF] ^ crc_table[6][(low >> 8) & 0xFF] ^
              crc_table[5][(low >> 16) & 0xFF] ^ crc_table[4][low >> 24] ^
              crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
    return crc ^ 0xFFFFFFFFu;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SSE42_PATH 1
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(const uint8_t *p, size_t n) {
    uint64_t crc = 0xFFFFFFFFu;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = __builtin_ia32_crc32di(crc, word);
        p += 8;
        n -= 8;
    }
    uint32_t crc32 = (uint32_t)crc;
    while (n--) crc32 = __builtin_ia32_crc32qi(crc32, *p++);
    return crc32 ^ 0xFFFFFFFFu;
}
#endif

typedef uint32_t (*crc_function)(const uint8_t *, size_t);
static crc_function crc32c = crc32c_table;

static uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + MASK_DELTA; }

static void put_le(uint8_t *out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static PyObject *frame(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *data_object, *offsets_object, *out_object;
    if (!PyArg_ParseTuple(args, "OOO:frame", &data_object, &offsets_object, &out_object))
        return NULL;
    Py_buffer data, offsets, out;
    if (PyObject_GetBuffer(data_object, &data, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(offsets_object, &offsets, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    if (PyObject_GetBuffer(out_object, &out, PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&data);
        PyBuffer_Release(&offsets);
        return NULL;
    }
    PyObject *result = NULL;
    const uint8_t *bytes = (const uint8_t *)data.buf;
    uint8_t *target = (uint8_t *)out.buf;
    Py_ssize_t count = offsets.len / (Py_ssize_t)sizeof(int64_t) - 1;
    if (offsets.len % (Py_ssize_t)sizeof(int64_t) != 0 || count < 0) {
        PyErr_SetString(PyExc_ValueError, "offsets must be int64 values, at least one");
        goto done;
    }
    const int64_t *bounds = (const int64_t *)offsets.buf;
    if (((uintptr_t)bounds) % _Alignof(int64_t) != 0) {
        PyErr_SetString(PyExc_ValueError, "offsets must be aligned int64 values");
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (bounds[i] < 0 || bounds[i] > bounds[i + 1] || bounds[i + 1] > data.len) {
            PyErr_Format(PyExc_ValueError,
                         "offsets must rise within the data (%zd bytes); record %zd does not",
                         data.len, i);
            goto done;
        }
    }
    int64_t first = count ? bounds[0] : 0, last = count ? bounds[count] : 0;
    if (out.len != (last - first) + 16 * (int64_t)count) {
        PyErr_Format(PyExc_ValueError, "out must hold %lld bytes; it holds %zd",
                     (long long)((last - first) + 16 * (int64_t)count), out.len);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    uint8_t *at = target;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint64_t length = (uint64_t)(bounds[i + 1] - bounds[i]);
        put_le(at, length, 8);
        put_le(at + 8, masked(crc32c(at, 8)), 4);
        memcpy(at + 12, bytes + bounds[i], (size_t)length);
        put_le(at + 12 + length, masked(crc32c(bytes + bounds[i], (size_t)length)), 4);
        at += 16 + length;
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&out);
    return result;
}


/* A field of encode_examples: a bytes feature (row i: data[scale * offsets[i] : scale *
 * offsets[i + 1]]) or an int64 feature of one value per row (data: rows int64 values). */
enum { FIELD_BYTES = 0, FIELD_INT64 = 1 };

typedef struct {
    Py_buffer key, data, offsets;
    int kind, has_offsets;
    Py_ssize_t scale;
} Field;

static int varint_size(uint64_t value) {
    int size = 1;
    while (value >= 0x80) {
        value >>= 7;
        size++;
    }
    return size;
}

static uint8_t *put_varint(uint8_t *at, uint64_t value) {
    while (value >= 0x80) {
        *at++ = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    *at++ = (uint8_t)value;
    return at;
}

/* Feature{bytes_list=1 | int64_list=3 {value=1 ...}}, its payload length p: the list's length. */
static uint64_t list_length(uint64_t payload) { return 1 + varint_size(payload) + payload; }

static uint64_t field_payload(const Field *f, Py_ssize_t row) {
    if (f->kind == FIELD_INT64) return varint_size((uint64_t)((const int64_t *)f->data.buf)[row]);
    const int32_t *bounds = (const int32_t *)f->offsets.buf;
    return (uint64_t)(bounds[row + 1] - bounds[row]) * (uint64_t)f->scale;
}

/* Bytes of the features map entry of field f with payload length p, tag and length included. */
static uint64_t entry_size(const Field *f, uint64_t payload) {
    uint64_t list = list_length(payload);
    uint64_t feature = 1 + varint_size(list) + list;
    uint64_t key = (uint64_t)f->key.len;
    uint64_t entry = 1 + varint_size(key) + key + 1 + varint_size(feature) + feature;
    return 1 + varint_size(entry) + entry;
}

static uint8_t *put_entry(uint8_t *at, const Field *f, Py_ssize_t row, uint64_t payload) {
    uint64_t list = list_length(payload);
    uint64_t feature = 1 + varint_size(list) + list;
    uint64_t key = (uint64_t)f->key.len;
    uint64_t entry = 1 + varint_size(key) + key + 1 + varint_size(feature) + feature;
    *at++ = 0x0A; /* Features.feature (map entry) */
    at = put_varint(at, entry);
    *at++ = 0x0A; /* entry key */
    at = put_varint(at, key);
    memcpy(at, f->key.buf, (size_t)key);
    at += key;
    *at++ = 0x12; /* entry value: Feature */
    at = put_varint(at, feature);
    *at++ = f->kind == FIELD_INT64 ? 0x1A : 0x0A; /* Feature.int64_list or .bytes_list */
    at = put_varint(at, list);
    *at++ = 0x0A; /* the list's value field (int64s packed) */
    at = put_varint(at, payload);
    if (f->kind == FIELD_INT64) {
        at = put_varint(at, (uint64_t)((const int64_t *)f->data.buf)[row]);
    } else {
        const int32_t *bounds = (const int32_t *)f->offsets.buf;
        memcpy(at, (const uint8_t *)f->data.buf + (Py_ssize_t)bounds[row] * f->scale,
               (size_t)payload);
        at += payload;
    }
    return at;
}

static void release_fields(Field *fields, Py_ssize_t count) {
    for (Py_ssize_t i = 0; i < count; i++) {
        PyBuffer_Release(&fields[i].key);
        PyBuffer_Release(&fields[i].data);
        if (fields[i].has_offsets) PyBuffer_Release(&fields[i].offsets);
    }
}

/* Parse and check field i: (key, kind, data, offsets or None, scale). */
static int read_field(PyObject *spec, Field *f, Py_ssize_t rows) {
    PyObject *key, *kind, *data, *offsets, *scale;
    if (!PyTuple_Check(spec) || PyTuple_Size(spec) != 5) {
        PyErr_SetString(PyExc_ValueError,
                        "a field must be a tuple (key, kind, data, offsets, scale)");
        return -1;
    }
    key = PyTuple_GetItem(spec, 0);
    kind = PyTuple_GetItem(spec, 1);
    data = PyTuple_GetItem(spec, 2);
    offsets = PyTuple_GetItem(spec, 3);
    scale = PyTuple_GetItem(spec, 4);
    f->kind = (int)PyLong_AsLong(kind);
    f->scale = PyLong_AsSsize_t(scale);
    if (PyErr_Occurred()) return -1;
    if (f->kind != FIELD_BYTES && f->kind != FIELD_INT64) {
        PyErr_Format(PyExc_ValueError, "a field's kind must be 0 (bytes) or 1 (int64); got %d",
                     f->kind);
        return -1;
    }
    if (PyObject_GetBuffer(key, &f->key, PyBUF_SIMPLE) < 0) return -1;
    if (PyObject_GetBuffer(data, &f->data, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&f->key);
        return -1;
    }
    f->has_offsets = 0;
    if (f->kind == FIELD_INT64) {
        if (f->data.len != rows * (Py_ssize_t)sizeof(int64_t) ||
            ((uintptr_t)f->data.buf) % _Alignof(int64_t) != 0) {
            PyErr_Format(PyExc_ValueError, "an int64 field needs %zd aligned int64 values",
                         rows);
            goto fail;
        }
        return 0;
    }
    if (PyObject_GetBuffer(offsets, &f->offsets, PyBUF_SIMPLE) < 0) goto fail;
    f->has_offsets = 1;
    if (f->scale < 1 || f->offsets.len != (rows + 1) * (Py_ssize_t)sizeof(int32_t) ||
        ((uintptr_t)f->offsets.buf) % _Alignof(int32_t) != 0) {
        PyErr_Format(PyExc_ValueError,
                     "a bytes field needs %zd aligned int32 offsets and a positive scale", rows + 1);
        goto fail;
    }
    const int32_t *bounds = (const int32_t *)f->offsets.buf;
    for (Py_ssize_t i = 0; i < rows; i++) {
        if (bounds[i] < 0 || bounds[i] > bounds[i + 1] ||
            (Py_ssize_t)bounds[i + 1] * f->scale > f->data.len) {
            PyErr_Format(PyExc_ValueError,
                         "offsets must rise within the data (%zd bytes); row %zd does not",
                         f->data.len, i);
            goto fail;
        }
    }
    return 0;
fail:
    PyBuffer_Release(&f->key);
    PyBuffer_Release(&f->data);
    if (f->has_offsets) PyBuffer_Release(&f->offsets);
    f->has_offsets = 0;
    return -1;
}

static PyObject *encode_examples(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *field_specs;
    Py_ssize_t rows;
    int framed;
    if (!PyArg_ParseTuple(args, "Onp:encode_examples", &field_specs, &rows, &framed)) return NULL;
    if (!PyTuple_Check(field_specs)) {
        PyErr_SetString(PyExc_ValueError, "fields must be a tuple");
        return NULL;
    }
    Py_ssize_t count = PyTuple_Size(field_specs);
    if (rows < 0 || count < 1) {
        PyErr_SetString(PyExc_ValueError, "encode_examples needs rows >= 0 and a field");
        return NULL;
    }
    Field *fields = PyMem_Calloc((size_t)count, sizeof(Field));
    int64_t *sizes = PyMem_Malloc(sizeof(int64_t) * (size_t)(rows + 1)); /* features' */
    PyObject *out = NULL, *offsets = NULL, *result = NULL;
    Py_ssize_t ready = 0;
    if (fields == NULL || sizes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; ready < count; ready++) {
        if (read_field(PyTuple_GetItem(field_specs, ready), &fields[ready], rows) < 0)
            goto done;
    }
    uint64_t total = 0;
    for (Py_ssize_t row = 0; row < rows; row++) {
        uint64_t features = 0;
        for (Py_ssize_t i = 0; i < count; i++)
            features += entry_size(&fields[i], field_payload(&fields[i], row));
        sizes[row] = (int64_t)features;
        total += 1 + varint_size(features) + features + (framed ? 16 : 0);
    }
    if (total > (uint64_t)PY_SSIZE_T_MAX) {
        PyErr_NoMemory();
        goto done;
    }
    out = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)total);
    offsets = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(sizeof(int64_t) * (rows + 1)));
    if (out == NULL || offsets == NULL) goto done;
    uint8_t *base = (uint8_t *)PyByteArray_AsString(out);
    int64_t *starts = (int64_t *)PyByteArray_AsString(offsets);
    Py_BEGIN_ALLOW_THREADS
    uint8_t *at = base;
    for (Py_ssize_t row = 0; row < rows; row++) {
        starts[row] = (int64_t)(at - base);
        uint64_t features = (uint64_t)sizes[row];
        uint64_t example = 1 + varint_size(features) + features;
        if (framed) {
            put_le(at, example, 8);
            put_le(at + 8, masked(crc32c(at, 8)), 4);
            at += 12;
        }
        uint8_t *record = at;
        *at++ = 0x0A; /* Example.features */
        at = put_varint(at, features);
        for (Py_ssize_t i = 0; i < count; i++)
            at = put_entry(at, &fields[i], row, field_payload(&fields[i], row));
        if (framed) {
            put_le(at, masked(crc32c(record, (size_t)example)), 4);
            at += 4;
        }
    }
    starts[rows] = (int64_t)(at - base);
    Py_END_ALLOW_THREADS
    result = PyTuple_Pack(2, out, offsets);
done:
    release_fields(fields, ready);
    PyMem_Free(fields);
    PyMem_Free(sizes);
    Py_XDECREF(out);
    Py_XDECREF(offsets);
    return result;
}

static PyObject *crc32c_value(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *data_object;
    if (!PyArg_ParseTuple(args, "O:crc32c", &data_object)) return NULL;
    Py_buffer data;
    if (PyObject_GetBuffer(data_object, &data, PyBUF_SIMPLE) < 0) return NULL;
    uint32_t crc = crc32c((const uint8_t *)data.buf, (size_t)data.len);
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLong(crc);
}

static PyMethodDef methods[] = {
    {"frame", frame, METH_VARARGS,
     "frame(data, offsets, out): TFRecord framing of data[offsets[i]:offsets[i+1]] into out."},
    {"encode_examples", encode_examples, METH_VARARGS,
     "encode_examples(fields, rows, framed) -> (bytearray, int64 offsets): tf.train.Example "
     "records of a batch, TFRecord-framed if framed."},
    {"crc32c", crc32c_value, METH_VARARGS, "crc32c(data) -> int: CRC-32C of a bytes-like."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tfrecord", "The records of TFDS files: tf.train.Example and TFRecord framing.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__tfrecord(void) {
    make_table();
#ifdef HAVE_SSE42_PATH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) crc32c = crc32c_sse42;
#endif
    return PyModule_Create(&module);
}
