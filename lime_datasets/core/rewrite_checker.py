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
body parts (``Task.parse`` in ``tasks``, with the part count of the task's declaration); it returns
False for a malformed answer and raises ``ValueError`` for a malformed source or past the work
limit (``work_budget.CHECK_WORK_LIMIT``).

Worst-case cost, with ``n`` the tokens of the source and ``a`` those of the answer, parsing
included; the steps that depend on the input's shape are counted by a ``WorkBudget``:

* rewrite, induct_rewrite: ``O(s * m)``, ``s`` the string's length and ``m`` the rule's: the
  answer is compared with the rule matched at each position where it can fit; no rewritten string
  is built.
* rewrite_multistep_easy: the same per step: ``O(sum of s_i * m_i) = O(n * a)``.
* rewrite_multistep: a search from both ends (the distinct strings the first rules give, and those
  from which the last rules give the answer, the smaller side grown first), the last gap of one
  rule closed as for rewrite. The strings can grow exponentially with the number of steps on
  crafted sources (six swap rules over 24 symbols: 4 * 10^5 steps), so it runs within the budget.

``rewrites`` and ``finals`` build every rewritten string; the answer enumerators
(``answer_search``) use them, the checks do not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .parsing import Header, answer_segments
from .work_budget import WorkBudget

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
    prefix = common_prefix(string, target)
    suffix = common_prefix(string[::-1], target[::-1])
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


def parse_rewrite_source(header: Header, body: list[list[str]], task: str) -> RewriteSource:
    """The rules and string of a ``rule <space> string`` (or ``rule1 <space> ...``) source body."""
    rules = tuple(parse_rule(segment, header) for segment in body[:-1])
    if any(rule is None for rule in rules) or not body[-1] or ARROW in body[-1]:
        raise ValueError(f"{task} source has a malformed rule or string: {' '.join(body[-1])!r}")
    return RewriteSource(header, rules, tuple(body[-1]))


def check_rewrite(header: Header, body: list[list[str]], answer: str) -> bool:
    parsed = parse_rewrite_source(header, body, "rewrite")
    return _rewrites_to(
        parsed.rules[0], parsed.string, tuple(answer.split()), parsed.header, WorkBudget()
    )


def check_rewrite_multistep(header: Header, body: list[list[str]], answer: str) -> bool:
    parsed = parse_rewrite_source(header, body, "rewrite_multistep")
    return _reaches(parsed, tuple(answer.split()), WorkBudget())


def check_rewrite_multistep_easy(header: Header, body: list[list[str]], answer: str) -> bool:
    parsed = parse_rewrite_source(header, body, "rewrite_multistep_easy")
    strings = answer_segments(answer, len(parsed.rules))
    if strings is None:
        return False
    previous, budget = parsed.string, WorkBudget()
    for rule, string in zip(parsed.rules, map(tuple, strings), strict=True):
        if not _rewrites_to(rule, previous, string, parsed.header, budget):
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


def common_prefix(a: Tokens, b: Tokens) -> int:
    """How many tokens ``a`` and ``b`` share from their start."""
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length
