"""Register the TFDS builder ``lime`` without importing TensorFlow Datasets ourselves.

``install()`` (run by ``import lime_datasets``) imports the builder module at once when
``tensorflow_datasets`` is already imported, and otherwise adds a one-shot import hook that imports
it right after ``tensorflow_datasets`` finishes importing. So both import orders work, and
``import lime_datasets`` alone never pulls in TFDS. The builder module is only ever imported
under ``BUILDER_MODULE``, since TFDS refuses a second registration of the name.
"""

from __future__ import annotations

import importlib
import warnings

from ..after_import import call_after_import

BUILDER_MODULE = "lime_datasets.tfds.lime.lime_dataset_builder"
TRIGGER = "tensorflow_datasets"


def install() -> None:
    """Register now if TFDS is imported, else as soon as it is (idempotent)."""
    call_after_import(TRIGGER, register)


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
