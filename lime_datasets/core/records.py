"""The record schema every framework exposes, and what each field means."""

from __future__ import annotations

import pyarrow as pa

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
