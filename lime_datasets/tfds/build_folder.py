"""Build folders: mark ours as in use, remove what killed builds left.

TFDS builds into ``<config>/incomplete.XXXXXX_<version>/`` and renames it when the build is done;
a killed build leaves it behind for good. The builder holds a lock (``lime_datasets.locks``) on
its folder until TFDS has renamed it, and removes every sibling of the same version that nobody
holds: the system dropped the lock of the build that died. Splits added to a prepared folder later
(``FolderLock``) are written under the folder's lock, so whatever ``incomplete.*`` files the lock's
holder finds there were left by a killed process.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from .. import locks

INCOMPLETE_FOLDER = r"incomplete\.[A-Z0-9]{6}_"  # tensorflow_datasets.core.utils.file_utils
INCOMPLETE_FILE = re.compile(r"incomplete\.[0-9a-f]{32}\..+")  # ...core.utils.py_utils


class BuildFolderLock:
    """A lock on a build folder, held until ``release`` (or the process's end)."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self._handle: int | None = os.open(self.folder, os.O_RDONLY)
        locks.lock(self._handle, self.folder)

    def remove_abandoned_siblings(self, version: str) -> list[Path]:
        """Remove the unlocked build folders of ``version`` beside this one; return them."""
        pattern = re.compile(INCOMPLETE_FOLDER + re.escape(version) + "$")
        removed = []
        for sibling in self.folder.parent.iterdir():
            if (sibling != self.folder and pattern.match(sibling.name) and sibling.is_dir()
                    and locks.remove_unlocked(sibling, shutil.rmtree)):
                removed.append(sibling)
        return removed

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None


class FolderLock(BuildFolderLock):
    """``with FolderLock(folder):`` the lock on a prepared data folder, to add splits to it."""

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.release()

    def remove_incomplete_files(self) -> None:
        """Remove the temporary files and folders of processes that died writing here."""
        for path in self.folder.iterdir():
            if INCOMPLETE_FILE.fullmatch(path.name):
                shutil.rmtree(path) if path.is_dir() else path.unlink()

    def replace_dataset_info(self, info: Any) -> None:
        """Replace the folder's ``dataset_info.json`` with ``info``'s, by a rename."""
        staging = self.folder / f"incomplete.{uuid.uuid4().hex}.dataset_info"
        staging.mkdir()
        try:
            info.write_to_directory(staging)
            os.replace(staging / "dataset_info.json", self.folder / "dataset_info.json")
        finally:
            shutil.rmtree(staging)
