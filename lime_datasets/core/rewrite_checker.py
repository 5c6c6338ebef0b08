"""Is a rewrite answer valid? Decided from the source text alone (spec families 2 and 3).

Written independently of the generators (it never calls them), from the spec's validity rules:

* A rewrite rule is ``left -> right``. Applying it at a position of a string: each of the header's
  rule symbols on the left stands for exactly one *string* symbol, different rule symbols for
  different string symbols; every other token stands for itself. The matched span is replaced by
  the right side with each rule symbol replaced by what it stands for.
* rewrite: any string the source's rule gives when applied at *some* position.
* rewrite_multistep: any string that applying the rules in turn, each at some position, gives.
* rewrite_multistep_easy: one string per rule, joined by ``<space>``, the final one included; each
  must follow from the one before (the first from the start string) by one application.
* induct_rewrite: any rule of the task's shape that rewrites the first string into the second.
  The shape: the left side is non-empty, made of math symbols and the header's rule symbols, each
  of those at least once (a span with its string symbols abstracted); the right side is math
  symbols plus each rule symbol exactly once. Which rule symbol names which letter is free.

Each ``check_<task>(header, body, answer)`` receives the source already parsed into its header and
body parts (``parsing.parse_body``, with the part count of the task's declaration in ``tasks``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .parsing import Header, answer_segments

ARROW = "->"
Tokens = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    left: Tokens
    right: Tokens


def parse_rule(tokens: Sequence[str], header: Header) -> Rule | None:
    """``left -> right``: a non-empty left side holding every rule symbol of the right; or None."""
    if list(tokens).count(ARROW) != 1:
        return None
    arrow = list(tokens).index(ARROW)
    left, right = tuple(tokens[:arrow]), tuple(tokens[arrow + 1 :])
    variables = set(header.rule_symbols)
    if not left or any(token in variables and token not in left for token in right):
        return None
    return Rule(left, right)


def has_induct_shape(rule: Rule, header: Header) -> bool:
    """Left: math and every header rule symbol (at least once); right: math, rule symbols once."""
    variables = set(header.rule_symbols)
    allowed = variables | header.math_symbols
    right_variables = [token for token in rule.right if token in variables]
    return (
        all(token in allowed for token in rule.left + rule.right)
        and variables <= set(rule.left)
        and sorted(right_variables) == sorted(variables)
    )


def apply_at(rule: Rule, string: Tokens, position: int, header: Header) -> Tokens | None:
    """The string rewritten by ``rule`` matched at ``position``, or None if it does not match."""
    variables = header.rule_symbols
    binding: dict[str, str] = {}
    for offset, token in enumerate(rule.left):
        symbol = string[position + offset]
        if token not in variables:
            if symbol != token:
                return None
        elif token in binding:
            if binding[token] != symbol:
                return None
        elif symbol in header.string_symbols and symbol not in binding.values():
            binding[token] = symbol
        else:
            return None
    replacement = tuple(binding.get(token, token) for token in rule.right)
    return string[:position] + replacement + string[position + len(rule.left) :]


def rewrites(rule: Rule, string: Tokens, header: Header) -> set[Tokens]:
    """Every distinct string one application of ``rule`` to ``string`` gives."""
    results = (apply_at(rule, string, p, header) for p in range(len(string) - len(rule.left) + 1))
    return {result for result in results if result is not None}


@dataclass(frozen=True)
class RewriteSource:
    header: Header
    rules: tuple[Rule, ...]
    string: Tokens


def parse_rewrite_source(header: Header, body: list[list[str]], task: str) -> RewriteSource:
    """The rules and string of a ``rule <space> string`` (or ``rule1 <space> ...``) source body."""
    rules = tuple(parse_rule(segment, header) for segment in body[:-1])
    if any(rule is None for rule in rules) or not body[-1] or ARROW in body[-1]:
        raise ValueError(f"{task} source has a malformed rule or string: {' '.join(body[-1])!r}")
    return RewriteSource(header, rules, tuple(body[-1]))


def check_rewrite(header: Header, body: list[list[str]], answer: str) -> bool:
    parsed = parse_rewrite_source(header, body, "rewrite")
    return tuple(answer.split()) in rewrites(parsed.rules[0], parsed.string, parsed.header)


def check_rewrite_multistep(header: Header, body: list[list[str]], answer: str) -> bool:
    parsed = parse_rewrite_source(header, body, "rewrite_multistep")
    target = tuple(answer.split())
    return any(final == target for final in finals(parsed))


def check_rewrite_multistep_easy(header: Header, body: list[list[str]], answer: str) -> bool:
    parsed = parse_rewrite_source(header, body, "rewrite_multistep_easy")
    strings = answer_segments(answer, len(parsed.rules))
    if strings is None:
        return False
    previous = parsed.string
    for rule, string in zip(parsed.rules, map(tuple, strings), strict=True):
        if string not in rewrites(rule, previous, parsed.header):
            return False
        previous = string
    return True


def parse_induct_source(body: list[list[str]]) -> tuple[Tokens, Tokens]:
    """The string and the rewritten string of an induct_rewrite source body."""
    if not all(body):
        raise ValueError("an induct_rewrite source has 2 non-empty body parts")
    return tuple(body[0]), tuple(body[1])


def check_induct_rewrite(header: Header, body: list[list[str]], answer: str) -> bool:
    before, after = parse_induct_source(body)
    rule = parse_rule(answer.split(), header)
    return (
        rule is not None
        and has_induct_shape(rule, header)
        and after in rewrites(rule, before, header)
    )


def finals(parsed: RewriteSource) -> Iterator[Tokens]:
    """Distinct final strings of every sequence of applications (depth first, lazily)."""
    seen: set[tuple[int, Tokens]] = set()
    stack = [(0, parsed.string)]
    while stack:
        step, string = stack.pop()
        if (step, string) in seen:
            continue
        seen.add((step, string))
        if step == len(parsed.rules):
            yield string
            continue
        for result in rewrites(parsed.rules[step], string, parsed.header):
            stack.append((step + 1, result))
