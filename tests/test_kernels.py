"""The compiled kernels compute what their numpy references compute, and only they are switched.

The direct comparisons need the extension built (``python setup.py build_ext --inplace`` or an
install); they are skipped where it is not. The switch between the two paths is tested either way.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lime_datasets
from lime_datasets.configs import get_config
from lime_datasets.core import config as config_module
from lime_datasets.core import (
    kernels,
    rewrite,
    rng,
    sequences,
    substitution,
    symbols,
    vocab,
)
from lime_datasets.core.fingerprint import fingerprint_batches
from lime_datasets.core.generate import iter_batches

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden_fingerprints.json"


# The fixture below is the same for every example hypothesis generates.
_FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@pytest.fixture
def native(monkeypatch: pytest.MonkeyPatch):
    """The extension, switched on for this test (even where the environment switched it off)."""
    module = pytest.importorskip("lime_datasets.core._kernels")
    monkeypatch.setattr(kernels, "native", module)
    return module


# ---- the random words


def test_row_words_kernel_carries_into_the_counter_high_word(native) -> None:
    key = np.array([3, 5], dtype=np.uint64)
    out = np.empty(64, dtype=np.uint32)
    native.row_words(3, 5, 2**64 - 3, out)
    expected = np.random.Philox(key=key, counter=2**64 - 3).random_raw(32).astype("<u8")
    assert np.array_equal(out, expected.view("<u4"))


def test_row_words_kernel_refuses_bad_counters_and_buffers(native) -> None:
    with pytest.raises(OverflowError):
        native.row_words(1, 2, -1, np.empty(8, dtype=np.uint32))
    with pytest.raises(OverflowError):
        native.row_words(1, 2**64, 0, np.empty(8, dtype=np.uint32))
    with pytest.raises(ValueError, match="multiple of 8"):
        native.row_words(1, 2, 0, np.empty(12, dtype=np.uint32))
    with pytest.raises(TypeError, match="out"):
        native.row_words(1, 2, 0, np.empty(8, dtype=np.int64))
    with pytest.raises(ValueError, match="C-ordered"):
        rng.row_words(np.zeros(2, dtype=np.uint64), 0, 2, 8, out=np.empty((8, 2), np.uint32).T)


# ---- the symbol draw


def _words(seed: int, rows: int, width: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, (rows, width), dtype=np.uint32)


def test_sample_symbols_kernel_reports_the_rows_that_run_out(native) -> None:
    vocab_size, width = 100, 110  # 68 distinct of 100 values in 110 draws: about half the rows
    words = _words(1, 300, width)
    out = np.full((300, symbols.SYMBOLS_PER_EXAMPLE), -1, dtype=np.int64)
    ran_out = native.sample_symbols(words, vocab_size, out)
    candidates = symbols.uniform_below(words, vocab_size)
    distinct = [list(dict.fromkeys(row.tolist())) for row in candidates]
    assert ran_out == [r for r, d in enumerate(distinct) if len(d) < symbols.SYMBOLS_PER_EXAMPLE]
    assert 0 < len(ran_out) < 300
    for row, kept in zip(out, distinct, strict=True):
        if len(kept) >= symbols.SYMBOLS_PER_EXAMPLE:
            assert row.tolist() == kept[: symbols.SYMBOLS_PER_EXAMPLE]
        else:
            assert row[: len(kept)].tolist() == kept


def test_sample_symbols_kernel_takes_no_rows_and_refuses_bad_buffers(native) -> None:
    out = np.empty((0, 68), dtype=np.int64)
    assert native.sample_symbols(np.empty((0, 92), dtype=np.uint32), 1000, out) == []
    assert symbols.sample_symbols_native(np.empty((0, 92), dtype=np.uint32), 1000).shape == (0, 68)
    words = _words(0, 4, 92)
    with pytest.raises(TypeError, match="words"):
        native.sample_symbols(words.astype(np.int64), 1000, np.empty((4, 68), dtype=np.int64))
    with pytest.raises(TypeError, match="out"):
        native.sample_symbols(words, 1000, np.empty((4, 68), dtype=np.int16))
    with pytest.raises(OverflowError, match="int32"):
        native.sample_symbols(words, 1000, np.empty((4, 68), dtype=np.int32), 2**31 - 999)
    assert native.sample_symbols(words, 1000, np.empty((4, 68), dtype=np.int32), 2**31 - 1000) == []
    with pytest.raises(ValueError, match="rows"):
        native.sample_symbols(words, 1000, np.empty((5, 68), dtype=np.int64))
    with pytest.raises(ValueError, match="vocab_size"):
        native.sample_symbols(words, 0, np.empty((4, 68), dtype=np.int64))


# ---- substitution examples


def test_a_substitution_layout_names_only_parts_of_a_draw() -> None:
    with pytest.raises(ValueError, match="Layout.target parts must be among rule, space"):
        substitution.Layout(("rule",), ("header",))
    with pytest.raises(ValueError, match="Layout.source"):
        substitution.Layout(("case2",), ("rule",))


def test_substitution_rows_kernel_refuses_bad_cases_layouts_and_shapes(native) -> None:
    words, sample_ids = _words(0, 3, substitution.slots(2)), np.zeros((3, 68), dtype=np.int32)
    offsets = [np.empty(4, dtype=np.int64), np.empty(4, dtype=np.int64)]
    source, target = native.substitution_rows(words, sample_ids, 2, b"\0\1\2\4", b"\6", *offsets)
    assert len(source) == 4 * offsets[0][-1] and len(target) == 4 * offsets[1][-1]
    for cases in (0, 3):
        with pytest.raises(ValueError, match="cases"):
            native.substitution_rows(words, sample_ids, cases, b"\0", b"\1", *offsets)
    for layout in (b"\7", b"\4", b"\6", b"\1" * 17):  # no such part; case 1 of one case
        with pytest.raises(ValueError, match="layout"):
            native.substitution_rows(words, sample_ids, 1, b"\0", layout, *offsets)
    with pytest.raises(ValueError, match="columns"):
        native.substitution_rows(words[:, :-1], sample_ids, 2, b"\0", b"\1", *offsets)
    for bad in ((words, sample_ids[:, 1:].copy(), *offsets), (words, sample_ids[1:], *offsets),
                (words, sample_ids, offsets[0][1:], offsets[1])):
        with pytest.raises(ValueError, match="rows"):
            native.substitution_rows(bad[0], bad[1], 1, b"\0", b"\1", *bad[2:])
    with pytest.raises(TypeError, match="words"):
        native.substitution_rows(words.astype(np.int64), sample_ids, 1, b"\0", b"\1", *offsets)
    with pytest.raises(TypeError, match="sample_ids"):
        native.substitution_rows(words, sample_ids.astype(np.int64), 1, b"\0", b"\1", *offsets)


# ---- rewrite examples


def test_rewrite_kernels_refuse_bad_steps_and_shapes(native) -> None:
    sample_ids, offsets = np.zeros((3, 68), dtype=np.int32), np.empty(4, dtype=np.int64)
    words = _words(0, 3, rewrite.START_SLOTS + rewrite.STEP_SLOTS * 5)
    native.multistep_rows(words, sample_ids, 1, 5, False, offsets, offsets.copy())
    for steps in ((0, 5), (3, 2), (1, config_module.MAX_STEPS_LIMIT + 1)):
        with pytest.raises(ValueError, match="steps"):
            native.multistep_rows(words, sample_ids, *steps, False, offsets, offsets.copy())
    with pytest.raises(ValueError, match="columns"):
        native.multistep_rows(words, sample_ids, 1, 6, False, offsets, offsets.copy())
    with pytest.raises(ValueError, match="columns"):
        native.rewrite_rows(words[:, : rewrite.SLOTS - 1], sample_ids, False, offsets,
                            offsets.copy())
    for bad in ((sample_ids[1:], offsets, offsets), (sample_ids, offsets[1:], offsets),
                (np.zeros((3, 67), dtype=np.int32), offsets, offsets)):
        with pytest.raises(ValueError, match="rows"):
            native.rewrite_rows(words, bad[0], True, bad[1], bad[2].copy())
    with pytest.raises(TypeError, match="sample_ids"):
        native.rewrite_rows(words, sample_ids.astype(np.int64), True, offsets, offsets.copy())


# ---- packing runs


@st.composite
def _parts(draw) -> list[sequences.Part]:
    rows = draw(st.integers(0, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["runs", "token", "broadcast", "no runs"]))
        if kind == "token":
            parts.append(sequences.token(rows, int(rng.integers(0, 13)), rng.random(rows) < 0.5))
            continue
        width = int(rng.integers(1, 20))  # short tables too: runs at their very end
        ids = rng.integers(13, 2000, (rows, width)).astype(sequences.ID_DTYPE)
        count = 0 if kind == "no runs" else int(rng.integers(1, 5))
        begin = rng.integers(0, width + 1, (rows, count))
        length = rng.integers(0, width + 1, (rows, count)) * (rng.random((rows, count)) < 0.8)
        length = np.minimum(length, width - begin)
        if kind == "broadcast":  # one length for every row and run: a stride-0 array
            length = np.min(width - begin, initial=width)
        parts.append(sequences.runs(ids, begin, length))
    return parts


def test_pack_reads_no_empty_run_and_refuses_runs_outside_their_table(native) -> None:
    table = np.arange(100, 110, dtype=sequences.ID_DTYPE)
    # An empty run may start anywhere, even past the table; it is never read.
    part = sequences.Part(table, np.array([[10**9], [3]]), np.array([[0], [7]]))
    ids, offsets = sequences.pack_groups_native([([part], None)], 2)
    assert ids.tolist() == list(range(103, 110)) and offsets.tolist() == [0, 0, 7]
    for start, length in ((4, 7), (-1, 2), (10, 1), (2**62, 2), (0, -1)):
        part = sequences.Part(table, np.array([[start]]), np.array([[length]]))
        with pytest.raises(ValueError, match="run"):
            sequences.pack_groups_native([([part], None)], 1)
    two_rows = sequences.token(2, 5)
    with pytest.raises(ValueError, match="rows"):
        sequences.pack_groups_native([([two_rows, sequences.token(3, 5)], None)], 2)
    bad_table = (table.astype(np.int64), *two_rows[1:])
    with pytest.raises(TypeError, match="table"):
        native.pack_groups([([bad_table], None)], np.empty(3, dtype=np.int64))
    with pytest.raises(ValueError, match="place"):  # None places: rows 0, 1 of 1
        native.pack_groups([([tuple(two_rows)], None)], np.empty(2, dtype=np.int64))


@st.composite
def _groups(draw) -> tuple[list[tuple[list[sequences.Part], np.ndarray]], int]:
    """Parts of a few groups, placed in a random order in a batch that has rows of no group."""
    groups = [draw(_parts()) for _ in range(draw(st.integers(0, 4)))]
    counts = [parts[0].start.shape[0] for parts in groups]
    rows = sum(counts) + draw(st.integers(0, 3))
    order = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).permutation(rows)
    ends = np.cumsum(counts, dtype=np.int64)
    places = [np.sort(order[end - count : end]) for count, end in zip(counts, ends, strict=True)]
    if draw(st.booleans()):  # places need not increase
        places = [p[::-1].copy() for p in places]
    return list(zip(groups, places, strict=True)), rows


def test_pack_groups_refuses_a_row_placed_twice_or_outside(native) -> None:
    part = sequences.runs(np.arange(20, dtype=sequences.ID_DTYPE).reshape(2, 10), 0, 9)
    for places in ([0, 0], [0, 2], [-1, 0]):
        with pytest.raises(ValueError, match="place"):
            sequences.pack_groups_native([([part], np.array(places))], 2)
    with pytest.raises(ValueError, match="place"):
        sequences.pack_groups_native([([part], np.array([0, 1])), ([part], np.array([1, 2]))], 3)
    with pytest.raises(ValueError, match="places"):
        sequences.pack_groups_native([([part], np.array([0, 1, 2]))], 3)
    ids, offsets = sequences.pack_groups_native([([part], np.array([2, 0]))], 3)
    assert offsets.tolist() == [0, 9, 9, 18]
    assert ids.tolist() == [*range(10, 19), *range(0, 9)]


# ---- rendering text


@functools.lru_cache(maxsize=4)
def _tokens(vocab_size: int) -> list[str]:
    return vocab.vocab_tokens(vocab_size)


def _expected_texts(ids: np.ndarray, offsets: np.ndarray, vocab_size: int) -> list[str]:
    tokens = _tokens(vocab_size)
    rows = zip(offsets[:-1], offsets[1:], strict=True)
    return [" ".join(tokens[i] for i in ids[a:b]) for a, b in rows]


@settings(max_examples=60, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(0, 30),
    vocab_size=st.sampled_from([68, 1000, 100_000, 1_000_000]),
    empty_rows=st.booleans(),
)
def test_render_equals_numpy(
    native, seed: int, rows: int, vocab_size: int, empty_rows: bool
) -> None:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0 if empty_rows else 1, 40, rows)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n_tokens = vocab.SYMBOL_OFFSET + vocab_size
    ids = rng.integers(0, n_tokens, offsets[-1]).astype(np.int32)
    ids[: min(len(ids), 3)] = [n_tokens - 1, 0, vocab.ARROW][: min(len(ids), 3)]  # the ends
    texts = vocab.render_native(ids, offsets, vocab_size)
    texts.validate(full=True)
    assert texts.to_pylist() == _expected_texts(ids, offsets, vocab_size)
    if not empty_rows:  # the numpy reference requires non-empty rows
        assert texts.equals(vocab.render_numpy(ids, offsets, vocab_size))


def test_render_refuses_ids_outside_the_vocabulary_and_bad_offsets(native) -> None:
    ids = np.array([13, 14, 1013], dtype=np.int32)
    with pytest.raises(ValueError, match="token id"):
        vocab.render_native(ids, np.array([0, 3]), 1000)
    with pytest.raises(ValueError, match="token id"):
        vocab.render_native(ids - 14, np.array([0, 3]), 1000)
    with pytest.raises(ValueError, match="decrease"):
        vocab.render_native(ids, np.array([0, 2, 1, 2]), 1000)
    with pytest.raises(ValueError, match="within"):
        vocab.render_native(ids, np.array([0, 4]), 1000)
    entries, widths = vocab._token_entries(1000)
    text = np.empty(64, dtype=np.uint8)
    with pytest.raises(ValueError, match="width"):
        native.render(ids, np.array([0, 1]), entries, b"\x09" * len(widths),
                      np.empty(2, dtype=np.int32), text)
    with pytest.raises(ValueError, match="text must hold"):
        native.render(ids, np.array([0, 3]), entries, widths, np.empty(2, dtype=np.int32),
                      text[:31])


def test_render_refuses_texts_beyond_int32_offsets(native) -> None:
    # 2**28 + 1 tokens of 8 bytes: over 2**31 bytes. The ids are never written: no memory used.
    ids = np.zeros(2**28 + 1, dtype=np.int32)
    text_offsets = np.empty(2, dtype=np.int32)
    text = np.empty(8 * 1000 + 8, dtype=np.uint8)
    with pytest.raises(OverflowError, match="2\\*\\*31 - 1"):
        native.render(ids, np.array([0, len(ids)]), b"abcdefg ", b"\x08", text_offsets, text)
    size = native.render(ids[:1000], np.array([0, 1000]), b"abcdefg ", b"\x08", text_offsets,
                         text)
    assert size == 8 * 1000 - 1 and text_offsets.tolist() == [0, size]
    assert bytes(text[:size]) == b"abcdefg " * 999 + b"abcdefg"



# ---- every kernel against its numpy reference, as declared in ``kernels.KERNELS``


@st.composite
def _row_words_arguments(draw) -> tuple:
    key = np.array(draw(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))),
                   dtype=np.uint64)
    slots = draw(st.sampled_from([8, 16, 48, 200]))
    first_row = draw(st.integers(0, 10**6))
    if draw(st.booleans()):  # the first counter below 2**64, later rows' counters carry past it
        first_row = 2**67 // slots - 1 - first_row % 40
    return key, first_row, draw(st.integers(0, 30)), slots


@st.composite
def _sample_symbols_arguments(draw) -> tuple:
    rows, width = draw(st.integers(0, 40)), draw(st.integers(1, 200))
    # Up to past the size where the kernel marks the values seen in a bit, not a byte, each.
    vocab_size = draw(st.sampled_from([68, 69, 100, 1000, 100_000, 1_000_000, 2**22, 2**22 + 1,
                                       2**23]) | st.integers(68, 5000))
    # Columns 3.. of a wider matrix: strided rows, as generate passes them.
    words = _words(draw(st.integers(0, 2**32 - 1)), rows, width + 3)[:, 3:]
    if draw(st.booleans()):  # as generate asks: token ids of the package's id type
        return words, vocab_size, vocab.SYMBOL_OFFSET, sequences.ID_DTYPE
    return words, vocab_size


@st.composite
def _pack_groups_arguments(draw) -> tuple:
    if draw(st.booleans()):  # one group of every row, in order: what ``pack`` asks
        parts = draw(_parts())
        return [(parts, None)], parts[0].start.shape[0]
    return draw(_groups())


@st.composite
def _render_arguments(draw) -> tuple:
    generator = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = draw(st.integers(0, 30))
    vocab_size = draw(st.sampled_from([68, 1000, 100_000, 1_000_000]))
    lengths = generator.integers(1, 40, rows)  # the numpy reference requires non-empty rows
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n_tokens = vocab.SYMBOL_OFFSET + vocab_size
    ids = generator.integers(0, n_tokens, offsets[-1]).astype(np.int32)
    ids[: min(len(ids), 3)] = [n_tokens - 1, 0, vocab.ARROW][: min(len(ids), 3)]  # the ends
    return ids, offsets, vocab_size


@st.composite
def _substitution_rows_arguments(draw) -> tuple:
    seed = draw(st.integers(0, 2**32 - 1))
    rows, cases = draw(st.integers(0, 30)), draw(st.sampled_from([1, 2]))
    # The words after a symbol draw: columns of a wider matrix, as generate passes them.
    words = _words(seed, rows, 5 + substitution.slots(cases) + draw(st.integers(0, 9)))[:, 5:]
    sample_ids = np.random.default_rng(seed).integers(13, 10**6, (rows, 68)).astype(np.int32)
    names = ["rule", "space", *(f"{part}{c}" for part in ("case", "result") for c in range(cases))]
    parts = st.lists(st.sampled_from(names), min_size=1, max_size=6).map(tuple)
    layout = substitution.Layout(draw(st.lists(st.sampled_from(names), max_size=6).map(tuple)),
                                 draw(parts))
    return words, sample_ids, cases, layout


@st.composite
def _rewrite_rows_arguments(draw) -> tuple:
    seed = draw(st.integers(0, 2**32 - 1))
    rows = draw(st.integers(0, 30))
    words = _words(seed, rows, 3 + rewrite.SLOTS + draw(st.integers(0, 9)))[:, 3:]
    sample_ids = np.random.default_rng(seed).integers(13, 10**6, (rows, 68)).astype(np.int32)
    return words, sample_ids, draw(st.booleans())


@st.composite
def _multistep_rows_arguments(draw) -> tuple:
    seed = draw(st.integers(0, 2**32 - 1))
    rows = draw(st.integers(0, 20))
    # Up to the limit of steps, where strings grow longest.
    max_steps = draw(st.sampled_from([1, 2, 5, 12]) | st.just(config_module.MAX_STEPS_LIMIT))
    min_steps = draw(st.integers(1, max_steps))
    width = rewrite.START_SLOTS + rewrite.STEP_SLOTS * max_steps + draw(st.integers(0, 9))
    words = _words(seed, rows, 3 + width)[:, 3:]
    sample_ids = np.random.default_rng(seed).integers(13, 10**6, (rows, 68)).astype(np.int32)
    return words, sample_ids, min_steps, max_steps, draw(st.booleans())


# Arguments for each kernel, in the shapes and strides its callers pass.
ARGUMENTS = {
    "row_words": _row_words_arguments(),
    "sample_symbols": _sample_symbols_arguments(),
    "pack_groups": _pack_groups_arguments(),
    "render": _render_arguments(),
    "substitution_rows": _substitution_rows_arguments(),
    "rewrite_rows": _rewrite_rows_arguments(),
    "multistep_rows": _multistep_rows_arguments(),
}


def _assert_same(got, expected) -> None:
    """Equal values, types, dtypes and shapes (tuples item by item)."""
    assert type(got) is type(expected)
    if isinstance(expected, tuple):
        assert len(got) == len(expected)
        for got_item, expected_item in zip(got, expected, strict=True):
            _assert_same(got_item, expected_item)
    elif isinstance(expected, pa.Array):
        got.validate(full=True)
        assert got.equals(expected)
    else:
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got, expected)


def test_every_kernel_is_declared_once_and_tested() -> None:
    assert set(ARGUMENTS) == set(kernels.FUNCTIONS)
    assert len(set(kernels.FUNCTIONS)) == len(kernels.KERNELS)
    for kernel in kernels.KERNELS:
        module = importlib.import_module(f"lime_datasets.core.{kernel.module}")
        assert callable(getattr(module, kernel.name))  # the dispatcher
        assert kernels.pair(kernel.name) == (
            getattr(module, f"{kernel.name}_native"), getattr(module, f"{kernel.name}_numpy"))
    with pytest.raises(ValueError, match="kernel"):
        kernels.pair("no_such_kernel")


def test_the_compiled_functions_are_the_declared_ones(native) -> None:
    compiled = {name for name in dir(native) if callable(getattr(native, name))
                and not name.startswith("_")}
    assert compiled == set(kernels.FUNCTIONS)


@pytest.mark.parametrize("kernel", kernels.KERNELS, ids=lambda kernel: kernel.name)
def test_kernel_equals_its_numpy_reference(native, kernel: kernels.Kernel) -> None:
    native_function, numpy_function = kernels.pair(kernel.name)
    dispatcher = getattr(importlib.import_module(f"lime_datasets.core.{kernel.module}"),
                         kernel.name)

    @settings(max_examples=100, deadline=None)
    @given(arguments=ARGUMENTS[kernel.name])
    def same_as_numpy(arguments: tuple) -> None:
        expected = numpy_function(*arguments)
        for got in (native_function(*arguments), dispatcher(*arguments)):
            _assert_same(got, expected)

    same_as_numpy()


@settings(max_examples=20, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(key=st.integers(0, 2**64 - 1), past=st.integers(0, 10**6), slots=st.sampled_from([8, 200]))
def test_row_words_past_the_kernels_counters_runs_numpy(
    native, key: int, past: int, slots: int
) -> None:
    key_array = np.array([key, key // 3], dtype=np.uint64)
    first_row = -(-(2**67) // slots) + past  # the first counter is 2**64 or more
    assert np.array_equal(rng.row_words(key_array, first_row, 3, slots),
                          rng.row_words_numpy(key_array, first_row, 3, slots))


@settings(max_examples=20, deadline=None)
@given(arguments=_row_words_arguments())
def test_row_words_fills_only_its_out_rows(arguments: tuple) -> None:
    key, first_row, n_rows, slots = arguments
    out = np.full((n_rows + 2, slots), 7, dtype=np.uint32)
    rng.row_words(key, first_row, n_rows, slots, out=out[1 : n_rows + 1])
    assert np.array_equal(out[1 : n_rows + 1], rng.row_words_numpy(*arguments))
    assert (out[[0, -1]] == 7).all()  # nothing written outside ``out``


# ---- alignment


def _unaligned(values, dtype) -> np.ndarray:
    """``values`` in an array of ``dtype`` one byte past an aligned address (C-ordered)."""
    values = np.asarray(values, dtype=dtype)
    raw = np.zeros(values.nbytes + 1, dtype=np.uint8)
    out = raw[1:].view(dtype).reshape(values.shape)
    out[...] = values
    assert not out.flags.aligned
    return out


def test_kernels_refuse_unaligned_buffers_and_the_callers_align_them(native) -> None:
    # The kernels read and write C-ordered buffers through typed pointers.
    with pytest.raises(ValueError, match="aligned"):
        native.row_words(1, 2, 3, _unaligned(np.zeros(8), np.uint32))
    with pytest.raises(ValueError, match="aligned"):
        native.render(np.zeros(1, dtype=np.int32), _unaligned([0, 1], np.int64), b"a " * 4,
                      b"\x02", np.empty(2, dtype=np.int32), np.empty(16, dtype=np.uint8))
    table = _unaligned(np.arange(10), np.int32)
    part = (table, np.zeros((2, 1), dtype=np.int64), np.ones((2, 1), dtype=np.int64))
    with pytest.raises(ValueError, match="aligned"):
        native.pack_groups([([part], None)], np.empty(3, dtype=np.int64))
    # The callers pass aligned copies, or run numpy, and compute what numpy computes.
    key = np.array([1, 2], dtype=np.uint64)
    out = _unaligned(np.zeros((3, 8)), np.uint32)
    assert np.array_equal(rng.row_words(key, 5, 3, 8, out=out), rng.row_words_numpy(key, 5, 3, 8))
    ids, offsets = _unaligned([13, 14, 15], np.int32), _unaligned([0, 2, 3], np.int64)
    assert vocab.render_native(ids, offsets, 68).equals(vocab.render_numpy(ids, offsets, 68))
    parts = [sequences.Part(table, part[1], part[2])]
    places = _unaligned([1, 0], np.int64)
    for got, expected in zip(sequences.pack_groups_native([(parts, places)], 2),
                             sequences.pack_groups_numpy([(parts, places)], 2), strict=True):
        assert np.array_equal(got, expected)


# ---- whole examples


@pytest.mark.parametrize("name", sorted(lime_datasets.CONFIGS))
def test_same_bytes_with_and_without_the_kernel(
    name: str, native, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = get_config(name, num_train=2_000_000)
    start, stop = 999_000, 1_009_500  # across a block boundary, rows not multiple of a batch

    def fingerprint() -> str:
        return fingerprint_batches(iter_batches(config, "train", start, stop))

    with_kernel = fingerprint()
    monkeypatch.setattr(kernels, "native", None)
    assert fingerprint() == with_kernel


def _run(code: str, **env: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


# Counts the calls of the numpy functions while a few rows of every config are generated.
_COUNT_NUMPY_CALLS = """
import collections, importlib, json
import lime_datasets
from lime_datasets.core import kernels
calls = collections.Counter()
for kernel in kernels.KERNELS:
    module = importlib.import_module("lime_datasets.core." + kernel.module)
    name = kernel.name + "_numpy"
    def counted(*args, _f=getattr(module, name), _name=name):
        calls[_name] += 1
        return _f(*args)
    setattr(module, name, counted)
golden = json.load(open({golden!r}))
fingerprints = {{n: lime_datasets.fingerprint(n, s, **golden["sizes"])
                for n, splits in golden["fingerprints"].items() for s in splits}}
print(json.dumps({{"native": kernels.native is not None, "calls": calls,
                  "same": fingerprints == {{n: f for n, splits in golden["fingerprints"].items()
                                           for s, f in splits.items()}}}}))
"""


def test_the_environment_variable_switches_to_numpy() -> None:
    code = _COUNT_NUMPY_CALLS.format(golden=str(GOLDEN))
    result = _run(code, **{kernels.PURE_PYTHON_VARIABLE: "1"})
    assert result["native"] is False
    assert set(result["calls"]) == {f"{name}_numpy" for name in kernels.FUNCTIONS}
    assert result["same"], "the numpy path does not give the golden fingerprints"


def test_the_kernel_runs_where_it_is_built() -> None:
    pytest.importorskip("lime_datasets.core._kernels")
    code = _COUNT_NUMPY_CALLS.format(golden=str(GOLDEN))
    result = _run(code, **{kernels.PURE_PYTHON_VARIABLE: "0"})
    assert result["native"] is True
    # Only the rare rows that run out of candidates finish in numpy (in ``_sample_chunk``).
    assert result["calls"] == {}
    assert result["same"], "the kernel does not give the golden fingerprints"


def test_an_extension_missing_a_function_is_not_used(native) -> None:
    assert kernels.complete(native) is native
    stale = SimpleNamespace(**{name: getattr(native, name) for name in kernels.FUNCTIONS[1:]})
    with pytest.warns(RuntimeWarning, match=kernels.FUNCTIONS[0]):
        assert kernels.complete(stale) is None
