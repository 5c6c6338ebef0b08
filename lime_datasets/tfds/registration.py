"""Register the TFDS builder ``lime`` without importing TensorFlow Datasets ourselves.

``install()`` (run by ``import lime_datasets``) imports the builder module at once when
``tensorflow_datasets`` is already imported, and otherwise adds a one-shot import hook that imports
it right after ``tensorflow_datasets`` finishes importing. So both import orders work, and
``import lime_datasets`` alone never pulls in TFDS. The builder module is only ever imported
under ``BUILDER_MODULE``, since TFDS refuses a second registration of the name.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import warnings

BUILDER_MODULE = "lime_datasets.tfds.lime.lime_dataset_builder"
TRIGGER = "tensorflow_datasets"


def install() -> None:
    """Register now if TFDS is imported, else as soon as it is (idempotent)."""
    module = sys.modules.get(TRIGGER)
    if module is not None:
        if not getattr(getattr(module, "__spec__", None), "_initializing", False):
            register()
        return
    if not any(isinstance(finder, _Hook) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Hook())


def register() -> None:
    """Import the builder module (which registers ``lime``); warn instead of breaking TFDS."""
    try:
        importlib.import_module(BUILDER_MODULE)
    except Exception as error:  # a broken builder must not break `import tensorflow_datasets`
        warnings.warn(
            f"lime_datasets could not register the TFDS builder 'lime' ({error!r}); "
            f"`import {BUILDER_MODULE}` shows the full error",
            RuntimeWarning,
            stacklevel=2,
        )


class _Hook(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow_datasets`` through the other finders and wraps its loader."""

    def find_spec(self, fullname, path, target=None):
        if fullname != TRIGGER:
            return None
        sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not self]
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(fullname, path, target) if find_spec else None
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _RegisteringLoader(spec.loader)
                return spec
        return None


class _RegisteringLoader(importlib.abc.Loader):
    """Runs the real loader, then registers the builder."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        # Give the module its real loader back before it runs (resource readers use it).
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        register()
