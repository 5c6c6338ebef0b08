"""The fingerprint of a split: sha256 over a canonical serialisation, in id order.

For each field of the record schema, in schema order, two byte streams are hashed: the lengths
(uint32 little-endian, one per row; ``id`` has none) and the values (``id``: int64 LE; strings:
their UTF-8 bytes concatenated; id lists: int32 LE concatenated). The fingerprint is the sha256 of
``name=<hex digest of lengths>:<hex digest of values>\\n`` for every field. It depends only on the
rows and their order, not on how they were batched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from .records import SCHEMA


class SplitHasher:
    """Accumulates record batches (in id order) into a split fingerprint."""

    def __init__(self) -> None:
        self._lengths = {name: hashlib.sha256() for name in SCHEMA.names}
        self._values = {name: hashlib.sha256() for name in SCHEMA.names}
        self.rows = 0

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        for name in SCHEMA.names:
            column = batch.column(name)
            chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
            for chunk in chunks:
                self._update_field(name, chunk)
        self.rows += batch.num_rows

    def _update_field(self, name: str, array: pa.Array) -> None:
        if pa.types.is_integer(array.type):
            self._values[name].update(_little_endian(array.to_numpy(), "<i8"))
            return
        offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[
            array.offset : array.offset + len(array) + 1
        ]
        self._lengths[name].update(_little_endian(np.diff(offsets), "<u4"))
        if pa.types.is_string(array.type):
            data = array.buffers()[2]
            begin, end = int(offsets[0]), int(offsets[-1])
            self._values[name].update(memoryview(data)[begin:end] if data else b"")
        else:
            flat = array.flatten().to_numpy()
            self._values[name].update(_little_endian(flat, "<i4"))

    def hexdigest(self) -> str:
        summary = "".join(
            f"{name}={self._lengths[name].hexdigest()}:{self._values[name].hexdigest()}\n"
            for name in SCHEMA.names
        )
        return hashlib.sha256(summary.encode("ascii")).hexdigest()


def _little_endian(values: np.ndarray, dtype: str) -> np.ndarray:
    """``values`` as a contiguous array of ``dtype``, copied only if needed (hashed as a buffer)."""
    return np.ascontiguousarray(values, dtype=dtype)


def fingerprint_batches(batches: Iterable[pa.RecordBatch | pa.Table]) -> str:
    hasher = SplitHasher()
    for batch in batches:
        hasher.update(batch)
    return hasher.hexdigest()
