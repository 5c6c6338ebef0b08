/* Compiled versions of hot loops of generation; optional (see kernels.py).
 *
 * Each function computes exactly what its numpy reference of the same name computes (the
 * table kernels.KERNELS pairs them; row_words is numpy's Philox4x64-10 bit generator and its
 * random_raw, sample_symbols leaves the rows that run out of candidates to the caller). The
 * *_rows kernels make whole examples: a task's draws, its parts and their packing, in one pass
 * over the rows of a batch.
 * Inputs come through the buffer protocol (no numpy headers needed); every index read from an
 * input is checked before it is used, and the loops run without the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef Py_LIMITED_API
/* Built for the stable ABI (setup.py, Python 3.11 and newer): these macros of the full API have
 * function forms there. PySequence_Fast returns a list or a tuple, hence the two branches. */
#define PyMem_RawMalloc malloc
#define PyMem_RawCalloc calloc
#define PyMem_RawFree free
#define PyList_SET_ITEM(list, i, item) ((void)PyList_SetItem((list), (i), (item)))
#define PyByteArray_AS_STRING PyByteArray_AsString
#undef PySequence_Fast_GET_SIZE
#undef PySequence_Fast_GET_ITEM
#define PySequence_Fast_GET_SIZE(seq) \
    (PyList_Check(seq) ? PyList_Size(seq) : PyTuple_Size(seq))
#define PySequence_Fast_GET_ITEM(seq, i) \
    (PyList_Check(seq) ? PyList_GetItem((seq), (i)) : PyTuple_GetItem((seq), (i)))
#endif

#define ENTRY_BYTES 8 /* render: each token's text and its separator, padded */
#define SHORT_RUN 8   /* pack_groups: runs up to this long are copied at a fixed size */

/* ---- buffers ------------------------------------------------------------------------------ */

/* True when `format` (a struct-module format of one item) is a native-order integer of one of
 * the kinds in `kinds` ("bhilqn" signed, "BHILQN" unsigned); the size is checked separately. */
static int
is_integer_format(const char *format, const char *kinds)
{
    if (format == NULL) {
        format = "B";
    }
    if (*format == '@' || *format == '=') {
        format++;
    }
#if PY_LITTLE_ENDIAN
    else if (*format == '<') {
        format++;
    }
#else
    else if (*format == '>' || *format == '!') {
        format++;
    }
#endif
    return format[0] != '\0' && format[1] == '\0' && strchr(kinds, format[0]) != NULL;
}

/* Get a buffer of `ndim` dimensions whose items are `itemsize`-byte integers of `kinds` (4- or
 * 8-byte where `itemsize` is -1). A C-contiguous buffer is read or written through pointers to
 * its items, so it must be aligned to them (a strided one is read with memcpy). */
static int
get_buffer(PyObject *obj, Py_buffer *view, int flags, int ndim, Py_ssize_t itemsize,
           const char *kinds, const char *name)
{
    if (PyObject_GetBuffer(obj, view, flags | PyBUF_FORMAT) < 0) {
        return -1;
    }
    const int size_ok = itemsize < 0 ? view->itemsize == 4 || view->itemsize == 8
                                     : view->itemsize == itemsize;
    if (view->ndim != ndim || !size_ok || !is_integer_format(view->format, kinds)) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a %d-dimensional buffer of %s-byte integers (%s); got format "
                     "'%s', %d dimensions, %zd-byte items",
                     name, ndim, itemsize < 0 ? "4- or 8" : itemsize == 1 ? "1" :
                     itemsize == 4 ? "4" : "8", kinds, view->format ? view->format : "B",
                     view->ndim, view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    if ((flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS &&
        (uintptr_t)view->buf % (uintptr_t)view->itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s must be aligned to %zd bytes, its item size", name,
                     view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* One buffer a kernel takes: the arguments of get_buffer. */
typedef struct {
    PyObject *obj;
    int flags;
    int ndim;
    Py_ssize_t itemsize;
    const char *kinds;
    const char *name;
} BufferSpec;

static void
release_buffers(Py_buffer *views, int count)
{
    for (int v = 0; v < count; v++) {
        PyBuffer_Release(&views[v]);
    }
}

/* Get the `count` buffers of `specs` into `views`: all of them, or none with an exception set. */
static int
get_buffers(const BufferSpec *specs, Py_buffer *views, int count)
{
    for (int v = 0; v < count; v++) {
        const BufferSpec *spec = &specs[v];
        if (get_buffer(spec->obj, &views[v], spec->flags, spec->ndim, spec->itemsize, spec->kinds,
                       spec->name) < 0) {
            release_buffers(views, v);
            return -1;
        }
    }
    return 0;
}

static int64_t
read_i64(const char *p)
{
    int64_t value;
    memcpy(&value, p, sizeof value);
    return value;
}

static uint32_t
read_u32(const char *p)
{
    uint32_t value;
    memcpy(&value, p, sizeof value);
    return value;
}

/* Cut the bytearray `*array` to `size` bytes and free the rest of its room. Where the rest is
 * large, the bytes are copied to an array of their size and the room freed whole: bytearray keeps
 * its whole room when cut to half of it or more, and cutting less in place leaves a hole in the
 * heap that the next batch's room does not fit, so the heap would grow batch after batch. */
static int
cut_bytearray(PyObject **array, Py_ssize_t size)
{
    const Py_ssize_t room = PyByteArray_Size(*array);
    if (room < 0) {
        return -1;
    }
    if (room - size > room / 8) {
        PyObject *exact = PyByteArray_FromStringAndSize(PyByteArray_AS_STRING(*array), size);
        if (exact == NULL) {
            return -1;
        }
        Py_DECREF(*array);
        *array = exact;
        return 0;
    }
    return PyByteArray_Resize(*array, size);
}

/* ---- row_words ---------------------------------------------------------------------------- */

/* Philox4x64-10 (Salmon et al., SC 2011; Random123's philox4x64), as numpy's Philox runs it. */
#define PHILOX_M0 UINT64_C(0xD2E7470EE14C6C93)
#define PHILOX_M1 UINT64_C(0xCA5A826395121157)
#define PHILOX_W0 UINT64_C(0x9E3779B97F4A7C15)
#define PHILOX_W1 UINT64_C(0xBB67AE8584CAA73B)
#define PHILOX_ROUNDS 10

/* The low half of a * b; the high half goes to *high. */
static inline uint64_t
multiply_64(uint64_t a, uint64_t b, uint64_t *high)
{
#ifdef __SIZEOF_INT128__
    const unsigned __int128 product = (unsigned __int128)a * b;
    *high = (uint64_t)(product >> 64);
    return (uint64_t)product;
#else
    const uint64_t a_lo = a & UINT32_MAX, a_hi = a >> 32, b_lo = b & UINT32_MAX, b_hi = b >> 32;
    const uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi;
    const uint64_t middle = (lo_lo >> 32) + (hi_lo & UINT32_MAX) + lo_hi;
    *high = a_hi * b_hi + (hi_lo >> 32) + (middle >> 32);
    return (middle << 32) | (lo_lo & UINT32_MAX);
#endif
}

/* The output of the block at the counter (counter0, counter1, 0, 0). */
static void
philox_block(uint64_t counter0, uint64_t counter1, uint64_t key0, uint64_t key1, uint64_t out[4])
{
    uint64_t x0 = counter0, x1 = counter1, x2 = 0, x3 = 0;
    for (int round = 0; round < PHILOX_ROUNDS; round++) {
        if (round > 0) {
            key0 += PHILOX_W0;
            key1 += PHILOX_W1;
        }
        uint64_t hi0, hi1;
        const uint64_t lo0 = multiply_64(PHILOX_M0, x0, &hi0);
        const uint64_t lo1 = multiply_64(PHILOX_M1, x2, &hi1);
        x0 = hi1 ^ x1 ^ key0;
        x1 = lo1;
        x2 = hi0 ^ x3 ^ key1;
        x3 = lo0;
    }
    out[0] = x0;
    out[1] = x1;
    out[2] = x2;
    out[3] = x3;
}

PyDoc_STRVAR(row_words_doc,
"row_words(key0, key1, counter, out) -> None\n\n"
"Fill the C-ordered uint32 buffer `out` (one dimension, a multiple of 8 items) with the words\n"
"of numpy.random.Philox(key=[key0, key1], counter=counter).random_raw(len(out) // 2), each\n"
"64-bit output low half first. `counter` is below 2**64 (the 256-bit counter's low word).");

static PyObject *
row_words(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *key0_obj, *key1_obj, *start_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "OOOO:row_words", &key0_obj, &key1_obj, &start_obj,
                          &out_obj)) {
        return NULL;
    }
    /* OverflowError unless each is an integer in [0, 2**64). */
    const unsigned long long key0 = PyLong_AsUnsignedLongLong(key0_obj);
    const unsigned long long key1 = PyLong_AsUnsignedLongLong(key1_obj);
    const unsigned long long start = PyLong_AsUnsignedLongLong(start_obj);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer out;
    if (get_buffer(out_obj, &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, 1, 4, "BHILQN", "out") <
        0) {
        return NULL;
    }
    if (out.shape[0] % 8) {
        PyErr_SetString(PyExc_ValueError, "out must hold a multiple of 8 words");
        PyBuffer_Release(&out);
        return NULL;
    }
    uint32_t *words = out.buf;
    const Py_ssize_t blocks = out.shape[0] / 8;
    Py_BEGIN_ALLOW_THREADS
    /* numpy steps the counter before each block: the first block is counter + 1. The counter's
     * low two words, with the carry; a start below 2**64 never carries into the third. */
    uint64_t counter0 = (uint64_t)start, counter1 = 0;
    for (Py_ssize_t b = 0; b < blocks; b++) {
        counter0++;
        counter1 += counter0 == 0;
        uint64_t raw[4];
        philox_block(counter0, counter1, (uint64_t)key0, (uint64_t)key1, raw);
        for (int i = 0; i < 4; i++) {
            words[8 * b + 2 * i] = (uint32_t)raw[i];
            words[8 * b + 2 * i + 1] = (uint32_t)(raw[i] >> 32);
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

/* ---- sample_symbols ----------------------------------------------------------------------- */

/* Vocabularies up to this size mark the values seen in a byte each (a bit each above): a repeat
 * then depends only on an earlier equal value, not on every value sharing its 64-bit word. */
#define BYTE_TABLE_LIMIT (1 << 22)

/* The distinct values (u * n) >> 32 of the `width` words of a row (word j at row + j * stride),
 * the first `keep` of them, in order, into `kept`; returns how many. One of `seen` (a bit per
 * value) and `seen_bytes` (a byte per value) is given, all clear; it is left clear. */
static inline Py_ssize_t
keep_distinct(const char *row, Py_ssize_t stride, Py_ssize_t width, Py_ssize_t keep, uint64_t n,
              uint32_t *kept, uint64_t *seen, uint8_t *seen_bytes)
{
    Py_ssize_t count = 0;
    /* Without a branch: a repeat is written, then overwritten by the next value. */
    if (seen_bytes != NULL) {
        for (Py_ssize_t j = 0; j < width && count < keep; j++) {
            const uint32_t value = (uint32_t)(((uint64_t)read_u32(row + j * stride) * n) >> 32);
            kept[count] = value;
            count += !seen_bytes[value];
            seen_bytes[value] = 1;
        }
        for (Py_ssize_t i = 0; i < count; i++) {
            seen_bytes[kept[i]] = 0;
        }
        return count;
    }
    for (Py_ssize_t j = 0; j < width && count < keep; j++) {
        const uint32_t value = (uint32_t)(((uint64_t)read_u32(row + j * stride) * n) >> 32);
        const uint64_t bit = (uint64_t)1 << (value & 63), seen_word = seen[value >> 6];
        kept[count] = value;
        seen[value >> 6] = seen_word | bit;
        count += !(seen_word & bit);
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        seen[kept[i] >> 6] = 0;
    }
    return count;
}

PyDoc_STRVAR(sample_symbols_doc,
"sample_symbols(words, vocab_size, out, first=0) -> list\n\n"
"For each row of the uint32 matrix `words`, map each word `u` to `(u * vocab_size) >> 32` and\n"
"write `first` plus each of the first `out.shape[1]` distinct values, in order, to the row of\n"
"the int32 or int64 matrix `out`. Returns the rows that have fewer distinct values (their rows\n"
"of `out` are partial).");

static PyObject *
sample_symbols(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *words_obj, *out_obj;
    Py_ssize_t vocab_size, first = 0;
    if (!PyArg_ParseTuple(args, "OnO|n:sample_symbols", &words_obj, &vocab_size, &out_obj,
                          &first)) {
        return NULL;
    }
    if (vocab_size < 1 || (uint64_t)vocab_size > UINT32_MAX) {
        PyErr_Format(PyExc_ValueError, "vocab_size must be in [1, 2**32 - 1]; got %zd",
                     vocab_size);
        return NULL;
    }
    if (first < 0 || first > INT32_MAX) {
        PyErr_Format(PyExc_ValueError, "first must be in [0, 2**31 - 1]; got %zd", first);
        return NULL;
    }
    Py_buffer words, out;
    if (get_buffer(words_obj, &words, PyBUF_STRIDES, 2, 4, "BHILQN", "words") < 0) {
        return NULL;
    }
    if (get_buffer(out_obj, &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, 2, -1, "bhilqn",
                   "out") < 0) {
        PyBuffer_Release(&words);
        return NULL;
    }
    PyObject *result = NULL;
    uint64_t *seen = NULL;
    uint8_t *seen_bytes = NULL;
    uint32_t *kept = NULL;
    Py_ssize_t *ran_out = NULL;
    const Py_ssize_t rows = words.shape[0], width = words.shape[1], keep = out.shape[1];
    const int narrow = out.itemsize == 4;
    if (out.shape[0] != rows) {
        PyErr_SetString(PyExc_ValueError, "words and out must have the same number of rows");
        goto done;
    }
    if (narrow && (int64_t)vocab_size - 1 > INT32_MAX - (int64_t)first) {
        PyErr_SetString(PyExc_OverflowError, "first + vocab_size - 1 does not fit an int32 out");
        goto done;
    }
    if (vocab_size <= BYTE_TABLE_LIMIT) {
        seen_bytes = PyMem_RawCalloc((size_t)vocab_size, 1);
    }
    else {
        seen = PyMem_RawCalloc(((size_t)vocab_size + 63) / 64, sizeof *seen);
    }
    kept = PyMem_RawMalloc((size_t)(keep ? keep : 1) * sizeof *kept);
    ran_out = PyMem_RawMalloc((size_t)(rows ? rows : 1) * sizeof *ran_out);
    if ((seen == NULL && seen_bytes == NULL) || kept == NULL || ran_out == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n_ran_out = 0;
    const uint64_t n = (uint64_t)vocab_size;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < rows; r++) {
        const char *row = (const char *)words.buf + r * words.strides[0];
        const Py_ssize_t count = keep_distinct(row, words.strides[1], width, keep, n, kept, seen,
                                               seen_bytes);
        if (narrow) {
            int32_t *to = (int32_t *)out.buf + r * keep;
            for (Py_ssize_t i = 0; i < count; i++) {
                to[i] = (int32_t)(kept[i] + first);
            }
        }
        else {
            int64_t *to = (int64_t *)out.buf + r * keep;
            for (Py_ssize_t i = 0; i < count; i++) {
                to[i] = (int64_t)kept[i] + first;
            }
        }
        if (count < keep) {
            ran_out[n_ran_out++] = r;
        }
    }
    Py_END_ALLOW_THREADS
    result = PyList_New(n_ran_out);
    for (Py_ssize_t i = 0; result != NULL && i < n_ran_out; i++) {
        PyObject *row = PyLong_FromSsize_t(ran_out[i]);
        if (row == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, row);
    }
done:
    PyMem_RawFree(seen);
    PyMem_RawFree(seen_bytes);
    PyMem_RawFree(kept);
    PyMem_RawFree(ran_out);
    PyBuffer_Release(&words);
    PyBuffer_Release(&out);
    return result;
}

/* ---- pack_groups -------------------------------------------------------------------------- */

typedef struct {
    Py_buffer table, start, length; /* int32 (n,), int64 (rows, runs), int64 (rows, runs) */
    int held;                       /* how many of the three views are held */
} Part;

typedef struct {
    Part *parts;
    Py_ssize_t n_parts, rows; /* the parts and their number of rows */
    Py_buffer places;         /* int64 (rows,): the output row of each row; identity if absent */
    int has_places;
} Group;

static void
release_parts(Part *parts, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_buffer *views[3] = {&parts[i].table, &parts[i].start, &parts[i].length};
        for (int v = 0; v < parts[i].held; v++) {
            PyBuffer_Release(views[v]);
        }
    }
    PyMem_Free(parts);
}

static void
release_groups(Group *groups, Py_ssize_t count)
{
    for (Py_ssize_t g = 0; g < count; g++) {
        if (groups[g].parts != NULL) {
            release_parts(groups[g].parts, groups[g].n_parts);
        }
        if (groups[g].has_places) {
            PyBuffer_Release(&groups[g].places);
        }
    }
    PyMem_Free(groups);
}

/* Get the views of every (table, start, length) of `seq`; all parts must have `*rows` rows. */
static Part *
get_parts(PyObject *seq, Py_ssize_t *count, Py_ssize_t *rows)
{
    PyObject *fast = PySequence_Fast(seq, "parts must be a sequence of (table, start, length)");
    if (fast == NULL) {
        return NULL;
    }
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "parts must not be empty");
        Py_DECREF(fast);
        return NULL;
    }
    Part *parts = PyMem_Calloc((size_t)n, sizeof *parts);
    if (parts == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
        PyObject *table, *start, *length;
        Part *part = &parts[i];
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "OOO", &table, &start, &length)) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "each part must be a (table, start, length) tuple");
            }
            break;
        }
        if (get_buffer(table, &part->table, PyBUF_C_CONTIGUOUS, 1, 4, "bhilqn", "table") < 0) {
            break;
        }
        part->held = 1;
        if (get_buffer(start, &part->start, PyBUF_STRIDES, 2, 8, "bhilqn", "start") < 0) {
            break;
        }
        part->held = 2;
        if (get_buffer(length, &part->length, PyBUF_STRIDES, 2, 8, "bhilqn", "length") < 0) {
            break;
        }
        part->held = 3;
        if (part->start.shape[0] != part->length.shape[0] ||
            part->start.shape[1] != part->length.shape[1] ||
            part->start.shape[0] != parts[0].start.shape[0]) {
            PyErr_SetString(PyExc_ValueError,
                            "start and length of every part must have one shape, and every "
                            "part of a group the same number of rows");
            break;
        }
    }
    Py_DECREF(fast);
    if (PyErr_Occurred()) {
        release_parts(parts, n); /* the parts not reached hold no view */
        return NULL;
    }
    *count = n;
    *rows = parts[0].start.shape[0];
    return parts;
}

/* Get every (parts, places) of `seq`. */
static Group *
get_groups(PyObject *seq, Py_ssize_t *count)
{
    PyObject *fast = PySequence_Fast(seq, "groups must be a sequence of (parts, places)");
    if (fast == NULL) {
        return NULL;
    }
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    Group *groups = PyMem_Calloc((size_t)(n ? n : 1), sizeof *groups);
    if (groups == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t g = 0; g < n; g++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, g);
        PyObject *parts, *places;
        Group *group = &groups[g];
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "OO", &parts, &places)) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "each group must be a (parts, places) tuple");
            }
            break;
        }
        group->parts = get_parts(parts, &group->n_parts, &group->rows);
        if (group->parts == NULL) {
            break;
        }
        if (places != Py_None) {
            if (get_buffer(places, &group->places, PyBUF_C_CONTIGUOUS, 1, 8, "bhilqn",
                           "places") < 0) {
                break;
            }
            group->has_places = 1;
            if (group->places.shape[0] != group->rows) {
                PyErr_SetString(PyExc_ValueError, "places must have one entry per row of its parts");
                break;
            }
        }
    }
    Py_DECREF(fast);
    if (PyErr_Occurred()) {
        release_groups(groups, n);
        return NULL;
    }
    *count = n;
    return groups;
}

#define RUN_AT(view, r, j) read_i64((const char *)(view).buf + (r) * (view).strides[0] + \
                                    (j) * (view).strides[1])

/* The output row of row i of a group. */
static int64_t
place_of(const Group *group, Py_ssize_t i)
{
    return group->has_places ? ((const int64_t *)group->places.buf)[i] : (int64_t)i;
}

PyDoc_STRVAR(pack_groups_doc,
"pack_groups(groups, offsets) -> bytearray\n\n"
"`groups` is a sequence of (parts, places). `parts` is a sequence of (table, start, length): an\n"
"int32 table and int64 (rows, runs) arrays; run j of row i of a part is\n"
"table[start[i, j] : start[i, j] + length[i, j]], and row i of a group is its parts' runs of row\n"
"i, laid end to end. It becomes output row places[i] (int64), or row i where places is None.\n"
"Each output row comes from at most one row of all groups; the others are empty. Writes each\n"
"output row's end to offsets[1:] (int64, one entry more than the output rows, offsets[0] = 0)\n"
"and returns the int32 ids of the output rows, end to end. Empty runs are not read.");

static PyObject *
pack_groups(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *groups_obj, *offsets_obj;
    if (!PyArg_ParseTuple(args, "OO:pack_groups", &groups_obj, &offsets_obj)) {
        return NULL;
    }
    Py_ssize_t n_groups;
    Group *groups = get_groups(groups_obj, &n_groups);
    if (groups == NULL) {
        return NULL;
    }
    Py_buffer offsets;
    if (get_buffer(offsets_obj, &offsets, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, 1, 8, "bhilqn",
                   "offsets") < 0) {
        release_groups(groups, n_groups);
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t *source = NULL; /* of each output row: 1 + its group, times `stride`, + its row */
    int64_t *ends = offsets.buf;
    const Py_ssize_t rows = offsets.shape[0] - 1;
    if (rows < 0) {
        PyErr_SetString(PyExc_ValueError, "offsets must not be empty");
        goto done;
    }
    Py_ssize_t stride = 1; /* more than any group's rows */
    for (Py_ssize_t g = 0; g < n_groups; g++) {
        stride = groups[g].rows >= stride ? groups[g].rows + 1 : stride;
    }
    if (n_groups > 0 && stride > PY_SSIZE_T_MAX / (n_groups + 1)) {
        PyErr_SetString(PyExc_OverflowError, "too many groups and rows");
        goto done;
    }
    source = PyMem_Calloc((size_t)(rows ? rows : 1), sizeof *source);
    if (source == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* Pass 1: the length of every output row, from the row of the group placed there. */
    const int64_t limit = PY_SSIZE_T_MAX / 4 - SHORT_RUN;
    int bad = 0; /* 1: a negative length or too long; 2: a place outside or taken twice */
    int64_t total = 0;
    Py_BEGIN_ALLOW_THREADS
    memset(ends, 0, (size_t)(rows + 1) * sizeof *ends);
    for (Py_ssize_t g = 0; g < n_groups && !bad; g++) {
        const Group *group = &groups[g];
        for (Py_ssize_t i = 0; i < group->rows && !bad; i++) {
            const int64_t place = place_of(group, i);
            if (place < 0 || place >= rows || source[place] != 0) {
                bad = 2;
                break;
            }
            source[place] = (g + 1) * stride + i;
            int64_t row_length = 0;
            for (Py_ssize_t p = 0; p < group->n_parts && !bad; p++) {
                const Part *part = &group->parts[p];
                for (Py_ssize_t j = 0; j < part->length.shape[1]; j++) {
                    const int64_t length = RUN_AT(part->length, i, j);
                    if (length < 0 || length > limit - row_length) {
                        bad = 1;
                        break;
                    }
                    row_length += length;
                }
            }
            ends[place + 1] = row_length;
        }
    }
    /* `offsets` may be written by other threads: the sum is kept here, each length checked. */
    for (Py_ssize_t r = 0; r < rows && !bad; r++) {
        const int64_t row_length = ends[r + 1];
        if (row_length < 0 || row_length > limit - total) {
            bad = 1;
        }
        total += row_length;
        ends[r + 1] = total;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError,
                        bad == 2 ? "a place is outside the output rows or given twice"
                                 : "a run has a negative length, or the runs are too long");
        goto done;
    }
    /* Pass 2: the output rows in order, each from its group's row; each non-empty run is checked
     * against its table and copied. A run of up to SHORT_RUN ids is copied as SHORT_RUN ids where
     * its table has them: a fixed-size copy without branches on the length. The ids past its end
     * are overwritten by the runs after it, or lie in the room the output keeps past its end. */
    result = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(total + SHORT_RUN) * 4);
    if (result == NULL) {
        goto done;
    }
    int32_t *ids = (int32_t *)PyByteArray_AS_STRING(result);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < rows && !bad; r++) {
        if (source[r] == 0) {
            continue; /* in no group: empty */
        }
        const Group *group = &groups[source[r] / stride - 1];
        const Py_ssize_t i = source[r] % stride;
        int64_t at = ends[r];
        const int64_t end = ends[r + 1];
        if (at < 0 || at > end || end > total) {
            bad = 4;
            break;
        }
        for (Py_ssize_t p = 0; p < group->n_parts && !bad; p++) {
            const Part *part = &group->parts[p];
            const int64_t size = part->table.shape[0];
            const int32_t *table = part->table.buf;
            for (Py_ssize_t j = 0; j < part->start.shape[1]; j++) {
                const int64_t length = RUN_AT(part->length, i, j);
                const int64_t start = RUN_AT(part->start, i, j);
                /* A negative length (refused by pass 1, but another thread may write one) is
                 * refused below; size - length must not overflow meanwhile. */
                const int64_t positive = length < 0 ? 0 : length;
                const int outside = (start < 0) | (length > size) | (start > size - positive);
                if ((length < 0) | (length > end - at) | ((length != 0) & outside)) {
                    bad = 3;
                    break;
                }
                if ((length <= SHORT_RUN) & (start >= 0) & (start <= size - SHORT_RUN)) {
                    memcpy(ids + at, table + start, SHORT_RUN * sizeof *ids);
                }
                else if (length != 0) {
                    memcpy(ids + at, table + start, (size_t)length * sizeof *ids);
                }
                at += length;
            }
        }
        if (!bad && at != end) {
            bad = 4;
        }
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, bad == 3 ? "a run lies outside its table"
                                                   : "the inputs changed while they were packed");
        Py_CLEAR(result);
    }
    else if (PyByteArray_Resize(result, (Py_ssize_t)total * 4) < 0) {
        Py_CLEAR(result);
    }
done:
    PyMem_Free(source);
    PyBuffer_Release(&offsets);
    release_groups(groups, n_groups);
    return result;
}

/* ---- render ------------------------------------------------------------------------------- */

PyDoc_STRVAR(render_doc,
"render(ids, offsets, entries, widths, text_offsets, text) -> int\n\n"
"The UTF-8 texts of the rows of `ids` (int32) bounded by `offsets` (int64, rows + 1): each\n"
"token's text, tokens separated by one space. `entries` holds 8 bytes per token id: its text, a\n"
"space, then any padding; `widths` (one byte per id, 1..8) counts its text and the space.\n"
"Writes the texts to the start of `text` (bytes; room for 8 more than the texts, which\n"
"8 * len(ids) + 8 always is) and each text's end to text_offsets[1:] (int32, rows + 1, with\n"
"text_offsets[0] = 0); returns the bytes of the texts. OverflowError where the texts would\n"
"exceed 2**31 - 1 bytes.");

/* Write the texts of rows [0, rows) at `text`, `capacity` bytes, checking every id, width and
 * position as it goes (without the GIL: the inputs may change meanwhile); returns the bytes
 * written, or -1 (an id outside the tokens), -2 (a width outside 1..8), -3 (offsets or room
 * changed: a row outside ids, or past the room or int32 offsets). */
static int64_t
write_texts(const int32_t *ids, const int64_t *offsets, Py_ssize_t rows, Py_ssize_t n_ids,
            const char *entries, const uint8_t *widths, Py_ssize_t n_tokens,
            int32_t *text_offsets, char *text, int64_t capacity)
{
    int64_t at = 0;
    text_offsets[0] = 0;
    for (Py_ssize_t r = 0; r < rows; r++) {
        const int64_t begin = offsets[r], end = offsets[r + 1];
        if (begin < 0 || end < begin || end > n_ids) {
            return -3;
        }
        for (int64_t i = begin; i < end; i++) {
            const int32_t id = ids[i];
            if (id < 0 || id >= n_tokens) {
                return -1;
            }
            const uint8_t width = widths[id];
            if (width < 1 || width > ENTRY_BYTES) {
                return -2;
            }
            if (at > capacity - ENTRY_BYTES) {
                return -3;
            }
            memcpy(text + at, entries + (Py_ssize_t)id * ENTRY_BYTES, ENTRY_BYTES);
            at += width;
        }
        at -= end > begin;
        if (at > INT32_MAX) {
            return -3;
        }
        text_offsets[r + 1] = (int32_t)at;
    }
    return at;
}

static PyObject *
render(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *ids_obj, *offsets_obj, *entries_obj, *widths_obj, *text_offsets_obj, *text_obj;
    if (!PyArg_ParseTuple(args, "OOOOOO:render", &ids_obj, &offsets_obj, &entries_obj,
                          &widths_obj, &text_offsets_obj, &text_obj)) {
        return NULL;
    }
    Py_buffer views[6];
    const BufferSpec specs[6] = {
        {ids_obj, PyBUF_C_CONTIGUOUS, 1, 4, "bhilqn", "ids"},
        {offsets_obj, PyBUF_C_CONTIGUOUS, 1, 8, "bhilqn", "offsets"},
        {entries_obj, PyBUF_C_CONTIGUOUS, 1, 1, "bBc", "entries"},
        {widths_obj, PyBUF_C_CONTIGUOUS, 1, 1, "bBc", "widths"},
        {text_offsets_obj, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, 1, 4, "bhilqn", "text_offsets"},
        {text_obj, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, 1, 1, "bBc", "text"},
    };
    if (get_buffers(specs, views, 6) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    const int32_t *ids = views[0].buf;
    const int64_t *offsets = views[1].buf;
    const char *entries = views[2].buf;
    const uint8_t *widths = views[3].buf;
    int32_t *text_offsets = views[4].buf;
    char *text = views[5].buf;
    const int64_t capacity = views[5].shape[0];
    const Py_ssize_t n_ids = views[0].shape[0], rows = views[1].shape[0] - 1;
    const Py_ssize_t n_tokens = views[3].shape[0];
    if (rows < 0 || views[4].shape[0] != rows + 1) {
        PyErr_SetString(PyExc_ValueError,
                        "offsets and text_offsets must have one entry more than the rows");
        goto done;
    }
    if (views[2].shape[0] != n_tokens * ENTRY_BYTES) {
        PyErr_SetString(PyExc_ValueError, "entries must hold 8 bytes per width");
        goto done;
    }
    if (offsets[0] < 0 || offsets[rows] > n_ids) {
        PyErr_SetString(PyExc_ValueError, "offsets must lie within ids");
        goto done;
    }
    for (Py_ssize_t r = 0; r < rows; r++) {
        if (offsets[r + 1] < offsets[r]) {
            PyErr_SetString(PyExc_ValueError, "offsets must not decrease");
            goto done;
        }
    }
    /* The size of the texts: at most 8 bytes a token, or counted where that would not fit the
     * int32 offsets (the writing checks every id and width; here only those of the tokens). */
    int64_t total = (int64_t)n_ids * ENTRY_BYTES;
    int bad = 0; /* 1: an id outside the tokens; 2: a width outside 1..8 */
    if (total > INT32_MAX) {
        const int64_t first = offsets[0], last = offsets[rows]; /* checked above */
        total = 0;
        Py_BEGIN_ALLOW_THREADS
        /* Past INT32_MAX + rows, the rows' last tokens (no space after them) cannot bring it
         * back: stop counting there. */
        for (int64_t i = first; i < last && total <= INT32_MAX + (int64_t)rows; i++) {
            const int32_t id = ids[i];
            if (id < 0 || id >= n_tokens) {
                bad = 1;
                break;
            }
            total += widths[id];
        }
        for (Py_ssize_t r = 0; r < rows; r++) { /* no space after the last token of a row */
            total -= offsets[r + 1] > offsets[r];
        }
        Py_END_ALLOW_THREADS
        if (!bad && total > INT32_MAX) {
            PyErr_SetString(PyExc_OverflowError,
                            "the texts of one batch exceed 2**31 - 1 bytes (int32 offsets)");
            goto done;
        }
    }
    if (!bad && capacity < total + ENTRY_BYTES) {
        PyErr_Format(PyExc_ValueError, "text must hold at least %lld bytes; got %lld",
                     (long long)(total + ENTRY_BYTES), (long long)capacity);
        goto done;
    }
    int64_t written = bad ? -bad : 0;
    if (!bad) {
        Py_BEGIN_ALLOW_THREADS
        written = write_texts(ids, offsets, rows, n_ids, entries, widths, n_tokens, text_offsets,
                              text, capacity);
        Py_END_ALLOW_THREADS
    }
    if (written == -1) {
        PyErr_Format(PyExc_ValueError, "a token id is outside [0, %zd)", n_tokens);
    }
    else if (written == -2) {
        PyErr_SetString(PyExc_ValueError, "every width must be in 1..8");
    }
    else if (written < 0) {
        PyErr_SetString(PyExc_RuntimeError, "the inputs changed while they were rendered");
    }
    else {
        result = PyLong_FromLongLong((long long)written);
    }
done:
    release_buffers(views, 6);
    return result;
}

/* ---- substitution_rows -------------------------------------------------------------------- */

/* The structural token ids (vocab.py) and the layout of an example's 68-symbol sample
 * (symbols.py): rule symbols 0..23, string symbols 24..47, math symbols 48..67. */
enum { TOKEN_UPPER = 4, TOKEN_LOWER, TOKEN_MATH, TOKEN_SPACE, TOKEN_COLON, TOKEN_OPEN, TOKEN_CLOSE,
       TOKEN_COMMA, TOKEN_ARROW };
#define SAMPLE_SYMBOLS 68
#define STRING_START 24
#define MATH_START 48
#define MATH_COUNT 20
#define STRING_COUNT 24
#define RULE_SYMBOLS_COUNT 24

/* The draw of substitution.py: its constants and where each draw reads its word. */
#define SUB_MAX_K 5
#define SUB_MAX_CHARS (2 * SUB_MAX_K)
#define SUB_MAX_MATH 19
#define SUB_MAX_RULE (SUB_MAX_CHARS + SUB_MAX_MATH)
#define SUB_MAX_VALUE 8
#define SUB_CHARS_WORD 2
#define SUB_MATH_WORD (SUB_CHARS_WORD + SUB_MAX_CHARS)
#define SUB_SHUFFLE_WORD (SUB_MATH_WORD + SUB_MAX_MATH)
#define SUB_RULE_SLOTS (SUB_SHUFFLE_WORD + SUB_MAX_RULE - 1)
#define SUB_CASE_SLOTS (SUB_MAX_K * (1 + SUB_MAX_VALUE))
#define SUB_MAX_CASES 2

/* Where the layout codes point (substitution.LAYOUT_CODES): the parts of a source or target. */
enum { PART_HEADER, PART_RULE, PART_SPACE, PART_CASE0, PART_CASE1, PART_RESULT0, PART_RESULT1,
       PART_KINDS };
/* The most ids each part writes (a value is copied as SUB_MAX_VALUE ids: the room it needs). */
static const int part_room[PART_KINDS] = {
    3 + SUB_MAX_K + STRING_COUNT + 1 + MATH_COUNT + 1, SUB_MAX_RULE, 1,
    SUB_MAX_K * (5 + SUB_MAX_VALUE), SUB_MAX_K * (5 + SUB_MAX_VALUE),
    SUB_MAX_RULE * SUB_MAX_VALUE, SUB_MAX_RULE * SUB_MAX_VALUE,
};

/* (u * n) >> 32: a uniform integer in [0, n) from the word u (rng.uniform_below). */
static inline uint32_t
below(uint32_t u, uint32_t n)
{
    return (uint32_t)(((uint64_t)u * n) >> 32);
}

/* rng.shuffle_prefixes of one row: Fisher-Yates on values[0 .. length), the swap of position t
 * driven by word first_word + width - 1 - t of the row (word i at row + i * stride). */
static inline void
shuffle_prefix(uint8_t *values, int length, int width, const char *row, Py_ssize_t stride,
               int first_word)
{
    for (int t = length - 1; t >= 1; t--) {
        const uint32_t u = read_u32(row + (Py_ssize_t)(first_word + width - 1 - t) * stride);
        const int j = (int)below(u, (uint32_t)t + 1);
        const uint8_t at_t = values[t];
        values[t] = values[j];
        values[j] = at_t;
    }
}

typedef struct {
    const int32_t *ids;                 /* the row's 68 sample token ids */
    int length;                         /* of the rule */
    unsigned used;                      /* bit s: rule symbol s occurs in the rule */
    int last_used;                      /* the highest such s */
    uint8_t rule[SUB_MAX_RULE];         /* sample indices: rule symbols < 5, math symbols >= 48 */
    int value_length[SUB_MAX_CASES][SUB_MAX_K];
    int32_t value[SUB_MAX_CASES][SUB_MAX_K][SUB_MAX_VALUE];
} SubstitutionRow;

/* The draw of one row from its words (word i at row + i * stride): SubstitutionDraw's. Every
 * index it makes is below its bound by construction (k <= 5, u * n >> 32 < n). */
static void
draw_substitution(const char *row, Py_ssize_t stride, int cases, SubstitutionRow *draw)
{
#define WORD(i) read_u32(row + (Py_ssize_t)(i) * stride)
    const int k = 3 + (int)below(WORD(0), 3);
    const int n_math = 5 + (int)below(WORD(1), 15);
    const int n_chars = 2 * k, length = n_chars + n_math;
    unsigned used = 0;
    for (int i = 0; i < n_chars; i++) {
        const uint8_t symbol = (uint8_t)below(WORD(SUB_CHARS_WORD + i), (uint32_t)k);
        draw->rule[i] = symbol;
        used |= 1u << symbol;
    }
    for (int i = 0; i < n_math; i++) {
        draw->rule[n_chars + i] = (uint8_t)(MATH_START + below(WORD(SUB_MATH_WORD + i), MATH_COUNT));
    }
    shuffle_prefix(draw->rule, length, SUB_MAX_RULE, row, stride, SUB_SHUFFLE_WORD);
    draw->length = length;
    draw->used = used;
    draw->last_used = 0;
    for (int s = 0; s < SUB_MAX_K; s++) {
        draw->last_used = (used >> s) & 1 ? s : draw->last_used;
    }
    for (int c = 0; c < cases; c++) {
        const int base = SUB_RULE_SLOTS + c * SUB_CASE_SLOTS;
        for (int s = 0; s < SUB_MAX_K; s++) {
            if (!((used >> s) & 1)) {
                continue; /* never written */
            }
            draw->value_length[c][s] = 2 + (int)below(WORD(base + s), 7);
            const int first = base + SUB_MAX_K + s * SUB_MAX_VALUE;
            for (int v = 0; v < SUB_MAX_VALUE; v++) {
                draw->value[c][s][v] =
                    draw->ids[STRING_START + below(WORD(first + v), MATH_COUNT + STRING_COUNT)];
            }
        }
    }
#undef WORD
}

/* The header after its rule symbols: <LOWER> the 24 string symbols <MATH> the 20 math symbols
 * <space>; returns the ids written. */
static int
write_header_end(const int32_t *ids, int32_t *out)
{
    int n = 0;
    out[n++] = TOKEN_LOWER;
    memcpy(out + n, ids + STRING_START, STRING_COUNT * sizeof *out);
    n += STRING_COUNT;
    out[n++] = TOKEN_MATH;
    memcpy(out + n, ids + MATH_START, MATH_COUNT * sizeof *out);
    n += MATH_COUNT;
    out[n++] = TOKEN_SPACE;
    return n;
}

/* Write part `kind` of a drawn row at `out`; returns the ids written. `out` has part_room[kind]
 * ids of room. */
static int
write_substitution_part(const SubstitutionRow *draw, int kind, int32_t *out)
{
    const int32_t *ids = draw->ids;
    int n = 0;
    switch (kind) {
    case PART_HEADER:
        out[n++] = TOKEN_UPPER;
        for (int s = 0; s < SUB_MAX_K; s++) {
            out[n] = ids[s];
            n += (draw->used >> s) & 1;
        }
        return n + write_header_end(ids, out + n);
    case PART_RULE:
        for (int p = 0; p < draw->length; p++) {
            out[p] = ids[draw->rule[p]];
        }
        return draw->length;
    case PART_SPACE:
        out[0] = TOKEN_SPACE;
        return 1;
    case PART_CASE0:
    case PART_CASE1: {
        const int c = kind - PART_CASE0;
        for (int s = 0; s < SUB_MAX_K; s++) {
            if (!((draw->used >> s) & 1)) {
                continue;
            }
            out[n] = ids[s];
            out[n + 1] = TOKEN_COLON;
            out[n + 2] = TOKEN_OPEN;
            memcpy(out + n + 3, draw->value[c][s], SUB_MAX_VALUE * sizeof *out);
            n += 3 + draw->value_length[c][s];
            out[n++] = TOKEN_CLOSE;
            out[n] = TOKEN_COMMA;
            n += s < draw->last_used;
        }
        return n;
    }
    default: { /* PART_RESULT0, PART_RESULT1 */
        const int c = kind - PART_RESULT0;
        for (int p = 0; p < draw->length; p++) {
            const int symbol = draw->rule[p];
            if (symbol < SUB_MAX_K) {
                memcpy(out + n, draw->value[c][symbol], SUB_MAX_VALUE * sizeof *out);
                n += draw->value_length[c][symbol];
            }
            else {
                out[n++] = ids[symbol];
            }
        }
        return n;
    }
    }
}

#define MAX_LAYOUT_CODES 16

/* The room of a layout's rows in ids, or -1 where a code is not a part of `cases` cases or
 * there are more than MAX_LAYOUT_CODES codes. */
static Py_ssize_t
layout_room(const Py_buffer *layout, int cases)
{
    Py_ssize_t room = 0;
    if (layout->shape[0] > MAX_LAYOUT_CODES) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < layout->shape[0]; i++) {
        const int kind = ((const uint8_t *)layout->buf)[i];
        const int needs_case = kind == PART_CASE1 || kind == PART_RESULT1 ? 2
                               : kind == PART_CASE0 || kind == PART_RESULT0 ? 1 : 0;
        if (kind >= PART_KINDS || needs_case > cases) {
            return -1;
        }
        room += part_room[kind];
    }
    return room;
}

PyDoc_STRVAR(substitution_rows_doc,
"substitution_rows(words, sample_ids, cases, source_layout, target_layout, source_offsets,\n"
"                  target_offsets) -> (bytearray, bytearray)\n\n"
"The token ids of the sources and targets of substitution examples: for each row of the uint32\n"
"matrix `words` (rows, at least 59 + 45 * cases words after the symbol draw), the draw of\n"
"substitution.SubstitutionDraw with `cases` (1 or 2) cases over the row's 68 sample token ids\n"
"(the C-ordered int32 matrix `sample_ids`), laid out as the part codes of `source_layout` and\n"
"`target_layout` (bytes: substitution.LAYOUT_CODES). Writes each row's end to the int64\n"
"offsets (rows + 1 entries, offsets[0] = 0) and returns the int32 ids, rows end to end.");

static PyObject *
substitution_rows(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *words_obj, *ids_obj, *layout_objs[2], *offsets_objs[2];
    int cases;
    if (!PyArg_ParseTuple(args, "OOiOOOO:substitution_rows", &words_obj, &ids_obj, &cases,
                          &layout_objs[0], &layout_objs[1], &offsets_objs[0], &offsets_objs[1])) {
        return NULL;
    }
    if (cases < 1 || cases > SUB_MAX_CASES) {
        PyErr_Format(PyExc_ValueError, "cases must be 1 or 2; got %d", cases);
        return NULL;
    }
    Py_buffer views[6];
    const BufferSpec specs[6] = {
        {words_obj, PyBUF_STRIDES, 2, 4, "BHILQN", "words"},
        {ids_obj, PyBUF_C_CONTIGUOUS, 2, 4, "bhilqn", "sample_ids"},
        {layout_objs[0], PyBUF_C_CONTIGUOUS, 1, 1, "bBc", "source_layout"},
        {layout_objs[1], PyBUF_C_CONTIGUOUS, 1, 1, "bBc", "target_layout"},
        {offsets_objs[0], PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, 1, 8, "bhilqn", "source_offsets"},
        {offsets_objs[1], PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, 1, 8, "bhilqn", "target_offsets"},
    };
    if (get_buffers(specs, views, 6) < 0) {
        return NULL;
    }
    PyObject *texts[2] = {NULL, NULL}, *result = NULL;
    const Py_buffer *words = &views[0], *sample = &views[1];
    const Py_ssize_t rows = words->shape[0];
    if (words->shape[1] < SUB_RULE_SLOTS + cases * SUB_CASE_SLOTS) {
        PyErr_Format(PyExc_ValueError, "words must have at least %d columns for %d cases; got %zd",
                     SUB_RULE_SLOTS + cases * SUB_CASE_SLOTS, cases, words->shape[1]);
        goto done;
    }
    if (sample->shape[0] != rows || sample->shape[1] != SAMPLE_SYMBOLS ||
        views[4].shape[0] != rows + 1 || views[5].shape[0] != rows + 1) {
        PyErr_SetString(PyExc_ValueError, "sample_ids must be (rows, 68) and the offsets have "
                                          "rows + 1 entries, for the rows of words");
        goto done;
    }
    Py_ssize_t room[2];
    for (int side = 0; side < 2; side++) {
        room[side] = layout_room(&views[2 + side], cases);
        if (room[side] < 0) {
            PyErr_Format(PyExc_ValueError, "a layout holds at most %d codes, each below %d and "
                                           "naming a part of the %d drawn cases",
                         MAX_LAYOUT_CODES, PART_KINDS, cases);
            goto done;
        }
        /* The room of every row, and the ids a last value may copy past the end. */
        if (rows > 0 && room[side] > (PY_SSIZE_T_MAX / 4 - SUB_MAX_VALUE) / rows) {
            PyErr_SetString(PyExc_OverflowError, "too many rows");
            goto done;
        }
        texts[side] = PyByteArray_FromStringAndSize(
            NULL, (rows * room[side] + SUB_MAX_VALUE) * (Py_ssize_t)sizeof(int32_t));
        if (texts[side] == NULL) {
            goto done;
        }
    }
    int32_t *out[2] = {(int32_t *)PyByteArray_AS_STRING(texts[0]),
                       (int32_t *)PyByteArray_AS_STRING(texts[1])};
    int64_t *offsets[2] = {views[4].buf, views[5].buf};
    /* The codes checked by layout_room, copied: the loop must not read them again. */
    uint8_t layout[2][MAX_LAYOUT_CODES];
    const Py_ssize_t n_codes[2] = {views[2].shape[0], views[3].shape[0]};
    memcpy(layout[0], views[2].buf, (size_t)n_codes[0]);
    memcpy(layout[1], views[3].buf, (size_t)n_codes[1]);
    Py_ssize_t at[2] = {0, 0};
    Py_BEGIN_ALLOW_THREADS
    SubstitutionRow draw;
    offsets[0][0] = offsets[1][0] = 0;
    for (Py_ssize_t r = 0; r < rows; r++) {
        draw.ids = (const int32_t *)sample->buf + r * SAMPLE_SYMBOLS;
        draw_substitution((const char *)words->buf + r * words->strides[0], words->strides[1],
                          cases, &draw);
        for (int side = 0; side < 2; side++) {
            for (Py_ssize_t i = 0; i < n_codes[side]; i++) {
                at[side] += write_substitution_part(&draw, layout[side][i], out[side] + at[side]);
            }
            offsets[side][r + 1] = at[side];
        }
    }
    Py_END_ALLOW_THREADS
    for (int side = 0; side < 2; side++) {
        if (cut_bytearray(&texts[side], at[side] * (Py_ssize_t)sizeof(int32_t)) < 0) {
            goto done;
        }
    }
    result = PyTuple_Pack(2, texts[0], texts[1]);
done:
    Py_XDECREF(texts[0]);
    Py_XDECREF(texts[1]);
    release_buffers(views, 6);
    return result;
}

/* ---- rewrite_rows, multistep_rows --------------------------------------------------------- */

/* The draws of rewrite.py: their constants and where each draw reads its word. */
#define RW_MAX_LENGTH 50 /* family 2 */
#define RW_MAX_SPAN 20
#define RW_MAX_RIGHT 40
#define RW_STRING_WORD 1
#define RW_SHUFFLE_WORD (RW_STRING_WORD + RW_MAX_LENGTH)
#define RW_SPAN_WORD (RW_SHUFFLE_WORD + RW_MAX_LENGTH - 1)
#define RW_START_WORD (RW_SPAN_WORD + 1)
#define RW_COUNT_WORD (RW_START_WORD + 1)
#define RW_MATH_WORD (RW_COUNT_WORD + 1)
#define RW_RIGHT_SHUFFLE_WORD (RW_MATH_WORD + 20)
#define RW_SLOTS (RW_RIGHT_SHUFFLE_WORD + RW_MAX_RIGHT - 1)
#define MS_MAX_START 25 /* family 3 */
#define MS_MAX_SPAN 7
#define MS_MAX_MATH 7
#define MS_RIGHT_WIDTH (MS_MAX_MATH + MS_MAX_SPAN)
#define MS_STRING_WORD 1
#define MS_SHUFFLE_WORD (MS_STRING_WORD + MS_MAX_START)
#define MS_STEPS_WORD (MS_SHUFFLE_WORD + MS_MAX_START - 1)
#define MS_START_SLOTS (MS_STEPS_WORD + 1)
#define MS_STEP_SLOTS (3 + MS_MAX_MATH + MS_RIGHT_WIDTH - 1)
#define MS_MAX_STEPS 100 /* config.MAX_STEPS_LIMIT */
#define MS_MAX_STRING (MS_MAX_START + MS_MAX_MATH * MS_MAX_STEPS)
#define HEADER_ROOM (3 + 24 + STRING_COUNT + 1 + MATH_COUNT + 1)

/* Python's round(1.5 * n), half to even (rewrite.ROUND_1_5). */
static const uint8_t round_1_5[21] = {0,  2,  3,  4,  6,  8,  9,  10, 12, 14, 15,
                                      16, 18, 20, 21, 22, 24, 26, 27, 28, 30};

#define ROW_WORD(i) read_u32(row + (Py_ssize_t)(i) * stride)

/* rewrite.draw_string: n_math math then n_string string draws, shuffled; returns the length. */
static int
draw_rewrite_string(const char *row, Py_ssize_t stride, int n_math, int n_string, int width,
                    int string_word, int shuffle_word, uint8_t *out)
{
    const int length = n_math + n_string;
    for (int p = 0; p < length; p++) {
        const uint32_t u = ROW_WORD(string_word + p);
        out[p] = (uint8_t)(p < n_math ? MATH_START + below(u, MATH_COUNT)
                                      : STRING_START + below(u, STRING_COUNT));
    }
    shuffle_prefix(out, length, width, row, stride, shuffle_word);
    return length;
}

typedef struct {
    int m, k, right_length;
    uint8_t left[RW_MAX_SPAN];    /* rule symbols 0..k-1 for letters, math symbols as they are */
    uint8_t right[RW_MAX_RIGHT];  /* the same, shuffled */
    uint8_t letters[RW_MAX_SPAN]; /* the string symbol of each rule symbol */
} RewriteRule;

/* rewrite.abstract and rewrite.compose_right: the rule of the span `span[0 .. m)` with `count`
 * math symbols `maths`, its right side (`right_width` wide) shuffled by the words from
 * `shuffle_word`. Spans hold string and math symbols only, m <= RW_MAX_SPAN and
 * count + m <= right_width <= RW_MAX_RIGHT. */
static void
make_rewrite_rule(const char *row, Py_ssize_t stride, const uint8_t *span, int m, int count,
                  const uint8_t *maths, int shuffle_word, int right_width, RewriteRule *rule)
{
    int8_t rank[STRING_COUNT];
    memset(rank, -1, sizeof rank);
    int k = 0;
    for (int p = 0; p < m; p++) {
        const int symbol = span[p];
        if (symbol >= STRING_START && symbol < MATH_START) {
            if (rank[symbol - STRING_START] < 0) {
                rank[symbol - STRING_START] = (int8_t)k;
                rule->letters[k++] = (uint8_t)symbol;
            }
            rule->left[p] = (uint8_t)rank[symbol - STRING_START];
        }
        else {
            rule->left[p] = (uint8_t)symbol;
        }
    }
    const int length = count + k;
    memcpy(rule->right, maths, (size_t)count);
    for (int c = 0; c < k; c++) {
        rule->right[count + c] = (uint8_t)c;
    }
    shuffle_prefix(rule->right, length, right_width, row, stride, shuffle_word);
    rule->m = m;
    rule->k = k;
    rule->right_length = length;
}

/* Writers: each returns the ids written at `out`. */
static int
write_header(const int32_t *ids, int rule_symbols, int32_t *out)
{
    out[0] = TOKEN_UPPER;
    memcpy(out + 1, ids, (size_t)rule_symbols * sizeof *out);
    return 1 + rule_symbols + write_header_end(ids, out + 1 + rule_symbols);
}

static int
write_symbols(const int32_t *ids, const uint8_t *symbols, int count, int32_t *out)
{
    for (int p = 0; p < count; p++) {
        out[p] = ids[symbols[p]];
    }
    return count;
}

/* left -> right */
static int
write_rule(const int32_t *ids, const RewriteRule *rule, int32_t *out)
{
    int n = write_symbols(ids, rule->left, rule->m, out);
    out[n++] = TOKEN_ARROW;
    return n + write_symbols(ids, rule->right, rule->right_length, out + n);
}

/* The string with string[start .. start + m) replaced by the right side, each rule symbol
 * turned back into its letter, as sample indices. */
static int
rewrite_string(const uint8_t *string, int length, int start, const RewriteRule *rule,
               uint8_t *out)
{
    memcpy(out, string, (size_t)start);
    int n = start;
    for (int p = 0; p < rule->right_length; p++) {
        const int symbol = rule->right[p];
        out[n++] = symbol < RULE_SYMBOLS_COUNT ? rule->letters[symbol] : (uint8_t)symbol;
    }
    memcpy(out + n, string + start + rule->m, (size_t)(length - start - rule->m));
    return n + length - start - rule->m;
}

/* Get the buffers of a rewrite kernel: words, sample_ids and the two offsets. */
static int
get_rewrite_buffers(PyObject *const *objs, Py_buffer *views, Py_ssize_t min_words,
                    Py_ssize_t *rows)
{
    const BufferSpec specs[4] = {
        {objs[0], PyBUF_STRIDES, 2, 4, "BHILQN", "words"},
        {objs[1], PyBUF_C_CONTIGUOUS, 2, 4, "bhilqn", "sample_ids"},
        {objs[2], PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, 1, 8, "bhilqn", "source_offsets"},
        {objs[3], PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, 1, 8, "bhilqn", "target_offsets"},
    };
    if (get_buffers(specs, views, 4) < 0) {
        return -1;
    }
    *rows = views[0].shape[0];
    if (views[0].shape[1] < min_words) {
        PyErr_Format(PyExc_ValueError, "words must have at least %zd columns; got %zd",
                     min_words, views[0].shape[1]);
    }
    else if (views[1].shape[0] != *rows || views[1].shape[1] != SAMPLE_SYMBOLS ||
             views[2].shape[0] != *rows + 1 || views[3].shape[0] != *rows + 1) {
        PyErr_SetString(PyExc_ValueError, "sample_ids must be (rows, 68) and the offsets have "
                                          "rows + 1 entries, for the rows of words");
    }
    else {
        return 0;
    }
    release_buffers(views, 4);
    return -1;
}

/* Two bytearrays of `room` int32 ids each, or -1 with an exception set. */
static int
new_id_buffers(const int64_t room[2], PyObject *buffers[2])
{
    for (int side = 0; side < 2; side++) {
        if (room[side] < 0 || room[side] > PY_SSIZE_T_MAX / 4) {
            PyErr_SetString(PyExc_OverflowError, "too many rows");
            return -1;
        }
        buffers[side] = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)room[side] * 4);
        if (buffers[side] == NULL) {
            return -1;
        }
    }
    return 0;
}

/* Cut the two bytearrays to the ids written and return them as a tuple (NULL on error). */
static PyObject *
finish_id_buffers(PyObject *buffers[2], const int64_t written[2])
{
    for (int side = 0; side < 2; side++) {
        if (cut_bytearray(&buffers[side], (Py_ssize_t)written[side] * 4) < 0) {
            return NULL;
        }
    }
    return PyTuple_Pack(2, buffers[0], buffers[1]);
}

#define RW_ROOM (HEADER_ROOM + RW_MAX_LENGTH + 1 + 2 * (RW_MAX_LENGTH + RW_MAX_RIGHT) + 1)

PyDoc_STRVAR(rewrite_rows_doc,
"rewrite_rows(words, sample_ids, induct, source_offsets, target_offsets)\n"
"    -> (bytearray, bytearray)\n\n"
"The token ids of single-step rewrite examples: for each row of the uint32 matrix `words`\n"
"(rows, at least 162 words after the symbol draw), the draw of rewrite.RewriteDraw over the row's\n"
"68 sample token ids (the C-ordered int32 matrix `sample_ids`), laid out as rewrite.rewrite, or\n"
"rewrite.induct_rewrite where `induct` is true. Writes each row's end to the int64 offsets\n"
"(rows + 1 entries, offsets[0] = 0) and returns the int32 ids, rows end to end.");

static PyObject *
rewrite_rows(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *objs[4];
    int induct;
    if (!PyArg_ParseTuple(args, "OOpOO:rewrite_rows", &objs[0], &objs[1], &induct, &objs[2],
                          &objs[3])) {
        return NULL;
    }
    Py_buffer views[4];
    Py_ssize_t rows;
    if (get_rewrite_buffers(objs, views, RW_SLOTS, &rows) < 0) {
        return NULL;
    }
    PyObject *buffers[2] = {NULL, NULL}, *result = NULL;
    const int64_t room[2] = {(int64_t)rows * RW_ROOM, (int64_t)rows * RW_ROOM};
    if ((rows > 0 && rows > INT64_MAX / RW_ROOM) || new_id_buffers(room, buffers) < 0) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_OverflowError, "too many rows");
        }
        goto done;
    }
    int32_t *out[2] = {(int32_t *)PyByteArray_AS_STRING(buffers[0]),
                       (int32_t *)PyByteArray_AS_STRING(buffers[1])};
    int64_t *offsets[2] = {views[2].buf, views[3].buf};
    int64_t at[2] = {0, 0};
    const Py_ssize_t stride = views[0].strides[1];
    Py_BEGIN_ALLOW_THREADS
    offsets[0][0] = offsets[1][0] = 0;
    for (Py_ssize_t r = 0; r < rows; r++) {
        const char *row = (const char *)views[0].buf + r * views[0].strides[0];
        const int32_t *ids = (const int32_t *)views[1].buf + r * SAMPLE_SYMBOLS;
        uint8_t string[RW_MAX_LENGTH], maths[20], rewritten[RW_MAX_LENGTH + RW_MAX_RIGHT];
        const int n = 10 + (int)below(ROW_WORD(0), 11);
        const int length = draw_rewrite_string(row, stride, round_1_5[n], n, RW_MAX_LENGTH,
                                               RW_STRING_WORD, RW_SHUFFLE_WORD, string);
        const int m = 5 + (int)below(ROW_WORD(RW_SPAN_WORD), 16);
        const int start = (int)below(ROW_WORD(RW_START_WORD), (uint32_t)(length - m + 1));
        const int count = 5 + (int)below(ROW_WORD(RW_COUNT_WORD), 16);
        for (int p = 0; p < count; p++) {
            maths[p] = (uint8_t)(MATH_START + below(ROW_WORD(RW_MATH_WORD + p), MATH_COUNT));
        }
        RewriteRule rule;
        make_rewrite_rule(row, stride, string + start, m, count, maths, RW_RIGHT_SHUFFLE_WORD,
                          RW_MAX_RIGHT, &rule);
        const int new_length = rewrite_string(string, length, start, &rule, rewritten);
        int32_t *source = out[0] + at[0], *target = out[1] + at[1];
        int s = write_header(ids, rule.k, source), t = 0;
        if (induct) {
            s += write_symbols(ids, string, length, source + s);
            source[s++] = TOKEN_SPACE;
            s += write_symbols(ids, rewritten, new_length, source + s);
            t += write_rule(ids, &rule, target);
        }
        else {
            s += write_rule(ids, &rule, source + s);
            source[s++] = TOKEN_SPACE;
            s += write_symbols(ids, string, length, source + s);
            t += write_symbols(ids, rewritten, new_length, target);
        }
        at[0] += s;
        at[1] += t;
        offsets[0][r + 1] = at[0];
        offsets[1][r + 1] = at[1];
    }
    Py_END_ALLOW_THREADS
    result = finish_id_buffers(buffers, at);
done:
    Py_XDECREF(buffers[0]);
    Py_XDECREF(buffers[1]);
    release_buffers(views, 4);
    return result;
}

/* The room of one multi-step row of `steps` steps: its source, and its target (`easy`: every
 * string after a step, each followed by a space). */
static int64_t
multistep_room(int steps, int side, int easy)
{
    if (side == 0) {
        return HEADER_ROOM + (int64_t)steps * (MS_MAX_SPAN + 1 + MS_RIGHT_WIDTH + 1) + MS_MAX_START;
    }
    if (!easy) {
        return MS_MAX_START + (int64_t)MS_MAX_MATH * steps;
    }
    return (int64_t)steps * (MS_MAX_START + 1) + (int64_t)MS_MAX_MATH * steps * (steps + 1) / 2;
}

PyDoc_STRVAR(multistep_rows_doc,
"multistep_rows(words, sample_ids, min_steps, max_steps, easy, source_offsets, target_offsets)\n"
"    -> (bytearray, bytearray)\n\n"
"The token ids of multi-step rewrite examples: for each row of the uint32 matrix `words` (rows,\n"
"at least 51 + 23 * max_steps words after the symbol draw), the draw of rewrite.MultistepDraw\n"
"over the row's 68 sample token ids (the C-ordered int32 matrix `sample_ids`), laid out as\n"
"rewrite.rewrite_multistep, or rewrite.rewrite_multistep_easy where `easy` is true;\n"
"1 <= min_steps <= max_steps <= 100. Writes each row's end to the int64 offsets (rows + 1\n"
"entries, offsets[0] = 0) and returns the int32 ids, rows end to end.");

static PyObject *
multistep_rows(PyObject *Py_UNUSED(self), PyObject *args)
{
    PyObject *objs[4];
    int min_steps, max_steps, easy;
    if (!PyArg_ParseTuple(args, "OOiipOO:multistep_rows", &objs[0], &objs[1], &min_steps,
                          &max_steps, &easy, &objs[2], &objs[3])) {
        return NULL;
    }
    if (min_steps < 1 || max_steps < min_steps || max_steps > MS_MAX_STEPS) {
        PyErr_Format(PyExc_ValueError,
                     "steps must satisfy 1 <= min_steps <= max_steps <= %d; got %d and %d",
                     MS_MAX_STEPS, min_steps, max_steps);
        return NULL;
    }
    Py_buffer views[4];
    Py_ssize_t rows;
    if (get_rewrite_buffers(objs, views, MS_START_SLOTS + (Py_ssize_t)MS_STEP_SLOTS * max_steps,
                            &rows) < 0) {
        return NULL;
    }
    PyObject *buffers[2] = {NULL, NULL}, *result = NULL;
    const Py_ssize_t stride = views[0].strides[1];
    const uint32_t step_choices = (uint32_t)(max_steps - min_steps + 1);
    /* Pass 1: the room of every row from its step count (pass 2 checks it again). */
    int64_t room[2] = {0, 0};
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < rows; r++) {
        const char *row = (const char *)views[0].buf + r * views[0].strides[0];
        const int steps = min_steps + (int)below(ROW_WORD(MS_STEPS_WORD), step_choices);
        room[0] += multistep_room(steps, 0, easy);
        room[1] += multistep_room(steps, 1, easy);
    }
    Py_END_ALLOW_THREADS
    if (new_id_buffers(room, buffers) < 0) {
        goto done;
    }
    int32_t *out[2] = {(int32_t *)PyByteArray_AS_STRING(buffers[0]),
                       (int32_t *)PyByteArray_AS_STRING(buffers[1])};
    int64_t *offsets[2] = {views[2].buf, views[3].buf};
    int64_t at[2] = {0, 0};
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    uint8_t start_string[MS_MAX_START], strings[2][MS_MAX_STRING], maths[MS_MAX_MATH];
    offsets[0][0] = offsets[1][0] = 0;
    for (Py_ssize_t r = 0; r < rows; r++) {
        const char *row = (const char *)views[0].buf + r * views[0].strides[0];
        const int32_t *ids = (const int32_t *)views[1].buf + r * SAMPLE_SYMBOLS;
        const int n = 5 + (int)below(ROW_WORD(0), 6);
        const int start_length = draw_rewrite_string(
            row, stride, n, round_1_5[n], MS_MAX_START, MS_STRING_WORD, MS_SHUFFLE_WORD,
            start_string);
        const int steps = min_steps + (int)below(ROW_WORD(MS_STEPS_WORD), step_choices);
        if (multistep_room(steps, 0, easy) > room[0] - at[0] ||
            multistep_room(steps, 1, easy) > room[1] - at[1]) {
            bad = 1; /* the words changed since pass 1 */
            break;
        }
        int32_t *source = out[0] + at[0], *target = out[1] + at[1];
        int s = write_header(ids, RULE_SYMBOLS_COUNT, source), t = 0;
        memcpy(strings[0], start_string, (size_t)start_length);
        int length = start_length, current = 0;
        for (int step = 0; step < steps; step++) {
            const int base = MS_START_SLOTS + step * MS_STEP_SLOTS;
            const int drawn = 3 + (int)below(ROW_WORD(base), 5);
            const int m = drawn < length ? drawn : length; /* never longer than the string */
            const int start = (int)below(ROW_WORD(base + 1), (uint32_t)(length - m + 1));
            const int count = 3 + (int)below(ROW_WORD(base + 2), 5);
            for (int p = 0; p < count; p++) {
                maths[p] = (uint8_t)(MATH_START + below(ROW_WORD(base + 3 + p), MATH_COUNT));
            }
            RewriteRule rule;
            make_rewrite_rule(row, stride, strings[current] + start, m, count, maths,
                              base + 3 + MS_MAX_MATH, MS_RIGHT_WIDTH, &rule);
            s += write_rule(ids, &rule, source + s);
            source[s++] = TOKEN_SPACE;
            length = rewrite_string(strings[current], length, start, &rule, strings[!current]);
            current = !current;
            if (easy) {
                t += write_symbols(ids, strings[current], length, target + t);
                target[t] = TOKEN_SPACE;
                t += step + 1 < steps;
            }
        }
        s += write_symbols(ids, start_string, start_length, source + s);
        if (!easy) {
            t += write_symbols(ids, strings[current], length, target);
        }
        at[0] += s;
        at[1] += t;
        offsets[0][r + 1] = at[0];
        offsets[1][r + 1] = at[1];
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_RuntimeError, "the words changed while they were read");
        goto done;
    }
    result = finish_id_buffers(buffers, at);
done:
    Py_XDECREF(buffers[0]);
    Py_XDECREF(buffers[1]);
    release_buffers(views, 4);
    return result;
}

#undef ROW_WORD

/* ---- module ------------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"row_words", row_words, METH_VARARGS, row_words_doc},
    {"sample_symbols", sample_symbols, METH_VARARGS, sample_symbols_doc},
    {"pack_groups", pack_groups, METH_VARARGS, pack_groups_doc},
    {"render", render, METH_VARARGS, render_doc},
    {"substitution_rows", substitution_rows, METH_VARARGS, substitution_rows_doc},
    {"rewrite_rows", rewrite_rows, METH_VARARGS, rewrite_rows_doc},
    {"multistep_rows", multistep_rows, METH_VARARGS, multistep_rows_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "Compiled loops of lime_datasets.core (optional; see kernels.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    return PyModule_Create(&module);
}
