"""Building a folder beside its final place and publishing it in one step, so no reader ever sees
a half-written one, and what a killed build left behind is cleared by the next."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .locks import lock, remove_unlocked

# Suffixes of the hidden folders beside a target: one being built, and an old one set aside.
STAGING, ASIDE = ".tmp", ".old"


@contextlib.contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """A new hidden folder beside ``target`` to build it in, removed on leaving (if still there).

    The folder stays locked while in use. Before making it, this removes the hidden folders of the
    same ``target`` that killed runs left beside it (``remove_leftovers``).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    staging, handle = _locked_folder(target, STAGING)
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _release(handle)


def move_into_place(staging: Path, target: Path, overwrite: bool) -> None:
    """Rename the complete ``staging`` folder to ``target`` (same parent directory).

    An existing ``target`` is replaced only with ``overwrite`` (it may have appeared while we were
    writing); it is first renamed aside, so ``target`` always names a complete folder.
    """
    if not target.exists():
        os.rename(staging, target)
        return
    if not overwrite:
        raise ValueError(f"{target} exists; pass overwrite=True to replace it")
    old, handle = _locked_folder(target, ASIDE)
    try:
        os.rename(target, old / target.name)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        _release(handle)


def remove_leftovers(target: Path) -> list[Path]:
    """Remove the hidden folders beside ``target`` that no running process holds; return them.

    These are what ``staging_folder`` and ``move_into_place`` make for ``target``; a killed run
    leaves them, possibly holding a whole build. A running one holds their locks, so its folders
    are kept (as is everything on a file system without locks).
    """
    hidden = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}(\{STAGING}|\{ASIDE})")
    removed = []
    for entry in os.scandir(target.parent):
        if hidden.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
            if remove_unlocked(Path(entry.path), shutil.rmtree):
                removed.append(Path(entry.path))
    return removed


def _locked_folder(target: Path, suffix: str) -> tuple[Path, int | None]:
    """A new hidden folder beside ``target`` and the open descriptor that holds its lock (None
    where folders cannot be opened, as on Windows: then it is never taken for a leftover)."""
    while True:
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent))
        try:
            handle = os.open(folder, os.O_RDONLY)
        except OSError:
            return folder, None
        if lock(handle, folder):
            return folder, handle
        os.close(handle)  # removed between its creation and its lock: make another


def _release(handle: int | None) -> None:
    if handle is not None:
        os.close(handle)
