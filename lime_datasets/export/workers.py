"""Rendering a row range in parts, in order, in a pool of processes that end with their parent."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..core.config import LimeConfig
from ..core.generate import BLOCK_SIZE
from .formats import Part, render_part

PART_ROWS = 16 * BLOCK_SIZE  # rows one worker generates and renders at a time


class Pool:
    """A process pool (spawned: forking a process with Arrow threads is unsafe), or none."""

    def __init__(self, num_proc: int) -> None:
        self.executor = None
        if num_proc > 1:
            self.executor = concurrent.futures.ProcessPoolExecutor(
                num_proc, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(os.getpid(),),
            )

    def __enter__(self) -> concurrent.futures.ProcessPoolExecutor | None:
        return self.executor

    def __exit__(self, *exc_info: Any) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent is gone (killed parents cannot stop their pool)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def part_ranges(start: int, stop: int) -> list[tuple[int, int]]:
    """Rows ``start .. stop - 1`` cut at the multiples of ``PART_ROWS``: every part but the first
    and the last holds whole blocks, so each block's digest is computed by one worker."""
    cuts = [start, *range((start // PART_ROWS + 1) * PART_ROWS, stop, PART_ROWS), stop]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if a < b]


def ordered_map(function: Callable[..., Any], calls: Iterable[tuple],
                pool: concurrent.futures.Executor | None, num_proc: int) -> Iterator[Any]:
    """``function(*args)`` for each ``args`` of ``calls``, in order; with a pool, at most
    ``2 * num_proc`` in flight."""
    if pool is None:
        for args in calls:
            yield function(*args)
        return
    pending: deque[concurrent.futures.Future] = deque()
    for args in calls:
        pending.append(pool.submit(function, *args))
        if len(pending) >= 2 * num_proc:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def rendered_parts(config: LimeConfig, split: str, start: int, stop: int, fmt: str,
                   columns: str, pool: concurrent.futures.Executor | None, num_proc: int
                   ) -> Iterator[Part]:
    """Rendered parts of rows ``start .. stop - 1``, in row order."""
    calls = ((config, split, a, b, fmt, columns) for a, b in part_ranges(start, stop))
    return ordered_map(render_part, calls, pool, num_proc)
