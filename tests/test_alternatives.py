"""Counting valid answers: every enumerated answer passes the checker, counts match hand counts
and brute force over every candidate answer."""

from __future__ import annotations

import itertools
import math
import random

import pytest

import lime_datasets
from lime_datasets.analysis import AnswerCount, count_answers, valid_answers
from lime_datasets.core.tasks import TASKS

SUBSTITUTION = (
    "deduct",
    "abduct",
    "induct",
    "induct_v2",
    "induct_v3",
    "induct_hard",
    "induct_v2_double",
)
REWRITE = ("rewrite", "induct_rewrite", "rewrite_multistep", "rewrite_multistep_easy")
STRINGS = [str(s) for s in range(30, 54)]
MATHS = [str(s) for s in range(60, 80)]


def source(rule_symbols: str, *body: str) -> str:
    """A source with the given rule symbols, string symbols 30..53 and math symbols 60..79."""
    header = f"<UPPER> {rule_symbols} <LOWER> {' '.join(STRINGS)} <MATH> {' '.join(MATHS)}"
    return " <space> ".join([header, *body])


def test_every_task_has_a_counter() -> None:
    tasks = {t for c in lime_datasets.CONFIGS.values() for t in c.tasks}
    row = {t: lime_datasets.generate(t, "test", 0, 1).to_pylist()[0] for t in tasks}
    for task in tasks:
        assert count_answers(task, row[task]["source"], 3).answers >= 1


@pytest.mark.parametrize("task", SUBSTITUTION)
def test_enumerated_answers_are_valid_distinct_and_include_the_target(task: str) -> None:
    rows = lime_datasets.generate(task, "validation", 0, 20).to_pylist()
    cap = 120
    for row in rows:
        answers = list(itertools.islice(valid_answers(task, row["source"]), cap))
        assert len(set(answers)) == len(answers)
        assert all(lime_datasets.check(task, row["source"], a) for a in answers)
        if len(answers) < cap:  # the whole set: the reference target is one of them
            assert row["target"] in answers
        count = count_answers(task, row["source"], cap)
        assert count.answers == len(answers)


@pytest.mark.parametrize("task", SUBSTITUTION)
def test_counts_agree_with_enumeration_at_every_limit(task: str) -> None:
    row = lime_datasets.generate(task, "test", 0, 30).to_pylist()
    for r in row:
        enumerated = len(list(itertools.islice(valid_answers(task, r["source"]), 12)))
        for limit in (1, 2, 5, 12):
            assert count_answers(task, r["source"], limit).answers == min(limit, enumerated)


# Hand-built sources, counted by hand.
HAND_COUNTS = [
    # deduct: the result is unique.
    ("deduct", source("1 2", "1 60 2", "1 : [ 30 31 ] , 2 : [ 32 33 ]"), 1, 1),
    # abduct: "1 2" over five tokens splits 2+3 or 3+2.
    ("abduct", source("1 2", "1 2", "30 31 32 33 34"), 2, 2),
    # abduct: the literal 60 pins the split.
    ("abduct", source("1 2", "1 60 2", "30 31 32 60 33 34"), 1, 1),
    # abduct: a header symbol the rule does not use may take any of 44^2 + ... + 44^8 values.
    ("abduct", source("1 2", "1 60", "30 31 60"), 10, 10),
    # induct: 1 = [60 61] gives "1 1", "1 60 61" and "60 61 1".
    ("induct", source("1", "60 61 60 61", "1 : [ 60 61 ]"), 3, 3),
    # induct: a string symbol cannot be a literal: only "1 60 1".
    ("induct", source("1", "30 31 60 30 31", "1 : [ 30 31 ]"), 1, 1),
    # induct_v2: (1 = [30 31], "1 60 1") and (1 = the whole result, "1").
    ("induct_v2", source("1", "30 31 60 30 31"), 2, 2),
    # induct_hard: "1 60 1" and "1".
    ("induct_hard", source("1", "30 31 60 30 31"), 2, 2),
    # induct_hard: two symbols over four string tokens: "1 2" and its renaming "2 1".
    ("induct_hard", source("1 2", "30 31 32 33"), 2, 1),
    # induct_v3: "1 60" and "1" fit both results.
    ("induct_v3", source("1", "30 31 60", "32 33 60"), 2, 2),
    # induct_v3: the literal must sit at the same place in both: only "1".
    ("induct_v3", source("1", "30 31 60", "60 32 33"), 1, 1),
    # induct_v2_double: cases and rule: ("1 60": [30 31], [32 33]) and ("1": whole results).
    ("induct_v2_double", source("1", "30 31 60", "32 33 60"), 2, 2),
    # No valid answer: a string symbol left over.
    ("induct_hard", source("1", "30"), 0, 0),
]


@pytest.mark.parametrize(("task", "text", "answers", "classes"), HAND_COUNTS)
def test_hand_counted_sources(task: str, text: str, answers: int, classes: int) -> None:
    count = count_answers(task, text, 10)
    assert (count.answers, count.classes, count.complete) == (answers, classes, True)
    listed = list(itertools.islice(valid_answers(task, text), 10))
    assert len(listed) == answers
    assert all(lime_datasets.check(task, text, a) for a in listed)


def test_renamings_multiply_answers_by_k_factorial() -> None:
    rows = lime_datasets.generate("induct_hard", "test", 0, 10).to_pylist()
    for r in rows:
        k = len(r["source"].split("<LOWER>")[0].split()) - 1
        count = count_answers("induct_hard", r["source"], 10_000)
        if count.classes < 10_000 // math.factorial(k):
            assert count.answers == count.classes * math.factorial(k)


def test_induct_rewrite_renamings_are_valid_answers() -> None:
    rows = lime_datasets.generate("induct_rewrite", "test", 0, 30).to_pylist()
    for r in rows:
        symbols = r["source"].split("<LOWER>")[0].split()[1:]
        for order in itertools.islice(itertools.permutations(symbols), 6):
            rename = dict(zip(symbols, order, strict=True))
            renamed = " ".join(rename.get(t, t) for t in r["target"].split())
            assert lime_datasets.check("induct_rewrite", r["source"], renamed)
        count = count_answers("induct_rewrite", r["source"], 10_000)
        assert count.answers == min(10_000, count.classes * math.factorial(len(symbols)))


# Brute force: every candidate answer of small random sources, judged by the checker alone.


def _random_source(rng: random.Random, task: str) -> str:
    """A small source built from a random rule and case(s), short enough to brute-force."""
    results = 2 if task in ("induct_v3", "induct_v2_double") else 1
    longest = {"induct_v2": 5, "induct_v2_double": 4, "induct_v3": 5}.get(task, 6)
    k = 1 if task in ("induct_v2", "induct_v2_double") else rng.choice([1, 2])
    symbols = [str(s) for s in range(1, k + 1)]
    alphabet = STRINGS[:2] + MATHS[:2]  # few symbols: repeats make several answers likely
    while True:
        rule = symbols + rng.choices(symbols + MATHS[:2], k=rng.randint(0, 2))
        rng.shuffle(rule)
        cases = [
            {s: rng.choices(alphabet, k=rng.choice([2, 2, 3])) for s in symbols}
            for _ in range(results)
        ]
        outs = [" ".join(t for token in rule for t in case.get(token, [token])) for case in cases]
        if max(len(out.split()) for out in outs) <= longest:
            break
    header = " ".join(symbols)
    if task == "abduct":
        return source(header, " ".join(rule), outs[0])
    if task == "induct":
        case = " , ".join(f"{s} : [ {' '.join(cases[0][s])} ]" for s in symbols)
        return source(header, outs[0], case)
    return source(header, *outs)


def _candidate_rules(text: str, results: list[list[str]]) -> list[str]:
    symbols = text.split("<LOWER>")[0].split()[1:]
    literals = sorted({t for t in results[0] if t in MATHS})
    shortest = min(len(r) for r in results)
    return [
        " ".join(rule)
        for n in range(1, shortest + 1)
        for rule in itertools.product(symbols + literals, repeat=n)
    ]


def _candidate_cases(text: str, result: list[str]) -> list[str]:
    symbols = text.split("<LOWER>")[0].split()[1:]
    spans = sorted(
        {
            " ".join(result[a:b])
            for a in range(len(result))
            for b in range(a + 2, min(len(result), a + 8) + 1)
        }
    )
    return [
        " , ".join(f"{s} : [ {v} ]" for s, v in zip(symbols, values, strict=True))
        for values in itertools.product(spans, repeat=len(symbols))
    ]


def _brute_force(task: str, text: str) -> int:
    body = [part.split() for part in text.split(" <space> ")[1:]]
    if task == "abduct":
        candidates = _candidate_cases(text, body[1])
    elif task == "induct":
        candidates = _candidate_rules(text, body[:1])
    elif task in ("induct_v3", "induct_hard"):
        candidates = _candidate_rules(text, body)
    elif task == "induct_v2":
        candidates = [
            f"{case} <space> {rule}"
            for case in _candidate_cases(text, body[0])
            for rule in _candidate_rules(text, body)
        ]
    else:  # induct_v2_double
        candidates = [
            f"{case} <space> {case2} <space> {rule}"
            for case in _candidate_cases(text, body[0])
            for case2 in _candidate_cases(text, body[1])
            for rule in _candidate_rules(text, body)
        ]
    return sum(lime_datasets.check(task, text, c) for c in candidates)


@pytest.mark.parametrize(
    "task", ["abduct", "induct", "induct_v2", "induct_v3", "induct_hard", "induct_v2_double"]
)
def test_counts_equal_brute_force_over_every_candidate(task: str) -> None:
    rng = random.Random(task)
    counts = []
    for _ in range(12):
        text = _random_source(rng, task)
        expected = _brute_force(task, text)
        assert count_answers(task, text, 10_000).answers == expected, text
        counts.append(expected)
    assert max(counts) > 1  # the sample exercised ambiguity


def test_search_budget_makes_counts_lower_bounds() -> None:
    row = lime_datasets.generate("induct_v3", "test", 0, 1).to_pylist()[0]
    full = count_answers("induct_v3", row["source"], 5)
    cut = count_answers("induct_v3", row["source"], 5, max_steps=1)
    assert full.complete and not cut.complete
    assert cut.classes <= full.classes


@pytest.mark.parametrize(
    ("task", "text", "limit"),
    [
        ("nonsense", source("1", "30 31"), 2),
        ("induct_hard", "30 31", 2),
        ("induct_hard", source("1", "30 31", "30 31"), 2),
        ("induct", source("1", "30 31", "1 : [ 30 ]"), 2),
        ("induct_hard", source("1", "30 31"), 0),
    ],
)
def test_bad_input_raises(task: str, text: str, limit: int) -> None:
    with pytest.raises(ValueError):
        count_answers(task, text, limit)


def test_rewrite_tasks_use_the_rewrite_checker_count() -> None:
    for task in REWRITE:
        for r in lime_datasets.generate(task, "test", 0, 20).to_pylist():
            assert count_answers(task, r["source"], 1).answers == 1
    assert TASKS["induct_rewrite"].renames_symbols


@pytest.mark.parametrize("task", REWRITE)
def test_rewrite_answers_are_listed_valid_distinct_and_include_the_target(task: str) -> None:
    for row in lime_datasets.generate(task, "validation", 0, 20).to_pylist():
        answers = list(itertools.islice(valid_answers(task, row["source"]), 200))
        assert len(set(answers)) == len(answers)
        assert all(lime_datasets.check(task, row["source"], a) for a in answers)
        if len(answers) < 200:
            assert row["target"] in answers
            assert count_answers(task, row["source"], 200).answers == len(answers)


def test_induct_rewrite_lists_every_renaming() -> None:
    text = source("1 2", "30 60 31", "31 61 30")
    answers = list(valid_answers("induct_rewrite", text))
    assert sorted(answers) == ["1 60 2 -> 2 61 1", "2 60 1 -> 1 61 2"]
    assert count_answers("induct_rewrite", text, 10) == AnswerCount(answers=2, classes=1)
