"""What a task is: one declaration holding everything the package knows about it.

A ``Task`` carries its generator entry (``slots``, ``build``), its text layout, its checker and
answer enumerator (written independently of the generator), whether its answers name the rule
symbols freely, and the words its dataset card prints. Every field is required, so a declaration
that forgets one fails when its module is imported. ``registry`` makes an immutable name -> task
mapping; the package's is ``tasks.TASKS``, and a test can build its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..answer_search import AnswerClass, Budget
from ..parsing import Header, parse_source
from ..rng import SlotReader
from ..sequences import Part
from ..suggest import did_you_mean

if TYPE_CHECKING:
    from ..config import LimeConfig

Body = list[list[str]]
Build = Callable[[SlotReader, np.ndarray, "LimeConfig"], tuple[list[Part], list[Part]]]
Checker = Callable[[Header, Body, str], bool]
Answers = Callable[[Header, Body, Budget], Iterator[AnswerClass]]


@dataclasses.dataclass(frozen=True)
class BodyParts:
    """How many ``<space>``-separated parts a source has after its header: ``least`` to ``most``
    (None: no upper bound)."""

    least: int
    most: int | None

    def __str__(self) -> str:
        if self.most == self.least:
            return str(self.least)
        return f"at least {self.least}" if self.most is None else f"{self.least} to {self.most}"

    def allows(self, count: int) -> bool:
        return self.least <= count and (self.most is None or count <= self.most)


def exactly(parts: int) -> BodyParts:
    return BodyParts(parts, parts)


def at_least(parts: int) -> BodyParts:
    return BodyParts(parts, None)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Task:
    """One LIME task. Every field is required (keyword-only)."""

    name: str
    family: str  # the construction it shares with other tasks, e.g. "substitution"
    summary: str  # one line, for listings
    source_layout: str  # e.g. "rule <space> case" (after the header)
    target_layout: str
    slots: Callable[[Any], int]  # random 32-bit words one example reads, given its config
    build: Build  # (reader after the symbol draw, sample ids, config) -> source and target parts
    body_parts: BodyParts  # parts of a source after its header, as the checker reads them
    check: Checker  # (header, body, answer) -> is the answer valid; never calls the generator
    answers: Answers  # every valid answer, one per class of renamings
    renames_symbols: bool  # answers name the rule symbols freely (k! equally valid texts)
    asks: str  # the card's sentence on what the task asks
    alternatives: str  # the card's sentence on which other answers are valid
    how_built: Callable[[Any], list[str]]  # the card's steps of the construction, given a config
    limitations: tuple[str, ...]  # the card's known limitations of the construction

    def __post_init__(self) -> None:
        texts = ("name", "family", "summary", "source_layout", "target_layout", "asks",
                 "alternatives")
        for field in texts:
            value = getattr(self, field)
            if not isinstance(value, str) or not value:
                raise ValueError(f"Task.{field} must be a non-empty string; got {value!r}")
        for field in ("slots", "build", "check", "answers", "how_built"):
            if not callable(getattr(self, field)):
                raise ValueError(f"Task.{field} of {self.name!r} must be callable")
        if not isinstance(self.body_parts, BodyParts) or self.body_parts.least < 1:
            raise ValueError(f"Task.body_parts of {self.name!r} must be a BodyParts of at least 1")
        if not isinstance(self.renames_symbols, bool):
            raise ValueError(f"Task.renames_symbols of {self.name!r} must be a bool")
        if not isinstance(self.limitations, tuple) or not all(
            isinstance(line, str) and line for line in self.limitations
        ):
            raise ValueError(
                f"Task.limitations of {self.name!r} must be a tuple of non-empty strings"
            )

    def parse(self, source: str) -> tuple[Header, Body]:
        """The header and body parts of a source of this task; ``ValueError`` if malformed."""
        if not isinstance(source, str):
            raise ValueError(f"source must be a string; got {type(source).__name__}")
        header, body = parse_source(source)
        if not self.body_parts.allows(len(body)):
            raise ValueError(
                f"a {self.name} source has {self.body_parts} body parts after the header; "
                f"got {len(body)}"
            )
        return header, body


def registry(tasks: Iterable[Task]) -> MappingProxyType[str, Task]:
    """An immutable name -> task mapping, in the given order (mixtures draw tasks in this order)."""
    by_name: dict[str, Task] = {}
    for task in tasks:
        if not isinstance(task, Task):
            raise ValueError(f"a registry holds Task declarations; got {task!r}")
        if task.name in by_name:
            raise ValueError(f"task {task.name!r} is declared twice")
        by_name[task.name] = task
    return MappingProxyType(by_name)


def lookup(tasks: Mapping[str, Task], name: str) -> Task:
    """``tasks[name]``, or a ``ValueError`` naming the tasks there are (also for a non-string)."""
    if isinstance(name, str) and name in tasks:
        return tasks[name]
    raise ValueError(
        f"task must be one of {', '.join(tasks)}; got {name!r}{did_you_mean(name, tasks)}"
    )
