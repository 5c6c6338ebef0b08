"""No import cycles: every module of the package can be the first one imported.

Each module is imported first in a fresh interpreter. Python runs a package's ``__init__`` before
any of its modules, and the top-level one imports most of the package in a fixed order, which could
hide a cycle; so the core's modules are also imported with only ``lime_datasets.core`` loaded
before them (the core must stand on its own). A module may be skipped only when an optional
framework it imports is not installed.
"""

from __future__ import annotations

import importlib.util
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lime_datasets

REPO = Path(__file__).resolve().parent.parent
# Every module but the ``__main__`` scripts (importing one runs a command).
MODULES = sorted(
    ["lime_datasets"]
    + [
        m.name
        for m in pkgutil.walk_packages(lime_datasets.__path__, "lime_datasets.")
        if not m.name.endswith(".__main__")
    ]
)
CORE = [name for name in MODULES if name.startswith("lime_datasets.core.")]
# Without the top-level __init__: a bare package object stands in for it.
WITHOUT_PACKAGE_INIT = (
    "import importlib, sys, types; package = types.ModuleType('lime_datasets'); "
    "package.__path__ = [{path!r}]; sys.modules['lime_datasets'] = package; "
    "importlib.import_module({module!r})"
)


def _import_first(code: str) -> str:
    """The output of ``code`` run in a fresh interpreter; fails (or skips) if it raises."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO
    )
    if result.returncode == 0:
        return result.stdout
    missing = re.search(r"ModuleNotFoundError: No module named '([\w.]+)'", result.stderr)
    if missing and not missing.group(1).startswith("lime_datasets"):
        framework = missing.group(1).split(".")[0]
        if importlib.util.find_spec(framework) is None:
            pytest.skip(f"{framework} is not installed")
    pytest.fail(result.stderr[-2000:])


def test_the_package_has_its_modules() -> None:
    assert {"lime_datasets.core.tasks", "lime_datasets.core.parsing", "lime_datasets.cli"} <= set(
        MODULES
    )


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_first(module: str) -> None:
    _import_first(f"import {module}")


@pytest.mark.parametrize("module", CORE)
def test_each_core_module_imports_first_without_the_package(module: str) -> None:
    path = str(Path(lime_datasets.__file__).parent)
    code = WITHOUT_PACKAGE_INIT.format(path=path, module=module) + (
        "; print(sorted(m for m in sys.modules if m.startswith('lime_datasets.') "
        "and not m.startswith('lime_datasets.core')))"
    )
    outside = _import_first(code).strip()
    assert outside == "[]", f"{module} imports modules outside the core: {outside}"
