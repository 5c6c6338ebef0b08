"""Register the TFDS builder ``lime`` without importing TensorFlow Datasets ourselves.

``install()`` (run by ``import lime_datasets``) imports the builder module at once when
``tensorflow_datasets`` is already imported, and otherwise adds a one-shot import hook that imports
it right after ``tensorflow_datasets`` finishes importing. So both import orders work, and
``import lime_datasets`` alone never pulls in TFDS. The builder module is only ever imported
under ``BUILDER_MODULE``, since TFDS refuses a second registration of the name.

``builder_config`` (which the builder module needs) imports TFDS itself, e.g. when
``tfds_config()`` runs before ``import tensorflow_datasets``: registering then, in the middle of its
own import, would import the builder module against a half-made ``builder_config``. So that import
runs ``deferred()``, and ``builder_config`` calls ``install()`` again once complete.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Iterator

from ..after_import import call_after_import

BUILDER_MODULE = "lime_datasets.tfds.lime.lime_dataset_builder"
TRIGGER = "tensorflow_datasets"


def install() -> None:
    """Register now if TFDS is imported, else as soon as it is (idempotent)."""
    call_after_import(TRIGGER, register)


_deferred = 0


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within this block, ``register`` does nothing (the caller calls ``install`` afterwards)."""
    global _deferred
    _deferred += 1
    try:
        yield
    finally:
        _deferred -= 1


def register() -> None:
    """Import the builder module (which registers ``lime``); warn instead of breaking TFDS."""
    if _deferred:
        return
    try:
        importlib.import_module(BUILDER_MODULE)
    except Exception as error:  # a broken builder must not break `import tensorflow_datasets`
        warnings.warn(
            f"lime_datasets could not register the TFDS builder 'lime' ({error!r}); "
            f"`import {BUILDER_MODULE}` shows the full error",
            RuntimeWarning,
            stacklevel=2,
        )
