"""The words of the cards: what each task asks, how its examples are built, known limitations.

Plain prose from the spec; every number in it is a generation constant, not a measurement. The
words of each task and family are in its declaration (``core.tasks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from ..core.config import LimeConfig
from ..core.tasks import TASKS, Task


class TaskWords(NamedTuple):
    """The words the cards print about tasks, read from their declarations."""

    asks: dict[str, str]  # task -> what it asks
    alternatives: dict[str, str]  # task -> which other answers are valid
    family_limitations: dict[str, list[str]]  # family -> known limitations


def task_words(tasks: Mapping[str, Task] = TASKS) -> TaskWords:
    return TaskWords(
        asks={name: task.asks for name, task in tasks.items()},
        alternatives={name: task.alternatives for name, task in tasks.items()},
        family_limitations={task.family: list(task.limitations) for task in tasks.values()},
    )


ASKS, ALTERNATIVES, FAMILY_LIMITATIONS = task_words()


def how_built(family: str, config: LimeConfig, *, tasks: Mapping[str, Task] = TASKS) -> list[str]:
    """The construction of one example of a task ``family``, as numbered steps."""
    for task in tasks.values():
        if task.family == family:
            return task.how_built(config)
    raise ValueError(f"unknown task family {family!r}")


RENAMING_NOTE = (
    "Answers of this task name the rule symbols freely: with `k` rule symbols in the header, every "
    "valid answer has `k!` renamings that are equally valid, and exact match counts all but one "
    "of them wrong. The rate *up to renaming* tells how often the answer is undetermined beyond "
    "that."
)

COMMON_LIMITATIONS = [
    "Exact match under-counts: a model that writes another valid answer is right. Score with "
    "`lime_datasets.check(task, source, answer)` or `lime-datasets evaluate`, which accept any "
    "valid answer (see the ambiguity rate above).",
    "These are not the authors' files: their generator is unseeded, so its data cannot be "
    "reproduced byte for byte. This package follows the same distribution and text layout, and "
    "fixes what the original left open (e.g. the header lists rule symbols in draw order).",
    "Symbols are opaque numbers: the tasks carry no meaning beyond the symbol roles the header "
    "declares.",
    "Splits are independent draws, not deduplicated against each other; the overlap above is "
    "measured on a sample of the train split.",
    "The statistics are measured at the default parameters; other parameters (e.g. "
    "`vocab_size`, or the step range of the multi-step tasks) change them.",
]
