"""What a wheel of this checkout would contain, for the tests of shipped data files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def build_py(tmp_path: Path) -> Path:
    """The package as setuptools' ``build_py`` lays it out from a clean copy; its build folder."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "lime_datasets", source / "lime_datasets",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    build_lib = tmp_path / "build"
    done = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "build_py",
         "--build-lib", str(build_lib)],
        capture_output=True, text=True, cwd=source, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return build_lib
