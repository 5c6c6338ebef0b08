"""Run a callback as soon as a given package has been imported, without importing it ourselves.

``import lime_datasets`` must not pull in ``datasets`` or ``tensorflow_datasets``, yet both must
learn about the builders in either import order. ``call_after_import(name, callback)`` calls at
once if ``name`` is already imported, and otherwise adds a one-shot ``sys.meta_path`` finder: it
lets the other finders find the package, wraps the loader so that ``callback`` runs right after
the package has executed, and removes itself.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Callable
from typing import Any


def call_after_import(name: str, callback: Callable[[], None]) -> None:
    """Call ``callback`` now if ``name`` is imported, else once it is (idempotent per pair)."""
    module = sys.modules.get(name)
    if module is not None:
        if not getattr(getattr(module, "__spec__", None), "_initializing", False):
            callback()
        return
    if not any(
        isinstance(finder, _AfterImportFinder) and finder.key == (name, callback)
        for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, _AfterImportFinder(name, callback))


class _AfterImportFinder(importlib.abc.MetaPathFinder):
    """Finds ``name`` through the other finders and wraps its loader; then steps aside."""

    def __init__(self, name: str, callback: Callable[[], None]) -> None:
        self.key = (name, callback)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        name, callback = self.key
        if fullname != name:
            return None
        sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not self]
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(fullname, path, target) if find_spec else None
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _CallingLoader(spec.loader, callback)
                return spec
        return None


class _CallingLoader(importlib.abc.Loader):
    """Runs the real loader, then the callback."""

    def __init__(self, loader: Any, callback: Callable[[], None]) -> None:
        self._loader = loader
        self._callback = callback

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        # Give the module its real loader back before it runs (resource readers use it).
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        self._callback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
