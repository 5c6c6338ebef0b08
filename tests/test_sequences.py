"""Token rows from runs: ``pack`` against a plain Python concatenation of the same runs."""

from __future__ import annotations

import numpy as np
import pytest

from lime_datasets.core import sequences


def _expected(parts: list[sequences.Part]) -> list[list[int]]:
    rows = parts[0].start.shape[0]
    out: list[list[int]] = [[] for _ in range(rows)]
    for part in parts:
        table = part.table.tolist()
        for row in range(rows):
            for begin, length in zip(part.start[row], part.length[row], strict=True):
                out[row] += table[begin : begin + length]
    return out


def _unpack(ids: np.ndarray, offsets: np.ndarray) -> list[list[int]]:
    return [ids[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


@pytest.mark.parametrize("seed", range(20))
def test_pack_concatenates_random_runs_of_several_tables(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 6))
    parts = []
    for _ in range(int(rng.integers(1, 5))):
        width = int(rng.integers(1, 9))
        ids = rng.integers(13, 500, (rows, width)).astype(np.int32)
        count = int(rng.integers(1, 4))
        begin = rng.integers(0, width, (rows, count))
        length = rng.integers(0, width + 1, (rows, count)) * (rng.random((rows, count)) < 0.7)
        length = np.minimum(length, width - begin)
        parts.append(sequences.runs(ids, begin, length))
        parts.append(sequences.token(rows, 8, present=rng.random(rows) < 0.5))
    ids, offsets = sequences.pack(parts)
    assert ids.dtype == sequences.ID_DTYPE
    assert offsets[0] == 0 and len(offsets) == rows + 1
    assert _unpack(ids, offsets) == _expected(parts)


def test_pack_shares_one_table_between_parts_and_keeps_empty_rows() -> None:
    ids = np.arange(100, 112, dtype=np.int32).reshape(3, 4)
    parts = [
        sequences.prefix(ids, np.array([0, 2, 4])),
        sequences.token(3, 7),
        sequences.span(ids, np.array([3, 0, 4]), 4),
    ]
    packed, offsets = sequences.pack(parts)
    assert _unpack(packed, offsets) == [[7, 103], [104, 105, 7, 104, 105, 106, 107],
                                        [108, 109, 110, 111, 7]]
    none = [sequences.prefix(ids, np.zeros(3, dtype=np.intp))]
    packed, offsets = sequences.pack(none)
    assert packed.size == 0 and offsets.tolist() == [0, 0, 0, 0]


def test_in_rows_places_a_part_in_a_range_of_rows_of_a_larger_batch() -> None:
    ids = np.arange(100, 106, dtype=np.int32).reshape(2, 3)
    part = sequences.in_rows(sequences.prefix(ids, np.array([1, 3])), 2, 5)
    assert _expected([part]) == [[], [], [100], [103, 104, 105], []]


def test_reorder_rows_permutes_the_rows_a_part_writes() -> None:
    ids = np.arange(100, 109, dtype=np.int32).reshape(3, 3)
    part = sequences.prefix(ids, np.array([1, 2, 3]))
    reordered = sequences.reorder_rows(part, np.array([2, 0, 1]))
    assert _expected([reordered]) == [[106, 107, 108], [100], [103, 104]]
