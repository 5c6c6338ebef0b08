"""Record batches -> serialized ``tf.train.Example`` protos, a whole batch at once (no TensorFlow).

Each row becomes the message TFDS's own serializer makes of the example: a string column as a
``bytes_list`` of one value, an integer column as an ``int64_list`` of one value, a list of
integers as a packed ``int64_list``. The bytes are those of protobuf's deterministic serialization
(map entries in key order), so ``tf.train.Example.FromString`` and TFDS's parsers read them
unchanged. The optional compiled ``_tfrecord.encode_examples`` writes a batch's records in one
pass (``native_fields`` gives it the columns); without it (not built, or compiled code switched
off, as for the core's kernels) ``serialize_batch_numpy`` computes the lengths and varints with
numpy for the whole batch and joins each record from its pieces with pyarrow's
``binary_join_element_wise``. Both give the same bytes.

Wire format (protobuf): a length-delimited field is its tag byte, the varint length, the bytes.
``Example{features=1}``, ``Features{map<string, Feature> feature=1}`` (an entry is
``{key=1, value=2}``), ``Feature{bytes_list=1, int64_list=3}``,
``BytesList{repeated bytes value=1}``, ``Int64List{repeated int64 value=1 [packed]}``.
"""

from __future__ import annotations

import functools
from types import ModuleType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_LENGTH_DELIMITED_1 = 0x0A  # field 1, wire type 2
_MAP_VALUE = 0x12  # field 2, wire type 2
_BYTES_LIST = 0x0A  # Feature.bytes_list
_INT64_LIST = 0x1A  # Feature.int64_list


LIST_ENCODINGS = ("bytes", "int64_list")


def serialize_batch(batch: pa.RecordBatch, list_encoding: str = "bytes") -> pa.BinaryArray:
    """One serialized ``tf.train.Example`` per row of ``batch`` (columns: integers, strings or
    lists of integers; no nulls), in row order.

    ``list_encoding`` says how a list of integers is stored: ``"bytes"``, its values' raw
    machine bytes as one ``bytes_list`` value (TFDS's ``Tensor(..., encoding="bytes")``, which
    decodes them with ``tf.io.decode_raw``/``np.frombuffer``), or ``"int64_list"``, a packed
    ``int64_list`` (TFDS's default ``Tensor`` encoding).
    """
    fields = native_fields(batch, list_encoding)
    if fields is None:
        return serialize_batch_numpy(batch, list_encoding)
    data, offsets = native_encoder().encode_examples(fields, batch.num_rows, False)
    starts = np.frombuffer(offsets, dtype=np.int64)
    if starts[-1] >= 2**31:
        return serialize_batch_numpy(batch, list_encoding)  # beyond a BinaryArray's offsets
    return _binary_from_offsets(np.frombuffer(data, dtype=np.uint8), starts)


def native_fields(batch: pa.RecordBatch, list_encoding: str = "bytes") -> tuple | None:
    """The columns of ``batch`` as ``_tfrecord.encode_examples`` takes them, in key order; None
    where the compiled encoder is not available or does not serve the batch (then use
    ``serialize_batch_numpy``)."""
    _check_list_encoding(list_encoding)
    if native_encoder() is None:
        return None
    fields = []
    for name in sorted(batch.schema.names, key=lambda n: n.encode()):
        column = batch.column(name)
        kind = column.type
        if pa.types.is_integer(kind):
            fields.append((name.encode(), 1, column.to_numpy().astype(np.int64), None, 1))
        elif pa.types.is_string(kind) or pa.types.is_binary(kind):
            data = column.buffers()[2]
            fields.append((name.encode(), 0, data if data is not None else b"",
                           _offsets(column), 1))
        elif (list_encoding == "bytes" and pa.types.is_list(kind)
              and pa.types.is_integer(kind.value_type)):
            values = column.values.to_numpy()
            fields.append((name.encode(), 0, values.view(np.uint8), _offsets(column),
                           values.itemsize))
        else:
            return None
    return tuple(fields)


@functools.cache
def native_encoder() -> ModuleType | None:
    """The compiled ``_tfrecord`` module, or None (not built, or compiled code switched off)."""
    from ..core import kernels

    if kernels.switched_off():
        return None
    try:
        from . import _tfrecord
    except ImportError:
        return None
    return _tfrecord


def _offsets(column: pa.Array) -> np.ndarray:
    """A string, binary or list column's int32 offsets (``len + 1`` of them)."""
    return np.frombuffer(column.buffers()[1], dtype=np.int32, count=len(column) + 1,
                         offset=4 * column.offset)


def _check_list_encoding(list_encoding: str) -> None:
    if list_encoding not in LIST_ENCODINGS:
        raise ValueError(f"list_encoding must be one of {LIST_ENCODINGS}; got {list_encoding!r}")


def serialize_batch_numpy(batch: pa.RecordBatch, list_encoding: str = "bytes") -> pa.BinaryArray:
    """``serialize_batch`` with numpy and pyarrow only (its reference)."""
    _check_list_encoding(list_encoding)
    rows = batch.num_rows
    fields = []
    features_length = np.zeros(rows, dtype=np.int64)
    for name in sorted(batch.schema.names, key=lambda n: n.encode()):
        payload, payload_length, kind = _payload(batch.column(name), list_encoding)
        # Feature{bytes_list: BytesList{value: [payload]}} or
        # Feature{int64_list: Int64List{value: [...] packed}}, where an empty list has no field.
        omit_empty = kind == _INT64_LIST
        list_length = payload_length + 1 + _varint_size(payload_length)
        if omit_empty:
            list_length[payload_length == 0] = 0
        feature_length = list_length + 1 + _varint_size(list_length)
        key = name.encode()
        key_field = bytes([_LENGTH_DELIMITED_1, *_varint(len(key))]) + key + bytes([_MAP_VALUE])
        entry_length = len(key_field) + _varint_size(feature_length) + feature_length
        features_length += 1 + _varint_size(entry_length) + entry_length
        header = [(_LENGTH_DELIMITED_1, entry_length, False), key_field,
                  (None, feature_length, False), (kind, list_length, False),
                  (_LENGTH_DELIMITED_1, payload_length, omit_empty)]
        fields.append((header, payload))
    pieces = []
    for index, (header, payload) in enumerate(fields):
        if index == 0:  # Example{features: ...}
            header = [(_LENGTH_DELIMITED_1, features_length, False), *header]
        pieces += [_binary(*_joined(header, rows)), payload]
    return pc.binary_join_element_wise(*pieces, pa.scalar(b"", pa.binary()))


def _payload(column: pa.Array, list_encoding: str) -> tuple[pa.BinaryArray, np.ndarray, int]:
    """The innermost bytes of a column's feature per row, their lengths, and the list kind."""
    if pa.types.is_string(column.type) or pa.types.is_binary(column.type):
        payload = column.cast(pa.binary())
        return payload, pc.binary_length(payload).to_numpy().astype(np.int64), _BYTES_LIST
    if pa.types.is_integer(column.type):
        data, counts = _varint_rows(column.to_numpy())
        return _binary(data, counts), counts, _INT64_LIST
    if pa.types.is_list(column.type) and pa.types.is_integer(column.type.value_type):
        offsets = column.offsets.to_numpy()
        values = column.values.to_numpy()[offsets[0]:offsets[-1]]
        if list_encoding == "bytes":  # each row's values as they lie in memory
            row_offsets = (offsets - offsets[0]).astype(np.int64) * values.itemsize
            return (_binary_from_offsets(values.view(np.uint8), row_offsets),
                    np.diff(row_offsets), _BYTES_LIST)
        data, counts = _varint_rows(values)
        ends = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=ends[1:])
        row_offsets = ends[offsets - offsets[0]]
        return (_binary_from_offsets(data, row_offsets), np.diff(row_offsets), _INT64_LIST)
    raise ValueError(f"cannot serialize a column of type {column.type} as a tf.train.Feature")


def _varint(value: int) -> list[int]:
    out = []
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return [*out, value]


def _varint_size(values: np.ndarray) -> np.ndarray:
    """Bytes of the varint of each (non-negative) value."""
    size = np.ones(len(values), dtype=np.int64)
    top = int(values.max(initial=0))
    width = 1
    while width < 10 and top >> (7 * width):
        size += values >= 1 << (7 * width)
        width += 1
    return size


def _varint_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's varint, end to end, and each one's byte count."""
    groups, keep, counts = _varint_columns(values)
    return np.compress(keep.ravel(), groups.ravel()), counts


def _joined(parts: list, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, ``parts`` end to end, and each row's byte count. A part is constant bytes or
    ``(tag, values, omit_zero)``: the tag byte (None: none) and the varint of the row's value,
    or nothing where ``omit_zero`` and the value is 0."""
    groups, keeps = [], []
    counts = np.zeros(rows, dtype=np.int64)
    for part in parts:
        if isinstance(part, bytes):
            groups.append(np.broadcast_to(np.frombuffer(part, dtype=np.uint8), (rows, len(part))))
            keeps.append(np.ones((rows, len(part)), dtype=bool))
            counts += len(part)
            continue
        tag, values, omit_zero = part
        if tag is not None:
            groups.append(np.full((rows, 1), tag, dtype=np.uint8))
            keeps.append(np.ones((rows, 1), dtype=bool))
        part_groups, part_keep, part_counts = _varint_columns(values)
        groups.append(part_groups)
        keeps.append(part_keep)
        part_counts += tag is not None
        if omit_zero:
            zero = values == 0
            keeps[-1][zero] = False
            if tag is not None:
                keeps[-2][zero] = False
            part_counts[zero] = 0
        counts += part_counts
    group, keep = np.concatenate(groups, axis=1), np.concatenate(keeps, axis=1)
    return np.compress(keep.ravel(), group.ravel()), counts


def _varint_columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Byte ``j`` of each value's varint in column ``j``, which of them exist, and how many.

    Negative integers are written as their 64-bit two's complement, as protobuf does.
    """
    values = np.asarray(values)
    rows = len(values)
    if rows and (values.min() < 0 or values.max() >= 2**32):
        encoded = values.astype(np.int64).view(np.uint64)
    else:
        encoded = values.astype(np.uint32)  # the same bits, half the memory traffic
    counts = np.ones(rows, dtype=np.int64)
    top = int(encoded.max(initial=0))
    width = 1
    while width < 10 and top >> (7 * width):
        counts += encoded >= encoded.dtype.type(1 << (7 * width))
        width += 1
    groups = np.empty((rows, width), dtype=np.uint8)
    keep = np.empty((rows, width), dtype=bool)
    for byte in range(width):
        more = counts > byte + 1
        groups[:, byte] = (encoded >> (7 * byte)) & 0x7F | more.astype(np.uint8) << 7
        keep[:, byte] = counts > byte
    return groups, keep, counts


def _binary(data: np.ndarray, counts: np.ndarray) -> pa.BinaryArray:
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return _binary_from_offsets(data, offsets)


def _binary_from_offsets(data: np.ndarray, offsets: np.ndarray) -> pa.BinaryArray:
    return pa.BinaryArray.from_buffers(
        pa.binary(), len(offsets) - 1,
        [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)],
    )
