"""The checker accepts every generated example and valid alternatives, and rejects wrong ones."""

from __future__ import annotations

import random

import pytest

import lime_datasets
from lime_datasets.core import tasks

SAMPLE = 10_000


@pytest.mark.parametrize("name", sorted(lime_datasets.CONFIGS))
def test_every_generated_example_passes(name: str) -> None:
    table = lime_datasets.generate(name, "train", 0, SAMPLE, num_train=SAMPLE)
    rows = table.select(["id", "task", "source", "target"]).to_pylist()
    failed = [r["id"] for r in rows if not lime_datasets.check(r["task"], r["source"], r["target"])]
    assert len(rows) == SAMPLE
    assert failed == []


def _corruptions(tokens: list[str], alphabet: list[str]):
    """Every single-token replacement, deletion and insertion drawn from ``alphabet``."""
    for i in range(len(tokens)):
        yield tokens[:i] + tokens[i + 1 :]
        for token in alphabet:
            if token != tokens[i]:
                yield tokens[:i] + [token] + tokens[i + 1 :]
    for i in range(len(tokens) + 1):
        for token in alphabet:
            yield tokens[:i] + [token] + tokens[i:]


def test_rejects_every_single_token_corruption_of_deduct_targets() -> None:
    rows = lime_datasets.generate("deduct", "test", 0, 12).to_pylist()
    checked = 0
    for row in rows:
        header_tokens = sorted(set(row["source"].split()) - {"<space>"})
        target = row["target"].split()
        for corrupted in _corruptions(target, header_tokens + [":", "[", "]", ",", "->"]):
            assert not lime_datasets.check("deduct", row["source"], " ".join(corrupted))
            checked += 1
    assert checked > 10_000


@pytest.mark.parametrize("name", sorted(set(lime_datasets.CONFIGS) - {"deduct"}))
def test_rejects_most_random_corruptions(name: str) -> None:
    """Some corruptions are themselves valid answers; most are not (shares are in the benchmark)."""
    rng = random.Random(0)
    rows = lime_datasets.generate(name, "test", 0, 200).to_pylist()
    rejected = 0
    for row in rows:
        alphabet = sorted(set(row["source"].split()) - {"<space>"})
        target = row["target"].split()
        corrupted = list(target)
        position = rng.randrange(len(target))
        kind = rng.choice(["replace", "drop", "insert"])
        if kind == "drop":
            del corrupted[position]
        elif kind == "insert":
            corrupted.insert(position, rng.choice(alphabet))
        else:
            corrupted[position] = rng.choice([t for t in alphabet if t != target[position]])
        rejected += not lime_datasets.check(row["task"], row["source"], " ".join(corrupted))
    assert rejected / len(rows) > 0.5


# Hand-built sources: a header with rule symbols 1 2, string symbols 30..53, math symbols 60..79.
HEADER = (
    "<UPPER> 1 2 <LOWER> "
    + " ".join(str(s) for s in range(30, 54))
    + " <MATH> "
    + " ".join(str(s) for s in range(60, 80))
    + " <space>"
)


def test_abduct_accepts_an_alternative_case() -> None:
    source = f"{HEADER} 1 2 <space> 30 31 32 33 34"
    assert tasks.check("abduct", source, "1 : [ 30 31 ] , 2 : [ 32 33 34 ]")
    assert tasks.check("abduct", source, "1 : [ 30 31 32 ] , 2 : [ 33 34 ]")
    assert not tasks.check(
        "abduct", source, "1 : [ 30 ] , 2 : [ 31 32 33 34 ]"
    )  # value too short
    assert not tasks.check("abduct", source, "2 : [ 30 31 ] , 1 : [ 32 33 34 ]")  # header order
    assert not tasks.check("abduct", source, "1 : [ 30 31 ] , 2 : [ 32 33 35 ]")  # wrong result


def test_induct_accepts_an_alternative_rule() -> None:
    source = f"{HEADER} 60 61 60 61 32 33 <space> 1 : [ 60 61 ] , 2 : [ 32 33 ]"
    for rule in ("1 1 2", "1 60 61 2", "60 61 1 2"):
        assert tasks.check("induct", source, rule), rule
    assert not tasks.check("induct", source, "1 1 32 33")  # 2 unused, string symbols literal
    assert not tasks.check("induct", source, "1 2 1")


def test_deduct_has_a_unique_answer() -> None:
    source = f"{HEADER} 1 60 2 1 <space> 1 : [ 30 31 ] , 2 : [ 62 33 34 ]"
    assert tasks.check("deduct", source, "30 31 60 62 33 34 30 31")
    assert not tasks.check("deduct", source, "30 31 60 62 33 34 30")


def test_induct_hard_and_v3_search_for_a_case() -> None:
    source = f"{HEADER} 30 31 60 30 31 32 33"
    assert tasks.check("induct_hard", source, "1 60 1 2")
    assert tasks.check("induct_hard", source, "2 60 1")  # 2 = [30 31], 1 = [30 31 32 33]
    assert not tasks.check("induct_hard", source, "1 61 1 2")
    assert not tasks.check("induct_hard", source, "1 60 3 2")  # 3 is not a header rule symbol
    two = f"{HEADER} 30 31 60 30 31 32 33 <space> 40 41 42 60 40 41 42 50 51"
    assert tasks.check("induct_v3", two, "1 60 1 2")
    assert tasks.check("induct_v3", two, "1 60 2")  # 1 = [30 31], 2 = [30 31 32 33]
    assert not tasks.check("induct_v3", two, "1 60 1 2 2")


def test_induct_v2_variants_check_the_answered_cases() -> None:
    source = f"{HEADER} 30 31 60 32 33"
    assert tasks.check("induct_v2", source, "1 : [ 30 31 ] , 2 : [ 32 33 ] <space> 1 60 2")
    assert tasks.check("induct_v2", source, "1 : [ 30 31 60 ] , 2 : [ 32 33 ] <space> 1 2")
    assert not tasks.check("induct_v2", source, "1 : [ 30 31 ] , 2 : [ 32 33 ] <space> 1 2")
    assert not tasks.check("induct_v2", source, "1 60 2")
    double = f"{HEADER} 30 31 60 32 33 <space> 40 41 60 42 43"
    answer = "1 : [ 30 31 ] , 2 : [ 32 33 ] <space> 1 : [ 40 41 ] , 2 : [ 42 43 ] <space> 1 60 2"
    assert tasks.check("induct_v2_double", double, answer)
    assert not tasks.check("induct_v2_double", double, answer.replace("42 43", "42 44"))


def test_malformed_input() -> None:
    with pytest.raises(ValueError, match="task"):
        tasks.check("no_such_task", HEADER, "1")
    with pytest.raises(ValueError, match="header"):
        tasks.check("deduct", "1 2 3", "1")
    assert not tasks.check("abduct", f"{HEADER} 1 2 <space> 30 31 32 33 34", "")
    assert not tasks.check("abduct", f"{HEADER} 1 2 <space> 30 31 32 33 34", "garbage ] [")
