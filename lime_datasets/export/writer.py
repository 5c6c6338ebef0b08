"""Export: the splits of a config written to files in one format, published crash-safely."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .. import __version__
from ..core.config import SPLITS, LimeConfig
from ..core.fingerprint import fingerprint_of_blocks
from ..core.generate import BLOCK_SIZE
from ..core.records import DEFAULT_COLUMNS
from ..core.version import DATA_VERSION
from ..kernel_notice import warn_if_numpy_path
from ..publish import (
    StagedFiles,
    check_outputs,
    finish_interrupted,
    prepare_folder,
    remove_leftovers,
)
from .formats import SplitWriter, dictionary_text, token_count, vocabulary_text
from .layout import (
    DICTIONARY,
    VOCABULARY,
    Shard,
    check_format_columns,
    data_files,
    parse_splits,
    planned_files,
)
from .workers import Pool, rendered_parts


class Progress(Protocol):
    def update(self, n: int) -> Any: ...
    def close(self) -> Any: ...


ProgressFactory = Callable[[str, int], Progress]


def export(
    config: LimeConfig,
    out_dir: str | os.PathLike,
    *,
    splits: Sequence[str] = SPLITS,
    fmt: str = "jsonl",
    shard: Shard = Shard(),
    num_proc: int = 1,
    overwrite: bool = False,
    progress: ProgressFactory | None = None,
    columns: str = DEFAULT_COLUMNS,
) -> dict[str, Any]:
    """Export ``splits`` of ``config`` to ``out_dir`` in ``fmt`` and return the metadata written.

    ``columns`` keeps the text, the token ids or both (``records.COLUMNS``; fairseq files hold
    the text). The workers that render the rows digest their blocks; the metadata records them
    (``blocks``: one sha256 per block of the rows the files hold, see ``core.fingerprint``).
    Validates everything (format, splits, ``num_proc``, existing outputs) before writing anything.
    An export of the same files killed while renaming them into place is finished first; if it is
    exactly the export asked for, its metadata is returned without exporting again.
    """
    check_format_columns(fmt, columns)
    splits = parse_splits(",".join(splits))
    if isinstance(num_proc, bool) or not isinstance(num_proc, int) or num_proc < 1:
        raise ValueError(f"num_proc must be a positive integer; got {num_proc!r}")
    directory = Path(out_dir)
    names = planned_files(fmt, splits, shard)
    if directory.is_dir() and finish_interrupted(directory, names):
        finished = _finished_export(directory / names[-1], config, fmt, shard, splits, columns)
        if finished is not None:
            return finished
    check_outputs([directory / name for name in names], overwrite)
    warn_if_numpy_path()
    prepare_folder(directory)
    remove_leftovers(directory, names)

    counts = np.zeros(token_count(config.vocab_size), dtype=np.int64)
    split_info: dict[str, Any] = {}
    with StagedFiles(directory, overwrite) as files, Pool(num_proc) as pool:
        for split in splits:
            start, stop = shard.rows(config.split_size(split))
            files_of_split = data_files(fmt, split, shard)
            bar = progress(split, stop - start) if progress else None
            blocks: list[str] = []
            paths = [files.path(name) for name in files_of_split]
            with SplitWriter(fmt, paths, columns) as sink:
                for part in rendered_parts(config, split, start, stop, fmt, columns, pool,
                                           num_proc):
                    blocks += [block.digest for block in part.blocks]
                    sink.write(part)
                    if part.counts is not None:
                        counts += part.counts
                    if bar:
                        bar.update(part.num_rows)
            if bar:
                bar.close()
            split_info[split] = {
                "size": config.split_size(split),
                "start": start,
                "stop": stop,
                "fingerprint": fingerprint_of_blocks(blocks),
                "blocks": blocks,
                "files": list(files_of_split),
            }
        if fmt == "fairseq":
            dictionary = f"{DICTIONARY}{shard.label}.txt"
            files.path(dictionary).write_text(dictionary_text(counts, config.vocab_size))
        vocabulary = f"{VOCABULARY}{shard.label}.txt"
        files.path(vocabulary).write_text(vocabulary_text(config.vocab_size))
        metadata = {
            "config": config.name,
            "description": config.description,
            "parameters": config.parameters(),
            "data_version": DATA_VERSION,
            "package_version": __version__,
            "format": fmt,
            "columns": columns,
            "block_size": BLOCK_SIZE,
            "shard": {"index": shard.index, "count": shard.count},
            "splits": split_info,
            "vocabulary": vocabulary,
        }
        if fmt == "fairseq":
            metadata["dictionary"] = dictionary
        files.path(names[-1]).write_text(json.dumps(metadata, indent=2) + "\n")
        files.commit()
    return metadata


def _finished_export(metadata_path: Path, config: LimeConfig, fmt: str, shard: Shard,
                     splits: Sequence[str], columns: str) -> dict[str, Any] | None:
    """The metadata at ``metadata_path`` if it describes this very export, else None."""
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        same = (
            metadata["config"] == config.name
            and metadata["parameters"] == config.parameters()
            and metadata["data_version"] == DATA_VERSION
            and metadata["format"] == fmt
            and metadata.get("columns", DEFAULT_COLUMNS) == columns
            and metadata["shard"] == {"index": shard.index, "count": shard.count}
            and list(metadata["splits"]) == list(splits)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return metadata if same else None
