"""TensorFlow Datasets adapter: the builder ``lime`` (one config per registry entry).

Importing this package is light: TFDS is imported only by ``lime.lime_dataset_builder`` and
``builder_config``, which ``import lime_datasets`` arranges to load once ``tensorflow_datasets``
is imported (see ``registration``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .builder_config import LimeBuilderConfig


class IncompleteBuildError(RuntimeError):
    """A build wrote a different number of examples than its config asks for (nothing is kept)."""


def tfds_config(name: str, columns: str = "both", **overrides: Any) -> LimeBuilderConfig:
    """A TFDS builder config for registry config ``name`` with registry parameters overridden.

    Validated by the core: bad input raises its ``ValueError``. Equal parameters give the
    registered config; others a config named ``<name>-<parameters digest>`` with its own data
    directory. ``columns`` ``"text"`` or ``"ids"`` stores only the text or only the token ids
    (beside ``id`` and ``task``), under a config name ending in ``-text`` or ``-ids``.
    Use: ``tfds.load("lime", builder_kwargs={"config": tfds_config("mixed", seed=7)})``.
    Importing TensorFlow Datasets happens here, on first use.
    """
    from ..extras import require

    require("tensorflow_datasets", "lime_datasets.tfds_config")
    from .builder_config import tfds_config as make

    return make(name, columns, **overrides)
