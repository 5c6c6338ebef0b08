"""Families 2 and 3 of the spec: single-step rewrite and multi-step rewrite.

One rewrite step on a string (sample indices, ``-1`` pads):

1. a span ``string[start:start+m]`` (the caller draws ``m`` and ``start``);
2. its *letters* (distinct string symbols) are paired one to one with the first rule symbols, in
   order of first appearance in the span; the rule's left side is the span with each letter
   replaced by its rule symbol;
3. the right side: ``U{low..high}`` math draws plus each used rule symbol once, shuffled;
4. the rewritten string: the span replaced by the right side with its rule symbols turned back into
   their letters.

Family 2 (``rewrite``, ``induct_rewrite``) makes one step on a string of ``round(1.5 n)`` math and
``n`` string draws (``n ~ U{10..20}``), ``m ~ U{5..20}``, right side ``U{5..20}`` math draws; its
header lists the used rule symbols. Family 3 (``rewrite_multistep``, ``rewrite_multistep_easy``)
starts from ``n`` math and ``round(1.5 n)`` string draws (``n ~ U{5..10}``) and makes
``U{min_steps..max_steps}`` steps with ``m ~ U{3..7}`` (clipped to the current length) and right
sides of ``U{3..7}`` math draws; its header lists all 24 rule symbols. The easy variant's target
is the string after every step, the final one included.

Every draw reads a fixed word of its row (the maximum count is reserved and a prefix used); a row
with fewer steps leaves the later steps' words unread.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import kernels, vocab
from .rng import SlotReader, shuffle_prefixes, uniform_below, uniform_between
from .sequences import (
    ID_DTYPE,
    PackedRows,
    Part,
    in_rows,
    pack,
    packed_rows,
    prefix,
    reorder_rows,
    runs,
    span,
    symbol_ids,
    token,
)
from .symbols import (
    MATH_START,
    MATH_SYMBOLS,
    RULE_SYMBOLS,
    STRING_START,
    STRING_SYMBOLS,
    SYMBOLS_PER_EXAMPLE,
)

# Python's round (half to even) of 1.5 n, for every n the spec draws.
ROUND_1_5 = np.array([round(1.5 * n) for n in range(21)], dtype=np.int64)

# Family 2.
MIN_N, MAX_N = 10, 20
MAX_LENGTH = MAX_N + ROUND_1_5[MAX_N]  # 50
MIN_SPAN, MAX_SPAN = 5, 20
MIN_RIGHT_MATH, MAX_RIGHT_MATH = 5, 20
MAX_LETTERS = min(MAX_SPAN, MAX_N)  # distinct string symbols a span can hold
MAX_RIGHT = MAX_RIGHT_MATH + MAX_LETTERS

# Family 3.
MIN_START_N, MAX_START_N = 5, 10
MAX_START_LENGTH = MAX_START_N + ROUND_1_5[MAX_START_N]  # 25
MIN_STEP_SPAN, MAX_STEP_SPAN = 3, 7
MIN_STEP_MATH, MAX_STEP_MATH = 3, 7
MAX_STEP_RIGHT = MAX_STEP_MATH + MAX_STEP_SPAN

SLOTS = 1 + MAX_LENGTH + (MAX_LENGTH - 1) + 2 + 1 + MAX_RIGHT_MATH + (MAX_RIGHT - 1)
STEP_SLOTS = 3 + MAX_STEP_MATH + (MAX_STEP_RIGHT - 1)
START_SLOTS = 1 + MAX_START_LENGTH + (MAX_START_LENGTH - 1) + 1


def multistep_slots(config: Any) -> int:
    """Words one multi-step example reads: the start string, the step count, ``max_steps`` steps."""
    return START_SLOTS + STEP_SLOTS * config.max_steps


def draw_string(
    reader: SlotReader, n_math: np.ndarray, n_string: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n_math`` math draws then ``n_string`` string draws, shuffled: ``(string, length)``.

    Position ``p`` of the unshuffled string reads word ``p`` (``width`` reserved), then the shuffle
    reads ``width - 1`` words.
    """
    draws = reader.take(width)
    position = np.arange(width)
    length = n_math + n_string
    is_math = position < n_math[:, None]
    unshuffled = uniform_below(draws, np.where(is_math, MATH_SYMBOLS, STRING_SYMBOLS))
    unshuffled += np.where(is_math, MATH_START, STRING_START)
    np.copyto(unshuffled, -1, where=position >= length[:, None])
    return shuffle_prefixes(unshuffled, length, reader.take(width - 1)), length


def abstract(span: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The left side of the rule for a span (``-1`` pads): ``(left, letters, k)``.

    Letters take rule symbols ``0, 1, ...`` in order of first appearance; ``letters[:, c]`` is the
    string symbol paired with rule symbol ``c`` (for ``c < k``; other columns are unspecified),
    ``k`` the number of letters.
    """
    rows, width = span.shape
    is_letter = (span >= STRING_START) & (span < MATH_START)
    # The first position of each entry's value: a per-row table over the 68 sample indices
    # (pads count as index 0, a rule symbol, which is never a letter).
    slot = _row_base(rows, SYMBOLS_PER_EXAMPLE) + np.maximum(span, 0)
    position_type = np.int8 if width < 128 else np.int64  # the table is filled for every call
    first_seen = np.full(rows * SYMBOLS_PER_EXAMPLE, width, dtype=position_type)
    positions = np.broadcast_to(np.arange(width, dtype=position_type), (rows, width))
    np.minimum.at(first_seen, slot.ravel(), positions.ravel())
    first_index = first_seen[slot]
    is_first = is_letter & (first_index == positions)
    rank = row_cumsum(is_first) - 1
    left = np.where(is_letter, gather(rank, first_index), span)
    # Scatter each first letter to its rank; every other entry to a spare last column.
    letters = np.zeros((rows, width + 1), dtype=np.int64)
    letters.ravel()[_row_base(rows, width + 1) + np.where(is_first, rank, width)] = span
    return left, letters, rank[:, -1] + 1


def compose_right(
    count: np.ndarray, maths: np.ndarray, k: np.ndarray, shuffle_words: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` of ``maths`` plus rule symbols ``0..k-1``, shuffled: ``(right, length)``.

    The right side is ``shuffle_words.shape[1] + 1`` wide.
    """
    drawn = maths.shape[1]
    position = np.arange(shuffle_words.shape[1] + 1)[:, None]
    length = count + k
    # Built transposed, a position of every row per line (long, cheap broadcasts; the shuffle
    # works on that layout). Rule symbol c at position count + c, then pads; the maths before.
    unshuffled = np.where(position < length, position - count, -1)
    np.copyto(unshuffled[:drawn], maths.T, where=position[:drawn] < count)
    return shuffle_prefixes(unshuffled.T, length, shuffle_words), length


def instantiate(right: np.ndarray, letters: np.ndarray) -> np.ndarray:
    """The right side with each rule symbol replaced by its letter."""
    is_rule = (right >= 0) & (right < RULE_SYMBOLS)
    return np.where(is_rule, gather(letters, np.where(is_rule, right, 0)), right)


def row_cumsum(values: np.ndarray) -> np.ndarray:
    """Running sums along each row of a 2-D array, as int64.

    One running sum over the flattened array, then each row less the total of the rows before it
    (numpy's accumulate along an axis is several times slower than a flat one).
    """
    sums = np.cumsum(values.reshape(-1), dtype=np.int64).reshape(values.shape)
    if sums.shape[0] > 1 and sums.shape[1]:
        sums[1:] -= sums[:-1, -1:].copy()
    return sums


def _row_base(rows: int, width: int) -> np.ndarray:
    return (np.arange(rows, dtype=np.int64) * width)[:, None]


def gather(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[r, index[r, j]]``; every index must lie in ``[0, values.shape[1])``."""
    rows, width = values.shape
    return values.ravel().take(_row_base(rows, width) + index)


def take_span(string: np.ndarray, start: np.ndarray, m: np.ndarray, width: int) -> np.ndarray:
    """``string[start:start+m]`` per row, padded with ``-1`` to ``width``."""
    offsets = np.arange(width)
    index = np.minimum(start[:, None] + offsets, string.shape[1] - 1)
    return np.where(offsets < m[:, None], gather(string, index), -1)


class Strings(NamedTuple):
    """Strings of a batch laid end to end: row ``r`` is ``flat[offsets[r] : offsets[r + 1]]``.

    An entry is an index into the batch's flat table of sample ids, ``68 * b + sample index``
    for the string's row ``b`` of the batch, so its token id is one lookup.
    """

    flat: np.ndarray
    offsets: np.ndarray

    def lengths(self) -> np.ndarray:
        """The length of each string."""
        return np.diff(self.offsets)

    def first_rows(self, rows: int) -> Strings:
        """The first ``rows`` strings."""
        return Strings(self.flat[: self.offsets[rows]], self.offsets[: rows + 1])


def to_strings(string: np.ndarray, length: np.ndarray, sample_start: np.ndarray) -> Strings:
    """``Strings`` of the first ``length`` sample indices of each row of ``string``
    (``sample_start``: the row's first index in the flat table of sample ids, ``68 * b``)."""
    offsets = np.zeros(len(length) + 1, dtype=np.int64)
    np.cumsum(length, out=offsets[1:])
    inside = np.arange(string.shape[1]) < length[:, None]
    return Strings((string + sample_start[:, None])[inside], offsets)


def take_string_span(
    strings: Strings, sample_start: np.ndarray, start: np.ndarray, m: np.ndarray, width: int
) -> np.ndarray:
    """``string[start:start+m]`` per row as sample indices, padded with ``-1`` to ``width``."""
    offsets = np.arange(width)
    first = strings.offsets[:-1] + start
    index = np.minimum(first[:, None] + offsets, strings.flat.size - 1)
    span = strings.flat.take(index)
    span -= sample_start[:, None]
    return np.where(offsets < m[:, None], span, -1)


def splice(
    strings: Strings,
    start: np.ndarray,
    m: np.ndarray,
    replacement: np.ndarray,
    replacement_length: np.ndarray,
) -> Strings:
    """``string[:start] + replacement + string[start+m:]`` per row (``replacement``: entries
    like those of ``strings``, one row per string)."""
    begin = strings.offsets[:-1]
    rest = begin + start + m
    flat, offsets = pack(
        [
            Part(strings.flat, begin[:, None], start[:, None]),
            runs(replacement, 0, replacement_length[:, None]),
            Part(strings.flat, rest[:, None], (strings.offsets[1:] - rest)[:, None]),
        ]
    )
    return Strings(flat, offsets)


def header(sample_ids: np.ndarray, rule_symbols: np.ndarray | int) -> list[Part]:
    """``<UPPER> rule symbols <LOWER> 24 string <MATH> 20 math <space>``, with the first
    ``rule_symbols`` (per row) of the 24 rule symbols."""
    rows = sample_ids.shape[0]
    return [
        token(rows, vocab.UPPER),
        span(sample_ids, 0, rule_symbols),
        token(rows, vocab.LOWER),
        span(sample_ids, STRING_START, MATH_START),
        token(rows, vocab.MATH),
        span(sample_ids, MATH_START, MATH_START + MATH_SYMBOLS),
        token(rows, vocab.SPACE),
    ]


class RewriteDraw:
    """The random choices of a batch of single-step rewrite examples, and their rendered parts."""

    def __init__(self, reader: SlotReader, sample_ids: np.ndarray) -> None:
        self.rows = sample_ids.shape[0]
        self.sample_ids = sample_ids
        n = uniform_between(reader.take_one(), MIN_N, MAX_N)
        self.string, self.length = draw_string(reader, ROUND_1_5[n], n, MAX_LENGTH)
        self.m = uniform_between(reader.take_one(), MIN_SPAN, MAX_SPAN)
        self.start = uniform_below(reader.take_one(), self.length - self.m + 1)
        span = take_span(self.string, self.start, self.m, MAX_SPAN)
        self.left, letters, self.k = abstract(span)
        count = uniform_between(reader.take_one(), MIN_RIGHT_MATH, MAX_RIGHT_MATH)
        maths = MATH_START + uniform_below(reader.take(MAX_RIGHT_MATH), MATH_SYMBOLS)
        self.right, self.right_length = compose_right(
            count, maths, self.k, reader.take(MAX_RIGHT - 1)
        )
        self.replacement = instantiate(self.right, letters)

    def _ids(self, indices: np.ndarray) -> np.ndarray:
        return symbol_ids(self.sample_ids, indices)

    def header(self) -> list[Part]:
        return header(self.sample_ids, self.k)

    def rule(self) -> list[Part]:
        """``left -> right``."""
        return [
            prefix(self._ids(self.left), self.m),
            token(self.rows, vocab.ARROW),
            prefix(self._ids(self.right), self.right_length),
        ]

    def string_part(self) -> Part:
        return prefix(self._ids(self.string), self.length)

    def rewritten(self) -> list[Part]:
        """The string with its span replaced by the instantiated right side."""
        ids = self._ids(self.string)
        return [
            prefix(ids, self.start),
            prefix(self._ids(self.replacement), self.right_length),
            span(ids, self.start + self.m, self.length),
        ]


def rewrite(draw: RewriteDraw) -> tuple[list[Part], list[Part]]:
    space = token(draw.rows, vocab.SPACE)
    return [*draw.header(), *draw.rule(), space, draw.string_part()], draw.rewritten()


def induct_rewrite(draw: RewriteDraw) -> tuple[list[Part], list[Part]]:
    space = token(draw.rows, vocab.SPACE)
    return [*draw.header(), draw.string_part(), space, *draw.rewritten()], draw.rule()


class Step(NamedTuple):
    left: np.ndarray  # the rule's left side (sample indices, -1 pads)
    span_length: np.ndarray
    right: np.ndarray  # the rule's right side
    right_length: np.ndarray
    strings: Strings  # the rewritten strings


def rewrite_step(
    strings: Strings,
    sample_start: np.ndarray,
    drawn_span: np.ndarray,
    start_word: np.ndarray,
    count: np.ndarray,
    maths: np.ndarray,
    shuffle_words: np.ndarray,
) -> Step:
    """One rewrite of every row (``sample_start``: each row's position in the flat sample table).

    Inputs per row: the drawn span length (``U{3..7}``, clipped here), the word that draws the
    start, the right side's math count and draws, and the words of its shuffle.
    """
    length = strings.lengths()
    m = np.minimum(drawn_span, length)  # Decided: a span is never longer than the string.
    start = uniform_below(start_word, length - m + 1)
    span = take_string_span(strings, sample_start, start, m, MAX_STEP_SPAN)
    left, letters, k = abstract(span)
    right, right_length = compose_right(count, maths, k, shuffle_words)
    replacement = instantiate(right, letters) + sample_start[:, None]
    new_strings = splice(strings, start, m, replacement, right_length)
    return Step(left, m, right, right_length, new_strings)


class MultistepDraw:
    """The random choices of a batch of multi-step rewrite examples, and their rendered parts.

    The steps run on the rows sorted by step count, most first (``order``), so step ``s`` rewrites
    the first ``made[s]`` sorted rows and no others. ``done[s]`` is that step's ``Step`` (arrays of
    ``made[s]`` rows). The parts are returned in the original row order.
    """

    def __init__(
        self, reader: SlotReader, sample_ids: np.ndarray, min_steps: int, max_steps: int
    ) -> None:
        self.rows = sample_ids.shape[0]
        self.sample_ids = sample_ids
        self.max_steps = max_steps
        n = uniform_between(reader.take_one(), MIN_START_N, MAX_START_N)
        self.start_string, self.start_length = draw_string(
            reader, n, ROUND_1_5[n], MAX_START_LENGTH
        )
        steps = uniform_between(reader.take_one(), min_steps, max_steps)
        self.order = np.argsort(-steps, kind="stable")
        self.sorted_steps = steps[self.order]
        self.made = [int(np.count_nonzero(steps > step)) for step in range(max_steps)]
        # Per step: span length, start, right-side math count, math draws, shuffle words.
        words = reader.take(STEP_SLOTS * max_steps)[self.order]
        words = words.reshape(self.rows, max_steps, STEP_SLOTS)
        self.done: list[Step] = []
        sample_start = self.order * SYMBOLS_PER_EXAMPLE
        strings = to_strings(
            self.start_string[self.order], self.start_length[self.order], sample_start
        )
        for step, rows in enumerate(self.made):
            step_words = words[:rows, step]
            self.done.append(
                rewrite_step(
                    strings.first_rows(rows),
                    sample_start[:rows],
                    uniform_between(step_words[:, 0], MIN_STEP_SPAN, MAX_STEP_SPAN),
                    step_words[:, 1],
                    uniform_between(step_words[:, 2], MIN_STEP_MATH, MAX_STEP_MATH),
                    MATH_START + uniform_below(step_words[:, 3 : 3 + MAX_STEP_MATH], MATH_SYMBOLS),
                    step_words[:, 3 + MAX_STEP_MATH :],
                )
            )
            strings = self.done[-1].strings

    def _ids(self, indices: np.ndarray, first: int = 0) -> np.ndarray:
        """Token ids of ``(rows, width)`` sample indices of sorted rows ``first, first + 1, ...``
        (padding, a negative index, maps to the first symbol)."""
        sample_start = self.order[first : first + indices.shape[0], None] * SYMBOLS_PER_EXAMPLE
        return self.sample_ids.ravel().take(sample_start + np.maximum(indices, 0))

    def _restore(self, parts: list[Part]) -> list[Part]:
        """Parts of the sorted rows, in the original row order."""
        original = np.argsort(self.order)  # the sorted position of each original row
        return [reorder_rows(part, original) for part in parts]

    def source(self) -> list[Part]:
        """Header (all 24 rule symbols), then ``left -> right <space>`` per step, then the start."""
        rows, steps = self.rows, self.max_steps
        piece = MAX_STEP_SPAN + 1 + MAX_STEP_RIGHT + 1
        arrow, right_end = MAX_STEP_SPAN, MAX_STEP_SPAN + 1 + MAX_STEP_RIGHT
        # Entries of steps a row does not make are never read (their runs are empty).
        ids = np.empty((rows, steps, piece), dtype=ID_DTYPE)
        ids[:, :, arrow] = vocab.ARROW
        ids[:, :, right_end] = vocab.SPACE
        # Four runs per step: the left side, ``->``, the right side, ``<space>``.
        length = np.zeros((rows, steps, 4), dtype=np.intp)
        for step, (made, done) in enumerate(zip(self.made, self.done, strict=True)):
            ids[:made, step, :arrow] = self._ids(done.left)
            ids[:made, step, arrow + 1 : right_end] = self._ids(done.right)
            length[:made, step, 0] = done.span_length
            length[:made, step, 1:4:2] = 1
            length[:made, step, 2] = done.right_length
        begin = (np.arange(steps)[:, None] * piece + [0, arrow, arrow + 1, right_end]).reshape(-1)
        return [
            *header(self.sample_ids, RULE_SYMBOLS),
            *self._restore([runs(ids.reshape(rows, steps * piece), begin,
                                 length.reshape(rows, steps * 4))]),
            prefix(symbol_ids(self.sample_ids, self.start_string), self.start_length),
        ]

    def _string(self, step: int, first: int = 0) -> Part:
        """The string after step ``step`` in sorted rows ``first .. made[step] - 1`` (of all)."""
        offsets = self.done[step].strings.offsets[first:]
        ids = self.sample_ids.ravel().take(self.done[step].strings.flat[offsets[0] : offsets[-1]])
        part = Part(ids, (offsets[:-1] - offsets[0])[:, None], np.diff(offsets)[:, None])
        return in_rows(part, first, self.rows)

    def final(self) -> list[Part]:
        """The string after each row's last step (rows with ``s + 1`` steps end at step ``s``)."""
        ends = [*self.made[1:], 0]
        return self._restore([self._string(step, ends[step]) for step in range(self.max_steps)])

    def intermediates(self) -> list[Part]:
        """The string after every step, the final one included, joined by ``<space>``."""
        parts = []
        for step in range(self.max_steps):
            parts.append(self._string(step))
            if step + 1 < self.max_steps:
                parts.append(token(self.rows, vocab.SPACE, present=step + 1 < self.sorted_steps))
        return self._restore(parts)


def rewrite_multistep(draw: MultistepDraw) -> tuple[list[Part], list[Part]]:
    return draw.source(), draw.final()


def rewrite_multistep_easy(draw: MultistepDraw) -> tuple[list[Part], list[Part]]:
    return draw.source(), draw.intermediates()


def rewrite_rows(
    words: np.ndarray, sample_ids: np.ndarray, induct: bool
) -> tuple[PackedRows, PackedRows]:
    """The source and target token rows of single-step rewrite examples, as packed parts.

    ``words`` ``(rows, >= SLOTS)`` uint32 are each row's words after the symbol draw,
    ``sample_ids`` ``(rows, 68)`` its sample's token ids; each row is the ``RewriteDraw`` laid out
    as ``rewrite``, or as ``induct_rewrite`` where ``induct``. Runs the compiled kernel where there
    is one (``kernels``), ``rewrite_rows_numpy`` otherwise.
    """
    return kernels.choose("rewrite_rows")(words, sample_ids, induct)


def rewrite_rows_native(
    words: np.ndarray, sample_ids: np.ndarray, induct: bool
) -> tuple[PackedRows, PackedRows]:
    """``rewrite_rows`` by the compiled kernel: draws, parts and packing in one pass."""
    return _native_rows(kernels.native.rewrite_rows, words, sample_ids, induct)


def rewrite_rows_numpy(
    words: np.ndarray, sample_ids: np.ndarray, induct: bool
) -> tuple[PackedRows, PackedRows]:
    """``rewrite_rows`` in numpy: the parts of a ``RewriteDraw``, packed."""
    layout = induct_rewrite if induct else rewrite
    return _packed(layout(RewriteDraw(SlotReader(words), sample_ids)))


def multistep_rows(
    words: np.ndarray, sample_ids: np.ndarray, min_steps: int, max_steps: int, easy: bool
) -> tuple[PackedRows, PackedRows]:
    """The source and target token rows of multi-step rewrite examples, as packed parts.

    ``words`` ``(rows, >= START_SLOTS + STEP_SLOTS * max_steps)`` uint32 are each row's words
    after the symbol draw, ``sample_ids`` ``(rows, 68)`` its sample's token ids; each row is the
    ``MultistepDraw`` of ``min_steps .. max_steps`` steps (at most ``MAX_STEPS_LIMIT``) laid out
    as ``rewrite_multistep``, or as ``rewrite_multistep_easy`` where ``easy``. Runs the compiled
    kernel where there is one (``kernels``), ``multistep_rows_numpy`` otherwise.
    """
    return kernels.choose("multistep_rows")(words, sample_ids, min_steps, max_steps, easy)


def multistep_rows_native(
    words: np.ndarray, sample_ids: np.ndarray, min_steps: int, max_steps: int, easy: bool
) -> tuple[PackedRows, PackedRows]:
    """``multistep_rows`` by the compiled kernel: draws, steps, parts and packing in one pass."""
    return _native_rows(kernels.native.multistep_rows, words, sample_ids, min_steps, max_steps,
                        easy)


def multistep_rows_numpy(
    words: np.ndarray, sample_ids: np.ndarray, min_steps: int, max_steps: int, easy: bool
) -> tuple[PackedRows, PackedRows]:
    """``multistep_rows`` in numpy: the parts of a ``MultistepDraw``, packed."""
    layout = rewrite_multistep_easy if easy else rewrite_multistep
    return _packed(layout(MultistepDraw(SlotReader(words), sample_ids, min_steps, max_steps)))


def _native_rows(kernel, words: np.ndarray, sample_ids: np.ndarray, *options) -> tuple:
    """Call a compiled rows kernel and wrap its source and target ids as packed parts."""
    rows = words.shape[0]
    offsets = np.empty(rows + 1, dtype=np.int64), np.empty(rows + 1, dtype=np.int64)
    source, target = kernel(words, np.require(sample_ids, ID_DTYPE, "CA"), *options, *offsets)
    return (
        packed_rows(np.frombuffer(source, dtype=ID_DTYPE), offsets[0]),
        packed_rows(np.frombuffer(target, dtype=ID_DTYPE), offsets[1]),
    )


def _packed(parts: tuple[list[Part], list[Part]]) -> tuple[PackedRows, PackedRows]:
    source, target = parts
    return packed_rows(*pack(source)), packed_rows(*pack(target))
