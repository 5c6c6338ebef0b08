"""Advisory locks (``flock``) that mark a file or folder as in use by a running process.

The system drops a process's locks when it dies, so an output-in-progress whose lock can be taken
was left by a killed writer and can be removed. Where there are no locks (not POSIX, or a file
system without them) nothing counts as left over, so nothing is ever removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None  # type: ignore[assignment]


def lock(handle: int, path: Path) -> bool:
    """Lock the file or folder open as ``handle``; False if ``path`` no longer names it."""
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: it stays unlocked
            pass
    return names(path, handle)


def remove_unlocked(path: Path, remove: Callable[[Path], None]) -> bool:
    """Call ``remove(path)`` if no one holds the lock of ``path``, holding it meanwhile."""
    if fcntl is None:
        return False
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not names(path, handle):  # replaced since we opened it
            return False
        remove(path)
        return True
    except OSError:  # locked by a running writer, no locks here, or not ours to remove
        return False
    finally:
        os.close(handle)


def names(path: Path, handle: int) -> bool:
    """Does ``path`` name the file or folder open as ``handle``?"""
    try:
        named = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    opened = os.fstat(handle)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)
