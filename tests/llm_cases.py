"""Answers and completions shared by the tests of the language-model adapters (tests/test_llm*.py).

The one place these tests take the enumeration of other valid answers from.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import lime_datasets
from lime_datasets.analysis import valid_answers

# The tasks whose examples have valid answers other than the target (deduct has one answer, and
# no generated rewrite example has a rule that matches its string twice).
ALTERNATIVE_TASKS = ("abduct", "induct", "induct_v2", "induct_v3", "induct_hard",
                     "induct_v2_double", "induct_rewrite", "rewrite_multistep",
                     "rewrite_multistep_easy")
ONE_MEGABYTE = 1 << 20


def rows(name: str, split: str = "test", count: int = 40, **overrides) -> list[dict]:
    return lime_datasets.generate(name, split, 0, count, **overrides).to_pylist()


def other_valid_answers(row: dict, limit: int = 3) -> list[str]:
    """Up to ``limit`` valid answers of a row whose tokens differ from the target."""
    answers = itertools.islice(valid_answers(row["task"], row["source"]), limit + 1)
    return [a for a in answers if a.split() != row["target"].split()][:limit]


def rows_with_other_answers(task: str, wanted: int = 3, search: int = 400
                            ) -> Iterator[tuple[dict, list[str]]]:
    """The first ``wanted`` rows of ``task``'s test split that have other valid answers."""
    found = 0
    for row in rows(task, count=search, num_test=search):
        others = other_valid_answers(row)
        if others:
            yield row, others
            found += 1
            if found == wanted:
                return
    raise AssertionError(f"fewer than {wanted} rows of {task} with another valid answer")


def foreign_symbol(source: str) -> str:
    """A symbol that does not occur in ``source``: no valid answer can contain it."""
    used = set(source.split())
    return next(str(s) for s in itertools.count() if str(s) not in used)


def corrupted(row: dict) -> list[str]:
    """Wrong answers: the target with its first symbol, or its last token, replaced by a symbol
    outside the header, the empty answer, and the target of another example."""
    tokens = row["target"].split()
    foreign = foreign_symbol(row["source"])
    first_symbol = next(i for i, token in enumerate(tokens) if token.isdigit())
    replaced = [foreign if i == first_symbol else t for i, t in enumerate(tokens)]
    return [" ".join(replaced), " ".join([*tokens[:-1], foreign]), ""]


def hostile_completions(target: str) -> dict[str, str]:
    """Completions that must score 0.0 without raising, whatever the example."""
    surrogate = "\ud800"
    return {
        "empty": "",
        "no tags": target,
        "one megabyte": "1 " * (ONE_MEGABYTE // 2),
        "one megabyte inside tags": "<answer> " + "7 " * (ONE_MEGABYTE // 2) + "</answer>",
        "one megabyte of opening tags": "<answer>" * (ONE_MEGABYTE // 8),
        "one megabyte of closing tags": "</answer>" * (ONE_MEGABYTE // 9),
        "nested tags": f"<answer> <answer> {target} </answer> </answer>",
        "a stray closing tag": f"<answer> {target} </answer> </answer>",
        "tags reversed": f"</answer> {target} <answer>",
        "unclosed": f"<answer> {target}",
        "upper-case tags": f"<ANSWER> {target} </ANSWER>",
        "empty tags": "<answer></answer>",
        "the last block is wrong": f"<answer> {target} </answer> <answer> 0 </answer>",
        "lone surrogates": f"<answer> {surrogate} {target} {surrogate} </answer>",
        "only surrogates": surrogate * 1000,
        "NUL and control characters": f"<answer> \x00{target}\x1b </answer>",
        "structural tokens only": "<answer> <UPPER> <LOWER> <MATH> <space> : [ ] , -> </answer>",
        "markup around the answer": f"<answer> `{target}` </answer>",
    }
