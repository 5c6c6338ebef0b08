"""A split's shard files, written from the core by a pool of processes (no TFDS import here).

A split of ``n`` rows is cut into shards of ``ROWS_PER_SHARD`` rows (the last one shorter), in id
order: so a shard's file is a function of the config, the split and its row range alone, and any
number of processes (or Apache Beam workers, which import this module by reference) writes the
same files. A worker holds one core batch at a time, whatever the split's size.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import threading
import uuid
from collections.abc import Callable

import pyarrow as pa

from ..core.config import LimeConfig
from ..core.fingerprint import BlockDigest, BlockHasher
from ..core.generate import BLOCK_SIZE, iter_batches
from ..core.records import DEFAULT_COLUMNS, select_columns
from ..memory import keep_freed_memory
from .record_files import open_writer

ROWS_PER_SHARD = 128 * BLOCK_SIZE  # whole blocks: each block digested by one writer
ROWS_PER_BATCH = 4096
# How token id lists are stored: as the builder's features declare them (encoding="bytes").
LIST_ENCODING = "bytes"


@dataclasses.dataclass(frozen=True)
class ShardSpec:
    """Rows ``start .. stop - 1`` of a split, to be written to ``path`` in ``file_format``, with
    the fields of ``columns`` (``records.COLUMNS``)."""

    config: LimeConfig
    split: str
    start: int
    stop: int
    path: str
    file_format: str
    columns: str = DEFAULT_COLUMNS


@dataclasses.dataclass(frozen=True)
class ShardResult:
    """What a written shard holds: its examples, the bytes of its serialized records, the digests
    of the blocks it wrote (``core.fingerprint.BlockHasher``: a shard that starts or ends inside
    a block has a partial digest there, and the rows of that piece in ``partial_rows``)."""

    path: str
    num_examples: int
    num_bytes: int
    blocks: tuple[BlockDigest, ...] = ()
    partial_rows: dict[int, pa.Table] = dataclasses.field(default_factory=dict)


def shard_ranges(size: int) -> list[tuple[int, int]]:
    """The ``(start, stop)`` row ranges of the shards of a split of ``size`` rows."""
    return [(start, min(start + ROWS_PER_SHARD, size)) for start in range(0, size, ROWS_PER_SHARD)]


def write_shard(spec: ShardSpec, progress: Callable[[int], None] | None = None) -> ShardResult:
    """Write one shard file; ``progress(rows)`` after every batch.

    The file is written under a temporary name that TFDS recognises as an incomplete file
    (``incomplete.<uuid>.<name>``) and renamed when complete, so a retried shard (Beam) or a
    killed worker never leaves a partial file under the shard's name.
    """
    keep_freed_memory()
    folder, name = os.path.split(spec.path)
    temporary = os.path.join(folder, f"incomplete.{uuid.uuid4().hex}.{name}")
    writer = open_writer(temporary, spec.file_format)
    examples = num_bytes = 0
    hasher = BlockHasher(spec.start, keep_partial=True)
    try:
        for batch in iter_batches(spec.config, spec.split, spec.start, spec.stop,
                                  rows_per_batch=ROWS_PER_BATCH):
            batch = select_columns(batch, spec.columns)
            hasher.update(batch)
            num_bytes += writer.write_examples(batch, LIST_ENCODING)
            examples += batch.num_rows
            if progress is not None:
                progress(batch.num_rows)
    except BaseException:
        writer.close()
        os.remove(temporary)
        raise
    writer.close()
    os.replace(temporary, spec.path)
    return ShardResult(spec.path, examples, num_bytes, tuple(hasher.finish()),
                       hasher.partial_rows)


def write_shards(specs: list[ShardSpec], num_proc: int,
                 progress: Callable[[int], None] | None = None,
                 alongside: Callable[[], object] | None = None) -> list[ShardResult]:
    """Write every shard, by ``num_proc`` processes (1: in this one); results in ``specs`` order.

    Worker processes are forked where the platform can (no re-import of the caller's program);
    elsewhere the shards are written in this process. ``alongside`` (e.g. importing what the
    caller needs next) runs in a thread of this process while the workers write, once they have
    all been forked; it is not run when the shards are written in this process. While it runs,
    if the workers would take every core this process may use, one core is left to it: one
    worker fewer writes (a shard at a time), so that the caller does not wait for ``alongside``
    after the shards are done. The files are the same either way.
    """
    if num_proc < 1:
        raise ValueError(f"num_proc must be a positive integer; got {num_proc!r}")
    num_proc = min(num_proc, len(specs))
    if num_proc <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [write_shard(spec, progress) for spec in specs]
    context = multiprocessing.get_context("fork")
    rows_written = context.SimpleQueue()
    writing = context.BoundedSemaphore(num_proc)  # a worker writes a shard holding one
    core_for_alongside = alongside is not None and num_proc >= default_num_proc()
    if core_for_alongside:
        writing.acquire()  # given back when ``alongside`` returns
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=num_proc, mp_context=context, initializer=_start_worker,
        initargs=(rows_written, writing),
    ) as pool:
        futures = [pool.submit(_write_in_worker, spec) for spec in specs]
        if alongside is not None:
            # A pool of the fork context starts all its workers at the first submit, so no
            # worker is forked while the thread runs (a fork then could copy a held lock).
            threading.Thread(target=_run_then_release, daemon=True, args=(
                alongside, writing if core_for_alongside else None)).start()
        try:
            pending = set(futures)
            while pending:
                done, pending = concurrent.futures.wait(
                    pending, timeout=0.2, return_when=concurrent.futures.FIRST_EXCEPTION)
                _drain(rows_written, progress)
                for future in done:
                    future.result()  # raise a worker's error at once
            _drain(rows_written, progress)
        except BaseException:
            for future in futures:
                future.cancel()
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()  # a worker may be mid-shard; the caller removes the files
            raise
    return [future.result() for future in futures]


def _run_then_release(task: Callable[[], object], semaphore) -> None:
    try:
        task()
    finally:
        if semaphore is not None:
            semaphore.release()


_rows_written: multiprocessing.SimpleQueue | None = None
_writing = None  # the semaphore a worker holds while it writes a shard


def _start_worker(rows_written: multiprocessing.SimpleQueue, writing) -> None:
    global _rows_written, _writing
    _rows_written, _writing = rows_written, writing


def _write_in_worker(spec: ShardSpec) -> ShardResult:
    with _writing:
        return write_shard(spec, _rows_written.put if _rows_written is not None else None)


def _drain(rows_written: multiprocessing.SimpleQueue, progress: Callable[[int], None] | None
           ) -> None:
    while not rows_written.empty():
        rows = rows_written.get()
        if progress is not None:
            progress(rows)


def default_num_proc() -> int:
    """The processes this one may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
