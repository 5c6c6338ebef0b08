"""Card words every family shares: how the 68 symbols of an example are drawn."""

from __future__ import annotations

from ..symbols import MATH_SYMBOLS, RULE_SYMBOLS, STRING_SYMBOLS, SYMBOLS_PER_EXAMPLE

SYMBOLS = (
    f"Draw {SYMBOLS_PER_EXAMPLE} distinct symbols uniformly from the vocabulary `0 .. V-1` "
    f"(`V` = `vocab_size`): in draw order, {RULE_SYMBOLS} *rule symbols*, {STRING_SYMBOLS} "
    f"*string symbols* and {MATH_SYMBOLS} *math symbols*. A symbol is written as its number."
)
