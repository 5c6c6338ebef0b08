"""Token sequences of a batch of examples, as padded id matrices with validity masks.

Generators build each part of a source or target (a header, a rule, a case) as a ``Part``: a
``(rows, width)`` id matrix and a mask of the same shape saying which entries are real tokens.
``pack`` lays parts side by side and keeps the masked entries in row-major order, which gives the
ragged token rows in one step.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

ID_DTYPE = np.int32


class Part(NamedTuple):
    ids: np.ndarray  # (rows, width) token ids (ID_DTYPE)
    mask: np.ndarray  # (rows, width) bool


def constant(rows: int, token_id: int) -> Part:
    """The same single token in every row."""
    return Part(np.full((rows, 1), token_id, dtype=ID_DTYPE), np.ones((rows, 1), dtype=np.bool_))


def whole(ids: np.ndarray) -> Part:
    """Every entry of ``ids`` is a token."""
    return Part(ids, np.ones(ids.shape, dtype=np.bool_))


def prefix(ids: np.ndarray, lengths: np.ndarray) -> Part:
    """The first ``lengths[r]`` entries of row ``r``."""
    return Part(ids, np.arange(ids.shape[1]) < lengths[:, None])


def flatten(ids: np.ndarray, mask: np.ndarray) -> Part:
    """A ``(rows, a, b, ...)`` part seen as ``(rows, a * b * ...)``, entries in C order."""
    rows = ids.shape[0]
    return Part(ids.reshape(rows, -1), mask.reshape(rows, -1))


def pack(parts: list[Part]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate parts row by row: ``(flat_ids, offsets)`` with ``rows + 1`` offsets."""
    ids = np.concatenate([part.ids for part in parts], axis=1)
    mask = np.concatenate([part.mask for part in parts], axis=1)
    offsets = np.zeros(ids.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.count_nonzero(mask, axis=1), out=offsets[1:])
    return ids[mask], offsets


def symbol_ids(symbol_ids_row: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Token ids of sample indices: ``symbol_ids_row`` ``(rows, 68)``, ``indices`` ``(rows, ...)``.

    Negative indices (padding) map to the first symbol; callers mask them out.
    """
    rows, width = symbol_ids_row.shape
    base = (np.arange(rows, dtype=np.int64) * width).reshape((rows,) + (1,) * (indices.ndim - 1))
    return symbol_ids_row.ravel().take(base + np.maximum(indices, 0))
