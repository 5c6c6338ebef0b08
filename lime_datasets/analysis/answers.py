"""How many valid answers does a source have, and which? Counted from the source alone.

Reads each task's declaration (``core.tasks``): its ``answers`` enumerator yields one answer per
class of renamings, and where the task ``renames_symbols`` every renaming of the ``k`` header rule
symbols of a valid answer is another valid answer, so answer texts come in classes of exactly
``k!``. ``AnswerCount.classes`` counts the classes (the answers up to renaming), which is what
tells whether the answer is determined at all.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..core.answer_search import Budget, SearchLimit
from ..core.parsing import Header
from ..core.tasks import TASKS, Task, lookup


@dataclass(frozen=True)
class AnswerCount:
    """Distinct valid answers of a source, each count capped at the limit it was taken with.

    ``complete`` is False when the search stopped at its step budget first: the counts are then
    lower bounds.
    """

    answers: int  # distinct answer texts
    classes: int  # distinct answers up to a renaming of the rule symbols
    complete: bool = True


def count_answers(
    task: str,
    source: str,
    limit: int,
    *,
    max_steps: int | None = None,
    tasks: Mapping[str, Task] = TASKS,
) -> AnswerCount:
    """Distinct valid answers of ``source`` under ``task`` (texts and classes), at most ``limit``.

    ``max_steps`` bounds the search (search nodes; deterministic, unlike a time limit). Raises
    ``ValueError`` for an unknown task, a malformed source, a limit below 1 or a negative
    ``max_steps``.
    """
    declared = lookup(tasks, task)
    if isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1:
        raise ValueError(f"limit must be a positive integer; got {limit!r}")
    if max_steps is not None and (
        isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral) or max_steps < 0
    ):
        raise ValueError(f"max_steps must be None or a non-negative integer; got {max_steps!r}")
    header, body = declared.parse(source)
    renamings = math.factorial(len(header.rule_symbols)) if declared.renames_symbols else 1
    classes, complete = 0, True
    try:
        for _ in declared.answers(header, body, Budget(max_steps)):
            classes += 1
            if classes == limit:
                break
    except SearchLimit:
        complete = False
    return AnswerCount(min(limit, classes * renamings), classes, complete)


def valid_answers(task: str, source: str, *, tasks: Mapping[str, Task] = TASKS) -> Iterator[str]:
    """Every distinct valid answer text of ``source`` under ``task``, lazily (there may be many).

    ``ValueError`` for an unknown task or a malformed source, raised by the call itself.
    """
    declared = lookup(tasks, task)
    header, body = declared.parse(source)
    return _texts(declared, header, body)


def _texts(declared: Task, header: Header, body: list[list[str]]) -> Iterator[str]:
    symbols = header.rule_symbols
    for answer in declared.answers(header, body, Budget(None)):
        if not declared.renames_symbols:
            yield answer({})
            continue
        for order in itertools.permutations(symbols):
            yield answer(dict(zip(symbols, order, strict=True)))
