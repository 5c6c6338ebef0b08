"""Every valid answer of a source, one per class of renamings, from the source alone.

Written from the spec's validity rules ("What makes an answer correct") with the checkers' parsing
helpers, never the generators. Each task's enumerator (its declaration's ``answers`` in ``tasks``)
takes the parsed header and body parts and a search ``Budget``, and yields distinct answers as
``AnswerClass`` functions: given a renaming of the header's rule symbols, the answer's text.

* deduct: exactly one (the result of the case applied to the rule).
* abduct: every case that turns the rule into the result (a backtracking matcher).
* induct: every valid rule the given case turns into the result.
* induct_v2, induct_v2_double: every (case(s), rule) answer that gives the result(s).
* induct_hard, induct_v3: every valid rule for which a case exists for each result.
* rewrite, rewrite_multistep(_easy): every string (or sequence of strings) the rules give.
* induct_rewrite: every rule of the task's shape that rewrites the first string into the second.

Where the answer names rule symbols freely (the declaration's ``renames_symbols``), each yielded
answer stands for the ``k!`` texts of its renamings; elsewhere the renaming is ignored.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np

from .checker import MAX_VALUE, MIN_VALUE, Case, apply_case, parse_case
from .parsing import Header
from .rewrite_checker import (
    RewriteSource,
    common_prefix,
    finals,
    parse_induct_source,
    parse_rewrite_source,
    rewrites,
)

Tokens = tuple[str, ...]
Body = list[list[str]]
Binding = dict[str, Tokens]
# One answer before rendering: the rule and one binding (case) per result.
Match = tuple[Tokens, tuple[Binding, ...]]
# One answer (or class of renamings): its text under a renaming of the header's rule symbols.
AnswerClass = Callable[[Mapping[str, str]], str]


class SearchLimit(Exception):
    """The search for answers took more steps than it was allowed."""


class Budget:
    """How many search steps an enumeration may take (None: no bound); ``SearchLimit`` beyond."""

    def __init__(self, steps: int | None) -> None:
        self.left = steps

    def spend(self) -> None:
        if self.left is not None:
            self.left -= 1
            if self.left < 0:
                raise SearchLimit


def _given_case(tokens: Sequence[str], header: Header, task: str) -> Case:
    case = parse_case(tokens, header)
    if case is None:
        raise ValueError(f"{task} source has a malformed case")
    return case


# Enumerating answers: each function yields distinct answers (one per class for renaming tasks).


def _deduct(header: Header, body: list[list[str]], budget: Budget) -> Iterator[Match]:
    case = _given_case(body[1], header, "deduct")
    yield tuple(body[0]), (case,)


def _abduct(header: Header, body: list[list[str]], budget: Budget) -> Iterator[Match]:
    rule, result = tuple(body[0]), tuple(body[1])
    values = sorted(header.value_symbols)
    free = [s for s in header.rule_symbols if s not in rule]
    for binding in _bind_rule(rule, result, header):
        # A header symbol the rule never uses may take any value: every one is another case.
        for free_values in _all_values(values, len(free)):
            case = {**binding, **dict(zip(free, free_values, strict=True))}
            yield rule, ({s: case[s] for s in header.rule_symbols},)


def _all_values(alphabet: list[str], symbols: int) -> Iterator[tuple[Tokens, ...]]:
    """Every choice of a value for each of ``symbols`` symbols, lazily (there are many)."""
    if not symbols:
        yield ()
        return
    for length in range(MIN_VALUE, MAX_VALUE + 1):
        for value in itertools.product(alphabet, repeat=length):
            for rest in _all_values(alphabet, symbols - 1):
                yield (value, *rest)


def _bind_rule(rule: Tokens, result: Tokens, header: Header) -> Iterator[Binding]:
    """Every binding of the rule's rule symbols to valid values that turns it into ``result``."""
    symbols = set(header.rule_symbols)
    values = header.value_symbols
    binding: Binding = {}

    def match(i: int, j: int) -> Iterator[Binding]:
        if i == len(rule):
            if j == len(result):
                yield dict(binding)
            return
        token = rule[i]
        if token not in symbols:
            if j < len(result) and result[j] == token:
                yield from match(i + 1, j + 1)
            return
        if token in binding:
            value = binding[token]
            if result[j : j + len(value)] == value:
                yield from match(i + 1, j + len(value))
            return
        for length in range(MIN_VALUE, min(MAX_VALUE, len(result) - j) + 1):
            value = result[j : j + length]
            if not all(t in values for t in value):
                break
            binding[token] = value
            yield from match(i + 1, j + length)
            del binding[token]

    yield from match(0, 0)


def _induct(header: Header, body: list[list[str]], budget: Budget) -> Iterator[Match]:
    case = _given_case(body[1], header, "induct")
    for rule in _rules_with_case(tuple(body[0]), header, case):
        yield rule, (case,)


def _induct_free(header: Header, body: list[list[str]], budget: Budget) -> Iterator[Match]:
    """induct_v2 and induct_v2_double: every (cases, rule) class; distinct by construction."""
    yield from _rules_free(tuple(tuple(part) for part in body), header, budget)


def _induct_rule_only(header: Header, body: list[list[str]], budget: Budget) -> Iterator[Match]:
    """induct_hard and induct_v3: every rule class with some case(s); cases are not the answer."""
    seen: set[Tokens] = set()
    for rule, bindings in _rules_free(tuple(tuple(part) for part in body), header, budget):
        if rule not in seen:
            seen.add(rule)
            yield rule, bindings


def _rules_with_case(result: Tokens, header: Header, case: Case) -> Iterator[Tokens]:
    """Every valid rule the case turns into ``result``: segments of math symbols and case values.

    Different rules are different segmentations, so each is produced once.
    """
    symbols = header.rule_symbols
    rule: list[str] = []
    dead: set[tuple[int, frozenset[str]]] = set()

    def extend(j: int) -> Iterator[Tokens]:
        if j == len(result):
            if set(symbols) <= set(rule):
                yield tuple(rule)
            return
        key = (j, frozenset(rule) & frozenset(symbols))
        if key in dead:
            return
        found = False
        options = [s for s in symbols if result[j : j + len(case[s])] == case[s]]
        if result[j] in header.math_symbols:
            options.insert(0, result[j])
        for token in options:
            rule.append(token)
            for match in extend(j + len(case.get(token, (token,)))):
                found = True
                yield match
            rule.pop()
        if not found:
            dead.add(key)

    yield from extend(0)


_EPS = 1e-9  # weights are sums of a few 1 / n: far coarser than float rounding


def _rules_free(results: tuple[Tokens, ...], header: Header, budget: Budget) -> Iterator[Match]:
    """Valid rules, with a case per result, that turn into every result at once (depth first).

    A rule is read left to right as segments: a math symbol standing for itself in every result,
    or a rule symbol whose value (one per result, the same at every occurrence) comes next in each
    result; a symbol's first occurrence chooses its values. Only the next unused header symbol may
    appear (rules whose symbols first occur in header order), so each class of renamings is
    produced once, and each (rule, cases) once.

    Pruning: give each occurrence of a symbol whose values are ``w`` the weight ``1 / c``, where
    ``c`` is the fewest times a ``w_r`` occurs in its result ``r``; a symbol's occurrences then
    weigh at most 1 in total. So the rest of the results, read as math symbols and arbitrary spans
    (``_free_bound``), or as math symbols, bound values at no cost and arbitrary spans
    (``_Reading.suffix_bound``, per result), needs at most what the symbols have left to weigh.
    """
    symbols = header.rule_symbols
    if any(t in set(symbols) for result in results for t in result):
        return
    k = len(symbols)
    readings = [_Reading(result, header) for result in results]
    free = _free_bound(readings)
    bindings: tuple[Binding, ...] = tuple({} for _ in results)
    weight: dict[str, float] = {}  # per symbol used: the weight of one occurrence
    count: dict[str, int] = {}  # per symbol used: its occurrences so far
    rule: list[str] = []
    dead: set = set()

    def extend(positions: tuple[int, ...], bounds: list[list[float]]) -> Iterator[Match]:
        budget.spend()
        missing = k - len(count)
        if any(b[j] > missing + _EPS for b, j in zip(bounds, positions, strict=True)):
            return
        left = missing + sum(max(0.0, 1.0 - count[s] * weight[s]) for s in count)
        if free[positions] > left + _EPS:
            return
        if all(j == len(r) for j, r in zip(positions, results, strict=True)):
            if not missing:
                yield tuple(rule), tuple(dict(b) for b in bindings)
            return
        key = (positions, tuple(tuple(b.values()) for b in bindings), tuple(count.values()))
        if key in dead:
            return
        found = False
        first = results[0][positions[0]] if positions[0] < len(results[0]) else None
        if first in header.math_symbols and all(
            j < len(r) and r[j] == first for j, r in zip(positions, results, strict=True)
        ):
            rule.append(first)
            for match in extend(tuple(j + 1 for j in positions), bounds):
                found = True
                yield match
            rule.pop()
        for symbol in list(count):
            ends = _advance(symbol, positions, results, bindings)
            if ends is None:
                continue
            rule.append(symbol)
            count[symbol] += 1
            for match in extend(ends, bounds):
                found = True
                yield match
            count[symbol] -= 1
            rule.pop()
        if missing:
            for match in introduce(symbols[k - missing], positions, bounds, missing):
                found = True
                yield match
        if not found:
            dead.add(key)

    def introduce(
        symbol: str, positions: tuple[int, ...], bounds: list[list[float]], missing: int
    ) -> Iterator[Match]:
        """The next symbol, first occurring here, with every choice of its values."""
        choices = []
        for reading, binding, bound, j in zip(readings, bindings, bounds, positions, strict=True):
            options = []
            for length, span_weight in reading.spans[j] if j < len(reading.tokens) else ():
                span = reading.tokens[j : j + length]
                refined = reading.refine(bound, [*binding.values(), span], j, span)
                if refined[j + length] <= missing - 1 + _EPS:
                    options.append((span, span_weight, refined))
            choices.append(options)
        rule.append(symbol)
        count[symbol] = 1
        for choice in itertools.product(*choices):
            for binding, (span, _, _) in zip(bindings, choice, strict=True):
                binding[symbol] = span
            weight[symbol] = max(span_weight for _, span_weight, _ in choice)
            ends = tuple(j + len(span) for j, (span, _, _) in zip(positions, choice, strict=True))
            yield from extend(ends, [refined for _, _, refined in choice])
            for binding in bindings:
                del binding[symbol]
        del count[symbol]
        weight.pop(symbol, None)
        rule.pop()

    yield from extend(tuple(0 for _ in results), [r.suffix_bound() for r in readings])


class _Reading:
    """A result and what the search's bounds need: which tokens are math, span weights."""

    def __init__(self, tokens: Tokens, header: Header) -> None:
        self.tokens = tokens
        self.is_math = [token in header.math_symbols for token in tokens]
        self.starts: dict[Tokens, list[int]] = {}  # span -> where it starts, ascending
        for length in range(MIN_VALUE, MAX_VALUE + 1):
            for start in range(len(tokens) - length + 1):
                self.starts.setdefault(tokens[start : start + length], []).append(start)
        # spans[j]: (length, weight) of every value span starting at j; weight 1 / occurrences.
        values = header.value_symbols
        # How many value symbols run from each position on (a span must lie within a run).
        run = [0] * (len(tokens) + 1)
        for j in range(len(tokens) - 1, -1, -1):
            run[j] = run[j + 1] + 1 if tokens[j] in values else 0
        self.spans: list[list[tuple[int, float]]] = [
            [
                (length, 1.0 / len(self.starts[tokens[j : j + length]]))
                for length in range(MIN_VALUE, min(MAX_VALUE, run[j]) + 1)
            ]
            for j in range(len(tokens))
        ]

    def suffix_bound(self, values: Sequence[Tokens] = ()) -> list[float]:
        """``b[j]``: least weight of reading ``tokens[j:]`` as math symbols, ``values`` (free)
        and weighted spans."""
        best = [math.inf] * (len(self.tokens) + MAX_VALUE + 1)
        best[len(self.tokens)] = 0.0
        return self._fill(best, values, len(self.tokens) - 1, -1)

    def refine(
        self, bound: list[float], values: Sequence[Tokens], start: int, value: Tokens
    ) -> list[float]:
        """``suffix_bound(values)`` after ``start``, from ``bound`` (right there for the values
        without ``value``): only positions up to the last later occurrence of ``value`` change."""
        later = [p for p in self.starts.get(value, ()) if p > start]
        if not later:
            return bound
        return self._fill(list(bound), values, later[-1], start)

    def _fill(
        self, best: list[float], values: Sequence[Tokens], top: int, stop: int
    ) -> list[float]:
        tokens = self.tokens
        for j in range(top, stop, -1):
            low = best[j + 1] if self.is_math[j] else math.inf
            for value in values:
                if tokens[j : j + len(value)] == value and best[j + len(value)] < low:
                    low = best[j + len(value)]
            for length, span_weight in self.spans[j]:
                if span_weight + best[j + length] < low:
                    low = span_weight + best[j + length]
            best[j] = low
        return best


def _free_bound(readings: list[_Reading]) -> np.ndarray:
    """Least weight of reading the results on from ``positions`` with no value bound (an array)."""
    if len(readings) == 1:
        return np.asarray(readings[0].suffix_bound()[: len(readings[0].tokens) + 1])
    first, second = readings
    n1, n2 = len(first.tokens), len(second.tokens)
    width = MAX_VALUE - MIN_VALUE + 1
    weights = []
    for reading in readings:
        table = np.full((len(reading.tokens), width), math.inf)
        for j, row in enumerate(reading.spans):
            for length, span_weight in row:
                table[j, length - MIN_VALUE] = span_weight
        weights.append(table)
    same_math = np.array(
        [
            [a == b and is_math for b in second.tokens]
            for a, is_math in zip(first.tokens, first.is_math, strict=True)
        ],
        dtype=bool,
    ).reshape(n1, n2)
    lengths = np.arange(MIN_VALUE, MAX_VALUE + 1)
    best = np.full((n1 + MAX_VALUE + 1, n2 + MAX_VALUE + 1), math.inf)
    best[n1, n2] = 0.0
    after = np.arange(n2)[:, None] + lengths[None, :]  # (j2, length2) -> j2 + length2
    for j1 in range(n1 - 1, -1, -1):
        following = best[j1 + lengths][:, after]  # (length1, j2, length2)
        cost = np.maximum(weights[0][j1][:, None, None], weights[1][None]) + following
        row = np.minimum(
            cost.min(axis=(0, 2)), np.where(same_math[j1], best[j1 + 1, 1 : n2 + 1], math.inf)
        )
        best[j1, :n2] = row
    return best[: n1 + 1, : n2 + 1]


def _advance(
    symbol: str, positions: tuple[int, ...], results: tuple[Tokens, ...], bindings: tuple
) -> tuple[int, ...] | None:
    ends = []
    for j, result, binding in zip(positions, results, bindings, strict=True):
        value = binding[symbol]
        if result[j : j + len(value)] != value:
            return None
        ends.append(j + len(value))
    return tuple(ends)


# Rendering answers as text (the target layouts).


def _case_text(header: Header, binding: Binding) -> str:
    return " , ".join(f"{s} : [ {' '.join(binding[s])} ]" for s in header.rule_symbols)


def _rule_text(rule: Tokens) -> str:
    return " ".join(rule)


def _render_rule(header: Header, rule: Tokens, bindings: tuple[Binding, ...]) -> str:
    return _rule_text(rule)


def _render_case(header: Header, rule: Tokens, bindings: tuple[Binding, ...]) -> str:
    return _case_text(header, bindings[0])


def _render_result(header: Header, rule: Tokens, bindings: tuple[Binding, ...]) -> str:
    return " ".join(apply_case(rule, bindings[0]))


def _render_cases_and_rule(header: Header, rule: Tokens, bindings: tuple[Binding, ...]) -> str:
    return " <space> ".join([*(_case_text(header, b) for b in bindings), _rule_text(rule)])


def _classes(
    matches: Iterator[Match],
    header: Header,
    render: Callable[[Header, Tokens, tuple[Binding, ...]], str],
) -> Iterator[AnswerClass]:
    for rule, bindings in matches:
        yield functools.partial(_renamed, render, header, rule, bindings)


def _renamed(
    render: Callable[[Header, Tokens, tuple[Binding, ...]], str],
    header: Header,
    rule: Tokens,
    bindings: tuple[Binding, ...],
    rename: Mapping[str, str],
) -> str:
    return render(
        header,
        tuple(rename.get(token, token) for token in rule),
        tuple({rename.get(s, s): v for s, v in b.items()} for b in bindings),
    )


def _text(text: str) -> AnswerClass:
    return lambda rename: text


# The enumerators the task declarations name, substitution tasks first.


def deduct_answers(header: Header, body: Body, budget: Budget) -> Iterator[AnswerClass]:
    return _classes(_deduct(header, body, budget), header, _render_result)


def abduct_answers(header: Header, body: Body, budget: Budget) -> Iterator[AnswerClass]:
    return _classes(_abduct(header, body, budget), header, _render_case)


def induct_answers(header: Header, body: Body, budget: Budget) -> Iterator[AnswerClass]:
    return _classes(_induct(header, body, budget), header, _render_rule)


def case_and_rule_answers(header: Header, body: Body, budget: Budget) -> Iterator[AnswerClass]:
    """induct_v2 and induct_v2_double: the case of each result, then the rule."""
    return _classes(_induct_free(header, body, budget), header, _render_cases_and_rule)


def rule_only_answers(header: Header, body: Body, budget: Budget) -> Iterator[AnswerClass]:
    """induct_hard and induct_v3: the rule alone."""
    return _classes(_induct_rule_only(header, body, budget), header, _render_rule)


def rewrite_answers(header: Header, body: Body, budget: Budget) -> Iterator[AnswerClass]:
    parsed = parse_rewrite_source(header, body, "rewrite")
    for string in rewrites(parsed.rules[0], parsed.string, parsed.header):
        yield _text(" ".join(string))


def induct_rewrite_answers(header: Header, body: Body, budget: Budget) -> Iterator[AnswerClass]:
    before, after = parse_induct_source(body)
    for left, right in _induct_rules(header, before, after):
        yield functools.partial(_renamed_rule, left + ("->",) + right)


def _renamed_rule(rule: Tokens, rename: Mapping[str, str]) -> str:
    return " ".join(rename.get(token, token) for token in rule)


def multistep_answers(header: Header, body: Body, budget: Budget) -> Iterator[AnswerClass]:
    for string in finals(parse_rewrite_source(header, body, "rewrite_multistep")):
        yield _text(" ".join(string))


def multistep_easy_answers(header: Header, body: Body, budget: Budget) -> Iterator[AnswerClass]:
    for path in _paths(parse_rewrite_source(header, body, "rewrite_multistep_easy")):
        yield _text(" <space> ".join(" ".join(string) for string in path))


# Rewrite answers: every sequence of strings, and every rule up to renaming.


def _paths(parsed: RewriteSource) -> Iterator[tuple[Tokens, ...]]:
    """Distinct sequences of intermediate strings (depth first, lazily)."""
    stack: list[tuple[Tokens, ...]] = [()]
    while stack:
        path = stack.pop()
        if len(path) == len(parsed.rules):
            yield path
            continue
        previous = path[-1] if path else parsed.string
        for result in rewrites(parsed.rules[len(path)], previous, parsed.header):
            stack.append(path + (result,))


def _induct_rules(header: Header, before: Tokens, after: Tokens) -> Iterator[tuple[Tokens, Tokens]]:
    """Distinct valid induct_rewrite rules, each up to a renaming of its rule symbols.

    A valid rule matches a span ``string[i:i+n]`` whose distinct string symbols are as many as the
    header's rule symbols, and the second string must be the first with that span replaced by a
    sequence of math symbols holding each of those string symbols exactly once.
    """
    k = len(header.rule_symbols)
    prefix = common_prefix(before, after)
    common_suffix = common_prefix(before[::-1], after[::-1])
    seen: set[tuple[Tokens, Tokens]] = set()
    for start in range(min(prefix, len(before) - 1) + 1):
        for end in range(max(start + 1, len(before) - common_suffix), len(before) + 1):
            tail = len(before) - end
            if len(after) - tail < start:
                continue
            span, replacement = before[start:end], after[start : len(after) - tail]
            letters = list(dict.fromkeys(t for t in span if t in header.string_symbols))
            if len(letters) != k or not all(
                t in header.math_symbols or t in header.string_symbols for t in span
            ):
                continue
            used = [t for t in replacement if t not in header.math_symbols]
            if sorted(used) != sorted(letters):
                continue
            names = dict(zip(letters, header.rule_symbols, strict=True))
            rule = (
                tuple(names.get(t, t) for t in span),
                tuple(names.get(t, t) for t in replacement),
            )
            if rule not in seen:
                seen.add(rule)
                yield rule
