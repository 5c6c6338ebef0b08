"""Crash-safe publishing: every output is written under a hidden name beside its place and renamed
into place once complete, so no reader ever sees a half-written file or folder.

Two granularities, one mechanism:

* ``StagedFiles``: files in a folder that may hold other things (an export, a report), staged as
  ``.<name>.<8 characters>.tmp`` and renamed to their names by ``commit``, in the order they were
  staged: a writer stages the file that marks its output complete (e.g. its metadata) last.
* ``staging_folder`` and ``move_into_place``: a whole folder (a Hub folder, the cards) built as
  ``.<name>.<8 characters>.tmp`` beside its place and renamed in one step; a folder it replaces is
  first set aside as ``.<name>.<8 characters>.old``.

Every hidden entry stays locked (``locks``) while its writer runs, so ``remove_leftovers`` removes
exactly what killed writers left, never a running writer's work. ``on_step``, when set, is called
before each rename with what is about to happen: tests use it to kill a writer at every step.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .locks import lock, remove_unlocked

# Suffixes of hidden entries beside a target: one being written, and an old one set aside.
STAGING, ASIDE = ".tmp", ".old"
_HIDDEN = re.compile(r"\.(?P<name>.+)\.[0-9a-z_]{8}(?P<suffix>\.tmp|\.old)")

# Called as ``on_step(action, path)`` before each step of publishing ("rename" a staged file or
# folder to ``path``, "set aside" the folder ``path`` replaces); None in normal use.
on_step: Callable[[str, Path], None] | None = None


def _step(action: str, path: Path) -> None:
    if on_step is not None:
        on_step(action, path)


class StagedFiles:
    """Hidden staged files in one folder, renamed to their final names together by ``commit``.

    Until ``commit`` no final name exists; ``discard`` (or leaving a ``with`` block, by an
    exception or not) deletes what was not committed. Without ``overwrite``, a final name that
    exists is an error. Each staged file stays locked until it is renamed or deleted.
    """

    def __init__(self, directory: Path, overwrite: bool = False) -> None:
        self.directory = directory
        self.overwrite = overwrite
        self._staged: dict[str, Path] = {}
        self._locks: list[int] = []  # open descriptors holding the locks

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.discard()

    def path(self, name: str) -> Path:
        """A new, empty, locked staged file that ``commit`` will rename to ``name``."""
        # Unlike mkstemp's 0600, the usual permissions (0666 less the umask).
        path, handle = _locked_entry(self.directory, name, STAGING,
                                     lambda p: os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY,
                                                       0o666))
        if handle is not None:
            self._locks.append(handle)
        self._staged[name] = path
        return path

    def commit(self) -> None:
        """Rename every staged file into place, in the order they were staged."""
        for path in self._staged.values():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        while self._staged:
            name, path = next(iter(self._staged.items()))
            final = self.directory / name
            _step("rename", final)
            _rename(path, final, self.overwrite)
            del self._staged[name]
        _fsync_directory(self.directory)
        self._unlock()

    def discard(self) -> None:
        for path in self._staged.values():
            path.unlink(missing_ok=True)
        self._staged.clear()
        self._unlock()

    def _unlock(self) -> None:
        while self._locks:
            os.close(self._locks.pop())


@contextlib.contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """A new hidden folder beside ``target`` to build it in, removed on leaving (if still there).

    The folder stays locked while in use. Before making it, this removes what killed runs left
    beside the same ``target`` (``remove_leftovers``).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target.parent, [target.name])
    staging, handle = _locked_entry(target.parent, target.name, STAGING, _make_folder)
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
        _step("rename", target)
        os.rename(staging, target)
        return
    if not overwrite:
        raise ValueError(f"{target} exists; pass overwrite=True to replace it")
    old, handle = _locked_entry(target.parent, target.name, ASIDE, _make_folder)
    try:
        _step("set aside", target)
        os.rename(target, old / target.name)
        _step("rename", target)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        _release(handle)


def remove_leftovers(directory: Path, names: Iterable[str]) -> list[Path]:
    """Remove the hidden entries for ``names`` in ``directory`` that no running writer holds.

    These are what ``StagedFiles``, ``staging_folder`` and ``move_into_place`` make; a killed
    writer leaves them, possibly holding a whole build. The system drops a dead process's locks,
    so an entry whose lock can be taken was left by a killed writer. Entries locked by a running
    writer, and everything on a file system without locks, are kept. Returns the removed paths.
    """
    wanted = set(names)
    removed = []
    for entry in os.scandir(directory):
        match = _HIDDEN.fullmatch(entry.name)
        if not match or match["name"] not in wanted:
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if remove_unlocked(path, shutil.rmtree):
                removed.append(path)
        elif match["suffix"] == STAGING and entry.is_file(follow_symlinks=False):
            if remove_unlocked(path, Path.unlink):
                removed.append(path)
    return removed


def empty_folder(folder: str | os.PathLike) -> int:
    """Remove everything inside ``folder`` (for a folder its writer owns and is about to fill);
    return how many entries there were."""
    entries = list(os.scandir(folder))
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.remove(entry.path)
    return len(entries)


def check_outputs(paths: Iterable[Path], overwrite: bool) -> None:
    """``ValueError`` if an output exists (and ``overwrite`` is off) or is a folder."""
    for path in paths:
        if path.is_dir():
            raise ValueError(f"{path} is a folder; expected a file name")
        if path.exists() and not overwrite:
            raise ValueError(f"{path} exists; pass --overwrite to replace it")


def prepare_folder(directory: Path) -> None:
    """Create ``directory`` (and its parents) unless it exists; ``ValueError`` if it is a file."""
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"{directory} exists and is not a folder")
    directory.mkdir(parents=True, exist_ok=True)


def write_text(path: str | os.PathLike, text: str, overwrite: bool = False) -> None:
    """Write one text file crash-safely; never replaces an existing file without ``overwrite``."""
    path = Path(path)
    check_outputs([path], overwrite)
    prepare_folder(path.parent)
    remove_leftovers(path.parent, [path.name])
    with StagedFiles(path.parent, overwrite) as files:
        files.path(path.name).write_text(text, encoding="utf-8")
        files.commit()


def _make_folder(path: Path) -> int | None:
    """Create the folder ``path`` and return an open descriptor of it (None where folders cannot
    be opened, as on Windows: then it is never taken for a leftover)."""
    os.mkdir(path, 0o777)
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None


def _locked_entry(directory: Path, name: str, suffix: str,
                  make: Callable[[Path], int | None]) -> tuple[Path, int | None]:
    """A new hidden entry for ``name`` in ``directory``, made by ``make``, and the open
    descriptor that holds its lock."""
    while True:
        path = directory / f".{name}.{secrets.token_hex(4)}{suffix}"
        try:
            handle = make(path)
        except FileExistsError:
            continue
        if handle is None:
            return path, None
        if lock(handle, path):
            return path, handle
        os.close(handle)  # removed between its creation and its lock: take another name


def _release(handle: int | None) -> None:
    if handle is not None:
        os.close(handle)


def _rename(staged: Path, final: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(staged, final)
        return
    try:
        os.link(staged, final)  # fails if ``final`` exists, even if it appeared a moment ago
    except FileExistsError:
        raise ValueError(f"{final} exists; pass --overwrite to replace it") from None
    except OSError:  # no hard links on this file system
        if final.exists():
            raise ValueError(f"{final} exists; pass --overwrite to replace it") from None
        os.replace(staged, final)
        return
    staged.unlink()


def _fsync_directory(directory: Path) -> None:
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
