"""The TFDS metadata files of the ``lime`` builder, rendered from the registry.

TFDS reads ``README.md`` (the description), ``CITATIONS.bib`` and ``TAGS.txt`` from the folder of
the builder module. They are generated, never edited by hand:

    python -m lime_datasets.tfds.metadata          # rewrite the files
    python -m lime_datasets.tfds.metadata --check  # exit 1 if any file differs from the registry
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ..citation import CITATION
from ..configs import CONFIGS
from ..core.config import PARAMETERS, SPLITS
from ..core.records import FIELDS
from ..core.tasks import TASKS
from ..core.version import DATA_VERSIONS
from ..publish import StagedFiles, remove_leftovers

BUILDER_DIR = Path(__file__).resolve().parent / "lime"

# From TFDS's controlled vocabulary (tensorflow_datasets/core/valid_tags.txt); a test checks them.
TAGS = (
    ("content.data-type.text", "source and target are token texts"),
    ("content.language-formality.formal", "a formal symbol language, no natural language"),
    ("ml.task.sequence-to-sequence-language-modeling", "source -> target"),
)


def readme() -> str:
    """The dataset description: the tasks, the configs and their parameters, the fields."""
    lines = [
        "Synthetic reasoning tasks from *LIME: Learning Inductive Bias for Primitives of",
        "Mathematical Reasoning* (Wu et al., ICML 2021): deduction, abduction, induction and",
        "rewriting over random symbols, made to pre-train transformers for mathematical reasoning.",
        "",
        "Every example is a pure function of the config parameters, the split, its index and the",
        "data version, so any build (any number of processes or Apache Beam workers, any machine)",
        "writes the same files. Every split is stored in id order (`disable_shuffling`):",
        "`tfds.load(..., shuffle_files=False)` yields ids 0, 1, 2, ... and",
        "`tfds.data_source(...)[k]` is `lime_datasets.example(config, split, k)`.",
        "",
        "`tfds.load` and `tfds.data_source` build only the splits they are asked for; a split",
        "asked for later is added to the same folder, which then holds what a full build holds.",
        "",
        "Any registry parameter can be changed with `lime_datasets.tfds_config(name, **params)`",
        f"(parameters: {', '.join(f'`{p}`' for p in PARAMETERS)}).",
        "",
        "## Tasks",
        "",
        "| task | source (after the symbol header) | target | what it asks |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{t.name}` | {t.source_layout} | {t.target_layout} | {t.summary} |"
        for t in TASKS.values()
    ]
    lines += [
        "",
        "## Configs",
        "",
        "| config | tasks (weights) | " + " | ".join(SPLITS) + " | vocab_size | seed |",
        "|---|---|" + "---|" * len(SPLITS) + "---|---|",
    ]
    for config in CONFIGS.values():
        weights = ", ".join(f"{task} ({weight:g})" for task, weight in config.task_weights.items())
        sizes = " | ".join(f"{config.split_size(split):,}" for split in SPLITS)
        lines.append(
            f"| `{config.name}` | {weights} | {sizes} | {config.vocab_size} | {config.seed} |"
        )
    lines += ["", "## Features", ""]
    lines += [f"* `{name}`: {text}" for name, text in FIELDS.items()]
    lines += ["", "## Data versions", ""]
    lines += [f"* {version}: {note}" for version, note in DATA_VERSIONS]
    return "\n".join(lines) + "\n"


def tags() -> str:
    return "".join(f"{tag} # {why}\n" for tag, why in TAGS)


def citations() -> str:
    return CITATION


FILES: dict[str, Callable[[], str]] = {
    "README.md": readme,
    "CITATIONS.bib": citations,
    "TAGS.txt": tags,
}


def drifted(directory: Path = BUILDER_DIR) -> list[str]:
    """Names of the metadata files in ``directory`` that are missing or differ from the registry."""
    out = []
    for name, render in FILES.items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != render():
            out.append(name)
    return out


def write(directory: Path = BUILDER_DIR) -> list[str]:
    """Rewrite the drifted files and return their names.

    Crash-safe (``publish.StagedFiles``): the new files are staged beside the old ones and
    renamed into place in one journalled step; what a killed run left is finished (a journal) or
    removed (staged files) first, so the folder never holds a half-written file or a hidden one
    for long.
    """
    remove_leftovers(directory, list(FILES))
    changed = drifted(directory)
    with StagedFiles(directory, overwrite=True) as files:
        for name in changed:
            files.path(name).write_text(FILES[name](), encoding="utf-8")
        files.commit()
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only report files that differ from the registry (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        stale = drifted()
        for name in stale:
            print(f"{BUILDER_DIR / name} is out of date: run python -m {__spec__.name}")
        return 1 if stale else 0
    for name in write():
        print(f"wrote {BUILDER_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
