"""Publishing a finished folder in one step, so no reader ever sees a half-written one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


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
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rename(target, old / target.name)
    os.rename(staging, target)
    shutil.rmtree(old, ignore_errors=True)
