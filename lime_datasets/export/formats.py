"""Rendering rows in each export format, and writing a split's data files."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import memory
from ..core import vocab
from ..core.config import LimeConfig
from ..core.fingerprint import BlockDigest, BlockHasher
from ..core.generate import iter_batches
from ..core.records import DEFAULT_COLUMNS, schema_of, select_columns

FAIRSEQ_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
PARQUET_ROW_GROUP_ROWS = 32_768  # about 40 MB of Arrow data at the default vocabulary size


@dataclasses.dataclass
class Part:
    """Rows ``start .. stop - 1`` of a split as written: the records (Parquet) or their bytes in
    each data file (text formats), and the digests of their blocks."""

    num_rows: int
    batches: list[pa.RecordBatch]  # Parquet only: text formats need only their bytes
    outputs: dict[str, bytes]  # file extension -> bytes (text formats)
    counts: np.ndarray | None  # token id -> occurrences (fairseq)
    blocks: list[BlockDigest]  # of the rows with the exported columns


def render_part(config: LimeConfig, split: str, start: int, stop: int, fmt: str,
                columns: str = DEFAULT_COLUMNS) -> Part:
    """Generate rows ``start .. stop - 1``, render them for ``fmt`` and digest their blocks."""
    memory.keep_freed_memory()
    full = list(iter_batches(config, split, start, stop))
    batches = [select_columns(batch, columns) for batch in full]
    hasher = BlockHasher(start)
    for batch in batches:
        hasher.update(batch)
    outputs: dict[str, bytes] = {}
    counts = None
    if fmt == "jsonl":
        outputs["jsonl"] = b"".join(jsonl_bytes(batch, config) for batch in batches)
    elif fmt == "fairseq":
        outputs["src"], outputs["tgt"] = fairseq_bytes(batches)
        counts = np.zeros(token_count(config.vocab_size), dtype=np.int64)
        for batch in full:
            for name in ("source_ids", "target_ids"):
                ids = batch.column(name).flatten().to_numpy()
                counts += np.bincount(ids, minlength=len(counts))
    return Part(stop - start, batches if fmt == "parquet" else [], outputs, counts,
                hasher.finish())


def fairseq_bytes(batches: list[pa.RecordBatch]) -> tuple[bytes, bytes]:
    """The lines of the ``.src`` and ``.tgt`` files of these rows."""
    return (b"".join(_lines(batch.column("source")) for batch in batches),
            b"".join(_lines(batch.column("target")) for batch in batches))


@functools.lru_cache(maxsize=16)
def _json_safe(vocab_size: int, tasks: tuple[str, ...]) -> bool:
    """Can every token and task name go between JSON quotes as it is?"""
    texts = [*vocab.vocab_tokens(vocab_size), *tasks]
    return all(json.dumps(text)[1:-1] == text for text in texts)


def jsonl_bytes(batch: pa.RecordBatch, config: LimeConfig) -> bytes:
    """The batch as JSON lines, byte-identical to ``json.dumps(row, separators=(",", ":"))``
    (the fields of the batch, in its order)."""
    if not _json_safe(config.vocab_size, config.tasks):
        rows = batch.to_pylist()
        return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows).encode()
    numbers = _decimal_strings(token_count(config.vocab_size))
    pieces: list = []
    for index, name in enumerate(batch.schema.names):
        column = batch.column(name)
        opening = "{" if index == 0 else ","
        if name == "id":
            pieces += [f'{opening}"id":', pc.cast(column, pa.string())]
        elif pa.types.is_string(column.type):
            pieces += [f'{opening}"{name}":"', column, '"']
        else:
            pieces += [f'{opening}"{name}":[', _joined_ids(column, numbers), "]"]
    pieces.append("}\n")
    return _string_bytes(pc.binary_join_element_wise(*_merge_literals(pieces), ""))


def _merge_literals(pieces: list) -> list:
    """Adjacent literal strings joined (fewer arguments for Arrow's element-wise join)."""
    merged: list = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def token_count(vocab_size: int) -> int:
    return vocab.SYMBOL_OFFSET + vocab_size  # ids 0 .. SYMBOL_OFFSET - 1, then one per symbol


@functools.lru_cache(maxsize=4)
def _decimal_strings(count: int) -> pa.Array:
    return pa.array([str(i) for i in range(count)], type=pa.string())


def _joined_ids(column: pa.ListArray, numbers: pa.Array) -> pa.Array:
    """Each list of ids written as ``1,2,3``."""
    offsets = pc.subtract(column.offsets, column.offsets[0])
    texts = pc.take(numbers, column.flatten())
    return pc.binary_join(pa.ListArray.from_arrays(offsets, texts), ",")


def _lines(column: pa.Array) -> bytes:
    return _string_bytes(pc.binary_join_element_wise(column, "\n", ""))


def _string_bytes(array: pa.Array) -> bytes:
    """The UTF-8 bytes of all strings of a string array, concatenated."""
    if len(array) == 0:
        return b""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[
        array.offset : array.offset + len(array) + 1
    ]
    data = array.buffers()[2]
    return bytes(memoryview(data)[int(offsets[0]) : int(offsets[-1])]) if data else b""


def vocabulary_text(vocab_size: int) -> str:
    """The vocabulary file: the token of each id, one per line, in id order."""
    return "".join(token + "\n" for token in vocab.vocab_tokens(vocab_size))


def dictionary_text(counts: np.ndarray, vocab_size: int) -> str:
    """fairseq's ``dict.txt``: ``<token> <count>`` for every occurring token, fairseq's specials
    excluded, by descending count, ties by token (the order fairseq's ``Dictionary`` saves)."""
    tokens = vocab.vocab_tokens(vocab_size)
    entries = [
        (token, int(count))
        for token, count in zip(tokens, counts, strict=True)
        if count and token not in FAIRSEQ_SPECIALS
    ]
    entries.sort(key=lambda entry: (-entry[1], entry[0]))
    return "".join(f"{token} {count}\n" for token, count in entries)



class SplitWriter:
    """Appends rendered parts to the data files of one split."""

    def __init__(self, fmt: str, paths: list[Path], columns: str = DEFAULT_COLUMNS) -> None:
        self.fmt = fmt
        self.handles: list[BinaryIO] = []
        self.writer: pq.ParquetWriter | None = None
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        # Python opens the files: pyarrow takes a path as UTF-8, which not every name is.
        self.handles = [open(path, "wb") for path in paths]
        if fmt == "parquet":
            self.schema = schema_of(columns)
            self.writer = pq.ParquetWriter(self.handles[0], self.schema, compression="snappy")

    def __enter__(self) -> SplitWriter:
        return self

    def write(self, part: Part) -> None:
        if self.writer is None:
            keys = ("jsonl",) if self.fmt == "jsonl" else ("src", "tgt")
            for handle, key in zip(self.handles, keys, strict=True):
                handle.write(part.outputs[key])
            return
        self.pending.extend(part.batches)
        self.pending_rows += part.num_rows
        while self.pending_rows >= PARQUET_ROW_GROUP_ROWS:
            self._flush(PARQUET_ROW_GROUP_ROWS)

    def _flush(self, rows: int) -> None:
        table = pa.Table.from_batches(self.pending, schema=self.schema)
        group, rest = table.slice(0, rows).combine_chunks(), table.slice(rows)
        self.writer.write_table(group, row_group_size=rows)
        self.pending = rest.combine_chunks().to_batches() if rest.num_rows else []
        self.pending_rows = rest.num_rows

    def __exit__(self, exc_type: Any, *exc_info: Any) -> None:
        try:
            if self.writer is not None:
                if exc_type is None and self.pending_rows:
                    self._flush(self.pending_rows)
                self.writer.close()
        finally:
            for handle in self.handles:
                handle.close()
