"""Keyed random streams and the raw-bit sampling helpers every generator uses.

The contract (stable across numpy releases):

* Each block of a split has its own Philox-4x64 stream. Its 128-bit key is the first 16 bytes of
  ``sha256`` over a canonical JSON encoding of the whole key tuple
  ``("lime", seed, config_name, split, block)``; keys are never derived by adding integers.
* Example ``r`` of a block owns the 32-bit words ``[r * S, (r + 1) * S)`` of that stream, where
  ``S``
  (slots per row, a multiple of 8) depends only on the config's tasks and parameters. The 64-bit raw
  outputs are read little-end first, so word ``2i`` is the low half of raw output ``i``. Any row can
  therefore be generated alone, by setting the Philox counter, with no other row computed.
* A uniform integer in ``[0, n)`` is ``(u * n) >> 32`` for a 32-bit word ``u`` (bias below
  ``n / 2**32``, under 3e-7 for the ranges used here). We never call ``Generator.integers``,
  ``choice`` or ``shuffle``, whose algorithms numpy may change.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from . import kernels

WORDS_PER_COUNTER = 8  # one Philox-4x64 counter step yields four 64-bit = eight 32-bit words


def stream_key(seed: int, config_name: str, split: str, block: int) -> np.ndarray:
    """The 128-bit Philox key of one block, as two uint64."""
    encoded = json.dumps(["lime", seed, config_name, split, block], separators=(",", ":"))
    digest = hashlib.sha256(encoded.encode("utf-8")).digest()
    return np.frombuffer(digest[:16], dtype="<u8").astype(np.uint64)


def row_words(
    key: np.ndarray,
    first_row: int,
    n_rows: int,
    slots_per_row: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The 32-bit words of rows ``first_row .. first_row + n_rows - 1`` of one block's stream.

    Returns a ``(n_rows, slots_per_row)`` uint32 array: ``out`` (C-ordered) where given. Runs the
    compiled kernel where there is one (``kernels``), ``row_words_numpy`` otherwise.
    """
    if slots_per_row % WORDS_PER_COUNTER:
        raise ValueError(f"slots_per_row must be a multiple of {WORDS_PER_COUNTER}")
    if out is None:
        out = np.empty((n_rows, slots_per_row), dtype=np.uint32)
    elif out.shape != (n_rows, slots_per_row) or out.dtype != np.uint32:
        raise ValueError(f"out must be a ({n_rows}, {slots_per_row}) uint32 array")
    elif not out.flags.c_contiguous:
        raise ValueError("out must be C-ordered")
    usable = first_row * slots_per_row // WORDS_PER_COUNTER < 2**64 and out.flags.aligned
    return kernels.choose("row_words", usable)(key, first_row, n_rows, slots_per_row, out)


def row_words_native(
    key: np.ndarray, first_row: int, n_rows: int, slots_per_row: int, out: np.ndarray | None = None
) -> np.ndarray:
    """``row_words`` by the compiled kernel (counters below 2**64; ``out`` C-ordered, aligned)."""
    if out is None:
        out = np.empty((n_rows, slots_per_row), dtype=np.uint32)
    counter = first_row * slots_per_row // WORDS_PER_COUNTER
    kernels.native.row_words(int(key[0]), int(key[1]), int(counter), out.reshape(-1))
    return out


def row_words_numpy(
    key: np.ndarray, first_row: int, n_rows: int, slots_per_row: int, out: np.ndarray | None = None
) -> np.ndarray:
    """``row_words`` by numpy's Philox."""
    counter = first_row * slots_per_row // WORDS_PER_COUNTER
    bit_generator = np.random.Philox(key=key, counter=counter)
    raw = bit_generator.random_raw(n_rows * slots_per_row // 2).astype("<u8", copy=False)
    words = raw.view("<u4").astype(np.uint32, copy=False).reshape(n_rows, slots_per_row)
    if out is None:
        return words
    out[...] = words
    return out


def uniform_below(words: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Map uint32 words to uniform integers in ``[0, n)`` (``n`` broadcasts), as int64."""
    product = words.astype(np.uint64) * np.asarray(n, dtype=np.uint64)
    product >>= np.uint64(32)
    return product.view(np.int64)  # below 2**32: the same bits


def uniform_between(words: np.ndarray, low: int, high: int) -> np.ndarray:
    """Uniform integers in ``[low, high]`` inclusive (the spec's ``U{low..high}``)."""
    return low + uniform_below(words, high - low + 1)


class SlotReader:
    """Hands out consecutive columns of a row-words matrix, so each draw has a fixed place."""

    def __init__(self, words: np.ndarray, start: int = 0) -> None:
        self._words = words
        self._next = start

    def take(self, count: int) -> np.ndarray:
        """The next ``count`` columns, shape ``(rows, count)``."""
        end = self._next + count
        if end > self._words.shape[1]:
            raise RuntimeError(
                f"slot budget exceeded: need column {end}, have {self._words.shape[1]}"
            )
        columns = self._words[:, self._next : end]
        self._next = end
        return columns

    def take_one(self) -> np.ndarray:
        """The next column, shape ``(rows,)``."""
        return self.take(1)[:, 0]

    @property
    def used(self) -> int:
        return self._next


def shuffle_prefixes(values: np.ndarray, lengths: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Fisher-Yates shuffle of the first ``lengths[r]`` entries of each row of ``values``.

    ``words`` has ``values.shape[1] - 1`` columns; column ``c`` drives the swap at position
    ``t = width - 1 - c`` (from the end down to 1), ``j = U[0, t]``. Rows shorter than ``t + 1``
    skip that step (``j = t``), so each row is an exact uniform permutation of its prefix and the
    padding stays in place. Returns a new C-ordered array. It runs on the transpose, so a
    ``values`` that is the transpose of a C-ordered array is the cheapest to pass.
    """
    rows, width = values.shape
    # Work on transposes, where a position of every row is one contiguous line, and address
    # ``out[j, r]`` as ``j * rows + r``.
    t = np.arange(width - 1, 0, -1)[:, None]  # the position each line of ``words.T`` swaps
    flat_j = np.where(t < lengths, uniform_below(np.ascontiguousarray(words.T), t + 1), t)
    flat_j *= rows
    flat_j += np.arange(rows)
    out = values.T.copy()  # C order: one contiguous line per position
    flat = out.reshape(-1)
    for line, position in enumerate(t[:, 0]):
        at_t = out[position].copy()
        out[position] = flat.take(flat_j[line])
        flat[flat_j[line]] = at_t
    return np.ascontiguousarray(out.T)
