/* TFRecord framing of a batch of serialized records in one pass; optional (see record_files.py).
 *
 * frame(data, offsets, out) writes record i = data[offsets[i]:offsets[i + 1]] as TensorFlow's
 * record writer does: uint64 length, uint32 masked CRC-32C of those 8 bytes, the data, uint32
 * masked CRC-32C of the data, little-endian. `out` must hold exactly len(data) + 16 * n bytes.
 * CRC-32C runs on the SSE 4.2 instruction where the processor has it, else on a table (the same
 * values). Inputs come through the buffer protocol; the offsets are checked before the loop, which
 * runs without the GIL.
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
    {"crc32c", crc32c_value, METH_VARARGS, "crc32c(data) -> int: CRC-32C of a bytes-like."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tfrecord", "TFRecord framing in one pass.", -1, methods,
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
