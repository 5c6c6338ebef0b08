"""Which splits a ``tfds.load`` / ``tfds.data_source`` call asks for, seen from the builder.

Both functions call ``builder.download_and_prepare()`` without saying which split they will read,
then ``as_dataset(split)`` / ``as_data_source(split)``. So that ``split="test"`` does not wait for
a 5,000,000-row train split, the builder reads the ``split`` argument of the call that is building
it (``called_with_splits``) and builds those splits only; ``as_dataset`` / ``as_data_source`` build
any other split into the same folder when it is first read. Anywhere else (``tfds build``, an
explicit ``download_and_prepare()``, ``split=None``) every split is built.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

LOAD_MODULE = "tensorflow_datasets.core.load"
LOAD_FUNCTIONS = ("load", "data_source")


def called_with_splits() -> set[str] | None:
    """The split names of the ``tfds.load``/``tfds.data_source`` call on the stack, if any.

    None when there is no such call or it asks for every split (``split=None``).
    """
    frame = _load_frame()
    if frame is None:
        return None
    split = frame.f_locals["split"]
    return None if split is None else split_names(split)


def called_from_load() -> bool:
    """Whether a ``tfds.load`` call (which returns a ``tf.data`` pipeline) is on the stack."""
    frame = _load_frame()
    return frame is not None and frame.f_code.co_name == "load"


def _load_frame() -> FrameType | None:
    frame = sys._getframe(2)
    while frame is not None:
        if (frame.f_code.co_name in LOAD_FUNCTIONS
                and frame.f_globals.get("__name__") == LOAD_MODULE
                and "split" in frame.f_locals):
            return frame
        frame = frame.f_back
    return None


def split_names(split: Any) -> set[str]:
    """The split names in a TFDS split argument: ``"train[:10%]+test"``, a ``ReadInstruction``,
    a ``tfds.Split``, or a list / tuple / dict of them."""
    if isinstance(split, dict):
        return set().union(*(split_names(s) for s in split.values()))
    if isinstance(split, (list, tuple)):
        return set().union(*(split_names(s) for s in split))
    if hasattr(split, "split_name"):  # a tfds.core.ReadInstruction
        return {split.split_name}
    if hasattr(split, "left") and hasattr(split, "right"):  # ReadInstruction + ReadInstruction
        return split_names(split.left) | split_names(split.right)
    return {part.partition("[")[0].strip() for part in str(split).split("+")}
