"""(config, split, rows) -> pyarrow.Table: the one entry point every adapter uses.

Rows are grouped in blocks of ``BLOCK_SIZE``; block ``b`` of a split reads its own keyed stream
(``rng.stream_key``), and row ``r`` of the block reads the words ``[r * S, (r + 1) * S)`` of it. So
any row range can be generated alone and gives the same bytes as the same rows of a larger range.

Layout of one row's words: word 0 picks the task (for mixtures), the next ``candidate_count(V)``
words draw the 68 symbols, the rest belong to the task.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from . import arrays, vocab
from .config import LimeConfig, check_split
from .records import SCHEMA
from .rng import WORDS_PER_COUNTER, SlotReader, row_words, stream_key
from .sequences import Part, pack, pack_groups
from .symbols import candidate_count, sample_symbol_ids
from .tasks import TASKS

BLOCK_SIZE = 1000
CHUNK_ROWS = 4096  # rows vectorised together (keeps batches in cache); does not affect the bytes


def slots_per_row(config: LimeConfig) -> int:
    """32-bit words each example of ``config`` reads: a multiple of 8, fixed by the config."""
    needed = (
        1
        + candidate_count(config.vocab_size)
        + max(TASKS[task].slots(config) for task in config.tasks)
    )
    return -(-needed // WORDS_PER_COUNTER) * WORDS_PER_COUNTER


@functools.lru_cache(maxsize=64)
def _task_thresholds(task_weights) -> np.ndarray:
    """Upper bounds of each task's share of the 32-bit range, in registry order."""
    weights = list(task_weights.values())
    total = sum(weights)
    cumulative, bounds = 0.0, []
    for weight in weights:
        cumulative += weight
        bounds.append(int(cumulative / total * 2**32))
    bounds[-1] = 2**32
    return np.asarray(bounds, dtype=np.uint64)


def check_range(config: LimeConfig, split: str, start: int, stop: int | None) -> int:
    """Validate a row range of a split and return the resolved ``stop``."""
    check_split(split)
    size = config.split_size(split)
    stop = size if stop is None else stop
    for name, value in (("start", start), ("stop", stop)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer in [0, {size}]; got {value!r}")
        if not 0 <= value <= size:
            raise ValueError(
                f"{name} must be in [0, {size}] (the {split} split of {config.name!r} has "
                f"{size} examples); got {value}"
            )
    if stop < start:
        raise ValueError(f"stop must be >= start ({start}); got {stop}")
    return int(stop)


def generate_table(
    config: LimeConfig, split: str, start: int = 0, stop: int | None = None
) -> pa.Table:
    """Rows ``start .. stop - 1`` of a split as one table with ``SCHEMA``."""
    stop = check_range(config, split, start, stop)
    batches = list(iter_batches(config, split, start, stop))
    return pa.Table.from_batches(batches, schema=SCHEMA)


def iter_batches(
    config: LimeConfig, split: str, start: int, stop: int, rows_per_batch: int = CHUNK_ROWS
) -> Iterator[pa.RecordBatch]:
    """Record batches covering rows ``start .. stop - 1`` in order (``check_range`` first)."""
    slots = slots_per_row(config)
    for begin in range(start, stop, rows_per_batch):
        end = min(stop, begin + rows_per_batch)
        words = _row_words(config, split, begin, end, slots)
        yield _build_batch(config, begin, words)


def _row_words(config: LimeConfig, split: str, start: int, stop: int, slots: int) -> np.ndarray:
    words = np.empty((stop - start, slots), dtype=np.uint32)
    row = start
    while row < stop:
        block, first = divmod(row, BLOCK_SIZE)
        count = min(stop - row, BLOCK_SIZE - first)
        key = stream_key(config.seed, config.name, split, block)
        row_words(key, first, count, slots, out=words[row - start : row - start + count])
        row += count
    return words


def _build_batch(config: LimeConfig, first_id: int, words: np.ndarray) -> pa.RecordBatch:
    rows = words.shape[0]
    tasks = config.tasks
    if len(tasks) == 1:
        task_index = np.zeros(rows, dtype=np.int64)
    else:
        thresholds = _task_thresholds(config.task_weights)
        task_index = np.searchsorted(thresholds, words[:, 0].astype(np.uint64), side="right")
    n_candidates = candidate_count(config.vocab_size)
    sample_ids = sample_symbol_ids(
        words[:, 1 : 1 + n_candidates], config.vocab_size, vocab.SYMBOL_OFFSET
    )
    sources, targets = [], []
    for index, task in enumerate(tasks):
        rows_of_task = np.flatnonzero(task_index == index) if len(tasks) > 1 else None
        if rows_of_task is None:
            reader = SlotReader(words, start=1 + n_candidates)
            task_ids = sample_ids
        elif len(rows_of_task):
            # The task's rows of only the words the task reads (those after the symbol draw).
            reader = SlotReader(words[rows_of_task, 1 + n_candidates :])
            task_ids = sample_ids[rows_of_task]
        else:
            continue
        source_parts, target_parts = TASKS[task].build(reader, task_ids, config)
        sources.append((source_parts, rows_of_task))
        targets.append((target_parts, rows_of_task))
    source_ids, source_offsets = _pack_tasks(sources, rows)
    target_ids, target_offsets = _pack_tasks(targets, rows)
    columns = [
        arrays.numbers(np.arange(first_id, first_id + rows, dtype=np.int64)),
        _task_column(tasks, task_index),
        vocab.render(source_ids, source_offsets, config.vocab_size),
        vocab.render(target_ids, target_offsets, config.vocab_size),
        _ids_array(source_ids, source_offsets),
        _ids_array(target_ids, target_offsets),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=SCHEMA)


def _pack_tasks(
    groups: list[tuple[list[Part], np.ndarray | None]], rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """The token rows of a batch from each task's parts and rows (None: all rows, one task)."""
    if len(groups) == 1 and groups[0][1] is None:
        return pack(groups[0][0])
    return pack_groups(groups, rows)


def _task_column(tasks: tuple[str, ...], task_index: np.ndarray) -> pa.StringArray:
    """The task name of every row, built with numpy (where generating, Arrow's take cost several
    times as much)."""
    rows = len(task_index)
    if len(tasks) == 1:
        name = tasks[0].encode()
        offsets = np.arange(0, (rows + 1) * len(name), len(name), dtype=np.int32)
        return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(name * rows))
    encoded = [task.encode() for task in tasks]
    lengths = np.array([len(name) for name in encoded], dtype=np.int64)
    row_lengths = lengths[task_index]
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(row_lengths, out=offsets[1:])
    # Byte k of the column is byte k - offsets[r] of the name of row r, in the names end to end.
    shift = np.repeat((np.cumsum(lengths) - lengths)[task_index] - offsets[:-1], row_lengths)
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8).take(np.arange(offsets[-1]) + shift)
    return pa.StringArray.from_buffers(
        rows, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)
    )


def _ids_array(ids: np.ndarray, offsets: np.ndarray) -> pa.Array:
    return pa.ListArray.from_arrays(
        arrays.numbers(offsets.astype(np.int32)), arrays.numbers(ids.astype(np.int32, copy=False))
    )
