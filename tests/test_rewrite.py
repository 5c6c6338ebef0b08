"""The rewrite tasks (spec families 2 and 3) and their checker.

Generated text is parsed here independently (no generator internals), and rewrite rules are applied
by a small reference written from the spec, so ranges and correctness are judged from the text.
"""

from __future__ import annotations

import numpy as np
import pytest

import lime_datasets
from lime_datasets.analysis import count_answers
from lime_datasets.configs import get_config
from lime_datasets.core import rewrite
from lime_datasets.core.tasks import TASKS

REWRITE_CONFIGS = ("rewrite", "induct_rewrite", "rewrite_multistep", "rewrite_multistep_easy")
SAMPLE = 12_000


@pytest.fixture(scope="module")
def rows() -> dict[str, list[dict]]:
    """SAMPLE train rows of each rewrite config."""
    return {
        name: lime_datasets.generate(name, "train", 0, SAMPLE)
        .select(["source", "target"])
        .to_pylist()
        for name in REWRITE_CONFIGS
    }


# --- an independent reading of the text ---------------------------------------------------------


class Parsed:
    """Header roles and ``<space>``-separated body segments of a source."""

    def __init__(self, source: str) -> None:
        tokens = source.split()
        lower, math, space = (tokens.index(t) for t in ("<LOWER>", "<MATH>", "<space>"))
        assert tokens[0] == "<UPPER>"
        self.rule_symbols = tokens[1:lower]
        self.string_symbols = set(tokens[lower + 1 : math])
        self.math_symbols = set(tokens[math + 1 : space])
        assert len(self.string_symbols) == 24 and len(self.math_symbols) == 20
        self.segments = [s.split() for s in " ".join(tokens[space + 1 :]).split(" <space> ")]


def split_rule(tokens: list[str]) -> tuple[list[str], list[str]]:
    arrow = tokens.index("->")
    return tokens[:arrow], tokens[arrow + 1 :]


def first_appearance(tokens: list[str], symbols: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in tokens if t in symbols))


def applications(left, right, string, parsed: Parsed) -> dict[int, list[str]]:
    """Start position -> rewritten string, for every position where the rule matches."""
    out = {}
    for start in range(len(string) - len(left) + 1):
        span = string[start : start + len(left)]
        binding = {}
        ok = True
        for pattern, symbol in zip(left, span, strict=True):
            if pattern in parsed.rule_symbols:
                ok &= (
                    symbol in parsed.string_symbols
                    and binding.setdefault(pattern, symbol) == symbol
                )
            else:
                ok &= pattern == symbol
        ok &= len(set(binding.values())) == len(binding)
        if ok:
            middle = [binding.get(t, t) for t in right]
            out[start] = string[:start] + middle + string[start + len(left) :]
    return out


def composition(string: list[str], parsed: Parsed) -> tuple[int, int]:
    """(math symbols, string symbols) in a string; nothing else may appear."""
    n_math = sum(t in parsed.math_symbols for t in string)
    n_string = sum(t in parsed.string_symbols for t in string)
    assert n_math + n_string == len(string)
    return n_math, n_string


def assert_rule_shape(left, right, parsed: Parsed, used: list[str]) -> int:
    """Left: math and the used rule symbols, paired in order of first appearance; right: math
    plus each used rule symbol once. Returns the right side's math count."""
    assert first_appearance(left, parsed.rule_symbols) == used
    assert all(t in parsed.math_symbols or t in used for t in left)
    assert sorted(t for t in right if t not in parsed.math_symbols) == sorted(used)
    return len(right) - len(used)


def assert_bounds(observed, low, high, what: str) -> None:
    assert (min(observed), max(observed)) == (low, high), what


# --- every example is valid ----------------------------------------------------------------------


@pytest.mark.parametrize("name", REWRITE_CONFIGS)
def test_every_generated_target_passes_the_checker(rows, name) -> None:
    failures = [r for r in rows[name] if not lime_datasets.check(name, r["source"], r["target"])]
    assert not failures, failures[:2]


def test_mixtures_of_rewrite_and_substitution_tasks_pass_the_checker() -> None:
    weights = {t: 1.0 for t in ("deduct", "abduct", *REWRITE_CONFIGS)}
    table = lime_datasets.generate("mixed", "train", 0, 3000, task_weights=weights)
    tasks = table.column("task").to_pylist()
    assert set(tasks) == set(weights)
    for task, source, target in zip(
        tasks, table.column("source").to_pylist(), table.column("target").to_pylist(), strict=True
    ):
        assert lime_datasets.check(task, source, target), (task, source, target)


# --- the spec's ranges, read from the text -------------------------------------------------------


def family2_examples(rows) -> list[tuple[Parsed, list, list, list, list]]:
    """(parsed source, left, right, string, rewritten) of every rewrite and induct_rewrite row."""
    out = []
    for row in rows["rewrite"]:
        parsed = Parsed(row["source"])
        rule, string = parsed.segments
        out.append((parsed, *split_rule(rule), string, row["target"].split()))
    for row in rows["induct_rewrite"]:
        parsed = Parsed(row["source"])
        string, rewritten = parsed.segments
        out.append((parsed, *split_rule(row["target"].split()), string, rewritten))
    return out


@pytest.mark.slow
def test_family2_ranges_and_construction(rows) -> None:
    lengths, string_counts, spans, right_maths, starts, ends = [], set(), [], [], [], []
    for parsed, left, right, string, rewritten in family2_examples(rows):
        n_math, n_string = composition(string, parsed)
        assert n_math == round(1.5 * n_string)
        lengths.append(len(string))
        string_counts.add(n_string)
        spans.append(len(left))
        # The header lists exactly the used rule symbols, which are paired with the letters.
        right_maths.append(assert_rule_shape(left, right, parsed, parsed.rule_symbols))
        positions = [
            p for p, out in applications(left, right, string, parsed).items() if out == rewritten
        ]
        assert positions, (left, right, string, rewritten)
        if len(positions) == 1:
            starts.append(positions[0])
            ends.append(len(string) - len(left) - positions[0])
    assert string_counts == set(range(10, 21))
    assert_bounds(lengths, 25, 50, "string length")
    assert_bounds(spans, 5, 20, "span length")
    assert_bounds(right_maths, 5, 20, "right-side math draws")
    assert min(starts) == 0 and min(ends) == 0, "the span reaches both ends of the string"


def family3_examples(rows) -> list[tuple[Parsed, list, list, list | None]]:
    """(parsed source, rules, start string, intermediates or None) of every multi-step row."""
    out = []
    for name in ("rewrite_multistep", "rewrite_multistep_easy"):
        for row in rows[name]:
            parsed = Parsed(row["source"])
            *rules, start = parsed.segments
            steps = None
            if name == "rewrite_multistep_easy":
                steps = [s.split() for s in row["target"].split(" <space> ")]
                assert len(steps) == len(rules)
            out.append((parsed, [split_rule(r) for r in rules], start, steps))
    return out


@pytest.mark.slow
def test_family3_ranges_and_construction(rows) -> None:
    start_lengths, string_counts, step_counts, spans, right_maths = [], set(), [], [], []
    for parsed, rules, start, steps in family3_examples(rows):
        assert len(parsed.rule_symbols) == 24
        n_math, n_string = composition(start, parsed)
        assert n_string == round(1.5 * n_math)
        start_lengths.append(len(start))
        string_counts.add(n_math)
        step_counts.append(len(rules))
        previous = start
        for index, (left, right) in enumerate(rules):
            used = first_appearance(left, parsed.rule_symbols)
            # Every step takes the first rule symbols afresh, in header order.
            assert used == parsed.rule_symbols[: len(used)]
            right_maths.append(assert_rule_shape(left, right, parsed, used))
            spans.append(len(left))
            if steps is not None:
                assert len(left) <= len(previous)
                assert steps[index] in applications(left, right, previous, parsed).values()
                previous = steps[index]
    assert string_counts == set(range(5, 11))
    assert_bounds(start_lengths, 13, 25, "start string length")
    assert_bounds(step_counts, 1, 5, "steps")
    assert_bounds(spans, 3, 7, "span length")
    assert_bounds(right_maths, 3, 7, "right-side math draws")


@pytest.mark.parametrize("name", ["rewrite_multistep", "rewrite_multistep_easy"])
@pytest.mark.parametrize("low,high", [(1, 1), (2, 3), (6, 8)])
def test_step_counts_follow_min_and_max_steps(name, low, high) -> None:
    table = lime_datasets.generate(name, "train", 0, 600, min_steps=low, max_steps=high)
    counts = set()
    for source, target in zip(
        table.column("source").to_pylist(), table.column("target").to_pylist(), strict=True
    ):
        counts.add(len(Parsed(source).segments) - 1)
        assert lime_datasets.check(name, source, target)
    assert counts == set(range(low, high + 1))


def test_a_span_is_clipped_to_a_string_shorter_than_its_drawn_length() -> None:
    # Row 0: a 3-symbol string and a drawn span of 7; row 1: a 5-symbol string and a span of 7;
    # row 2: a 9-symbol string keeps its span of 4.
    a, b = rewrite.STRING_START, rewrite.STRING_START + 1
    x = rewrite.MATH_START
    string = np.array([[a, x, b] + [-1] * 6, [x, a, x, a, b] + [-1] * 4, [a] * 9], dtype=np.int64)
    length = np.array([3, 5, 9])
    words = np.random.default_rng(0).integers(0, 2**32, (3, 1 + rewrite.MAX_STEP_RIGHT))
    words = words.astype(np.uint32)
    sample_start = np.array([0, 68, 136])
    step = rewrite.rewrite_step(
        rewrite.to_strings(string, length, sample_start),
        sample_start,
        drawn_span=np.array([7, 7, 4]),
        start_word=words[:, 0],
        count=np.array([3, 3, 3]),
        maths=x + np.arange(rewrite.MAX_STEP_MATH)[None, :].repeat(3, 0),
        shuffle_words=words[:, 1 : rewrite.MAX_STEP_RIGHT],
    )
    assert step.span_length.tolist() == [3, 5, 4]
    assert step.left[0, :3].tolist() == [0, x, 1]  # the whole string, letters abstracted
    assert step.left[1, :5].tolist() == [x, 0, x, 0, 1]
    # Two letters in rows 0 and 1 (so 3 + 2 on the right), one in row 2.
    assert step.strings.lengths().tolist() == [5, 5, 9 - 4 + 4]


@pytest.mark.parametrize("seed", range(5))
def test_splice_replaces_each_rows_span_like_list_slicing(seed) -> None:
    rng = np.random.default_rng(seed)
    rows, width = 50, 30
    length = rng.integers(rewrite.MIN_STEP_SPAN, width + 1, rows)
    string = rng.integers(0, 68, (rows, width))
    m = rng.integers(rewrite.MIN_STEP_SPAN, rewrite.MAX_STEP_SPAN + 1, rows)
    m = np.minimum(m, length)
    start = (rng.random(rows) * (length - m + 1)).astype(np.int64)
    replacement_length = rng.integers(rewrite.MIN_STEP_MATH, rewrite.MAX_STEP_RIGHT + 1, rows)
    replacement = rng.integers(0, 68, (rows, rewrite.MAX_STEP_RIGHT))
    strings = rewrite.to_strings(string, length, np.zeros(rows, dtype=np.int64))
    new = rewrite.splice(strings, start, m, replacement, replacement_length)
    for r in range(rows):
        old = string[r, : length[r]].tolist()
        put = replacement[r, : replacement_length[r]].tolist()
        expected = old[: start[r]] + put + old[start[r] + m[r] :]
        assert new.flat[new.offsets[r] : new.offsets[r + 1]].tolist() == expected


# --- determinism, slicing, parameters ------------------------------------------------------------


@pytest.mark.parametrize("name", REWRITE_CONFIGS)
def test_slices_equal_rows_of_a_larger_build(name) -> None:
    full = lime_datasets.generate(name, "train", 0, 2100)
    for start, stop in ((0, 7), (995, 1005), (1999, 2100)):
        assert lime_datasets.generate(name, "train", start, stop).equals(
            full.slice(start, stop - start)
        )
    assert lime_datasets.generate(name, "train", num_train=1500).equals(full.slice(0, 1500))
    assert lime_datasets.example(name, "train", 1234) == full.slice(1234, 1).to_pylist()[0]


@pytest.mark.parametrize("name", REWRITE_CONFIGS)
def test_seeds_and_splits_give_different_examples(name) -> None:
    base = lime_datasets.generate(name, "train", 0, 200).column("source").to_pylist()
    again = lime_datasets.generate(name, "train", 0, 200).column("source").to_pylist()
    other_seed = lime_datasets.generate(name, "train", 0, 200, seed=1).column("source").to_pylist()
    validation = lime_datasets.generate(name, "validation", 0, 200).column("source").to_pylist()
    assert base == again
    assert not set(base) & set(other_seed)
    assert not set(base) & set(validation)


@pytest.mark.parametrize(
    "overrides,parameter",
    [
        ({"min_steps": 0}, "min_steps"),
        ({"min_steps": -1}, "min_steps"),
        ({"min_steps": 2.0}, "min_steps"),
        ({"min_steps": "2"}, "min_steps"),
        ({"min_steps": True}, "min_steps"),
        ({"max_steps": 0}, "max_steps"),
        ({"max_steps": 3.5}, "max_steps"),
        ({"max_steps": None}, "max_steps"),
        ({"min_steps": 4, "max_steps": 3}, "max_steps"),
        ({"min_steps": 6}, "max_steps"),  # above the default max_steps
    ],
)
def test_bad_step_parameters_raise_value_error_naming_them(overrides, parameter) -> None:
    with pytest.raises(ValueError, match=parameter):
        get_config("rewrite_multistep", **overrides)
    with pytest.raises(ValueError, match=parameter):
        lime_datasets.generate("rewrite_multistep_easy", "train", 0, 10, **overrides)


def test_rewrite_configs_are_registered_after_the_substitution_tasks() -> None:
    for name in REWRITE_CONFIGS:
        assert lime_datasets.CONFIGS[name].tasks == (name,)
    families = [task.family for task in TASKS.values()]
    first_rewrite = families.index("rewrite")
    assert set(families[:first_rewrite]) == {"substitution"}
    assert "substitution" not in families[first_rewrite:]


# --- the checker on constructed cases ------------------------------------------------------------

RULE = [str(100 + i) for i in range(24)]
STRING = [str(200 + i) for i in range(24)]
MATH = [str(300 + i) for i in range(20)]


def source(rule_symbols: list[str], *segments: str) -> str:
    header = ["<UPPER>", *rule_symbols, "<LOWER>", *STRING, "<MATH>", *MATH, "<space>"]
    return " ".join(header) + " " + " <space> ".join(segments)


def test_rewrite_accepts_the_rule_applied_at_any_matching_position() -> None:
    src = source(["100"], "100 300 -> 301 100", "200 300 201 300 302")
    first, second = "301 200 201 300 302", "200 300 301 201 302"
    assert lime_datasets.check("rewrite", src, first)
    assert lime_datasets.check("rewrite", src, second)
    for wrong in ("200 300 201 300 302", "301 201 201 300 302", first + " 302", "", "301 200"):
        assert not lime_datasets.check("rewrite", src, wrong), wrong
    assert count_answers("rewrite", src, 10).classes == 2
    assert count_answers("rewrite", src, 1).classes == 1


def test_rule_symbols_stand_for_distinct_string_symbols_only() -> None:
    src = source(["100", "101"], "100 101 -> 300 101 100", "200 200 201")
    assert lime_datasets.check("rewrite", src, "200 300 201 200")
    assert not lime_datasets.check("rewrite", src, "300 200 200 201")  # 100 and 101 both 200
    assert count_answers("rewrite", src, 10).classes == 1
    src = source(["100"], "100 -> 300 100", "301 200")
    assert lime_datasets.check("rewrite", src, "301 300 200")
    assert not lime_datasets.check("rewrite", src, "300 301 200")  # 100 may not be math 301


def test_multistep_accepts_every_sequence_of_applications() -> None:
    rules = ("100 300 -> 301 100", "300 -> 303")
    src = source(RULE, *rules, "200 300 201 300")
    path_a = ("301 200 201 300", "301 200 201 303")
    path_b = ("200 300 301 201", "200 303 301 201")
    for final in (path_a[1], path_b[1]):
        assert lime_datasets.check("rewrite_multistep", src, final)
    for wrong in (path_a[0], "301 200 201 300 303", "200 300 201 303"):
        assert not lime_datasets.check("rewrite_multistep", src, wrong), wrong
    assert count_answers("rewrite_multistep", src, 10).classes == 2
    for path in (path_a, path_b):
        assert lime_datasets.check("rewrite_multistep_easy", src, " <space> ".join(path))
    for wrong in (
        f"{path_a[0]} <space> {path_b[1]}",  # each intermediate must lead to the next
        path_a[1],
        f"{path_a[0]} <space> {path_a[1]} <space> {path_a[1]}",
        f"{path_a[0]} <space>",
    ):
        assert not lime_datasets.check("rewrite_multistep_easy", src, wrong), wrong
    assert count_answers("rewrite_multistep_easy", src, 10).classes == 2


def test_induct_rewrite_accepts_any_rule_of_the_shape_that_rewrites() -> None:
    src = source(["100"], "300 200 301 302", "300 303 200 302")
    for rule in (
        "100 301 -> 303 100",
        "300 100 301 -> 300 303 100",  # the span may take in surrounding math symbols
        "100 301 302 -> 303 100 302",
        "300 100 301 302 -> 300 303 100 302",
    ):
        assert lime_datasets.check("induct_rewrite", src, rule), rule
    for wrong in (
        "100 301 -> 303 100 100",  # a rule symbol twice on the right
        "200 301 -> 303 200",  # a string symbol left unabstracted
        "301 -> 303",  # the header's rule symbol unused
        "100 301 303 100",  # no arrow
        "100 301 -> 100 303",  # rewrites into something else
        "100 301 -> -> 303 100",
    ):
        assert not lime_datasets.check("induct_rewrite", src, wrong), wrong
    assert count_answers("induct_rewrite", src, 10).classes == 4
    # Rewriting correctly is not enough: a rule symbol must appear exactly once on the right.
    src = source(["100"], "300 200 301 302", "300 303 200 200 302")
    assert not lime_datasets.check("induct_rewrite", src, "100 301 -> 303 100 100")
    assert count_answers("induct_rewrite", src, 10).classes == 0
    src = source(["100", "101"], "200 300 201", "201 301 200")
    assert lime_datasets.check("induct_rewrite", src, "100 300 101 -> 101 301 100")
    assert lime_datasets.check("induct_rewrite", src, "101 300 100 -> 100 301 101")  # renamed
    assert count_answers("induct_rewrite", src, 10).classes == 1  # renamings count once


def test_malformed_sources_and_bad_limits_raise_value_error() -> None:
    for task, src in (
        ("rewrite", source(["100"], "100 300 301 100", "200 300")),
        ("rewrite", source(["100"], "100 -> 300", "200", "200")),
        ("rewrite_multistep", source(RULE, "200 300")),
        ("induct_rewrite", source(["100"], "200 300")),
        ("rewrite", "200 300"),
    ):
        with pytest.raises(ValueError):
            lime_datasets.check(task, src, "200")
    src = source(["100"], "100 -> 300", "200")
    for limit in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="limit"):
            count_answers("rewrite", src, limit)
    with pytest.raises(ValueError, match="task"):
        count_answers("no_such_task", src, 3)
