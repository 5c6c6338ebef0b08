"""Dataset cards: one per registry config, generated from the registry and measured statistics.

``write_cards(out_dir)`` writes ``<config>.md`` (Hugging Face YAML front matter and a Markdown
body), ``<config>_lengths.svg`` (length histograms) and ``README.md`` (every config in one table);
``python -m lime_datasets.cards --out dataset_cards --overwrite`` runs it. ``render.card_body``
is the Markdown body alone, for a Hub README.
"""

from __future__ import annotations

from .render import card_body, front_matter, render_card
from .stats import measure
from .write import write_cards

__all__ = ["card_body", "front_matter", "measure", "render_card", "write_cards"]
