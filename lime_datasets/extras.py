"""Optional dependencies: which extra of ``lime-datasets`` brings each, and the error naming it."""

from __future__ import annotations

import importlib
from types import ModuleType

# Top-level module -> the extra that installs it (setup.cfg's extras_require).
EXTRAS = {
    "datasets": "hf",
    "tensorflow_datasets": "tfds",
    "tensorflow": "tfds",
    "apache_beam": "beam",
    "mlcroissant": "tfds",
    "torch": "torch",
    "jax": "jax",
    "grain": "jax",
}


class MissingExtraError(ModuleNotFoundError):
    """An optional dependency is not installed; the message gives the command that installs it."""


def missing_extra(module: str, feature: str) -> MissingExtraError:
    """The error for ``feature``, which needs ``module`` (a key of ``EXTRAS``)."""
    extra = EXTRAS[module.partition(".")[0]]
    return MissingExtraError(
        f"{feature} needs the {module!r} package, which is not installed; install it with the "
        f"{extra!r} extra: pip install 'lime-datasets[{extra}]'",
        name=module,
    )


def require(module: str, feature: str) -> ModuleType:
    """Import ``module``, or raise ``MissingExtraError`` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is None or error.name.partition(".")[0] != module.partition(".")[0]:
            raise  # some other module is missing: not ours to explain
        raise missing_extra(module, feature) from error
