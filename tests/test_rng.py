"""Keyed streams and sampling helpers."""

from __future__ import annotations

import numpy as np

from lime_datasets.core import rng, symbols


def test_rows_can_be_read_alone() -> None:
    key = rng.stream_key(0, "deduct", "train", 3)
    whole = rng.row_words(key, 0, 10, 16)
    for first in range(10):
        assert np.array_equal(rng.row_words(key, first, 10 - first, 16), whole[first:])


def test_key_depends_on_every_part() -> None:
    base = rng.stream_key(0, "deduct", "train", 0)
    others = [
        rng.stream_key(1, "deduct", "train", 0),
        rng.stream_key(0, "abduct", "train", 0),
        rng.stream_key(0, "deduct", "test", 0),
        rng.stream_key(0, "deduct", "train", 1),
        rng.stream_key(1, "deduct", "train", 1),  # not "seed + block"
    ]
    assert all(not np.array_equal(base, other) for other in others)
    assert not np.array_equal(others[0], rng.stream_key(0, "deduct", "train", 1))


def test_uniform_below_covers_the_range_evenly() -> None:
    words = rng.row_words(rng.stream_key(0, "t", "train", 0), 0, 1, 8 * 20_000)[0]
    values = rng.uniform_below(words, 7)
    counts = np.bincount(values, minlength=7)
    assert values.min() == 0 and values.max() == 6 and len(counts) == 7
    assert np.all(np.abs(counts / len(values) - 1 / 7) < 0.01)
    assert rng.uniform_below(np.array([0, 2**32 - 1], dtype=np.uint32), 5).tolist() == [0, 4]


def test_shuffle_prefixes_permutes_only_the_prefix() -> None:
    values = np.tile(np.arange(6), (4000, 1))
    lengths = np.array([1, 2, 4, 6] * 1000)
    words = rng.row_words(rng.stream_key(0, "t", "train", 0), 0, 4000, 8)[:, :5]
    out = rng.shuffle_prefixes(values, lengths, words)
    for length in (1, 2, 4, 6):
        rows = out[lengths == length]
        assert np.array_equal(np.sort(rows[:, :length], axis=1), values[: len(rows), :length])
        assert np.array_equal(rows[:, length:], values[: len(rows), length:])
    # All 24 orders of a 4-prefix occur, about equally often.
    orders = {tuple(r[:4]) for r in out[lengths == 4]}
    assert len(orders) == 24


def test_symbol_sample_falls_back_when_candidates_run_out() -> None:
    words = rng.row_words(rng.stream_key(0, "t", "train", 0), 0, 50, 72)  # 72 candidates, V=100
    sample = symbols.sample_symbols(words, 100)
    assert sample.shape == (50, 68)
    assert all(len(set(row)) == 68 and row.min() >= 0 and row.max() < 100 for row in sample)
    assert np.array_equal(sample, symbols.sample_symbols(words, 100))
    # Rows that did not run out keep their first 68 distinct candidates in draw order.
    candidates = rng.uniform_below(words, 100)
    for row, drawn in zip(sample, candidates, strict=True):
        distinct = list(dict.fromkeys(drawn.tolist()))
        if len(distinct) >= 68:
            assert row.tolist() == distinct[:68]
        else:
            assert row.tolist()[: len(distinct)] == distinct


def test_candidate_count_grows_as_the_vocabulary_shrinks() -> None:
    counts = [symbols.candidate_count(v) for v in (68, 100, 1000, 100_000)]
    assert counts == sorted(counts, reverse=True)
    assert all(c % 8 == 4 for c in counts)  # 68 + a multiple of 8
