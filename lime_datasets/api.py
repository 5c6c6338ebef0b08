"""The public Python API: generate, look up, fingerprint and check examples of a named config."""

from __future__ import annotations

import numbers
from typing import Any

import pyarrow as pa

from .configs import get_config
from .core import tasks
from .core.config import check_split
from .core.fingerprint import legacy_fingerprint
from .core.generate import check_range, generate_table, iter_batches
from .core.manifest import split_manifest
from .core.records import COLUMNS, DEFAULT_COLUMNS, check_columns
from .memory import keep_freed_memory


def generate(
    name: str, split: str, start: int = 0, stop: int | None = None, *,
    columns: str = DEFAULT_COLUMNS, **overrides: Any
) -> pa.Table:
    """Rows ``start .. stop - 1`` of a split (``stop=None``: to the end) as a ``pyarrow.Table``.

    The same arguments give the same bytes on any machine; a row range equals the same rows of any
    larger range. ``overrides`` are registry parameters (``seed``, ``vocab_size``, ...);
    ``columns`` keeps the text (``"text"``), the token ids (``"ids"``) or both (``"both"``)
    beside ``id`` and ``task``.
    """
    config = get_config(name, **overrides)
    check_columns(columns)
    keep_freed_memory()
    table = generate_table(config, split, start, stop)
    return table.select(list(COLUMNS[columns]))


def example(name: str, split: str, index: int, **overrides: Any) -> dict[str, Any]:
    """Example ``index`` of a split as a dict of the record fields."""
    config = get_config(name, **overrides)
    check_split(split)
    if (
        isinstance(index, bool)
        or not isinstance(index, numbers.Integral)
        or not (0 <= index < config.split_size(split))
    ):
        raise ValueError(
            f"index must be an integer in [0, {config.split_size(split)}) for the {split} split "
            f"of {name!r}; got {index!r}"
        )
    return generate_table(config, split, int(index), int(index) + 1).to_pylist()[0]


def manifest(name: str, split: str, *, columns: str = DEFAULT_COLUMNS,
             **overrides: Any) -> dict[str, Any]:
    """The block manifest of a split: ``fingerprint``, ``block_size``, ``blocks`` (the sha256 hex
    digest of each block of rows, in order), ``rows``, ``columns``, ``data_version``, the config
    and its ``parameters`` (see ``core.manifest``). Builds record the same manifest."""
    config = get_config(name, **overrides)
    check_split(split)
    check_columns(columns)
    keep_freed_memory()
    return split_manifest(config, split, columns)


def fingerprint(name: str, split: str, *, columns: str = DEFAULT_COLUMNS,
                **overrides: Any) -> str:
    """The fingerprint of a split: sha256 of its block digests (``manifest(...)["fingerprint"]``).
    """
    return manifest(name, split, columns=columns, **overrides)["fingerprint"]


def fingerprint_v1(name: str, split: str, **overrides: Any) -> str:
    """A split's fingerprint as data version 1.0.0 published it (sha256 of all its rows at once,
    see ``core.fingerprint.legacy_fingerprint``), to check values published before block
    manifests."""
    config = get_config(name, **overrides)
    stop = check_range(config, split, 0, None)
    keep_freed_memory()
    return legacy_fingerprint(iter_batches(config, split, 0, stop, rows_per_batch=8192))


def check(task: str, source: str, answer: str) -> bool:
    """True if ``answer`` is a valid answer to ``source`` for ``task`` (not only the target).

    ``ValueError`` for an unknown task, a malformed source, or a source and answer that need more
    than ``CHECK_WORK_LIMIT`` steps of work (only crafted sources do; see ``core.tasks``).
    """
    return tasks.check(task, source, answer)
