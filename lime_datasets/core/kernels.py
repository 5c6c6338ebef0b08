"""The compiled kernels (``_kernels``), where they are built and not switched off.

The package installs without a C compiler; then, or when the environment variable
``LIME_DATASETS_PURE_PYTHON`` is set to anything but ``""`` or ``"0"`` before the first import,
every stage runs its numpy code. Either way the examples are the same bytes: each kernel computes
what the numpy function beside its caller computes, and the tests compare the two.
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType

PURE_PYTHON_VARIABLE = "LIME_DATASETS_PURE_PYTHON"

# The functions the package calls; an extension built from an older source lacks some.
FUNCTIONS = (
    "philox_words",
    "first_distinct",
    "take_in_rows",
    "join_rows",
    "shuffle_rows",
    "substitute_runs",
    "pack_runs",
    "render_text",
)


# Read once, at the first import, like the choice of code it makes.
_SWITCHED_OFF = os.environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0")


def _load() -> ModuleType | None:
    if _SWITCHED_OFF:
        return None
    try:
        from . import _kernels
    except ImportError:
        return None
    return complete(_kernels)


def complete(module: ModuleType) -> ModuleType | None:
    """``module`` where it has every function in ``FUNCTIONS``; else None, with a warning."""
    missing = [name for name in FUNCTIONS if not hasattr(module, name)]
    if not missing:
        return module
    warnings.warn(
        f"lime_datasets: the compiled kernels are older than the package (no {', '.join(missing)});"
        " running the numpy code. Rebuild them: python setup.py build_ext --inplace",
        RuntimeWarning,
        stacklevel=2,
    )
    return None


# The module, or None for the numpy code.
native: ModuleType | None = _load()


def describe() -> str:
    """Which code generates, in words: the compiled kernels, or the numpy code and why."""
    if native is not None:
        return "compiled kernels"
    if _SWITCHED_OFF:
        return f"numpy code ({PURE_PYTHON_VARIABLE} is set)"
    return "numpy code (the compiled kernels are not built)"
