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
  given result (checked by a backtracking matcher).

Each ``check_<task>(header, body, answer)`` receives the source already parsed into its header and
body parts (``parsing.parse_body``, with the part count of the task's declaration in ``tasks``); it
returns False for a malformed answer and raises ``ValueError`` for a malformed source. Rewrite
tasks are checked in ``rewrite_checker``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .parsing import Header, answer_segments

MIN_VALUE, MAX_VALUE = 2, 8
Case = dict[str, tuple[str, ...]]
Body = list[list[str]]


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
