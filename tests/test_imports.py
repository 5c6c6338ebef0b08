"""The core stays framework-free and light to import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("datasets", "tensorflow_datasets", "tensorflow", "apache_beam", "torch", "jax")


@pytest.mark.parametrize("module", ["lime_datasets.core", "lime_datasets"])
def test_import_pulls_in_no_framework(module: str) -> None:
    code = (
        f"import sys, json; import {module}; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(out.stdout) == []


def _top_level_modules_imported_by(statement: str) -> set[str]:
    code = (
        f"import sys, json; before = set(sys.modules); {statement}; "
        "new = set(sys.modules) - before; print(json.dumps(sorted({m.split('.')[0] for m in new})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    return set(json.loads(out.stdout))


def test_core_imports_nothing_outside_numpy_pyarrow_and_stdlib() -> None:
    """Whatever numpy and pyarrow load themselves (e.g. cloudpickle, if installed) is theirs."""
    theirs = _top_level_modules_imported_by("import numpy, pyarrow, pyarrow.compute")
    ours = _top_level_modules_imported_by(
        "import numpy, pyarrow; import lime_datasets.core.generate, lime_datasets.core.checker"
    )
    third_party = {m for m in ours - theirs if m not in sys.stdlib_module_names}
    assert third_party <= {"lime_datasets"}, third_party


def test_generating_imports_nothing_outside_numpy_pyarrow_and_stdlib() -> None:
    """pyarrow's ``pa.array`` would import pandas, where installed, on its first call."""
    theirs = _top_level_modules_imported_by("import numpy, pyarrow, pyarrow.compute")
    ours = _top_level_modules_imported_by(
        "import lime_datasets; "
        "[lime_datasets.generate(name, 'train', 0, 3) for name in lime_datasets.CONFIGS]"
    )
    third_party = {m for m in ours - theirs if m not in sys.stdlib_module_names}
    assert third_party <= {"lime_datasets"}, third_party
