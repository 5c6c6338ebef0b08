"""Families 2 and 3: the single-step and multi-step rewrite tasks, declared.

Each declaration names the layout function of ``core.rewrite`` (the generator), the checker
function of ``core.rewrite_checker`` and the enumerator of ``core.answer_search`` (written
independently of the generator), and the card's words; the ranges in those words are the
generator's constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import answer_search, rewrite_checker
from .. import rewrite as generator
from ..rng import SlotReader
from ..symbols import RULE_SYMBOLS
from .declaration import Task, at_least, exactly
from .words import SYMBOLS


def how_built_rewrite(config: Any) -> list[str]:
    """The construction of one single-step rewrite example, as numbered steps (for the cards)."""
    g = generator
    return [
        SYMBOLS + " The header lists the rule symbols the rule uses, then every string and "
        "math symbol.",
        f"The string: `n` draws from the string symbols (`n` from {g.MIN_N} to {g.MAX_N}) and "
        f"`round(1.5 n)` from the math symbols, shuffled ({g.MIN_N + g.ROUND_1_5[g.MIN_N]} to "
        f"{g.MAX_LENGTH} tokens).",
        f"A span of {g.MIN_SPAN} to {g.MAX_SPAN} consecutive tokens is matched. Its distinct "
        "string symbols (the *letters*), in order of first appearance, are paired with the first "
        "rule symbols; the rule's left side is the span with each letter replaced by its rule "
        "symbol.",
        f"The right side: {g.MIN_RIGHT_MATH} to {g.MAX_RIGHT_MATH} math draws and each used rule "
        "symbol once, shuffled. The rule is written `left -> right`.",
        "The rewritten string: the span replaced by the right side, with each rule symbol "
        "turned back into its letter.",
    ]


def how_built_multistep(config: Any) -> list[str]:
    """The construction of one multi-step rewrite example, as numbered steps (for the cards)."""
    g = generator
    return [
        SYMBOLS + f" The header lists all {RULE_SYMBOLS} rule symbols, then every string "
        "and math symbol.",
        f"The start string: `n` draws from the math symbols (`n` from {g.MIN_START_N} to "
        f"{g.MAX_START_N}) and `round(1.5 n)` from the string symbols, shuffled "
        f"({g.MIN_START_N + g.ROUND_1_5[g.MIN_START_N]} to {g.MAX_START_LENGTH} tokens).",
        f"The number of steps: from `min_steps` to `max_steps` ({config.min_steps} to "
        f"{config.max_steps} here).",
        "Each step builds a rewrite rule on the current string as in the single-step task, "
        f"with a span of {g.MIN_STEP_SPAN} to {g.MAX_STEP_SPAN} tokens (the whole string if it is "
        f"shorter) and a right side of {g.MIN_STEP_MATH} to {g.MAX_STEP_MATH} math draws and the "
        "used rule symbols, and applies it. Every step takes its rule symbols afresh from the "
        "first ones.",
        "The source lists the rules in order, then the start string.",
    ]


REWRITE_LIMITATIONS = (
    "The header lists only the rule symbols the rule uses, so it gives away how many distinct "
    "string symbols the matched span holds.",
    "A rule symbol stands for exactly one string symbol, and different rule symbols for "
    "different string symbols; answers are judged by that rule (see the spec).",
)
MULTISTEP_LIMITATIONS = (
    "Where the current string is shorter than the drawn span, the span is the whole string; "
    "the authors' generator raises an error there instead.",
)


def _build_rewrite(induct: bool):
    def build(reader: SlotReader, sample_ids: np.ndarray, config: Any):
        source, target = generator.rewrite_rows(reader.take(generator.SLOTS), sample_ids, induct)
        return [source], [target]

    return build


def _build_multistep(easy: bool):
    def build(reader: SlotReader, sample_ids: np.ndarray, config: Any):
        source, target = generator.multistep_rows(
            reader.take(generator.multistep_slots(config)), sample_ids, config.min_steps,
            config.max_steps, easy,
        )
        return [source], [target]

    return build


def _rewrite_slots(config: Any) -> int:
    return generator.SLOTS


_REWRITE = dict(family="rewrite", slots=_rewrite_slots, how_built=how_built_rewrite,
                limitations=REWRITE_LIMITATIONS)
_MULTISTEP = dict(family="multistep", slots=generator.multistep_slots, body_parts=at_least(2),
                  how_built=how_built_multistep, limitations=MULTISTEP_LIMITATIONS)
_MULTISTEP_SOURCE = "rule1 <space> rule2 ... <space> string"

TASKS = [
    Task(
        name="rewrite", **_REWRITE, build=_build_rewrite(induct=False),
        summary="Rewrite: apply a rewrite rule once to a string and write the new string.",
        source_layout="rule <space> string", target_layout="rewritten string",
        body_parts=exactly(2), check=rewrite_checker.check_rewrite,
        answers=answer_search.rewrite_answers, renames_symbols=False,
        asks="**Rewriting, the deduction variant**: the model reads a rewrite rule and a string "
        "and writes the string after one application of the rule.",
        alternatives="another string: the rule may match at more than one position.",
    ),
    Task(
        name="induct_rewrite", **_REWRITE, build=_build_rewrite(induct=True),
        summary="Rewrite induction: find the rule that rewrote one string into another.",
        source_layout="string <space> rewritten string", target_layout="rule",
        body_parts=exactly(2), check=rewrite_checker.check_induct_rewrite,
        answers=answer_search.induct_rewrite_answers, renames_symbols=True,
        asks="**Rewriting, the induction variant**: the model reads a string and the "
        "string after one rewrite, and writes the rule that rewrote it.",
        alternatives="another rule: e.g. a wider span with unchanged math symbols at its edges; "
        "also any renaming of the rule symbols.",
    ),
    Task(
        name="rewrite_multistep", **_MULTISTEP, build=_build_multistep(easy=False),
        summary="Multi-step rewrite (the paper's task): apply the rules in turn, write the final "
        "string.",
        source_layout=_MULTISTEP_SOURCE, target_layout="final string",
        check=rewrite_checker.check_rewrite_multistep, answers=answer_search.multistep_answers,
        renames_symbols=False,
        asks="**Multi-step rewriting** (the paper's rewrite task): the model reads "
        "several rewrite rules and a start string, and writes the string after applying each rule "
        "once, in turn.",
        alternatives="another final string: some step's rule matches at more than one position.",
    ),
    Task(
        name="rewrite_multistep_easy", **_MULTISTEP,
        build=_build_multistep(easy=True),
        summary="Multi-step rewrite, easy variant: write the string after every step.",
        source_layout=_MULTISTEP_SOURCE,
        target_layout="string1 <space> string2 ... <space> final string",
        check=rewrite_checker.check_rewrite_multistep_easy,
        answers=answer_search.multistep_easy_answers, renames_symbols=False,
        asks="**Multi-step rewriting, easy variant**: as `rewrite_multistep`, "
        "but the model writes the string after every step, the final one included.",
        alternatives="other intermediate strings: some step's rule matches at more than "
        "one position.",
    ),
]
