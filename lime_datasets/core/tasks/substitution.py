"""Family 1: the substitution tasks (deduct, abduct, induct and the induct variants), declared.

Each declaration names the layout function of ``core.substitution`` (the generator), the checker
function of ``core.checker`` and the enumerator of ``core.answer_search`` (written independently of
the generator), and the card's words; the ranges in those words are the generator's constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import answer_search, checker
from .. import substitution as generator
from ..rng import SlotReader
from .declaration import Answers, BodyParts, Checker, Task, exactly
from .words import SYMBOLS

RENAMING = "also any renaming of the rule symbols."


def how_built(config: Any) -> list[str]:
    """The construction of one substitution example, as numbered steps (for the cards)."""
    g = generator
    min_length = 2 * g.MIN_RULE_SYMBOLS + g.MIN_MATH_DRAWS
    return [
        SYMBOLS + " The header lists the rule symbols the rule uses (in draw order), then every "
        "string and math symbol.",
        f"Draw `k` from {g.MIN_RULE_SYMBOLS} to {g.MAX_RULE_SYMBOLS}, then `2k` draws from the "
        "first `k` rule symbols; the distinct ones (1 to `k`) are the rule symbols used.",
        f"The rule: those `2k` draws and {g.MIN_MATH_DRAWS} to {g.MAX_MATH_DRAWS} draws from the "
        f"math symbols, shuffled ({min_length} to {g.MAX_RULE_LENGTH} tokens).",
        f"A case gives each used rule symbol a value of {g.MIN_VALUE_LENGTH} to "
        f"{g.MAX_VALUE_LENGTH} draws from the string and math symbols, written "
        "`A : [ v v ] , B : [ v v v ]` in header order.",
        "The result: the rule with every rule symbol replaced by its value. Tasks that show "
        "two results use a second, independent case for the same rule.",
    ]


LIMITATIONS = (
    "The header lists only the rule symbols the rule uses, so it gives away how many distinct "
    "rule symbols the answer holds.",
)


def substitution_task(
    *,
    name: str,
    layout: generator.Layout,
    cases: int,
    summary: str,
    source_layout: str,
    target_layout: str,
    body_parts: BodyParts,
    check: Checker,
    answers: Answers,
    renames_symbols: bool,
    asks: str,
    alternatives: str,
) -> Task:
    """A substitution task: ``layout`` arranges a draw of ``cases`` cases into source and target."""

    def build(reader: SlotReader, sample_ids: np.ndarray, config: Any):
        source, target = generator.substitution_rows(
            reader.take(generator.slots(cases)), sample_ids, cases, layout
        )
        return [source], [target]

    def slots(config: Any) -> int:
        return generator.slots(cases)

    return Task(
        name=name, family="substitution", summary=summary, source_layout=source_layout,
        target_layout=target_layout, slots=slots, build=build, body_parts=body_parts,
        check=check, answers=answers, renames_symbols=renames_symbols, asks=asks,
        alternatives=alternatives, how_built=how_built, limitations=LIMITATIONS,
    )


TASKS = [
    substitution_task(
        name="deduct", layout=generator.DEDUCT, cases=1,
        summary="Deduction: apply a given case to a rule and write the result.",
        source_layout="rule <space> case", target_layout="result", body_parts=exactly(2),
        check=checker.check_deduct, answers=answer_search.deduct_answers, renames_symbols=False,
        asks="**Deduction** (Peirce): from a rule and a case, infer the result. The model reads a "
        "rule and a case (a value for each rule symbol) and writes the rule with every rule symbol "
        "replaced by its value.",
        alternatives="none: applying a case to a rule has one result.",
    ),
    substitution_task(
        name="abduct", layout=generator.ABDUCT, cases=1,
        summary="Abduction: find the case that turns the rule into the given result.",
        source_layout="rule <space> result", target_layout="case", body_parts=exactly(2),
        check=checker.check_abduct, answers=answer_search.abduct_answers, renames_symbols=False,
        asks="**Abduction** (Peirce): from a rule and a result, infer the case. The model reads a "
        "rule and the result of some case, and writes a case that turns the rule into that result.",
        alternatives="another case: a result can often be cut into values in more than one way.",
    ),
    substitution_task(
        name="induct", layout=generator.INDUCT, cases=1,
        summary="Induction: find the rule that the given case turns into the given result.",
        source_layout="result <space> case", target_layout="rule", body_parts=exactly(2),
        check=checker.check_induct, answers=answer_search.induct_answers, renames_symbols=False,
        asks="**Induction** (Peirce): from a case and a result, infer the rule. The model reads a "
        "result and the case that produced it, and writes a rule that this case turns into the "
        "result.",
        alternatives="another rule: e.g. an occurrence of a value made only of math symbols can be "
        "written as those symbols, as long as every rule symbol still occurs.",
    ),
    substitution_task(
        name="induct_v2", layout=generator.INDUCT_V2, cases=1,
        summary="Induction without the case: write a case and a rule that give the result.",
        source_layout="result", target_layout="case <space> rule", body_parts=exactly(1),
        check=checker.check_induct_v2, answers=answer_search.case_and_rule_answers,
        renames_symbols=True,
        asks="**Induction without the case**: the model reads only a result and writes both a "
        "case and a rule that give it.",
        alternatives=f"another case and rule; {RENAMING}",
    ),
    substitution_task(
        name="induct_v3", layout=generator.INDUCT_V3, cases=2,
        summary="Induction from two results of the same rule under two unseen cases.",
        source_layout="result <space> result2", target_layout="rule", body_parts=exactly(2),
        check=checker.check_induct_v3, answers=answer_search.rule_only_answers,
        renames_symbols=True,
        asks="**Induction from two results**: the model reads two results of the same rule "
        "under two different cases it never sees, and writes a rule that can produce both.",
        alternatives=f"another rule that both results fit; {RENAMING}",
    ),
    substitution_task(
        name="induct_hard", layout=generator.INDUCT_HARD, cases=1,
        summary="Induction from one result alone: write a rule that can produce it.",
        source_layout="result", target_layout="rule", body_parts=exactly(1),
        check=checker.check_induct_hard, answers=answer_search.rule_only_answers,
        renames_symbols=True,
        asks="**Induction from one result**: the model reads a result alone and writes a "
        "rule that can produce it under some case (the case is not written).",
        alternatives=f"another rule the result fits; {RENAMING}",
    ),
    substitution_task(
        name="induct_v2_double", layout=generator.INDUCT_V2_DOUBLE, cases=2,
        summary="Induction from two results: write both cases and the rule.",
        source_layout="result <space> result2", target_layout="case <space> case2 <space> rule",
        body_parts=exactly(2), check=checker.check_induct_v2_double,
        answers=answer_search.case_and_rule_answers, renames_symbols=True,
        asks="**Induction from two results, cases included**: the model reads two "
        "results of one rule and writes both cases and the rule.",
        alternatives=f"other cases and rule; {RENAMING}",
    ),
]
