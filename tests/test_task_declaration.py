"""A task is one declaration: a toy task declared here, in a registry of its own, is generated,
checked, counted and carded without any other module knowing of it; and the declarations of the
package's tasks are complete and consistent."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import lime_datasets
from lime_datasets.analysis import count_answers, valid_answers
from lime_datasets.cards import text
from lime_datasets.configs import get_config
from lime_datasets.core import substitution, vocab
from lime_datasets.core.rng import WORDS_PER_COUNTER, SlotReader, row_words, stream_key
from lime_datasets.core.rng import uniform_between as between
from lime_datasets.core.sequences import Part, pack, prefix, span, symbol_ids, token
from lime_datasets.core.symbols import (
    MATH_START,
    STRING_START,
    SYMBOLS_PER_EXAMPLE,
    candidate_count,
    sample_symbol_ids,
)
from lime_datasets.core.tasks import TASKS, Task, check, exactly, registry

# --- a toy task: reverse a string of string symbols ----------------------------------------------

MIN_TOY, MAX_TOY = 2, 6


def build_reverse(reader: SlotReader, sample_ids: np.ndarray, config) -> tuple[list, list]:
    rows = sample_ids.shape[0]
    n = between(reader.take_one(), MIN_TOY, MAX_TOY)
    letters = STRING_START + between(reader.take(MAX_TOY), 0, 23)  # sample indices
    ids = symbol_ids(sample_ids, letters)
    backwards = np.take_along_axis(ids, np.clip(n[:, None] - 1 - np.arange(MAX_TOY), 0, None), 1)
    header = [
        token(rows, vocab.UPPER),
        token(rows, vocab.LOWER),
        span(sample_ids, STRING_START, MATH_START),
        token(rows, vocab.MATH),
        span(sample_ids, MATH_START, SYMBOLS_PER_EXAMPLE),
        token(rows, vocab.SPACE),
    ]
    return [*header, prefix(ids, n)], [prefix(backwards, n)]


def check_reverse(header, body, answer: str) -> bool:
    (string,) = body
    if not all(t in header.string_symbols for t in string):
        raise ValueError("a reverse source holds string symbols only")
    return answer.split() == string[::-1]


def reverse_answers(header, body, budget):
    (string,) = body
    yield lambda rename: " ".join(reversed(string))


TOY = Task(
    name="reverse",
    family="toy",
    summary="Reverse a string.",
    source_layout="string",
    target_layout="reversed string",
    slots=lambda config: 1 + MAX_TOY,
    build=build_reverse,
    body_parts=exactly(1),
    check=check_reverse,
    answers=reverse_answers,
    renames_symbols=False,
    asks="**Reversal**: the model reads a string and writes it backwards.",
    alternatives="none: a string has one reversal.",
    how_built=lambda config: [f"Draw `n` from {MIN_TOY} to {MAX_TOY} string symbols."],
    limitations=("A toy.",),
)
TOY_TASKS = registry([TOY])


def _generate(task: Task, rows: int) -> list[tuple[str, str]]:
    """Rows of ``task`` made the way the package makes them: keyed words, the symbol draw, the
    task's build, packing and rendering."""
    config = get_config("deduct")
    candidates = candidate_count(config.vocab_size)
    needed = 1 + candidates + task.slots(config)
    slots = -(-needed // WORDS_PER_COUNTER) * WORDS_PER_COUNTER
    words = row_words(stream_key(config.seed, task.name, "train", 0), 0, rows, slots)
    sample_ids = sample_symbol_ids(words[:, 1 : 1 + candidates], config.vocab_size,
                                   vocab.SYMBOL_OFFSET)
    source_parts, target_parts = task.build(SlotReader(words, 1 + candidates), sample_ids, config)
    assert all(isinstance(part, Part) for part in source_parts + target_parts)
    sources = vocab.render(*pack(source_parts), config.vocab_size).to_pylist()
    targets = vocab.render(*pack(target_parts), config.vocab_size).to_pylist()
    return list(zip(sources, targets, strict=True))


def test_a_toy_task_is_generated_checked_counted_and_carded() -> None:
    examples = _generate(TOY, 200)
    lengths = {len(target.split()) for _, target in examples}
    assert lengths == set(range(MIN_TOY, MAX_TOY + 1))
    for source, target in examples:
        assert check("reverse", source, target, tasks=TOY_TASKS)
        unreversed = " ".join(reversed(target.split()))
        if unreversed != target:
            assert not check("reverse", source, unreversed, tasks=TOY_TASKS)
        assert count_answers("reverse", source, 3, tasks=TOY_TASKS).answers == 1
        assert list(valid_answers("reverse", source, tasks=TOY_TASKS)) == [target]
    words = text.task_words(TOY_TASKS)
    assert words.asks == {"reverse": TOY.asks}
    assert words.alternatives == {"reverse": TOY.alternatives}
    assert words.family_limitations == {"toy": ["A toy."]}
    assert text.how_built("toy", get_config("deduct"), tasks=TOY_TASKS) == [
        "Draw `n` from 2 to 6 string symbols."
    ]


def test_the_toy_task_is_unknown_to_the_package() -> None:
    source, target = _generate(TOY, 1)[0]
    assert "reverse" not in TASKS
    with pytest.raises(ValueError, match="task must be one of"):
        check("reverse", source, target)
    with pytest.raises(ValueError, match="task must be one of"):
        count_answers("reverse", source, 1)


def test_a_declaration_missing_a_field_fails_when_made() -> None:
    fields = {f.name: getattr(TOY, f.name) for f in dataclasses.fields(Task)}
    for missing in fields:
        partial = {k: v for k, v in fields.items() if k != missing}
        with pytest.raises(TypeError, match=missing):
            Task(**partial)
    with pytest.raises(ValueError, match="asks"):
        Task(**{**fields, "asks": ""})
    with pytest.raises(ValueError, match="check"):
        Task(**{**fields, "check": None})
    with pytest.raises(ValueError, match="declared twice"):
        registry([TOY, TOY])


def test_the_registry_keeps_the_order_mixtures_draw_in() -> None:
    assert list(TASKS) == [
        "deduct", "abduct", "induct", "induct_v2", "induct_v3", "induct_hard",
        "induct_v2_double", "rewrite", "induct_rewrite", "rewrite_multistep",
        "rewrite_multistep_easy",
    ]


@pytest.mark.parametrize("name", list(TASKS))
def test_each_declaration_fits_its_generated_examples(name: str) -> None:
    """Body parts, checker, answer counter and renaming flag agree with the generated data."""
    task = TASKS[name]
    for row in lime_datasets.generate(name, "test", 0, 5).to_pylist():
        header, body = task.parse(row["source"])
        assert task.body_parts.allows(len(body))
        assert task.check(header, body, row["target"])
        count = count_answers(name, row["source"], 1000, max_steps=200_000)
        renamings = math.factorial(len(header.rule_symbols)) if task.renames_symbols else 1
        assert count.answers == min(1000, count.classes * renamings)
        assert count.classes >= 1


def test_card_ranges_are_the_generators_constants() -> None:
    steps = " ".join(text.how_built("substitution", get_config("deduct")))
    g = substitution
    assert f"from {g.MIN_RULE_SYMBOLS} to {g.MAX_RULE_SYMBOLS}" in steps
    assert f"{g.MIN_MATH_DRAWS} to {g.MAX_MATH_DRAWS} draws" in steps
    assert f"{2 * g.MIN_RULE_SYMBOLS + g.MIN_MATH_DRAWS} to {g.MAX_RULE_LENGTH} tokens" in steps
