"""Every range of SPEC family 1 holds, the extremes occur, and the draws are unbiased.

The examples are parsed from their text here, independently of the generator's internals.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

import lime_datasets

N = 20_000


def parse(source: str) -> tuple[list[str], list[str], list[str], list[list[str]]]:
    tokens = source.split()
    lower, math_at, space = tokens.index("<LOWER>"), tokens.index("<MATH>"), tokens.index("<space>")
    body: list[list[str]] = [[]]
    for token in tokens[space + 1 :]:
        body.append([]) if token == "<space>" else body[-1].append(token)
    return tokens[1:lower], tokens[lower + 1 : math_at], tokens[math_at + 1 : space], body


def parse_case(tokens: list[str]) -> list[tuple[str, list[str]]]:
    entries = " ".join(tokens).split(" , ")
    out = []
    for entry in entries:
        symbol, colon, opening, *values, closing = entry.split()
        assert (colon, opening, closing) == (":", "[", "]")
        out.append((symbol, values))
    return out


@pytest.fixture(scope="module")
def deduct_rows() -> list[dict]:
    return lime_datasets.generate("deduct", "train", 0, N, num_train=N).to_pylist()


def test_family_one_ranges(deduct_rows: list[dict]) -> None:
    observed: dict[str, list[int]] = {
        k: [] for k in ("rule_length", "rule_symbol_uses", "math", "used", "value")
    }
    for row in deduct_rows:
        rule_symbols, strings, maths, (rule, case_tokens) = parse(row["source"])
        assert len(strings) == 24 and len(maths) == 20
        header = rule_symbols + strings + maths
        assert len(set(header)) == len(header)
        assert all(0 <= int(s) < 1000 for s in header)
        uses = sum(token in rule_symbols for token in rule)
        assert all(token in rule_symbols or token in maths for token in rule)
        assert set(rule_symbols) <= set(rule)
        assert len(rule_symbols) <= uses // 2
        case = parse_case(case_tokens)
        assert [symbol for symbol, _ in case] == rule_symbols
        for _, values in case:
            assert all(v in strings or v in maths for v in values)
            observed["value"].append(len(values))
        observed["rule_length"].append(len(rule))
        observed["rule_symbol_uses"].append(uses)
        observed["math"].append(len(rule) - uses)
        observed["used"].append(len(rule_symbols))
    assert sorted(set(observed["rule_symbol_uses"])) == [6, 8, 10]  # 2k, k in 3..5
    bounds = {"rule_length": (11, 29), "math": (5, 19), "used": (1, 5), "value": (2, 8)}
    for key, (low, high) in bounds.items():
        assert (min(observed[key]), max(observed[key])) == (low, high), key
    # Each value length 2..8 equally likely.
    counts = Counter(observed["value"])
    total = len(observed["value"])
    for length in range(2, 9):
        assert abs(counts[length] / total - 1 / 7) < 5 * math.sqrt((1 / 7) * (6 / 7) / total)


def test_symbols_are_uniform(deduct_rows: list[dict]) -> None:
    counts = np.zeros(1000)
    for row in deduct_rows:
        _, strings, maths, _ = parse(row["source"])
        np.add.at(counts, [int(s) for s in strings + maths], 1)
    expected = counts.sum() / 1000
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 999 + 6 * math.sqrt(2 * 999)  # 999 degrees of freedom, ~6 sigma


def test_rule_is_shuffled(deduct_rows: list[dict]) -> None:
    """P(first rule token is a math symbol) = E[n_math / (2k + n_math)] over the spec's draws."""
    expected = sum(n / (2 * k + n) for k in (3, 4, 5) for n in range(5, 20)) / 45
    first_is_math = sum(parse(r["source"])[3][0][0] in parse(r["source"])[2] for r in deduct_rows)
    share = first_is_math / len(deduct_rows)
    assert abs(share - expected) < 5 * math.sqrt(expected * (1 - expected) / len(deduct_rows))


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (None, {"deduct": 1 / 3, "abduct": 1 / 3, "induct": 1 / 3}),
        ({"deduct": 1, "abduct": 3}, {"deduct": 0.25, "abduct": 0.75}),
    ],
)
def test_mixture_proportions(weights: dict | None, expected: dict) -> None:
    overrides = {} if weights is None else {"task_weights": weights}
    n = 30_000
    tasks = lime_datasets.generate("mixed", "train", 0, n, **overrides).column("task").to_pylist()
    counts = Counter(tasks)
    assert set(counts) == set(expected)
    for task, p in expected.items():
        assert abs(counts[task] / n - p) < 5 * math.sqrt(p * (1 - p) / n), task


@pytest.mark.parametrize("vocab_size", [68, 69, 100, 5000])
def test_other_vocabulary_sizes(vocab_size: int) -> None:
    rows = lime_datasets.generate("mixed", "test", 0, 300, vocab_size=vocab_size).to_pylist()
    for row in rows:
        rule_symbols, strings, maths, _ = parse(row["source"])
        header = rule_symbols + strings + maths
        assert len(set(header)) == len(header)
        assert all(0 <= int(s) < vocab_size for s in header)
        assert lime_datasets.check(row["task"], row["source"], row["target"])
    if vocab_size == 68:  # every symbol is drawn: the header shows all 44 string and math symbols
        assert all(len(set(parse(r["source"])[1] + parse(r["source"])[2])) == 44 for r in rows)
