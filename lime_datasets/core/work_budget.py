"""The work one check may do: a step counter that raises ``ValueError`` past ``CHECK_WORK_LIMIT``.

Parsing a source and an answer is linear in their tokens for every task. Beyond it, the checkers
(``checker`` and ``rewrite_checker``, whose docstrings give each task's worst case) count the steps
that depend on the input's shape with one ``WorkBudget`` per check; a source and answer needing
more than ``CHECK_WORK_LIMIT`` steps raise ``ValueError`` naming the limit rather than run on. No
generated source comes near it, whatever the answer: the most measured, with adversarial answers,
is under 10^5 steps (a test keeps it under a twentieth of the limit).
"""

from __future__ import annotations

# Steps of work one check may do beyond parsing (a step examines at most 8 tokens).
CHECK_WORK_LIMIT = 2_000_000


class WorkBudget:
    """The steps of work one check has done; ``ValueError`` past ``CHECK_WORK_LIMIT``."""

    __slots__ = ("limit", "spent")

    def __init__(self, limit: int = CHECK_WORK_LIMIT) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, steps: int = 1) -> None:
        self.spent += steps
        if self.spent > self.limit:
            raise ValueError(
                f"checking this answer needs more than CHECK_WORK_LIMIT = {self.limit:,} steps of "
                "work; generated sources need far fewer (the source looks crafted)"
            )
