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

``count_valid_answers`` counts the distinct valid answers of a source, up to a limit.

A check never builds every rewritten string: it compares the answer with the rule matched at each
position where the answer can fit, in ``O(s * m)`` (``s``: the string's length, ``m``: the rule's).
rewrite_multistep searches from the start string and back from the answer until the two meet,
within the checker's ``WorkBudget``. The checker module's docstring lists every task's worst case.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .checker import Header, WorkBudget, parse_source, split_segments

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
    variables, on_left = header.rule_symbol_set, set(left)
    if not left or any(token in variables and token not in on_left for token in right):
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
    binding = _bind(rule, string, position, header)
    if binding is None:
        return None
    replacement = tuple(binding.get(token, token) for token in rule.right)
    return string[:position] + replacement + string[position + len(rule.left) :]


def _bind(rule: Rule, string: Tokens, position: int, header: Header) -> dict[str, str] | None:
    """What each rule symbol stands for when ``rule.left`` matches at ``position``, or None."""
    variables = header.rule_symbol_set
    binding: dict[str, str] = {}
    taken: set[str] = set()
    for offset, token in enumerate(rule.left):
        symbol = string[position + offset]
        if token not in variables:
            if symbol != token:
                return None
        elif token in binding:
            if binding[token] != symbol:
                return None
        elif symbol in header.string_symbols and symbol not in taken:
            binding[token] = symbol
            taken.add(symbol)
        else:
            return None
    return binding


def _rewrites_to(
    rule: Rule, string: Tokens, target: Tokens, header: Header, budget: WorkBudget
) -> bool:
    """Does one application of ``rule`` to ``string`` give ``target``? ``O(len(string) * m)``.

    Only positions ``p`` where ``target`` keeps ``string[:p]`` and the string after the span are
    tried; at each, the span is matched and ``target``'s middle compared with the right side.
    """
    size, left, right = len(string), len(rule.left), len(rule.right)
    if left > size or len(target) != size - left + right:
        return False
    budget.spend(1 + size)
    prefix = _common_prefix(string, target)
    suffix = _common_prefix(string[::-1], target[::-1])
    for position in range(max(0, size - left - suffix), min(prefix, size - left) + 1):
        budget.spend(1 + left + right)
        binding = _bind(rule, string, position, header)
        if binding is not None and all(
            target[position + offset] == binding.get(token, token)
            for offset, token in enumerate(rule.right)
        ):
            return True
    return False


def rewrites(rule: Rule, string: Tokens, header: Header) -> set[Tokens]:
    """Every distinct string one application of ``rule`` to ``string`` gives."""
    results = (apply_at(rule, string, p, header) for p in range(len(string) - len(rule.left) + 1))
    return {result for result in results if result is not None}


@dataclass(frozen=True)
class RewriteSource:
    header: Header
    rules: tuple[Rule, ...]
    string: Tokens


def parse_rewrite_source(source: str, task: str, multistep: bool) -> RewriteSource:
    """Header, rules and string of a ``rule <space> string`` (or ``rule1 <space> ...``) source."""
    header, body = parse_source(source)
    if len(body) < 2 or (not multistep and len(body) != 2):
        raise ValueError(
            f"a {task} source has {'at least ' if multistep else ''}2 body parts after the "
            f"header; got {len(body)}"
        )
    rules = tuple(parse_rule(segment, header) for segment in body[:-1])
    if any(rule is None for rule in rules) or not body[-1] or ARROW in body[-1]:
        raise ValueError(f"{task} source has a malformed rule or string: {source[:80]!r}")
    return RewriteSource(header, rules, tuple(body[-1]))


def _answer_strings(answer: str, count: int) -> list[Tokens] | None:
    parts = split_segments(answer.split())
    if len(parts) != count or not all(parts):
        return None
    return [tuple(part) for part in parts]


def check_rewrite(source: str, answer: str) -> bool:
    parsed = parse_rewrite_source(source, "rewrite", multistep=False)
    return _rewrites_to(
        parsed.rules[0], parsed.string, tuple(answer.split()), parsed.header, WorkBudget()
    )


def check_rewrite_multistep(source: str, answer: str) -> bool:
    parsed = parse_rewrite_source(source, "rewrite_multistep", multistep=True)
    return _reaches(parsed, tuple(answer.split()), WorkBudget())


def check_rewrite_multistep_easy(source: str, answer: str) -> bool:
    parsed = parse_rewrite_source(source, "rewrite_multistep_easy", multistep=True)
    strings = _answer_strings(answer, len(parsed.rules))
    if strings is None:
        return False
    previous, budget = parsed.string, WorkBudget()
    for rule, string in zip(parsed.rules, strings, strict=True):
        if not _rewrites_to(rule, previous, string, parsed.header, budget):
            return False
        previous = string
    return True


def parse_induct_source(source: str) -> tuple[Header, Tokens, Tokens]:
    """Header, string and rewritten string of an induct_rewrite source."""
    header, body = parse_source(source)
    if len(body) != 2 or not all(body):
        raise ValueError(f"an induct_rewrite source has 2 non-empty body parts; got {len(body)}")
    return header, tuple(body[0]), tuple(body[1])


def check_induct_rewrite(source: str, answer: str) -> bool:
    header, before, after = parse_induct_source(source)
    rule = parse_rule(answer.split(), header)
    return (
        rule is not None
        and has_induct_shape(rule, header)
        and _rewrites_to(rule, before, after, header, WorkBudget())
    )


def _reaches(parsed: RewriteSource, target: Tokens, budget: WorkBudget) -> bool:
    """Does some sequence of applications of the rules, in turn, give ``target``?

    Searched from both ends until they meet: the distinct strings the first ``i`` rules give, and
    the distinct strings from which the last rules give ``target``, growing the smaller side. A
    rule is undone only when its right side holds every rule symbol of its left (then the string
    before it is determined); otherwise that side waits. Every step changes the length by a fixed
    amount, so a target of another length is refused at once.
    """
    rules, header = parsed.rules, parsed.header
    growth = sum(len(rule.right) - len(rule.left) for rule in rules)
    if len(target) != len(parsed.string) + growth:
        return False
    forward, backward = {parsed.string}, {target}
    first, last = 0, len(rules)  # rules[first:last] are still to be bridged
    while last - first > 1 or len(backward) > 1:
        rule = rules[last - 1]
        if len(backward) < len(forward) and _undoable(rule, header):
            backward = {before for after in backward
                        for before in _predecessors(rule, after, header, budget)}
            last -= 1
        else:
            forward = {after for before in forward
                       for after in _successors(rules[first], before, header, budget)}
            first += 1
        if first == last:
            return not forward.isdisjoint(backward)
        if not forward or not backward:
            return False
    (only,) = backward  # one rule left to bridge, one string to reach: no need to build any
    return any(_rewrites_to(rules[first], string, only, header, budget) for string in forward)


def _successors(rule: Rule, string: Tokens, header: Header, budget: WorkBudget) -> Iterator[Tokens]:
    """Every string one application of ``rule`` to ``string`` gives (with repeats)."""
    for position in range(len(string) - len(rule.left) + 1):
        budget.spend(1 + len(rule.left))
        binding = _bind(rule, string, position, header)
        if binding is not None:
            budget.spend(1 + len(string))
            middle = tuple(binding.get(token, token) for token in rule.right)
            yield string[:position] + middle + string[position + len(rule.left) :]


def _undoable(rule: Rule, header: Header) -> bool:
    variables = header.rule_symbol_set
    return {token for token in rule.left if token in variables} <= set(rule.right)


def _predecessors(
    rule: Rule, string: Tokens, header: Header, budget: WorkBudget
) -> Iterator[Tokens]:
    """Every string from which one application of an ``_undoable`` rule gives ``string``.

    Where the right side fits ``string``, it tells what each rule symbol stands for, hence the
    span before; each candidate is confirmed by applying the rule to it.
    """
    variables, size = header.rule_symbol_set, len(rule.right)
    for position in range(len(string) - size + 1):
        budget.spend(1 + size)
        binding: dict[str, str] = {}
        for token, symbol in zip(rule.right, string[position : position + size], strict=True):
            fits = binding.setdefault(token, symbol) == symbol if token in variables else (
                token == symbol
            )
            if not fits:
                break
        else:
            budget.spend(1 + len(string) + len(rule.left))
            span = tuple(binding.get(token, token) for token in rule.left)
            before = string[:position] + span + string[position + size :]
            confirmed = _bind(rule, before, position, header)
            if confirmed is not None and all(
                confirmed.get(token, token) == symbol
                for token, symbol in zip(rule.right, string[position : position + size],
                                         strict=True)
            ):
                yield before


def _finals(parsed: RewriteSource) -> Iterator[Tokens]:
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


def _induct_rules(source: str) -> Iterator[tuple[Tokens, Tokens]]:
    """Distinct valid induct_rewrite rules, each up to a renaming of its rule symbols.

    A valid rule matches a span ``string[i:i+n]`` whose distinct string symbols are as many as the
    header's rule symbols, and the second string must be the first with that span replaced by a
    sequence of math symbols holding each of those string symbols exactly once.
    """
    header, before, after = parse_induct_source(source)
    k = len(header.rule_symbols)
    common_prefix = _common_prefix(before, after)
    common_suffix = _common_prefix(before[::-1], after[::-1])
    seen: set[tuple[Tokens, Tokens]] = set()
    for start in range(min(common_prefix, len(before) - 1) + 1):
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
            names = {letter: f"#{index}" for index, letter in enumerate(letters)}
            rule = (
                tuple(names.get(t, t) for t in span),
                tuple(names.get(t, t) for t in replacement),
            )
            if rule not in seen:
                seen.add(rule)
                yield rule


def _common_prefix(a: Tokens, b: Tokens) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def count_valid_answers(task: str, source: str, limit: int) -> int:
    """How many distinct valid answers ``source`` has under ``task``, counting at most ``limit``.

    For induct_rewrite, rules that differ only in which rule symbol names which letter count once.
    """
    if not isinstance(task, str) or task not in _ENUMERATORS:
        raise ValueError(f"task must be one of {', '.join(_ENUMERATORS)}; got {task!r}")
    if isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1:
        raise ValueError(f"limit must be a positive integer; got {limit!r}")
    count = 0
    for _ in _ENUMERATORS[task](source):
        count += 1
        if count == limit:
            break
    return count


def _rewrite_answers(source: str) -> Iterator[Tokens]:
    parsed = parse_rewrite_source(source, "rewrite", multistep=False)
    return iter(rewrites(parsed.rules[0], parsed.string, parsed.header))


_ENUMERATORS: dict[str, Callable[[str], Iterator]] = {
    "rewrite": _rewrite_answers,
    "induct_rewrite": _induct_rules,
    "rewrite_multistep": lambda source: _finals(
        parse_rewrite_source(source, "rewrite_multistep", multistep=True)
    ),
    "rewrite_multistep_easy": lambda source: _paths(
        parse_rewrite_source(source, "rewrite_multistep_easy", multistep=True)
    ),
}

CHECKERS: dict[str, Callable[[str, str], bool]] = {
    "rewrite": check_rewrite,
    "induct_rewrite": check_induct_rewrite,
    "rewrite_multistep": check_rewrite_multistep,
    "rewrite_multistep_easy": check_rewrite_multistep_easy,
}
