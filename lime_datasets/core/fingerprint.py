"""Digests of rows: the canonical digest of a sequence of rows, block digests, split fingerprints.

**Rows.** For each field of the rows, in record schema order, two byte streams are hashed: the
lengths (uint32 little-endian, one per row; ``id`` has none) and the values (``id``: int64 LE;
strings: their UTF-8 bytes concatenated; id lists: int32 LE concatenated). The digest of the rows
is the sha256 of ``name=<hex digest of lengths>:<hex digest of values>\\n`` for every field. It
depends only on the rows and their order, not on how they were batched.

**Blocks.** Block ``b`` of a split holds rows ``[b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE)`` (the last
block may be shorter); its digest is the digest of its rows.

**Split fingerprint.** The sha256 of the block digests (32 bytes each, in block order)
concatenated. So a split's fingerprint can be computed, and a copy of a split checked, block by
block in any number of processes.

**Data version 1.0.0** published the digest of all rows of a split at once as its fingerprint;
``legacy_fingerprint`` still computes it, so those published values can be checked.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

from .generate import BLOCK_SIZE
from .records import SCHEMA


class RowHasher:
    """Accumulates record batches (in id order) into the canonical digest of their rows.

    The fields are those of the first batch (every field of the record schema, or a selection of
    ``records.COLUMNS``), in schema order; every batch must have them.
    """

    def __init__(self) -> None:
        self._names: list[str] | None = None
        self._lengths: dict[str, hashlib._Hash] = {}
        self._values: dict[str, hashlib._Hash] = {}
        self.rows = 0

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        if self._names is None:
            self._names = [name for name in SCHEMA.names if name in batch.schema.names]
            self._lengths = {name: hashlib.sha256() for name in self._names}
            self._values = {name: hashlib.sha256() for name in self._names}
        for name in self._names:
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
            values = array.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
            self._values[name].update(_little_endian(values.to_numpy(), "<i4"))

    def hexdigest(self) -> str:
        names = self._names if self._names is not None else SCHEMA.names
        summary = "".join(
            f"{name}={self._lengths.get(name, hashlib.sha256()).hexdigest()}:"
            f"{self._values.get(name, hashlib.sha256()).hexdigest()}\n"
            for name in names
        )
        return hashlib.sha256(summary.encode("ascii")).hexdigest()


def _little_endian(values: np.ndarray, dtype: str) -> np.ndarray:
    """``values`` as a contiguous array of ``dtype``, copied only if needed (hashed as a buffer)."""
    return np.ascontiguousarray(values, dtype=dtype)


@dataclasses.dataclass(frozen=True)
class BlockDigest:
    """The digest of rows ``start .. stop - 1``, all of block ``block`` or a part of it."""

    block: int
    start: int
    stop: int
    digest: str

    def is_whole(self, split_size: int) -> bool:
        """Does it cover its whole block of a split of ``split_size`` rows?"""
        return (self.start == self.block * BLOCK_SIZE
                and self.stop == min(split_size, (self.block + 1) * BLOCK_SIZE))


class BlockHasher:
    """Accumulates the record batches of rows ``start, start + 1, ...`` into one digest per block.

    Feed it the batches a build writes, in order, as it writes them; ``finish`` returns the
    digest of every block it saw, the first and the last possibly of only part of their block.
    ``keep_partial=True`` also keeps the rows of such partial blocks (``partial_rows``), so that
    pieces of a block seen by different processes can be joined (``join_pieces``).
    """

    def __init__(self, start: int = 0, *, keep_partial: bool = False) -> None:
        self.position = start
        self.keep_partial = keep_partial
        self.blocks: list[BlockDigest] = []
        self.partial_rows: dict[int, pa.Table] = {}  # first row of a partial block -> its rows
        self._hasher: RowHasher | None = None
        self._first = start
        self._pieces: list[pa.RecordBatch] = []

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        offset = 0
        while offset < batch.num_rows:
            end_of_block = (self.position // BLOCK_SIZE + 1) * BLOCK_SIZE
            take = min(batch.num_rows - offset, end_of_block - self.position)
            piece = batch.slice(offset, take)
            if self._hasher is None:
                self._hasher, self._first, self._pieces = RowHasher(), self.position, []
            self._hasher.update(piece)
            if self.keep_partial:
                self._pieces.append(piece)
            self.position += take
            offset += take
            if self.position == end_of_block:
                self._close()

    def _close(self) -> None:
        block = self._first // BLOCK_SIZE
        self.blocks.append(BlockDigest(block, self._first, self.position, self._hasher.hexdigest()))
        partial = self._first % BLOCK_SIZE or self.position % BLOCK_SIZE
        if self.keep_partial and partial:
            pieces = [p if isinstance(p, pa.Table) else pa.Table.from_batches([p])
                      for p in self._pieces]
            self.partial_rows[self._first] = pa.concat_tables(pieces).combine_chunks()
        self._hasher, self._pieces = None, []

    def finish(self) -> list[BlockDigest]:
        """The digests of every block seen (closing the last one)."""
        if self._hasher is not None:
            self._close()
        return self.blocks


def block_digests(batches: Iterable[pa.RecordBatch | pa.Table], start: int = 0
                  ) -> list[BlockDigest]:
    """The block digests of the rows ``start, start + 1, ...`` of ``batches``, in order."""
    hasher = BlockHasher(start)
    for batch in batches:
        hasher.update(batch)
    return hasher.finish()


def fingerprint_of_blocks(digests: Sequence[str]) -> str:
    """The split fingerprint: sha256 of the block digests (hex) as bytes, concatenated."""
    return hashlib.sha256(b"".join(bytes.fromhex(digest) for digest in digests)).hexdigest()


def fingerprint_batches(batches: Iterable[pa.RecordBatch | pa.Table]) -> str:
    """The fingerprint of a whole split given as batches of its rows in id order, from id 0."""
    return fingerprint_of_blocks([block.digest for block in block_digests(batches)])


def digest_rows(batches: Iterable[pa.RecordBatch | pa.Table]) -> str:
    """The canonical digest of the rows of ``batches``, in order."""
    hasher = RowHasher()
    for batch in batches:
        hasher.update(batch)
    return hasher.hexdigest()


def legacy_fingerprint(batches: Iterable[pa.RecordBatch | pa.Table]) -> str:
    """The split fingerprint as data version 1.0.0 published it: the digest of all the rows of a
    split at once (batches of its rows in id order). ``lime_datasets.fingerprint_v1`` gives it
    for a named config."""
    return digest_rows(batches)
