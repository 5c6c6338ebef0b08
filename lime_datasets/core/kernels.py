"""The compiled kernels (``_kernels``), where they are built and not switched off.

The package installs without a C compiler; then, or when the environment variable
``LIME_DATASETS_PURE_PYTHON`` is set to anything but ``""`` or ``"0"`` before the first import,
every stage runs its numpy code. Either way the examples are the same bytes: each kernel computes
what its numpy reference computes, and the tests compare the two.

``KERNELS`` declares each kernel once: the compiled function ``name`` of ``_kernels`` is paired
with ``name_native`` (which calls it) and ``name_numpy`` (the reference) in the core module
``module``, beside the dispatcher ``name`` that picks one of them through ``choose``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
import warnings
from collections.abc import Callable
from types import ModuleType

PURE_PYTHON_VARIABLE = "LIME_DATASETS_PURE_PYTHON"


@dataclasses.dataclass(frozen=True)
class Kernel:
    name: str  # of the compiled function, the dispatcher and its pair name_native / name_numpy
    module: str  # the core module that holds the dispatcher and the pair


KERNELS = (
    Kernel("row_words", "rng"),
    Kernel("sample_symbols", "symbols"),
    Kernel("pack_groups", "sequences"),
    Kernel("render", "vocab"),
    Kernel("substitution_rows", "substitution"),
    Kernel("rewrite_rows", "rewrite"),
    Kernel("multistep_rows", "rewrite"),
)

# The functions the package calls; an extension built from an older source lacks some.
FUNCTIONS = tuple(kernel.name for kernel in KERNELS)


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


def switched_off() -> bool:
    """Whether ``LIME_DATASETS_PURE_PYTHON`` asked for the numpy code (read at the first import);
    the package's other optional compiled code follows the same switch."""
    return _SWITCHED_OFF


def describe() -> str:
    """Which code generates, in words: the compiled kernels, or the numpy code and why."""
    if native is not None:
        return "compiled kernels"
    if _SWITCHED_OFF:
        return f"numpy code ({PURE_PYTHON_VARIABLE} is set)"
    return "numpy code (the compiled kernels are not built)"


@functools.cache
def pair(name: str) -> tuple[Callable, Callable]:
    """``(name_native, name_numpy)`` of the kernel ``name`` (``KERNELS``)."""
    for kernel in KERNELS:
        if kernel.name == name:
            module = importlib.import_module(f"{__package__}.{kernel.module}")
            return getattr(module, f"{name}_native"), getattr(module, f"{name}_numpy")
    raise ValueError(f"kernel must be one of {', '.join(FUNCTIONS)}; got {name!r}")


def choose(name: str, usable: bool = True) -> Callable:
    """The function that computes ``name`` here: its compiled pair where the kernels are loaded
    and ``usable`` (the arguments suit the kernel), its numpy reference otherwise."""
    native_function, numpy_function = pair(name)
    return native_function if native is not None and usable else numpy_function
