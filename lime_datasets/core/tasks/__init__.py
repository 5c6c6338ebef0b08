"""The registry of LIME tasks: one declaration per task (``Task``), one module per family.

A task's ``build`` receives a ``SlotReader`` positioned after the shared symbol draw, the token ids
of each row's 68-symbol sample, and the config (for parameters such as ``max_steps``); it returns
the source and target parts of every row. Its ``check`` and ``answers`` judge answers from the
source text alone. Functions that look tasks up take the registry as ``tasks`` (the package's
``TASKS`` by default), so a test can declare tasks of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import rewrite, substitution
from .declaration import BodyParts, Task, at_least, exactly, lookup, registry

# The order is the registry's order: mixtures' bytes depend on it.
TASKS: Mapping[str, Task] = registry([*substitution.TASKS, *rewrite.TASKS])


def check(task: str, source: str, answer: str, *, tasks: Mapping[str, Task] = TASKS) -> bool:
    """True if ``answer`` is a valid answer to ``source`` under ``task``'s validity rules.

    False for a malformed answer; ``ValueError`` for a malformed source, an unknown task, or a
    source and answer needing more than ``work_budget.CHECK_WORK_LIMIT`` steps of work (only
    crafted sources do; each task's worst case is in ``checker`` and ``rewrite_checker``).
    """
    declared = lookup(tasks, task)
    if not isinstance(source, str) or not isinstance(answer, str):
        raise ValueError("source and answer must be strings")
    header, body = declared.parse(source)
    return declared.check(header, body, answer)


__all__ = ["TASKS", "BodyParts", "Task", "at_least", "check", "exactly", "lookup", "registry"]
