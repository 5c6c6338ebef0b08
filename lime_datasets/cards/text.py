"""The words of the cards: what each task asks, how its examples are built, known limitations.

Plain prose from the spec; every number in it is a generation constant, not a measurement.
"""

from __future__ import annotations

from ..core.config import LimeConfig
from ..core.symbols import MATH_SYMBOLS, RULE_SYMBOLS, STRING_SYMBOLS, SYMBOLS_PER_EXAMPLE

ASKS = {
    "deduct": "**Deduction** (Peirce): from a rule and a case, infer the result. The model reads a "
    "rule and a case (a value for each rule symbol) and writes the rule with every rule symbol "
    "replaced by its value.",
    "abduct": "**Abduction** (Peirce): from a rule and a result, infer the case. The model reads a "
    "rule and the result of some case, and writes a case that turns the rule into that result.",
    "induct": "**Induction** (Peirce): from a case and a result, infer the rule. The model reads a "
    "result and the case that produced it, and writes a rule that this case turns into the result.",
    "induct_v2": "**Induction without the case**: the model reads only a result and writes both a "
    "case and a rule that give it.",
    "induct_v3": "**Induction from two results**: the model reads two results of the same rule "
    "under two different cases it never sees, and writes a rule that can produce both.",
    "induct_hard": "**Induction from one result**: the model reads a result alone and writes a "
    "rule that can produce it under some case (the case is not written).",
    "induct_v2_double": "**Induction from two results, cases included**: the model reads two "
    "results of one rule and writes both cases and the rule.",
    "rewrite": "**Rewriting, the deduction variant**: the model reads a rewrite rule and a string "
    "and writes the string after one application of the rule.",
    "induct_rewrite": "**Rewriting, the induction variant**: the model reads a string and the "
    "string after one rewrite, and writes the rule that rewrote it.",
    "rewrite_multistep": "**Multi-step rewriting** (the paper's rewrite task): the model reads "
    "several rewrite rules and a start string, and writes the string after applying each rule "
    "once, in turn.",
    "rewrite_multistep_easy": "**Multi-step rewriting, easy variant**: as `rewrite_multistep`, "
    "but the model writes the string after every step, the final one included.",
}

_SYMBOLS = (
    f"Draw {SYMBOLS_PER_EXAMPLE} distinct symbols uniformly from the vocabulary `0 .. V-1` "
    f"(`V` = `vocab_size`): in draw order, {RULE_SYMBOLS} *rule symbols*, {STRING_SYMBOLS} "
    f"*string symbols* and {MATH_SYMBOLS} *math symbols*. A symbol is written as its number."
)


def how_built(family: str, config: LimeConfig) -> list[str]:
    """The construction of one example of a task ``family``, as numbered steps."""
    if family == "substitution":
        return [
            _SYMBOLS + " The header lists the rule symbols the rule uses (in draw order), then "
            "every string and math symbol.",
            "Draw `k` from 3 to 5, then `2k` draws from the first `k` rule symbols; the distinct "
            "ones (1 to `k`) are the rule symbols used.",
            "The rule: those `2k` draws and 5 to 19 draws from the math symbols, shuffled "
            "(11 to 29 tokens).",
            "A case gives each used rule symbol a value of 2 to 8 draws from the string and math "
            "symbols, written `A : [ v v ] , B : [ v v v ]` in header order.",
            "The result: the rule with every rule symbol replaced by its value. Tasks that show "
            "two results use a second, independent case for the same rule.",
        ]
    if family == "rewrite":
        return [
            _SYMBOLS + " The header lists the rule symbols the rule uses, then every string and "
            "math symbol.",
            "The string: `n` draws from the string symbols (`n` from 10 to 20) and `round(1.5 n)` "
            "from the math symbols, shuffled (25 to 50 tokens).",
            "A span of 5 to 20 consecutive tokens is matched. Its distinct string symbols (the "
            "*letters*), in order of first appearance, are paired with the first rule symbols; "
            "the rule's left side is the span with each letter replaced by its rule symbol.",
            "The right side: 5 to 20 math draws and each used rule symbol once, shuffled. The rule "
            "is written `left -> right`.",
            "The rewritten string: the span replaced by the right side, with each rule symbol "
            "turned back into its letter.",
        ]
    if family == "multistep":
        return [
            _SYMBOLS + f" The header lists all {RULE_SYMBOLS} rule symbols, then every string "
            "and math symbol.",
            "The start string: `n` draws from the math symbols (`n` from 5 to 10) and "
            "`round(1.5 n)` from the string symbols, shuffled (13 to 25 tokens).",
            f"The number of steps: from `min_steps` to `max_steps` ({config.min_steps} to "
            f"{config.max_steps} here).",
            "Each step builds a rewrite rule on the current string as in the single-step task, "
            "with a span of 3 to 7 tokens (the whole string if it is shorter) and a right side of "
            "3 to 7 math draws and the used rule symbols, and applies it. Every step takes its "
            "rule symbols afresh from the first ones.",
            "The source lists the rules in order, then the start string.",
        ]
    raise ValueError(f"unknown task family {family!r}")


ALTERNATIVES = {
    "deduct": "none: applying a case to a rule has one result.",
    "abduct": "another case: a result can often be cut into values in more than one way.",
    "induct": "another rule: e.g. an occurrence of a value made only of math symbols can be "
    "written as those symbols, as long as every rule symbol still occurs.",
    "induct_v2": "another case and rule; also any renaming of the rule symbols.",
    "induct_v3": "another rule that both results fit; also any renaming of the rule symbols.",
    "induct_hard": "another rule the result fits; also any renaming of the rule symbols.",
    "induct_v2_double": "other cases and rule; also any renaming of the rule symbols.",
    "rewrite": "another string: the rule may match at more than one position.",
    "induct_rewrite": "another rule: e.g. a wider span with unchanged math symbols at its edges; "
    "also any renaming of the rule symbols.",
    "rewrite_multistep": "another final string: some step's rule matches at more than one "
    "position.",
    "rewrite_multistep_easy": "other intermediate strings: some step's rule matches at more than "
    "one position.",
}

RENAMING_NOTE = (
    "Answers of this task name the rule symbols freely: with `k` rule symbols in the header, every "
    "valid answer has `k!` renamings that are equally valid, and exact match counts all but one "
    "of them wrong. The rate *up to renaming* tells how often the answer is undetermined beyond "
    "that."
)

FAMILY_LIMITATIONS = {
    "substitution": [
        "The header lists only the rule symbols the rule uses, so it gives away how many distinct "
        "rule symbols the answer holds.",
    ],
    "rewrite": [
        "The header lists only the rule symbols the rule uses, so it gives away how many distinct "
        "string symbols the matched span holds.",
        "A rule symbol stands for exactly one string symbol, and different rule symbols for "
        "different string symbols; answers are judged by that rule (see the spec).",
    ],
    "multistep": [
        "Where the current string is shorter than the drawn span, the span is the whole string; "
        "the authors' generator raises an error there instead.",
    ],
}

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
