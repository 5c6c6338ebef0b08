"""Is an answer valid? Decided from the source text alone, for every task.

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
  given result (checked by a backtracking matcher).

Rewrite tasks are checked in ``rewrite_checker``. ``check`` returns False for a malformed answer and
raises ``ValueError`` for a malformed source or an unknown task.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .suggest import did_you_mean

MIN_VALUE, MAX_VALUE = 2, 8
SPACE = "<space>"


@dataclass(frozen=True)
class Header:
    rule_symbols: tuple[str, ...]
    string_symbols: frozenset[str]
    math_symbols: frozenset[str]

    @property
    def value_symbols(self) -> frozenset[str]:
        return self.string_symbols | self.math_symbols


def parse_source(source: str) -> tuple[Header, list[list[str]]]:
    """The header and the body segments (split on ``<space>``) of a source text."""
    tokens = source.split()
    try:
        lower = tokens.index("<LOWER>")
        math = tokens.index("<MATH>")
        end = tokens.index(SPACE)
    except ValueError:
        raise ValueError(f"source has no LIME header: {source[:80]!r}") from None
    if tokens[0] != "<UPPER>" or not 0 < lower < math < end:
        raise ValueError(f"source has a malformed LIME header: {source[:80]!r}")
    header = Header(
        rule_symbols=tuple(tokens[1:lower]),
        string_symbols=frozenset(tokens[lower + 1 : math]),
        math_symbols=frozenset(tokens[math + 1 : end]),
    )
    return header, split_segments(tokens[end + 1 :])


def split_segments(tokens: Sequence[str]) -> list[list[str]]:
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token == SPACE:
            segments.append([])
        else:
            segments[-1].append(token)
    return segments


Case = dict[str, tuple[str, ...]]


def parse_case(tokens: Sequence[str], header: Header) -> Case | None:
    """A valid case, or None: every header rule symbol once, in order, values of 2..8 symbols."""
    case: Case = {}
    position = 0
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
        if not all(token in header.value_symbols for token in value):
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
    """Is there a valid case that turns ``rule`` into ``result``? (Backtracking match.)"""
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

    def match(i: int, j: int, binding: dict[str, tuple[str, ...]]) -> bool:
        if i == len(rule):
            return j == len(result)
        token = rule[i]
        if token not in rule_symbols:
            return j < len(result) and result[j] == token and match(i + 1, j + 1, binding)
        if token in binding:
            value = binding[token]
            return tuple(result[j : j + len(value)]) == value and match(
                i + 1, j + len(value), binding
            )
        for length in range(MIN_VALUE, min(MAX_VALUE, len(result) - j) + 1):
            binding[token] = tuple(result[j : j + length])
            if match(i + 1, j + length, binding):
                return True
        binding.pop(token, None)
        return False

    return match(0, 0, {})


def _segments(answer: str, count: int) -> list[list[str]] | None:
    parts = split_segments(answer.split())
    return parts if len(parts) == count and all(parts) else None


def _body(source: str, count: int, task: str) -> tuple[Header, list[list[str]]]:
    header, body = parse_source(source)
    if len(body) != count:
        raise ValueError(
            f"a {task} source has {count} body parts after the header; got {len(body)}"
        )
    return header, body


def check_deduct(source: str, answer: str) -> bool:
    header, (rule, case_tokens) = _body(source, 2, "deduct")
    case = parse_case(case_tokens, header)
    if case is None:
        raise ValueError("deduct source has a malformed case")
    return answer.split() == apply_case(rule, case)


def check_abduct(source: str, answer: str) -> bool:
    header, (rule, result) = _body(source, 2, "abduct")
    case = parse_case(answer.split(), header)
    return case is not None and apply_case(rule, case) == result


def check_induct(source: str, answer: str) -> bool:
    header, (result, case_tokens) = _body(source, 2, "induct")
    case = parse_case(case_tokens, header)
    if case is None:
        raise ValueError("induct source has a malformed case")
    rule = answer.split()
    return is_valid_rule(rule, header) and apply_case(rule, case) == result


def check_induct_v2(source: str, answer: str) -> bool:
    header, (result,) = _body(source, 1, "induct_v2")
    parts = _segments(answer, 2)
    if parts is None:
        return False
    case, rule = parse_case(parts[0], header), parts[1]
    return case is not None and is_valid_rule(rule, header) and apply_case(rule, case) == result


def check_induct_v2_double(source: str, answer: str) -> bool:
    header, (result, result2) = _body(source, 2, "induct_v2_double")
    parts = _segments(answer, 3)
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


def check_induct_v3(source: str, answer: str) -> bool:
    header, results = _body(source, 2, "induct_v3")
    rule = answer.split()
    return is_valid_rule(rule, header) and all(case_exists(rule, r, header) for r in results)


def check_induct_hard(source: str, answer: str) -> bool:
    header, (result,) = _body(source, 1, "induct_hard")
    rule = answer.split()
    return is_valid_rule(rule, header) and case_exists(rule, result, header)


CHECKERS: dict[str, Callable[[str, str], bool]] = {
    "deduct": check_deduct,
    "abduct": check_abduct,
    "induct": check_induct,
    "induct_v2": check_induct_v2,
    "induct_v3": check_induct_v3,
    "induct_hard": check_induct_hard,
    "induct_v2_double": check_induct_v2_double,
}


def check(task: str, source: str, answer: str) -> bool:
    """True if ``answer`` is a valid answer to ``source`` under ``task``'s validity rules."""
    if task not in CHECKERS:
        raise ValueError(f"task must be one of {', '.join(CHECKERS)}; got {task!r}"
                         f"{did_you_mean(task, CHECKERS)}")
    if not isinstance(source, str) or not isinstance(answer, str):
        raise ValueError("source and answer must be strings")
    return CHECKERS[task](source, answer)


from .rewrite_checker import CHECKERS as _REWRITE_CHECKERS  # noqa: E402

CHECKERS.update(_REWRITE_CHECKERS)
