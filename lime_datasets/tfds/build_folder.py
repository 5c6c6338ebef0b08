"""TFDS's temporary build folders: mark ours as in use, remove those that killed builds left.

TFDS builds into ``<config>/incomplete.XXXXXX_<version>/`` and renames it when the build is done;
a killed build leaves it behind for good. The builder holds a lock (``lime_datasets.locks``) on
its folder until TFDS has renamed it, and removes every sibling of the same version that nobody
holds: the system dropped the lock of the build that died.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from .. import locks

INCOMPLETE_FOLDER = r"incomplete\.[A-Z0-9]{6}_"  # tensorflow_datasets.core.utils.file_utils


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
