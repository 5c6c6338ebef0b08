"""Reading a source or an answer as text: the header and the body segments, shared by every checker.

Written from the spec's text layout, never from the generators:
``<UPPER> rule symbols <LOWER> string symbols <MATH> math symbols <space> body``, where the body's
segments are separated by ``<space>``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

SPACE = "<space>"


@dataclass(frozen=True)
class Header:
    rule_symbols: tuple[str, ...]
    string_symbols: frozenset[str]
    math_symbols: frozenset[str]

    @property
    def value_symbols(self) -> frozenset[str]:
        return self.string_symbols | self.math_symbols

    @functools.cached_property
    def rule_symbol_set(self) -> frozenset[str]:
        """``rule_symbols`` as a set, made once: membership tests in loops stay O(1)."""
        return frozenset(self.rule_symbols)


def parse_source(source: str) -> tuple[Header, list[list[str]]]:
    """The header and the body segments (split on ``<space>``) of a source text."""
    tokens = source.split()
    try:
        lower = tokens.index("<LOWER>")
        math = tokens.index("<MATH>")
        end = tokens.index(SPACE)
    except ValueError:
        raise ValueError(f"source has no LIME header: {source[:80]!r}") from None
    if tokens[0] != "<UPPER>" or not 0 < lower < math < end:
        raise ValueError(f"source has a malformed LIME header: {source[:80]!r}")
    header = Header(
        rule_symbols=tuple(tokens[1:lower]),
        string_symbols=frozenset(tokens[lower + 1 : math]),
        math_symbols=frozenset(tokens[math + 1 : end]),
    )
    return header, split_segments(tokens[end + 1 :])


def split_segments(tokens: Sequence[str]) -> list[list[str]]:
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token == SPACE:
            segments.append([])
        else:
            segments[-1].append(token)
    return segments


def answer_segments(answer: str, count: int) -> list[list[str]] | None:
    """The ``count`` non-empty ``<space>``-separated segments of an answer, or None."""
    parts = split_segments(answer.split())
    return parts if len(parts) == count and all(parts) else None
