"""The block manifest of each split a TFDS build wrote, recorded beside its shard files.

The shard writers digest the blocks of the batches they write (``shards.write_shard``); the
builder joins them into ``lime_datasets.manifest``'s form and writes ``lime_manifest.<split>.json``
in the dataset folder before the split is published (a split cut short by TFDS's
``max_examples_per_split`` has none: it is not the config's split). Nothing is read back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from ..core.config import SPLITS, LimeConfig
from ..core.manifest import manifest_from_pieces
from ..core.records import DEFAULT_COLUMNS
from .shards import ShardResult

PREFIX = "lime_manifest."


def path(folder: str | os.PathLike, split: str) -> str:
    return os.path.join(os.fspath(folder), f"{PREFIX}{split}.json")


def write(folder: str | os.PathLike, config: LimeConfig, split: str,
          results: Iterable[ShardResult], columns: str = DEFAULT_COLUMNS) -> dict[str, Any]:
    """Join the shards' block digests into the split's manifest and write it (atomically)."""
    results = list(results)
    partial_rows: dict = {}
    for result in results:
        partial_rows.update(result.partial_rows)
    manifest = manifest_from_pieces(config, split, columns,
                                    [block for result in results for block in result.blocks],
                                    partial_rows)
    target = path(folder, split)
    temporary = f"{target}.{os.getpid()}.tmp"
    with open(temporary, "w") as file:
        json.dump(manifest, file, indent=1)
    os.replace(temporary, target)
    return manifest


def recorded_manifests(built: Any) -> dict[str, dict[str, Any]]:
    """The manifest of each split a prepared build recorded (a builder or its data folder)."""
    folder = os.fspath(getattr(built, "data_path", built))
    found = {}
    for split in SPLITS:
        if os.path.exists(path(folder, split)):
            with open(path(folder, split)) as file:
                found[split] = json.load(file)
    if not found:
        raise ValueError(f"{folder} holds no {PREFIX}<split>.json: not a finished lime build")
    return found
