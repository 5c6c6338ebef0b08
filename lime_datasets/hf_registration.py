"""Binds the bare name ``"lime"`` in ``datasets`` to the builder of ``lime_datasets.hf``.

``datasets`` >= 4 has no loading scripts and no public hook for a name that is neither a folder nor
a Hub repository. Every loader resolves a name through ``dataset_module_factory``, looked up at call
time in ``datasets.load`` (``load_dataset``, ``load_dataset_builder``) and in ``datasets.inspect``
(``get_dataset_config_names`` and the other helpers, which import their own reference). ``bind()``
wraps it in both modules so that exactly the name ``"lime"`` resolves to the builder (offline, from
any working directory, whatever files are there); every other name goes to the original.

``install()`` (run by ``import lime_datasets``) binds at once if ``datasets`` is imported, and
otherwise right after ``datasets`` finishes importing, through a one-shot import hook; it never
imports ``datasets`` itself. ``bind()`` first checks that the internals above are as expected and
raises ``IncompatibleDatasetsError`` (naming the supported versions) if not; ``install()`` turns
that into a warning so that neither import breaks. ``lime_datasets.load_hf`` needs none of this.
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Callable
from typing import Any

from .after_import import call_after_import

NAME = "lime"
BUILDER_MODULE = "lime_datasets.hf"
SUPPORTED = "datasets>=4.0,<6"  # the hf extra of setup.cfg pins the same range; a test checks it
TRIGGER = "datasets"
# The modules holding a reference to dataset_module_factory, and their functions that call it.
CALLERS = {
    "datasets.load": ("load_dataset_builder",),
    "datasets.inspect": ("get_dataset_config_names", "get_dataset_default_config_name"),
}
_ORIGINAL = "__lime_original__"


class IncompatibleDatasetsError(RuntimeError):
    """The installed ``datasets`` changed an internal that the name binding relies on."""


def install() -> None:
    """Bind now if ``datasets`` is imported, else as soon as it is (idempotent)."""
    call_after_import(TRIGGER, _bind_or_warn)


def bind() -> None:
    """Make ``"lime"`` resolve to the builder in ``datasets`` (idempotent)."""
    for module in check_internals():
        current = module.dataset_module_factory
        if not hasattr(current, _ORIGINAL):
            module.dataset_module_factory = _resolving_lime(current)


def is_bound() -> bool:
    """Does ``"lime"`` resolve to the builder in every module that resolves names?"""
    return all(
        hasattr(getattr(sys.modules.get(name), "dataset_module_factory", None), _ORIGINAL)
        for name in CALLERS
    )


def check_internals() -> list[Any]:
    """The modules to patch; ``IncompatibleDatasetsError`` if an internal the binding uses moved."""
    import importlib

    import datasets

    version = getattr(datasets, "__version__", "unknown")

    def fail(what: str) -> IncompatibleDatasetsError:
        return IncompatibleDatasetsError(
            f"lime_datasets cannot bind the name {NAME!r} in datasets {version}: {what}. "
            f"Supported: {SUPPORTED}. Install a supported version "
            "(pip install 'lime-datasets[hf]'), or call lime_datasets.load_hf(name, ...), "
            "which needs no binding."
        )

    modules = []
    for module_name, callers in CALLERS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise fail(f"{module_name} cannot be imported ({error})") from None
        factory = getattr(module, "dataset_module_factory", None)
        if not callable(factory):
            raise fail(f"{module_name}.dataset_module_factory is gone")
        parameters = list(inspect.signature(factory).parameters)
        if not parameters or parameters[0] != "path":
            raise fail(f"{module_name}.dataset_module_factory no longer takes the name first")
        for caller in callers:
            code = getattr(getattr(module, caller, None), "__code__", None)
            if code is None or "dataset_module_factory" not in code.co_names:
                raise fail(f"{module_name}.{caller} no longer resolves names through "
                           "dataset_module_factory")
        modules.append(module)
    dataset_module = getattr(modules[0], "DatasetModule", None)
    fields = set(getattr(dataset_module, "__dataclass_fields__", ()))
    if not {"module_path", "hash", "builder_kwargs"} <= fields:
        raise fail("datasets.load.DatasetModule no longer has module_path, hash and builder_kwargs")
    return modules


def _bind_or_warn() -> None:
    try:
        bind()
    except IncompatibleDatasetsError as error:
        warnings.warn(str(error), RuntimeWarning, stacklevel=3)


def _resolving_lime(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def dataset_module_factory(path: str, *args: Any, **kwargs: Any) -> Any:
        if path != NAME:
            return original(path, *args, **kwargs)
        if kwargs.get("revision") is not None:
            raise ValueError(
                f"revision does not apply to {NAME!r} (its data are generated by the installed "
                f"lime-datasets); got {kwargs['revision']!r}"
            )
        import datasets.load

        from . import hf

        return datasets.load.DatasetModule(
            module_path=BUILDER_MODULE, hash=hf.cache_hash(), builder_kwargs={"dataset_name": NAME}
        )

    setattr(dataset_module_factory, _ORIGINAL, original)
    return dataset_module_factory
