"""``check`` does bounded work on any source and answer, and stays exactly as strict.

Work is counted, never timed: ``traced_check`` counts the Python lines the checker modules execute
(an instrument independent of the checker's own ``WorkBudget``), and the budget's count is read
through a recording subclass. Crafted sources use tiny alphabets so that rules match almost
everywhere, the worst case for the matchers. Small crafted cases are compared with brute-force
references written here from the spec.
"""

from __future__ import annotations

import itertools
import sys
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lime_datasets
from lime_datasets.core import checker, parsing, rewrite_checker, tasks, work_budget
from lime_datasets.core.checker import MAX_VALUE, MIN_VALUE
from lime_datasets.core.tasks import declaration
from lime_datasets.core.work_budget import CHECK_WORK_LIMIT

# Every module a check runs code in: the lookup and parsing, the checkers and their budget.
CHECKER_FILES = {
    module.__file__
    for module in (tasks, declaration, parsing, checker, rewrite_checker, work_budget)
}
RULES = [f"r{i}" for i in range(24)]
STRINGS = [f"s{i}" for i in range(24)]
MATHS = [f"m{i}" for i in range(20)]
SEARCH_TASKS = ("induct_hard", "induct_v3", "rewrite_multistep")
# Lines the checker may run per token of input, and per step its budget counts.
LINES_PER_TOKEN, LINES_PER_STEP = 40, 20
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def header(rules: int, strings: int = 24, maths: int = 20) -> str:
    return (
        f"<UPPER> {' '.join(RULES[:rules])} <LOWER> {' '.join(STRINGS[:strings])} "
        f"<MATH> {' '.join(MATHS[:maths])} <space>"
    )


def traced_check(task: str, source: str, answer: str) -> tuple[bool | ValueError, int]:
    """The check's result (or its ValueError) and the lines the checker modules ran."""
    lines = 0

    def local(frame, event, arg):
        nonlocal lines
        lines += event == "line"
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename in CHECKER_FILES else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        result = lime_datasets.check(task, source, answer)
    except ValueError as error:
        result = error
    finally:
        sys.settrace(previous)
    return result, lines


class RecordingBudget(work_budget.WorkBudget):
    created: list[RecordingBudget] = []

    def __init__(self, limit: int = CHECK_WORK_LIMIT) -> None:
        super().__init__(limit)
        RecordingBudget.created.append(self)


SMALL_LIMIT = 20_000


class SmallBudget(RecordingBudget):
    """A budget with a small limit: the lines a search runs per step, counted quickly."""

    def __init__(self, limit: int = CHECK_WORK_LIMIT) -> None:
        super().__init__(SMALL_LIMIT)


def measured(task: str, source: str, answer: str, budget: type = RecordingBudget):
    """``traced_check`` with every budget recorded: the result, the lines and the steps spent."""
    RecordingBudget.created.clear()
    with pytest.MonkeyPatch.context() as patch:
        for module in (checker, rewrite_checker):
            patch.setattr(module, "WorkBudget", budget)
        result, lines = traced_check(task, source, answer)
    return result, lines, sum(spent.spent for spent in RecordingBudget.created)


@pytest.fixture
def budgets(monkeypatch) -> list[RecordingBudget]:
    """The budgets of the checks run in the test, in order."""
    RecordingBudget.created.clear()
    monkeypatch.setattr(checker, "WorkBudget", RecordingBudget)
    monkeypatch.setattr(rewrite_checker, "WorkBudget", RecordingBudget)
    return RecordingBudget.created


def peak_memory(task: str, source: str, answer: str) -> int:
    """The most memory (bytes) allocated at once during the check."""
    tracemalloc.start()
    try:
        lime_datasets.check(task, source, answer)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def tokens(source: str, answer: str) -> int:
    return len(source.split()) + len(answer.split())


def assert_bounded(result, lines: int, allowed_lines: int) -> None:
    assert lines <= allowed_lines, (lines, allowed_lines)
    if isinstance(result, ValueError):
        assert "CHECK_WORK_LIMIT" in str(result)


# --- the reproductions -------------------------------------------------------------------------


def test_rewrite_over_8000_matches_is_linear_in_time_and_memory() -> None:
    """The rule m0 -> m1 over 8,000 copies of m0 (a 32 KB source)."""
    source = f"{header(1)} m0 -> m1 <space> " + " ".join(["m0"] * 8000)
    valid = " ".join(["m0"] * 4000 + ["m1"] + ["m0"] * 3999)
    invalid = " ".join(["m0"] * 8000)
    for answer, expected in ((valid, True), (invalid, False)):
        result, lines = traced_check("rewrite", source, answer)
        assert result is expected
        assert lines <= LINES_PER_TOKEN * tokens(source, answer)
        # Building every rewritten string took ~500 MB here.
        assert peak_memory("rewrite", source, answer) < 200 * len(source)


def test_induct_hard_with_nine_rule_symbols(budgets) -> None:
    result_tokens = [STRINGS[i % 24] for i in range(60)]
    source = f"{header(9)} {' '.join(result_tokens)}"
    answer = " ".join(RULES[:9]) + " m0"  # no m0 in the result: every split of it fails
    result, lines = traced_check("induct_hard", source, answer)
    assert result is False
    # Failed states are remembered by (variable, position): at most 9 * 61 of them.
    assert sum(b.spent for b in budgets) <= 9 * 61 * (MAX_VALUE - MIN_VALUE + 1) * 4
    assert lines <= LINES_PER_TOKEN * tokens(source, answer) + LINES_PER_STEP * budgets[0].spent
    # The same rule with its symbols reused, and a result it does give.
    valid = "r0 r1 r2 r3 r4 r5 r6 r7 r8 r0"
    gives = " ".join(STRINGS[: 2 * 9] + STRINGS[:2])
    assert lime_datasets.check("induct_hard", f"{header(9)} {gives}", valid)


def test_six_swap_rules_are_decided(budgets) -> None:
    rules = " <space> ".join(["r0 r1 -> r1 r0"] * 6)
    source = f"{header(24)} {rules} <space> {' '.join(STRINGS)}"
    unreachable = " ".join(reversed(STRINGS))  # 276 swaps away
    result, lines = traced_check("rewrite_multistep", source, unreachable)
    assert result is False
    spent = budgets[0].spent
    assert lines <= LINES_PER_TOKEN * tokens(source, unreachable) + LINES_PER_STEP * spent
    assert budgets[0].spent <= CHECK_WORK_LIMIT // 4
    # Six swaps at positions 0, 2, 4, 6, 8 and 0 again (undoing the first).
    swapped = list(STRINGS)
    for position in (0, 2, 4, 6, 8, 0):
        swapped[position : position + 2] = swapped[position : position + 2][::-1]
    assert lime_datasets.check("rewrite_multistep", source, " ".join(swapped))
    assert lime_datasets.check("rewrite_multistep", source, " ".join(STRINGS))  # 3 swaps undone
    odd = [STRINGS[1], STRINGS[0], *STRINGS[2:]]  # six swaps never make an odd permutation
    assert not lime_datasets.check("rewrite_multistep", source, " ".join(odd))


def test_twelve_swap_rules_stop_at_the_work_limit(budgets) -> None:
    rules = " <space> ".join(["r0 r1 -> r1 r0"] * 12)
    source = f"{header(24)} {rules} <space> {' '.join(STRINGS)}"
    answer = " ".join(reversed(STRINGS))
    with pytest.raises(ValueError, match="CHECK_WORK_LIMIT"):
        lime_datasets.check("rewrite_multistep", source, answer)
    assert budgets[0].spent <= CHECK_WORK_LIMIT + 4 * len(STRINGS)
    result, lines, _ = measured("rewrite_multistep", source, answer, SmallBudget)
    assert_bounded(result, lines, LINES_PER_TOKEN * tokens(source, answer)
                   + LINES_PER_STEP * SMALL_LIMIT)


# --- crafted sources: bounded work -------------------------------------------------------------

small = st.integers(min_value=1, max_value=3)


@st.composite
def substitution_inputs(draw) -> tuple[str, str, str]:
    """A crafted substitution source and answer, for any substitution task."""
    task = draw(st.sampled_from(
        ["deduct", "abduct", "induct", "induct_v2", "induct_v2_double", "induct_hard", "induct_v3"]
    ))
    k = draw(st.integers(1, 8))
    pool = st.sampled_from(RULES[:k] + STRINGS[:2] + MATHS[:2])
    values = st.sampled_from(STRINGS[:2] + MATHS[:2])

    def case() -> str:
        return " , ".join(
            f"{RULES[i]} : [ {' '.join(draw(st.lists(values, min_size=2, max_size=8)))} ]"
            for i in range(k)
        )

    def seq(alphabet, low: int, high: int) -> str:
        return " ".join(draw(st.lists(alphabet, min_size=low, max_size=high)))

    body = {
        "deduct": lambda: f"{seq(pool, 1, 60)} <space> {case()}",
        "abduct": lambda: f"{seq(pool, 1, 60)} <space> {seq(values, 1, 200)}",
        "induct": lambda: f"{seq(values, 1, 200)} <space> {case()}",
        "induct_v2": lambda: seq(values, 1, 200),
        "induct_v2_double": lambda: f"{seq(values, 1, 100)} <space> {seq(values, 1, 100)}",
        "induct_hard": lambda: seq(values, 1, 120),
        "induct_v3": lambda: f"{seq(values, 1, 60)} <space> {seq(values, 1, 60)}",
    }[task]()
    if task in ("induct_hard", "induct_v3") and draw(st.booleans()):
        # A result of one repeated symbol and a rule whose symbols all fit it, ended by a math
        # symbol it lacks: every split of the result into values must be tried by a naive search.
        body = " <space> ".join(
            " ".join(["s0"] * draw(st.integers(2, 70))) for _ in range(1 + (task == "induct_v3"))
        )
        rule = RULES[:k] + draw(st.lists(st.sampled_from(RULES[:k]), max_size=k))
        answer = " ".join(draw(st.permutations(rule)) + draw(st.sampled_from([[], ["m0"]])))
        return task, f"{header(k, 2, 2)} {body}", answer
    answer = draw(st.one_of(
        st.just(seq(pool, 1, 60)),
        st.just(case()),
        st.just(f"{case()} <space> {seq(pool, 1, 40)}"),
        st.just(f"{case()} <space> {case()} <space> {seq(pool, 1, 40)}"),
    ))
    return task, f"{header(k, 2, 2)} {body}", answer


@SETTINGS
@given(substitution_inputs())
def test_substitution_checks_are_linear_or_within_the_budget(case) -> None:
    task, source, answer = case
    result, lines, spent = measured(task, source, answer)
    if task not in SEARCH_TASKS:
        assert spent == 0
    assert spent <= 2 * CHECK_WORK_LIMIT + 2 * MAX_VALUE * tokens(source, answer)
    assert_bounded(result, lines, LINES_PER_TOKEN * tokens(source, answer) + LINES_PER_STEP * spent)


def rewrite_rule(draw, k: int, left_high: int) -> str:
    variables = RULES[:k]
    left = draw(st.lists(st.sampled_from(variables + MATHS[:1] + STRINGS[:1]), min_size=1,
                         max_size=left_high))
    used = [v for v in variables if v in left]
    right = draw(st.lists(st.sampled_from(used + MATHS[:2]), max_size=left_high)) if used else []
    return f"{' '.join(left)} -> {' '.join(right or ['m1'])}"


@st.composite
def rewrite_inputs(draw) -> tuple[str, str, str]:
    """A crafted rewrite source (one or more rules) and answer."""
    task = draw(st.sampled_from(
        ["rewrite", "induct_rewrite", "rewrite_multistep", "rewrite_multistep_easy"]
    ))
    k = draw(st.integers(1, 4))
    symbols = st.sampled_from(STRINGS[:3] + MATHS[:2])
    string = draw(st.lists(symbols, min_size=1, max_size=150))
    if task == "induct_rewrite":
        other = draw(st.lists(symbols, min_size=1, max_size=150))
        answer = rewrite_rule(draw, k, 12)
        return task, f"{header(k, 3, 2)} {' '.join(string)} <space> {' '.join(other)}", answer
    steps = 1 if task == "rewrite" else draw(st.integers(1, 4))
    rules = [rewrite_rule(draw, k, 8) for _ in range(steps)]
    answer_strings = [
        " ".join(draw(st.lists(symbols, min_size=1, max_size=160)))
        for _ in range(steps if task == "rewrite_multistep_easy" else 1)
    ]
    source = f"{header(k, 3, 2)} {' <space> '.join(rules)} <space> {' '.join(string)}"
    return task, source, " <space> ".join(answer_strings)


@SETTINGS
@given(rewrite_inputs())
def test_rewrite_checks_are_quadratic_at_most_and_within_the_budget(case) -> None:
    task, source, answer = case
    result, lines, spent = measured(task, source, answer)
    n = tokens(source, answer)
    if task != "rewrite_multistep":
        # O(s * m): the string's length times the rule's, per step.
        assert spent <= n * n
    assert spent <= CHECK_WORK_LIMIT + n
    assert_bounded(result, lines, LINES_PER_TOKEN * n + LINES_PER_STEP * spent)


@settings(max_examples=30, deadline=None)
@given(
    string_length=st.integers(100, 400),
    left=st.lists(st.sampled_from(["r0", "s0", "m0"]), min_size=1, max_size=3),
    same=st.booleans(),
)
def test_rewrite_memory_is_linear(string_length: int, left: list[str], same: bool) -> None:
    """A rule that matches almost everywhere; the answer is the string itself or its reverse."""
    string = [["s0", "m0"][i % 5 == 0] for i in range(string_length)]
    right = [token for token in left if token == "r0"] + ["m1"]
    source = f"{header(1, 1, 2)} {' '.join(left)} -> {' '.join(right)} <space> {' '.join(string)}"
    answer = " ".join(string if same else string[::-1])
    assert peak_memory("rewrite", source, answer) < 400 * tokens(source, answer) + 32_000


@pytest.mark.parametrize("k", [10, 12, 16])
def test_many_rule_symbols_end_within_the_budget(budgets, k: int) -> None:
    """Every split of the result fits the rule's symbols, but the rule ends with a missing m0."""
    source = f"{header(k)} {' '.join(['s0'] * (MAX_VALUE * k))}"
    for answer in (" ".join(RULES[:k] * 2) + " m0", " ".join(RULES[:k] * 3) + " m0"):
        budgets.clear()
        try:
            assert lime_datasets.check("induct_hard", source, answer) is False
        except ValueError as error:
            assert "CHECK_WORK_LIMIT" in str(error)
        assert budgets[0].spent <= CHECK_WORK_LIMIT + 2 * k
        # The lines run per step of the budget, counted with a smaller budget.
        result, lines, _ = measured("induct_hard", source, answer, SmallBudget)
        assert_bounded(result, lines, LINES_PER_TOKEN * tokens(source, answer)
                       + LINES_PER_STEP * SMALL_LIMIT)


def test_thousands_of_rule_symbols_cost_no_more_than_their_search(budgets) -> None:
    """A header of 3,000 rule symbols, each used twice: the setup stays linear."""
    names = [f"r{i}" for i in range(3000)]
    head = f"<UPPER> {' '.join(names)} <LOWER> s0 s1 <MATH> m0 <space>"
    source = f"{head} {' '.join(['s0'] * 4 * len(names))}"
    answer = " ".join(names + names)
    result, lines = traced_check("induct_hard", source, answer)
    assert result is True
    assert lines <= LINES_PER_TOKEN * tokens(source, answer) + LINES_PER_STEP * budgets[0].spent
    assert budgets[0].spent <= 20 * tokens(source, answer)


# --- generated sources never reach the limit, whatever the answer ------------------------------


@pytest.fixture(scope="module")
def generated() -> dict[str, list[dict]]:
    return {
        name: lime_datasets.generate(name, "test", 0, 200).to_pylist() for name in SEARCH_TASKS
    }


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_generated_sources_stay_far_below_the_limit(generated, data) -> None:
    name = data.draw(st.sampled_from(SEARCH_TASKS))
    row = data.draw(st.sampled_from(generated[name]))
    body = row["source"].split("<space>", 1)[1].split()
    rule_symbols = row["source"].split("<LOWER>")[0].split()[1:]
    target = row["target"].split()
    # Answers built from the target's and source's own symbols, in adversarial orders.
    alphabet = sorted(set(target) | set(body) | set(rule_symbols))
    answer = data.draw(st.one_of(
        st.lists(st.sampled_from(rule_symbols), min_size=1, max_size=60),
        st.lists(st.sampled_from(alphabet), min_size=1, max_size=len(target) + 3),
        st.permutations(target),
    ))
    result, _, _ = measured(row["task"], row["source"], " ".join(answer))
    assert not isinstance(result, ValueError)
    assert all(budget.spent <= CHECK_WORK_LIMIT // 20 for budget in RecordingBudget.created)


# --- exactly as strict: crafted cases against brute force --------------------------------------


def brute_case_exists(rule: list[str], result: list[str], variables: list[str]) -> bool:
    """Try every value length of every variable (the spec's rule, with no search)."""
    used = sorted(set(rule) & set(variables))
    for lengths in itertools.product(range(MIN_VALUE, MAX_VALUE + 1), repeat=len(used)):
        length = dict(zip(used, lengths, strict=True))
        position, values, ok = 0, {}, True
        for token in rule:
            if token in length:
                value = result[position : position + length[token]]
                ok = len(value) == length[token] and values.setdefault(token, value) == value
                position += length[token]
            else:
                ok = position < len(result) and result[position] == token
                position += 1
            if not ok:
                break
        if ok and position == len(result):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(
    k=small,
    rule=st.lists(st.sampled_from(RULES[:3] + MATHS[:2]), min_size=1, max_size=7),
    result=st.lists(st.sampled_from(STRINGS[:2] + MATHS[:2]), min_size=1, max_size=16),
)
def test_induct_hard_agrees_with_brute_force(k: int, rule, result) -> None:
    source = f"{header(k, 2, 2)} {' '.join(result)}"
    variables = RULES[:k]
    expected = (
        all(t in variables or t in MATHS[:2] for t in rule)
        and set(variables) <= set(rule)
        and brute_case_exists(rule, result, variables)
    )
    assert lime_datasets.check("induct_hard", source, " ".join(rule)) is expected


def applications(left: list[str], right: list[str], string: list[str], k: int) -> set[tuple]:
    """Every string one application gives: rule symbols bind distinct string symbols."""
    out = set()
    for start in range(len(string) - len(left) + 1):
        binding: dict[str, str] = {}
        ok = True
        for pattern, symbol in zip(left, string[start : start + len(left)], strict=True):
            if pattern in RULES[:k]:
                ok &= symbol in STRINGS[:3] and binding.setdefault(pattern, symbol) == symbol
            else:
                ok &= pattern == symbol
        if ok and len(set(binding.values())) == len(binding):
            middle = [binding.get(t, t) for t in right]
            out.add(tuple(string[:start] + middle + string[start + len(left) :]))
    return out


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_rewrites_agree_with_brute_force(data) -> None:
    k = data.draw(small)
    steps = data.draw(st.integers(1, 4))
    rules = [rewrite_rule(data.draw, k, 3) for _ in range(steps)]
    string = data.draw(st.lists(st.sampled_from(STRINGS[:2] + MATHS[:1]), min_size=1, max_size=7))
    source = f"{header(k, 3, 2)} {' <space> '.join(rules)} <space> {' '.join(string)}"
    reached = [{tuple(string)}]
    for rule in rules:
        left, right = (side.split() for side in rule.split(" -> "))
        reached.append(set().union(*(applications(left, right, list(s), k) for s in reached[-1])))
    candidates = sorted(reached[-1] | {tuple(string)} | {tuple(string[::-1])})
    answer = data.draw(st.sampled_from(candidates))
    task = "rewrite" if steps == 1 else "rewrite_multistep"
    assert lime_datasets.check(task, source, " ".join(answer)) is (answer in reached[-1])
