"""The start-up hook of an installed wheel (``lime_datasets_autoload.pth`` imports
``_lime_datasets_autoload``): ``load_dataset("lime", ...)`` works without ``import
lime_datasets``, and nothing of the package is imported before ``datasets`` is. Here the hook's
module is imported the way the ``.pth`` line does; tests/test_wheel.py checks the line itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("datasets")

ROOT = Path(__file__).resolve().parents[1]
LOAD = (
    "import sys\n"
    "from datasets import load_dataset\n"
    "ds = load_dataset('lime', 'deduct', split='test', num_train=10, num_validation=5,"
    " num_test=7)\n"
    "print(ds.num_rows, ds[3]['id'])\n"
)


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_load_dataset_by_name_without_the_import() -> None:
    code = ("import _lime_datasets_autoload, sys\n"
            "assert not [m for m in sys.modules if m.startswith('lime_datasets')]\n" + LOAD)
    result = python(code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["7", "3"]


def test_without_the_hook_the_name_is_unknown() -> None:
    result = python(LOAD, HF_HUB_OFFLINE="1")
    assert result.returncode != 0
    assert "lime" in result.stderr


def test_the_hook_steps_aside_once_lime_datasets_is_imported() -> None:
    code = ("import lime_datasets, sys, _lime_datasets_autoload\n"
            "print(_lime_datasets_autoload._ImportLimeFirst in sys.meta_path)\n")
    result = python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
