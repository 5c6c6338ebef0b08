"""Is a substitution answer valid? Decided from the source text alone (spec family 1).

Written independently of the generators (it never calls them): it parses the source, then applies
the validity rules of the spec ("What makes an answer correct"):

* A *case* lists every rule symbol of the header exactly once, in header order, as
  ``A : [ v ... ] , B : [ ... ]``; each value is 2 to 8 symbols from the header's string and math
  symbols.
* A *substitution rule* is a non-empty sequence of the header's rule symbols (each at least once)
  and math symbols.
* deduct: the answer must be the result of applying the source's case to its rule (unique).
* abduct: any valid case that turns the rule into the result.
* induct, induct_v2, induct_v2_double: any valid rule (with the answered cases, for the variants
  that answer them) that the cases turn into the given results.
* induct_hard, induct_v3: any valid rule for which a valid case exists that turns it into each
  given result (checked by a depth-first search, below).

Each ``check_<task>(header, body, answer)`` receives the source already parsed into its header and
body parts (``Task.parse`` in ``tasks``, with the part count of the task's declaration); it returns
False for a malformed answer and raises ``ValueError`` for a malformed source or past the work
limit (``work_budget.CHECK_WORK_LIMIT``). Rewrite tasks are checked in ``rewrite_checker``.

Worst-case cost, with ``n`` the tokens of the source and ``a`` those of the answer, parsing
included; the steps that depend on the input's shape are counted by a ``WorkBudget``:

* deduct, abduct, induct, induct_v2, induct_v2_double: ``O(n + a)``: one case applied to one rule
  (each value at most 8 symbols) and compared; no search.
* induct_hard, induct_v3: a search over the lengths (2 to 8) of the values of the ``k`` rule
  symbols, in order of first use in the rule, pruned by the total length and remembering the states
  that failed (a state keeps only the values still needed further on). Each first use tries at
  most 7 lengths, so at most about ``7**k * a`` steps per result; far fewer in practice, and
  generated sources have ``k <= 5``. Matching a pattern with repeated variables is NP-complete in
  general and the format does not bound ``k``, hence the budget for crafted sources.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from .parsing import Header, answer_segments
from .work_budget import WorkBudget

MIN_VALUE, MAX_VALUE = 2, 8
Case = dict[str, tuple[str, ...]]
Body = list[list[str]]


def parse_case(tokens: Sequence[str], header: Header) -> Case | None:
    """A valid case, or None: every header rule symbol once, in order, values of 2..8 symbols."""
    case: Case = {}
    position = 0
    values = header.value_symbols
    for index, symbol in enumerate(header.rule_symbols):
        if index:
            if position >= len(tokens) or tokens[position] != ",":
                return None
            position += 1
        if tokens[position : position + 3] != [symbol, ":", "["]:
            return None
        position += 3
        try:
            close = tokens.index("]", position)
        except ValueError:
            return None
        value = tuple(tokens[position:close])
        if not MIN_VALUE <= len(value) <= MAX_VALUE:
            return None
        if not all(token in values for token in value):
            return None
        case[symbol] = value
        position = close + 1
    return case if position == len(tokens) and case else None


def is_valid_rule(tokens: Sequence[str], header: Header) -> bool:
    """Only header rule symbols (each at least once) and math symbols."""
    allowed = set(header.rule_symbols) | header.math_symbols
    return (
        bool(tokens)
        and all(token in allowed for token in tokens)
        and set(header.rule_symbols) <= set(tokens)
    )


def apply_case(rule: Sequence[str], case: Case) -> list[str]:
    out: list[str] = []
    for token in rule:
        out.extend(case.get(token, (token,)))
    return out


def case_exists(rule: Sequence[str], result: Sequence[str], header: Header) -> bool:
    """Is there a valid case that turns ``rule`` into ``result``?

    A depth-first search over the values' lengths (see the module docstring for its cost); raises
    ``ValueError`` past ``CHECK_WORK_LIMIT`` steps.
    """
    rule_symbols = set(header.rule_symbols)
    values = header.value_symbols
    if any(token not in values for token in result):
        return False
    fixed = sum(1 for token in rule if token not in rule_symbols)
    if (
        not fixed + MIN_VALUE * (len(rule) - fixed)
        <= len(result)
        <= fixed + MAX_VALUE * (len(rule) - fixed)
    ):
        return False
    return _CaseSearch(rule, tuple(result), rule_symbols, WorkBudget()).run()


# A search node is remembered only while at most this many earlier values are still needed.
_MEMO_LIVE = 32


class _CaseSearch:
    """Depth-first search for the values of a rule's variables, bound at their first use.

    Between two first uses the rule is matched deterministically. A node is (variable ``t`` to bind,
    position ``j`` in the result, the values of the bound variables used again later); a node that
    failed once fails again, so it is remembered and never searched twice (when it holds at most
    ``_MEMO_LIVE`` values: a longer key would cost more to build than it saves).
    """

    def __init__(
        self, rule: Sequence[str], result: tuple[str, ...], variables: set[str], budget: WorkBudget
    ) -> None:
        self.result = result
        self.budget = budget
        self.order = list(dict.fromkeys(token for token in rule if token in variables))
        index = {variable: t for t, variable in enumerate(self.order)}
        first: dict[str, int] = {}
        last: dict[str, int] = {}
        for position, token in enumerate(rule):
            if token in index:
                first.setdefault(token, position)
                last[token] = position
        starts = [first[variable] for variable in self.order]
        cuts = [-1, *starts, len(rule)]
        # segments[t]: the tokens after the first use of variable t - 1 up to that of variable t,
        # each as (variable index, or -1 for a literal symbol; the token).
        self.segments = [
            [(index.get(token, -1), token) for token in rule[cuts[t] + 1 : cuts[t + 1]]]
            for t in range(len(self.order) + 1)
        ]
        uses = [0] * len(self.order)
        for token in rule:
            if token in index:
                uses[index[token]] += 1
        self.uses = uses
        self.fixed = len(rule) - sum(uses)
        # Uses of the variables bound after variable t.
        self.unbound_after = list(itertools.accumulate(reversed([*uses[1:], 0])))[::-1]
        self.live = self._live(starts, [last[variable] for variable in self.order])

    @staticmethod
    def _live(starts: list[int], last: list[int]) -> list[list[int] | None]:
        """Per variable ``t``: the variables bound before it and used again after its first use,
        or None where they are more than ``_MEMO_LIVE`` (nodes there are not remembered)."""
        by_last = sorted(range(len(last)), key=last.__getitem__)
        alive: set[int] = set()
        gone = 0
        live: list[list[int] | None] = []
        for t, start in enumerate(starts):
            if t and last[t - 1] > start:
                alive.add(t - 1)
            while gone < len(by_last) and last[by_last[gone]] <= start:
                alive.discard(by_last[gone])
                gone += 1
            live.append(sorted(alive) if len(alive) <= _MEMO_LIVE else None)
        return live

    def _match(self, segment: list[tuple[int, str]], j: int, bound: list[tuple[str, ...]]) -> int:
        """Position after matching ``segment`` at ``j`` of the result, or -1."""
        result = self.result
        self.budget.spend(len(segment))
        for variable, token in segment:
            if variable < 0:
                if j >= len(result) or result[j] != token:
                    return -1
                j += 1
            else:
                value = bound[variable]
                if result[j : j + len(value)] != value:
                    return -1
                j += len(value)
        return j

    def _key(self, t: int, j: int, bound: list[tuple[str, ...]]) -> tuple | None:
        live = self.live[t]
        if live is None:
            return None
        self.budget.spend(1 + len(live))
        return (t, j, tuple(bound[s] for s in live))

    def run(self) -> bool:
        size = len(self.result)
        bound: list[tuple[str, ...]] = []  # values of the variables bound so far, in order
        j = self._match(self.segments[0], 0, bound)
        if j < 0 or not self.order:
            return j == size
        failed: set[tuple] = set()
        # One frame per variable being bound: [position, known length, next length to try, key].
        frames = [[j, self.fixed, MIN_VALUE, self._key(0, j, bound)]]
        while frames:
            t = len(frames) - 1
            frame = frames[t]
            j, known, length, key = frame
            if length > MAX_VALUE or j + length > size:
                if key is not None:
                    failed.add(key)
                frames.pop()
                if frames:
                    bound.pop()
                continue
            frame[2] = length + 1
            self.budget.spend()
            total = known + self.uses[t] * length
            rest = self.unbound_after[t]
            if not total + MIN_VALUE * rest <= size <= total + MAX_VALUE * rest:
                continue
            bound.append(self.result[j : j + length])
            after = self._match(self.segments[t + 1], j + length, bound)
            if after >= 0 and t + 1 == len(self.order) and after == size:
                return True
            if after >= 0 and t + 1 < len(self.order):
                child = self._key(t + 1, after, bound)
                if child is None or child not in failed:
                    frames.append([after, total, MIN_VALUE, child])
                    continue
            bound.pop()
        return False


def check_deduct(header: Header, body: Body, answer: str) -> bool:
    rule, case_tokens = body
    case = parse_case(case_tokens, header)
    if case is None:
        raise ValueError("deduct source has a malformed case")
    return answer.split() == apply_case(rule, case)


def check_abduct(header: Header, body: Body, answer: str) -> bool:
    rule, result = body
    case = parse_case(answer.split(), header)
    return case is not None and apply_case(rule, case) == result


def check_induct(header: Header, body: Body, answer: str) -> bool:
    result, case_tokens = body
    case = parse_case(case_tokens, header)
    if case is None:
        raise ValueError("induct source has a malformed case")
    rule = answer.split()
    return is_valid_rule(rule, header) and apply_case(rule, case) == result


def check_induct_v2(header: Header, body: Body, answer: str) -> bool:
    (result,) = body
    parts = answer_segments(answer, 2)
    if parts is None:
        return False
    case, rule = parse_case(parts[0], header), parts[1]
    return case is not None and is_valid_rule(rule, header) and apply_case(rule, case) == result


def check_induct_v2_double(header: Header, body: Body, answer: str) -> bool:
    result, result2 = body
    parts = answer_segments(answer, 3)
    if parts is None:
        return False
    case, case2, rule = parse_case(parts[0], header), parse_case(parts[1], header), parts[2]
    return (
        case is not None
        and case2 is not None
        and is_valid_rule(rule, header)
        and apply_case(rule, case) == result
        and apply_case(rule, case2) == result2
    )


def check_induct_v3(header: Header, body: Body, answer: str) -> bool:
    results = body
    rule = answer.split()
    return is_valid_rule(rule, header) and all(case_exists(rule, r, header) for r in results)


def check_induct_hard(header: Header, body: Body, answer: str) -> bool:
    (result,) = body
    rule = answer.split()
    return is_valid_rule(rule, header) and case_exists(rule, result, header)
