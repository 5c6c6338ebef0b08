"""The registry of LIME tasks: what each one is, how many random slots it reads, how it is built.

A task's ``build`` receives a ``SlotReader`` positioned after the shared symbol draw, the token ids
of each row's 68-symbol sample, and the config (for parameters such as ``max_steps``); it returns
the source and target parts of every row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from . import rewrite, substitution
from .rng import SlotReader
from .sequences import Part

if TYPE_CHECKING:
    from .config import LimeConfig

Build = Callable[[SlotReader, np.ndarray, "LimeConfig"], tuple[list[Part], list[Part]]]


@dataclasses.dataclass(frozen=True)
class Task:
    name: str
    family: str  # "substitution", "rewrite" or "multistep"
    summary: str
    source_layout: str
    target_layout: str
    slots: Callable[[Any], int]  # random 32-bit words one example reads, given its config
    build: Build


def _substitution_task(name: str, summary: str, source: str, target: str) -> Task:
    layout, case_count = substitution.LAYOUTS[name]

    def build(reader: SlotReader, sample_ids: np.ndarray, config: Any):
        return layout(substitution.SubstitutionDraw(reader, sample_ids, case_count))

    def slots(config: Any) -> int:
        return substitution.slots(case_count)

    return Task(name, "substitution", summary, source, target, slots, build)


_TASKS = [
    _substitution_task(
        "deduct", "Deduction: apply a given case to a rule and write the result.",
        "rule <space> case", "result"),
    _substitution_task(
        "abduct", "Abduction: find the case that turns the rule into the given result.",
        "rule <space> result", "case"),
    _substitution_task(
        "induct", "Induction: find the rule that the given case turns into the given result.",
        "result <space> case", "rule"),
    _substitution_task(
        "induct_v2", "Induction without the case: write a case and a rule that give the result.",
        "result", "case <space> rule"),
    _substitution_task(
        "induct_v3", "Induction from two results of the same rule under two unseen cases.",
        "result <space> result2", "rule"),
    _substitution_task(
        "induct_hard", "Induction from one result alone: write a rule that can produce it.",
        "result", "rule"),
    _substitution_task(
        "induct_v2_double", "Induction from two results: write both cases and the rule.",
        "result <space> result2", "case <space> case2 <space> rule"),
]


def _rewrite_task(name: str, summary: str, source: str, target: str) -> Task:
    layout = rewrite.SINGLE_LAYOUTS[name]

    def build(reader: SlotReader, sample_ids: np.ndarray, config: Any):
        return layout(rewrite.RewriteDraw(reader, sample_ids))

    return Task(name, "rewrite", summary, source, target, lambda config: rewrite.SLOTS, build)


def _multistep_task(name: str, summary: str, source: str, target: str) -> Task:
    layout = rewrite.MULTISTEP_LAYOUTS[name]

    def build(reader: SlotReader, sample_ids: np.ndarray, config: Any):
        draw = rewrite.MultistepDraw(reader, sample_ids, config.min_steps, config.max_steps)
        return layout(draw)

    return Task(name, "multistep", summary, source, target, rewrite.multistep_slots, build)


# Appended, so the substitution tasks keep their registry order (mixtures' bytes depend on it).
_TASKS += [
    _rewrite_task(
        "rewrite", "Rewrite: apply a rewrite rule once to a string and write the new string.",
        "rule <space> string", "rewritten string"),
    _rewrite_task(
        "induct_rewrite", "Rewrite induction: find the rule that rewrote one string into another.",
        "string <space> rewritten string", "rule"),
    _multistep_task(
        "rewrite_multistep",
        "Multi-step rewrite (the paper's task): apply the rules in turn, write the final string.",
        "rule1 <space> rule2 ... <space> string", "final string"),
    _multistep_task(
        "rewrite_multistep_easy",
        "Multi-step rewrite, easy variant: write the string after every step.",
        "rule1 <space> rule2 ... <space> string",
        "string1 <space> string2 ... <space> final string"),
]

TASKS: MappingProxyType[str, Task] = MappingProxyType({task.name: task for task in _TASKS})
