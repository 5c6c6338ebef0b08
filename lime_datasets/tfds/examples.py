"""Examples as TFDS's per-example path takes them (``_generate_examples``), from the core.

The builder writes its files without this path (``shards``); it serves tools that call the
builder's ``_generate_examples`` directly, and ``benchmarks/tfds_overhead.py``'s comparison.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from ..core.config import LimeConfig
from ..core.generate import BLOCK_SIZE, check_range, iter_batches
from ..core.records import COLUMNS, DEFAULT_COLUMNS, select_columns
from ..memory import keep_freed_memory

ROWS_PER_BATCH = BLOCK_SIZE

Example = tuple[int, dict[str, Any]]


def examples(config: LimeConfig, split: str, start: int, stop: int,
             columns: str = DEFAULT_COLUMNS) -> Iterator[Example]:
    """``(id, example)`` for rows ``start .. stop - 1`` of a split, in id order, with the fields
    of ``columns``."""
    stop = check_range(config, split, start, stop)
    keep_freed_memory()
    for batch in iter_batches(config, split, start, stop, rows_per_batch=ROWS_PER_BATCH):
        yield from batch_examples(select_columns(batch, columns))


def batch_examples(batch: pa.RecordBatch) -> Iterator[Example]:
    """``(id, example)`` for each row of a core record batch (every field, or those of a
    ``records.COLUMNS`` selection): texts as ``str``, ids as int32 arrays.

    Token ids are numpy views into the batch, the form TFDS's ``Tensor`` feature encodes without
    converting.
    """
    names = [name for name in COLUMNS[DEFAULT_COLUMNS] if name in batch.schema.names]
    values = [_values(name, batch.column(name)) for name in names]
    for row in zip(*values, strict=True):
        yield row[0], dict(zip(names, row, strict=True))


def _values(name: str, column: pa.Array) -> list:
    if name == "id":
        return column.to_numpy().tolist()
    if name.endswith("_ids"):
        return _id_rows(column)
    return _texts(column)


def _texts(column: pa.StringArray) -> list[str]:
    """The column's strings (through numpy: many times faster than ``to_pylist``)."""
    return column.to_numpy(zero_copy_only=False).tolist()


def _id_rows(column: pa.ListArray) -> list:
    """One int32 numpy view per row of a list<int32> column (no per-row Arrow access)."""
    values = column.values.to_numpy()
    offsets = column.offsets.to_numpy().tolist()
    return [values[begin:end] for begin, end in zip(offsets, offsets[1:], strict=False)]
