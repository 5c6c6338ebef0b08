"""The record schema every framework exposes, what each field means, which fields a build keeps."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pyarrow as pa

from .suggest import did_you_mean

FIELDS = {
    "id": "Index of the example in its split (0-based); (config, split, id) regenerates it.",
    "task": "The task of this example (differs between rows only in mixtures).",
    "source": "The model input: space-separated tokens, header first.",
    "target": "The reference answer: space-separated tokens (other valid answers may exist).",
    "source_ids": "Token ids of source under the package vocabulary (no BOS/EOS added).",
    "target_ids": "Token ids of target under the package vocabulary (no BOS/EOS added).",
}

SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("source_ids", pa.list_(pa.int32()), nullable=False),
        pa.field("target_ids", pa.list_(pa.int32()), nullable=False),
    ]
)

# Which fields a build stores: the text, the token ids, or both. ``id`` and ``task`` always.
COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "both": tuple(SCHEMA.names),
    "text": ("id", "task", "source", "target"),
    "ids": ("id", "task", "source_ids", "target_ids"),
})
DEFAULT_COLUMNS = "both"


def check_columns(columns: object) -> str:
    """``columns`` if it names a field selection of ``COLUMNS``, else ``ValueError``."""
    if not isinstance(columns, str) or columns not in COLUMNS:
        raise ValueError(
            f"columns must be one of {', '.join(COLUMNS)} (text only, token ids only, or both); "
            f"got {columns!r}{did_you_mean(columns, COLUMNS)}"
        )
    return columns


def schema_of(columns: str) -> pa.Schema:
    """The record schema with only the fields of ``columns``."""
    names = COLUMNS[check_columns(columns)]
    return pa.schema([SCHEMA.field(name) for name in names])


def select_columns(batch: pa.RecordBatch, columns: str) -> pa.RecordBatch:
    """``batch`` (with every field) with only the fields of ``columns`` (no copy)."""
    if columns == DEFAULT_COLUMNS:
        return batch
    return batch.select(list(COLUMNS[columns]))
