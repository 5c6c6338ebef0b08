"""'Did you mean' hints for unknown names (configs, tasks, splits, parameters, formats)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to ``value``, or ``""``."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(value.lower().replace("-", "_"), list(choices), n=1,
                                          cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
