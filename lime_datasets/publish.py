"""Crash-safe publishing: every output is written under a hidden name beside its place and renamed
into place once complete, so no reader ever sees a half-written file or folder, and a rerun can
always finish or undo what a killed writer left.

Two granularities, one mechanism:

* ``StagedFiles``: files in a folder that may hold other things (an export, a report), staged as
  ``.<name>.<8 characters>.tmp``. ``commit`` first records every rename it is about to make in a
  journal, ``.<last name>.<8 characters>.journal``, then renames the files in the order they were
  staged (a writer stages the file that marks its output complete, e.g. its metadata, last), then
  deletes the journal. A journal left by a killed writer lists complete files only, so
  ``finish_interrupted`` completes its renames: the output is then whole, as if never killed.
* ``staging_folder`` and ``move_into_place``: a whole folder (a Hub folder, the cards) built as
  ``.<name>.<8 characters>.tmp`` beside its place and renamed in one step; a folder it replaces is
  first set aside as ``.<name>.<8 characters>.old``. If a writer is killed between the two
  renames, ``remove_leftovers`` puts the old folder back (rolls back) before clearing the rest.

Every hidden entry stays locked (``locks``) while its writer runs, so only what killed writers
left is finished, restored or removed, never a running writer's work. ``on_step``, when set, is
called before each step with what is about to happen: tests use it to kill a writer at every step.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .locks import lock, remove_unlocked

# Suffixes of hidden entries beside a target: one being written, an old one set aside, and the
# journal of the renames that publish staged files.
STAGING, ASIDE, JOURNAL = ".tmp", ".old", ".journal"
_HIDDEN = re.compile(r"\.(?P<name>.+)\.[0-9a-z_]{8}(?P<suffix>\.tmp|\.old|\.journal)")

# Called as ``on_step(action, path)`` before each step of publishing: "stage" (the hidden folder
# ``path`` was made and is about to be filled), "journal" (about to record the renames of staged
# files whose last is ``path``), "rename" (a staged file or folder to ``path``), "set aside" (the
# folder ``path`` that a new one replaces), "done" (the journal of ``path`` is about to be
# deleted), "empty" (about to empty the folder ``path`` of a killed writer's leftovers). None in
# normal use.
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
        path, handle = _locked_entry(self.directory, name, STAGING, _make_file)
        if handle is not None:
            self._locks.append(handle)
        self._staged[name] = path
        return path

    def commit(self) -> None:
        """Rename every staged file into place, in the order they were staged.

        The renames are recorded in a journal first, so that if this process is killed before
        they are all done, ``finish_interrupted`` (which every writer of these names runs first)
        completes them.
        """
        if not self._staged:
            return
        for path in self._staged.values():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        last = self.directory / next(reversed(self._staged))
        _step("journal", last)
        record = {"overwrite": self.overwrite,
                  "renames": [[path.name, name] for name, path in self._staged.items()]}
        journal, handle = _locked_entry(self.directory, last.name, JOURNAL, _make_file)
        try:
            with open(handle, "wb", closefd=False) as writer:
                writer.write(json.dumps(record).encode())
            os.fsync(handle)
            _fsync_directory(self.directory)
            try:
                while self._staged:
                    name, path = next(iter(self._staged.items()))
                    final = self.directory / name
                    _step("rename", final)
                    _rename(path, final, self.overwrite)
                    del self._staged[name]
            except ValueError:  # another writer's file took a name: give this output up
                journal.unlink()
                raise
            except BaseException:  # interrupted: leave the rest to ``finish_interrupted``
                self._staged.clear()
                raise
            _fsync_directory(self.directory)
            _step("done", last)
            journal.unlink()
        finally:
            _release(handle)
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

    The folder stays locked while in use. Before making it, this checks that ``target`` has a
    name the hidden names beside it can hold (``check_folder_name``) and removes what killed runs
    left beside the same ``target`` (``remove_leftovers``).
    """
    check_folder_name(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target.parent, [target.name])
    staging, handle = _locked_entry(target.parent, target.name, STAGING, _make_folder)
    try:
        _step("stage", staging)
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _release(handle)


def check_folder_name(target: Path) -> None:
    """``ValueError`` unless ``target`` names a folder by a name that leaves room for the hidden
    names beside it (``.<name>.<8 characters>.journal``) under the file system's limit."""
    if target.name in ("", ".", ".."):
        raise ValueError(f"{target} names no folder of its own; give the folder by its name "
                         "(e.g. ../data rather than .)")
    room = len(f"..{secrets.token_hex(4)}{JOURNAL}")
    limit = _name_max(target.parent)
    if len(os.fsencode(target.name)) + room > limit:
        raise ValueError(f"{target}: the folder's name must have at most {limit - room} bytes "
                         f"(the file system allows {limit}; hidden names beside it add {room})")


def _name_max(directory: Path) -> int:
    while True:
        try:
            return os.pathconf(directory, "PC_NAME_MAX")
        except (OSError, ValueError, AttributeError):
            if directory.parent == directory or not hasattr(os, "pathconf"):
                return 255
            directory = directory.parent  # not made yet: ask the nearest folder that is


def move_into_place(staging: Path, target: Path, overwrite: bool) -> None:
    """Rename the complete ``staging`` folder to ``target`` (same parent directory).

    An existing ``target`` is replaced only with ``overwrite`` (it may have appeared while we were
    writing); it is first renamed aside, so ``target`` names the complete old folder, the
    complete new one, or (between the two renames) nothing; a writer killed there leaves the old
    folder aside, which ``remove_leftovers`` puts back.
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


def finish_interrupted(directory: Path, names: Iterable[str]) -> list[Path]:
    """Complete the renames that writers of ``names`` in ``directory`` were killed during.

    A journal that no running writer holds (found by the name of its last file, which is among
    ``names``) lists staged files that were complete when their writer began renaming them; the
    ones still staged are renamed into place now, in order, and the journal is deleted. A rename
    that would replace a file that appeared since, where the writer was not allowed to
    overwrite, stops the finishing (what is left is then removed as leftovers, and the output
    stays incomplete). Returns the final paths of every journal finished completely.
    """
    wanted = set(names)
    finished: list[Path] = []

    def finish(journal: Path) -> None:
        try:
            record = json.loads(journal.read_text(encoding="utf-8"))
            renames = [(str(staged), str(final)) for staged, final in record["renames"]]
            overwrite = record["overwrite"] is True
        except (OSError, ValueError, KeyError, TypeError):
            renames, overwrite = [], False  # killed while writing the journal: nothing renamed
        for staged, final in renames:
            if Path(staged).name != staged or Path(final).name != final:
                break  # not a journal this module wrote
            path = directory / staged
            if not path.is_file():
                continue  # renamed before the writer was killed
            _step("rename", directory / final)
            try:
                _rename(path, directory / final, overwrite)
            except ValueError:
                break
        else:
            finished.extend(directory / final for _, final in renames)
        _fsync_directory(directory)
        journal.unlink()

    for entry in os.scandir(directory):
        match = _HIDDEN.fullmatch(entry.name)
        if (match and match["suffix"] == JOURNAL and match["name"] in wanted
                and entry.is_file(follow_symlinks=False)):
            remove_unlocked(Path(entry.path), finish)
    return finished


def remove_leftovers(directory: Path, names: Iterable[str]) -> list[Path]:
    """Remove the hidden entries for ``names`` in ``directory`` that no running writer holds.

    These are what ``StagedFiles``, ``staging_folder`` and ``move_into_place`` make; a killed
    writer leaves them, possibly holding a whole build. The system drops a dead process's locks,
    so an entry whose lock can be taken was left by a killed writer. Journals are finished first
    (``finish_interrupted``), and a folder set aside by a writer killed before it put the new one
    in place is put back. Entries locked by a running writer, and everything on a file system
    without locks, are kept. Returns the removed paths.
    """
    wanted = set(names)
    finish_interrupted(directory, wanted)
    entries = [(entry, match) for entry in os.scandir(directory)
               if (match := _HIDDEN.fullmatch(entry.name)) and match["name"] in wanted]
    # A journal still there is held by a running writer or by another run finishing it: the
    # staged files it lists are not leftovers, and their names are unknown until it is done.
    journal_held = any(match["suffix"] == JOURNAL for _, match in entries)
    removed = []
    for entry, match in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            remove = _restore_and_remove if match["suffix"] == ASIDE else shutil.rmtree
        elif (match["suffix"] == STAGING and not journal_held
              and entry.is_file(follow_symlinks=False)):
            remove = Path.unlink
        else:
            continue
        if remove_unlocked(path, remove):
            removed.append(path)
    return removed


def _restore_and_remove(old: Path) -> None:
    """Put back the folder set aside in ``old`` if nothing took its place, then remove ``old``."""
    name = _HIDDEN.fullmatch(old.name)["name"]
    kept, target = old / name, old.parent / name
    if kept.is_dir() and not target.exists():
        os.rename(kept, target)
    shutil.rmtree(old)


def empty_folder(folder: str | os.PathLike) -> int:
    """Remove everything inside ``folder`` (for a folder its writer owns and is about to fill);
    return how many entries there were."""
    entries = list(os.scandir(folder))
    if entries:
        _step("empty", Path(folder))
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.remove(entry.path)
    return len(entries)


def read_regular_file(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (a link to one is followed), at most ``max_bytes``.

    ``ValueError`` (saying what is wrong, not naming ``path``: the caller does) for anything else
    (a folder, a FIFO, a device, a socket) or a larger file, decided before reading; opening
    never blocks, even on a FIFO.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    handle = os.open(path, flags)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(f"{info.st_size} bytes, more than the {max_bytes} allowed")
        with open(handle, "rb", closefd=False) as reader:
            data = reader.read(max_bytes + 1)
    finally:
        os.close(handle)
    if len(data) > max_bytes:  # grew since
        raise ValueError(f"more than the {max_bytes} bytes allowed")
    return data


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


def _make_file(path: Path) -> int:
    """Create the empty file ``path`` and return it open for writing (unlike mkstemp's 0600,
    with the usual permissions: 0666 less the umask)."""
    return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)


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
