"""LIME tasks for lm-evaluation-harness: ``lime_<config>`` for every registry config.

The task definitions (YAML) ship in ``tasks/``; point lm-eval at them with::

    lm_eval --include_path "$(python -m lime_datasets.lm_eval --path)" --tasks lime_deduct ...

Each task reads the test split through the Hugging Face builder (``datasets.load_dataset("lime",
<config>)``, building only that split), prompts with ``lime_datasets.llm.question`` and reports
``valid_answer`` (the checker accepts the last ``<answer>`` block) and ``exact_match`` (its tokens
are the target's). The tag ``lime`` runs them all. Needs ``lm-eval`` and ``datasets``
(``pip install 'lime-datasets[eval]'``).
"""

from __future__ import annotations

from pathlib import Path

TASKS_PATH = Path(__file__).resolve().parent / "tasks"


def tasks_path() -> str:
    """The folder to give lm-eval as ``--include_path``."""
    return str(TASKS_PATH)
