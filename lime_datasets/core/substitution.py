"""Family 1 of the spec: the substitution tasks (deduct, abduct, induct and the induct variants).

One draw per example, shared by every task of the family (so all of them read the same slots):

1. ``k ~ U{3..5}``, ``n_math ~ U{5..19}``;
2. ``2k`` pattern characters drawn from the first ``k`` rule symbols;
3. the rule: the pattern characters and ``n_math`` math-symbol draws, shuffled (length 11..29);
4. a case: for each of the first ``k`` rule symbols, ``U{2..8}`` draws from the 44 string and math
   symbols (only the entries of used rule symbols are shown); the tasks with two results
   (``induct_v3``, ``induct_v2_double``) draw a second, independent case from the next words;
5. the result of a case: the rule with every rule symbol replaced by its value.

Entries of a rule are indices into the example's 68-symbol sample (``0..23`` rule symbols,
``48..67`` math symbols); ``-1`` pads.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from . import kernels, vocab
from .rng import SlotReader, shuffle_prefixes, uniform_below, uniform_between
from .sequences import (
    ID_DTYPE,
    PackedRows,
    Part,
    pack,
    packed_rows,
    prefix,
    runs,
    span,
    symbol_ids,
    token,
)
from .symbols import MATH_START, MATH_SYMBOLS, STRING_START, SYMBOLS_PER_EXAMPLE

MIN_RULE_SYMBOLS, MAX_RULE_SYMBOLS = 3, 5  # k
MAX_PATTERN_CHARS = 2 * MAX_RULE_SYMBOLS
MIN_MATH_DRAWS, MAX_MATH_DRAWS = 5, 19  # n_math
MAX_RULE_LENGTH = MAX_PATTERN_CHARS + MAX_MATH_DRAWS  # 29
MIN_VALUE_LENGTH, MAX_VALUE_LENGTH = 2, 8
VALUE_ALPHABET = 44  # the 24 string and 20 math symbols, sample indices 24..67

RULE_SLOTS = 2 + MAX_PATTERN_CHARS + MAX_MATH_DRAWS + (MAX_RULE_LENGTH - 1)
CASE_SLOTS = MAX_RULE_SYMBOLS * (1 + MAX_VALUE_LENGTH)

_ENTRY_WIDTH = 3 + MAX_VALUE_LENGTH + 2  # A : [ values ] ,
# Per entry of a case, where its runs begin: ``A : [``, the values, ``] ,``.
_ENTRY_RUN_BEGINS = (
    np.arange(MAX_RULE_SYMBOLS)[:, None] * _ENTRY_WIDTH + np.array([0, 3, 3 + MAX_VALUE_LENGTH])
).reshape(-1)


def slots(case_count: int) -> int:
    """Words one example reads after the symbol draw: the rule, then ``case_count`` cases."""
    return RULE_SLOTS + case_count * CASE_SLOTS


class SubstitutionDraw:
    """The random choices of one batch of substitution examples, and their rendered parts."""

    def __init__(self, reader: SlotReader, sample_ids: np.ndarray, case_count: int) -> None:
        rows = sample_ids.shape[0]
        self.rows = rows
        self.sample_ids = sample_ids
        k = uniform_between(reader.take_one(), MIN_RULE_SYMBOLS, MAX_RULE_SYMBOLS)
        n_math = uniform_between(reader.take_one(), MIN_MATH_DRAWS, MAX_MATH_DRAWS)
        chars = uniform_below(reader.take(MAX_PATTERN_CHARS), k[:, None])
        maths = MATH_START + uniform_below(reader.take(MAX_MATH_DRAWS), MATH_SYMBOLS)

        n_chars = 2 * k
        length = n_chars + n_math
        unshuffled = join_prefixes(chars, n_chars, maths, n_math, MAX_RULE_LENGTH)
        self.rule = shuffle_prefixes(unshuffled, length, reader.take(MAX_RULE_LENGTH - 1))
        self.rule_length = length
        self.rule_ids = symbol_ids(sample_ids, self.rule)

        char_valid = np.arange(MAX_PATTERN_CHARS) < n_chars[:, None]
        used_bits = np.bitwise_or.reduce(np.where(char_valid, 1 << chars, 0), axis=1)
        self.used = (used_bits[:, None] >> np.arange(MAX_RULE_SYMBOLS)) & 1
        self.cases = [self._draw_case(reader) for _ in range(case_count)]

    def _draw_case(self, reader: SlotReader) -> tuple[np.ndarray, np.ndarray]:
        """A case's value lengths ``(rows, 5)`` and value token ids ``(rows, 5, 8)``."""
        lengths = uniform_between(reader.take(MAX_RULE_SYMBOLS), MIN_VALUE_LENGTH, MAX_VALUE_LENGTH)
        values = uniform_below(reader.take(MAX_RULE_SYMBOLS * MAX_VALUE_LENGTH), VALUE_ALPHABET)
        # Value v of a row is its sample index STRING_START + v: an index into the flat sample ids.
        values += np.arange(STRING_START, self.sample_ids.size, SYMBOLS_PER_EXAMPLE)[:, None]
        value_ids = self.sample_ids.ravel().take(values)
        return lengths, value_ids.reshape(self.rows, MAX_RULE_SYMBOLS, MAX_VALUE_LENGTH)

    def header(self) -> list[Part]:
        """``<UPPER> used rule symbols <LOWER> 24 string <MATH> 20 math <space>``."""
        rows, ids = self.rows, self.sample_ids
        return [
            token(rows, vocab.UPPER),
            runs(ids, np.arange(MAX_RULE_SYMBOLS), self.used),
            token(rows, vocab.LOWER),
            span(ids, STRING_START, MATH_START),
            token(rows, vocab.MATH),
            span(ids, MATH_START, SYMBOLS_PER_EXAMPLE),
            token(rows, vocab.SPACE),
        ]

    def rule_part(self) -> Part:
        return prefix(self.rule_ids, self.rule_length)

    @functools.cached_property
    def _case_runs(self) -> tuple[np.ndarray, np.ndarray]:
        """What every case shares: ``(table, length)``.

        ``table`` lays out each entry of each case as ``A : [ v1 .. v8 ] ,`` (case after case in
        a row); ``length`` ``(rows, 5, 3)`` holds the lengths of the three runs written of an
        entry, ``A : [``, the values and ``] ,`` (``]`` alone after the last used symbol), with
        the values' left 0.
        """
        rows = self.rows
        entry_ids = np.empty(
            (rows, len(self.cases), MAX_RULE_SYMBOLS, _ENTRY_WIDTH), dtype=ID_DTYPE
        )
        entry_ids[..., 0] = self.sample_ids[:, None, :MAX_RULE_SYMBOLS]
        entry_ids[..., 1] = vocab.COLON
        entry_ids[..., 2] = vocab.OPEN
        for which, (_, value_ids) in enumerate(self.cases):
            entry_ids[:, which, :, 3 : 3 + MAX_VALUE_LENGTH] = value_ids
        entry_ids[..., -2] = vocab.CLOSE
        entry_ids[..., -1] = vocab.COMMA
        used = self.used
        last_used = MAX_RULE_SYMBOLS - 1 - np.argmax(used[:, ::-1], axis=1)
        length = np.zeros((rows, MAX_RULE_SYMBOLS, 3), dtype=np.intp)
        length[:, :, 0] = 3 * used
        length[:, :, 2] = used * (1 + (np.arange(MAX_RULE_SYMBOLS) < last_used[:, None]))
        return entry_ids.reshape(rows, len(self.cases) * MAX_RULE_SYMBOLS * _ENTRY_WIDTH), length

    def case_part(self, which: int) -> Part:
        """``A : [ v v ] , B : [ v v v ]`` over the used rule symbols, in header order."""
        table, shared_length = self._case_runs
        length = shared_length.copy()
        length[:, :, 1] = self.used * self.cases[which][0]
        begin = which * MAX_RULE_SYMBOLS * _ENTRY_WIDTH + _ENTRY_RUN_BEGINS
        return runs(table, begin, length.reshape(self.rows, 3 * MAX_RULE_SYMBOLS))

    @functools.cached_property
    def _result_table(self) -> np.ndarray:
        """The value ids of each case, then the rule ids, flat: what the results' runs index."""
        values = [value_ids.reshape(-1) for _, value_ids in self.cases]
        return np.concatenate([*values, self.rule_ids.reshape(-1)])

    def result_part(self, which: int) -> Part:
        """The rule with every rule symbol replaced by its value under case ``which``."""
        lengths, value_ids = self.cases[which]
        start, length = substitute_runs(
            self.rule,
            self.rule_length,
            lengths,
            MAX_VALUE_LENGTH,
            value_base=which * value_ids.size,
            rule_base=len(self.cases) * value_ids.size,
        )
        return Part(self._result_table, start, length)


def join_prefixes(
    first: np.ndarray,
    first_length: np.ndarray,
    second: np.ndarray,
    second_length: np.ndarray,
    width: int,
) -> np.ndarray:
    """Rows of ``width``: the first ``first_length[r]`` entries of row ``r`` of ``first``, then
    the first ``second_length[r]`` of ``second``, then ``-1``, as int64.

    ``first`` and ``second`` have at least one column; the lengths must lie in
    ``[0, first.shape[1]]`` and ``[0, second.shape[1]]`` and fit the width together. Returns the
    transpose of a C-ordered array, the layout ``shuffle_prefixes`` works on.
    """
    rows = first.shape[0]
    # Built transposed, a position of every row per line: long, cheap broadcasts.
    position = np.arange(width)[:, None]
    from_first = first.T[np.minimum(position[:, 0], first.shape[1] - 1)]
    second_index = np.clip(position - first_length, 0, second.shape[1] - 1)
    second_index *= rows
    second_index += np.arange(rows)
    from_second = np.ascontiguousarray(second.T).reshape(-1).take(second_index)
    joined = np.where(position < first_length, from_first, from_second)
    joined = np.where(position < first_length + second_length, joined, -1)
    return joined.astype(np.int64, copy=False).T


def substitute_runs(
    rule: np.ndarray,
    rule_length: np.ndarray,
    value_lengths: np.ndarray,
    value_width: int,
    value_base: int,
    rule_base: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The runs ``(start, length)``, each ``(rows, width)``, of a rule with its symbols replaced.

    Entry ``s`` of row ``r`` of ``rule`` ``(rows, width)``, where ``0 <= s < symbols``
    (``value_lengths`` is ``(rows, symbols)``), becomes the run of ``value_lengths[r, s]`` ids at
    ``value_base + (r * symbols + s) * value_width``; any other entry at position ``p``, the run
    of one id (none where ``p >= rule_length[r]``) at ``rule_base + r * width + p``.
    """
    rows, width = rule.shape
    symbols = value_lengths.shape[1]
    is_value = (rule >= 0) & (rule < symbols)
    row = np.arange(rows, dtype=np.int64)[:, None]
    entry = row * symbols + rule * is_value  # entry 0 of the row where not a value
    position = np.arange(width)
    start = np.where(is_value, value_base + entry * value_width, rule_base + row * width + position)
    # Index a row's value lengths, then 1 (a rule entry kept as it is), then 0 (past the rule).
    past_rule = position >= np.asarray(rule_length)[:, None]
    source = np.where(is_value, entry, rows * symbols + past_rule)
    run_lengths = np.concatenate([np.asarray(value_lengths).reshape(-1), [1, 0]]).take(source)
    return start, run_lengths.astype(np.int64, copy=False)


@dataclasses.dataclass(frozen=True)
class Layout:
    """Which parts a task's source (after the header) and target hold, in order: ``"rule"``,
    ``"space"``, ``"case0"``, ``"case1"``, ``"result0"``, ``"result1"`` (the digit: which case)."""

    source: tuple[str, ...]
    target: tuple[str, ...]

    def __post_init__(self) -> None:
        allowed = [name for name in LAYOUT_CODES if name != "header"]
        for side in ("source", "target"):
            for name in getattr(self, side):
                if name not in allowed:
                    raise ValueError(
                        f"Layout.{side} parts must be among {', '.join(allowed)}; got {name!r}"
                    )

    def codes(self) -> tuple[bytes, bytes]:
        """The source (header first) and target as the compiled kernel's part codes."""
        return (
            bytes(LAYOUT_CODES[part] for part in ("header", *self.source)),
            bytes(LAYOUT_CODES[part] for part in self.target),
        )


# The parts of a layout, as the compiled kernel numbers them.
LAYOUT_CODES = {"header": 0, "rule": 1, "space": 2, "case0": 3, "case1": 4, "result0": 5,
                "result1": 6}

DEDUCT = Layout(("rule", "space", "case0"), ("result0",))
ABDUCT = Layout(("rule", "space", "result0"), ("case0",))
INDUCT = Layout(("result0", "space", "case0"), ("rule",))
INDUCT_V2 = Layout(("result0",), ("case0", "space", "rule"))
INDUCT_V3 = Layout(("result0", "space", "result1"), ("rule",))
INDUCT_HARD = Layout(("result0",), ("rule",))
INDUCT_V2_DOUBLE = Layout(
    ("result0", "space", "result1"), ("case0", "space", "case1", "space", "rule")
)


def substitution_rows(
    words: np.ndarray, sample_ids: np.ndarray, cases: int, layout: Layout
) -> tuple[PackedRows, PackedRows]:
    """The source and target token rows of substitution examples, as packed parts.

    ``words`` ``(rows, >= slots(cases))`` uint32 are each row's words after the symbol draw,
    ``sample_ids`` ``(rows, 68)`` its sample's token ids; each row is the ``SubstitutionDraw``
    of ``cases`` cases (1 or 2) laid out as ``layout`` (the source after the header). Runs the
    compiled kernel where there is one (``kernels``), ``substitution_rows_numpy`` otherwise.
    """
    return kernels.choose("substitution_rows")(words, sample_ids, cases, layout)


def substitution_rows_native(
    words: np.ndarray, sample_ids: np.ndarray, cases: int, layout: Layout
) -> tuple[PackedRows, PackedRows]:
    """``substitution_rows`` by the compiled kernel: draws, parts and packing in one pass."""
    rows = words.shape[0]
    source_offsets = np.empty(rows + 1, dtype=np.int64)
    target_offsets = np.empty(rows + 1, dtype=np.int64)
    source, target = kernels.native.substitution_rows(
        words, np.require(sample_ids, ID_DTYPE, "CA"), cases, *layout.codes(), source_offsets,
        target_offsets,
    )
    return (
        packed_rows(np.frombuffer(source, dtype=ID_DTYPE), source_offsets),
        packed_rows(np.frombuffer(target, dtype=ID_DTYPE), target_offsets),
    )


def substitution_rows_numpy(
    words: np.ndarray, sample_ids: np.ndarray, cases: int, layout: Layout
) -> tuple[PackedRows, PackedRows]:
    """``substitution_rows`` in numpy: the parts of a ``SubstitutionDraw``, packed."""
    draw = SubstitutionDraw(SlotReader(words), sample_ids, cases)
    parts = {
        "rule": draw.rule_part,
        "space": lambda: token(draw.rows, vocab.SPACE),
        **{f"case{which}": functools.partial(draw.case_part, which) for which in range(cases)},
        **{f"result{which}": functools.partial(draw.result_part, which) for which in range(cases)},
    }
    source = pack([*draw.header(), *(parts[name]() for name in layout.source)])
    target = pack([parts[name]() for name in layout.target])
    return packed_rows(*source), packed_rows(*target)
