"""Per-example draw of the 68 distinct symbols (24 rule, 24 string, 20 math), in draw order.

An ordered sample without replacement is drawn by sequential rejection: take uniform draws from
``0 .. V-1`` and keep each value the first time it appears, until 68 are kept. Each row reads a
fixed
number of candidate words (``candidate_count(V)``, chosen so that running out is vanishingly rare);
a row that does run out continues the same procedure with words from a Philox stream keyed by the
sha256 of its own candidate words, so the result stays a pure function of the row's words.

``sample_symbols`` and ``sample_symbol_ids`` run the compiled kernel where there is one
(``kernels``), and the numpy code of ``sample_symbols_numpy``, its reference, otherwise.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from . import kernels
from .rng import uniform_below
from .sequences import ID_DTYPE

RULE_SYMBOLS = 24
STRING_SYMBOLS = 24
MATH_SYMBOLS = 20
SYMBOLS_PER_EXAMPLE = RULE_SYMBOLS + STRING_SYMBOLS + MATH_SYMBOLS  # 68

# Index ranges inside a row of the sample.
RULE_START = 0
STRING_START = RULE_SYMBOLS
MATH_START = RULE_SYMBOLS + STRING_SYMBOLS

_SCRATCH_ENTRIES = 1 << 19  # rows x V per pass: keeps the first-seen table in cache


def candidate_count(vocab_size: int) -> int:
    """Candidate words a row reads: 68 plus eight standard deviations of the expected repeats.

    Computed with IEEE double arithmetic in a fixed order, so it is the same on every platform.
    """
    mean = 0.0
    variance = 0.0
    for kept in range(SYMBOLS_PER_EXAMPLE):
        miss = kept / vocab_size
        mean += miss / (1.0 - miss)
        variance += miss / (1.0 - miss) ** 2
    extra = math.ceil(mean + 8.0 * math.sqrt(variance) + 8.0)
    return SYMBOLS_PER_EXAMPLE + 8 * math.ceil(extra / 8)


def sample_symbols(
    words: np.ndarray, vocab_size: int, first_id: int = 0, dtype: type = np.int64
) -> np.ndarray:
    """Distinct symbols per row, in draw order: ``(rows, 68)`` from ``(rows, M)`` uint32 words,
    each plus ``first_id``, as ``dtype`` (int32 or int64)."""
    return kernels.choose("sample_symbols")(words, vocab_size, first_id, dtype)


def sample_symbol_ids(words: np.ndarray, vocab_size: int, first_id: int) -> np.ndarray:
    """The token ids (``ID_DTYPE``) ``first_id + s`` of the symbols ``s`` of ``sample_symbols``."""
    return sample_symbols(words, vocab_size, first_id, ID_DTYPE)


def sample_symbols_native(
    words: np.ndarray, vocab_size: int, first_id: int = 0, dtype: type = np.int64
) -> np.ndarray:
    """``first_id + sample_symbols(words, vocab_size)`` as ``dtype`` (int32 or int64), by the
    compiled kernel; the rows that run out of candidates finish in numpy."""
    out = np.empty((words.shape[0], SYMBOLS_PER_EXAMPLE), dtype=dtype)
    ran_out = kernels.native.sample_symbols(words, vocab_size, out, first_id)
    if ran_out:
        out[ran_out] = first_id + _sample_chunk(words[ran_out], vocab_size)
    return out


def sample_symbols_numpy(
    words: np.ndarray, vocab_size: int, first_id: int = 0, dtype: type = np.int64
) -> np.ndarray:
    """``first_id + sample_symbols(words, vocab_size)`` as ``dtype``, in numpy."""
    rows = words.shape[0]
    out = np.empty((rows, SYMBOLS_PER_EXAMPLE), dtype=np.int64)
    step = max(1, _SCRATCH_ENTRIES // vocab_size)
    for begin in range(0, rows, step):
        end = min(rows, begin + step)
        out[begin:end] = _sample_chunk(words[begin:end], vocab_size)
    if first_id:
        out += first_id
    return out.astype(dtype, copy=False)


def _sample_chunk(words: np.ndarray, vocab_size: int) -> np.ndarray:
    rows, width = words.shape
    candidates = uniform_below(words, vocab_size)
    flat = (np.arange(rows, dtype=np.int64) * vocab_size)[:, None] + candidates
    position_type = np.uint8 if width < 256 else np.uint16  # the table is memset for every pass
    first_seen = np.full(rows * vocab_size, width, dtype=position_type)
    positions = np.broadcast_to(np.arange(width, dtype=position_type), (rows, width))
    np.minimum.at(first_seen, flat.ravel(), positions.ravel())
    is_first = first_seen.take(flat) == positions
    counts = np.count_nonzero(is_first, axis=1)
    firsts = candidates[is_first]  # every row's distinct candidates in draw order, row after row
    row_begin = np.cumsum(counts) - counts
    complete = counts >= SYMBOLS_PER_EXAMPLE
    if complete.all():
        return firsts.take(row_begin[:, None] + np.arange(SYMBOLS_PER_EXAMPLE))
    out = np.empty((rows, SYMBOLS_PER_EXAMPLE), dtype=np.int64)
    out[complete] = firsts[row_begin[complete, None] + np.arange(SYMBOLS_PER_EXAMPLE)]
    for row in np.flatnonzero(~complete):
        out[row] = _finish_row(words[row], candidates[row][is_first[row]], vocab_size)
    return out


def _finish_row(row_words: np.ndarray, kept: np.ndarray, vocab_size: int) -> np.ndarray:
    """Continue sequential rejection for one row that ran out of candidate words."""
    digest = hashlib.sha256(row_words.astype("<u4").tobytes()).digest()
    key = np.frombuffer(digest[:16], dtype="<u8").astype(np.uint64)
    bit_generator = np.random.Philox(key=key)
    chosen = [int(v) for v in kept]
    seen = set(chosen)
    while len(chosen) < SYMBOLS_PER_EXAMPLE:
        more = bit_generator.random_raw(64).astype("<u8").view("<u4").astype(np.uint32)
        for value in uniform_below(more, vocab_size):
            value = int(value)
            if value not in seen:
                seen.add(value)
                chosen.append(value)
                if len(chosen) == SYMBOLS_PER_EXAMPLE:
                    break
    return np.asarray(chosen, dtype=np.int64)
