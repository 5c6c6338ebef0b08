"""Rendering a row range in parts, in order, in a pool of processes that end with their parent."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
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


def rendered_parts(config: LimeConfig, split: str, start: int, stop: int, fmt: str,
           pool: concurrent.futures.Executor | None, num_proc: int) -> Iterator[Part]:
    """Rendered parts in row order; with a pool, at most ``2 * num_proc`` in flight."""
    ranges = [(a, min(stop, a + PART_ROWS)) for a in range(start, stop, PART_ROWS)]
    if pool is None:
        for a, b in ranges:
            yield render_part(config, split, a, b, fmt)
        return
    pending: deque[concurrent.futures.Future] = deque()
    for a, b in ranges:
        pending.append(pool.submit(render_part, config, split, a, b, fmt))
        if len(pending) >= 2 * num_proc:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
