"""The functions the task YAMLs name: the prompt of a document and its metrics.

``lm_eval`` imports this module by its dotted name, which also imports ``lime_datasets`` and so
binds the dataset name ``"lime"`` before the task loads its data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..llm import exact_match, question, score


def doc_to_text(doc: Mapping[str, Any]) -> str:
    """The prompt of a record (the default template of the data version)."""
    return question(doc)


def process_results(doc: Mapping[str, Any], results: Sequence[str]) -> dict[str, float]:
    """``valid_answer`` and ``exact_match`` of the one generation of ``doc``."""
    completion = results[0]
    return {"valid_answer": score(doc, completion), "exact_match": exact_match(doc, completion)}
