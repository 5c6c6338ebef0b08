"""A Hub-ready folder: Parquet files per config and split, and a README whose YAML names them.

Layout of the folder ``export_hub`` writes:

* ``README.md``: YAML front matter (``configs:`` maps each config's splits to its files,
  ``dataset_info:`` gives the features, plus licence, name and tags), then a body;
* ``data/<config>/<split>.parquet``: the rows of a split in id order, with the record schema;
* ``data/<config>/vocab.txt`` and ``data/<config>/lime_metadata.json``: the vocabulary, and the
  parameters, versions, block digests and fingerprint of each split (``lime-datasets
  fingerprint --check`` reads them). The config folders are ordinary Parquet exports of
  ``lime_datasets.export``.

``datasets.load_dataset(<folder>, "deduct")`` loads it with no package code, and uploading the
folder as a dataset repository (e.g. ``huggingface_hub.upload_folder``) publishes
``load_dataset("<org>/<repo>", "deduct")`` as it is. Needs neither ``datasets`` nor the Hub.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import croissant, export
from .citation import CITATION
from .configs import get_config
from .core.config import SPLITS, LimeConfig
from .core.version import DATA_VERSION
from .front_matter import PRETTY_NAME, ConfigFiles, front_matter
from .publish import move_into_place, remove_leftovers, staging_folder

DATA_DIR = "data"
README = "README.md"


def export_hub(
    out_dir: str | os.PathLike,
    names: Sequence[str] | str,
    *,
    splits: Sequence[str] = SPLITS,
    overwrite: bool = False,
    num_proc: int = 1,
    body: str | None = None,
    progress: export.ProgressFactory | None = None,
    **overrides: Any,
) -> Path:
    """Write the Hub-ready folder ``out_dir`` for configs ``names`` and return its path.

    ``overrides`` (registry parameters) apply to every config; ``body`` is the README text under
    the YAML (default: ``default_body``). Everything is validated before any work; the folder is
    built beside ``out_dir`` under a hidden name and renamed into place when complete. An existing
    ``out_dir`` is a ``ValueError`` unless ``overwrite``, which replaces it only once the new
    folder is complete.
    """
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ValueError("names must name at least one config; got none")
    if len(set(names)) != len(names):
        raise ValueError(f"names must not repeat a config; got {names!r}")
    configs = [get_config(name, **overrides) for name in names]
    splits = export.parse_splits(",".join(splits))
    if isinstance(num_proc, bool) or not isinstance(num_proc, int) or num_proc < 1:
        raise ValueError(f"num_proc must be a positive integer; got {num_proc!r}")
    target = Path(out_dir)
    if target.parent.is_dir():
        remove_leftovers(target.parent, [target.name])  # may put back what a killed run set aside
    if target.exists() and not target.is_dir():
        raise ValueError(f"{target} exists and is not a folder")
    if target.exists() and not overwrite:
        raise ValueError(f"{target} exists; pass overwrite=True to replace it")

    with staging_folder(target) as staging:
        files: dict[str, dict[str, list[str]]] = {}
        for config in configs:
            folder = Path(DATA_DIR, config.name)
            metadata = export.export(config, staging / folder, splits=splits, fmt="parquet",
                                     num_proc=num_proc, progress=progress)
            files[config.name] = {
                split: [(folder / name).as_posix() for name in info["files"]]
                for split, info in metadata["splits"].items()
            }
        text = render_readme(configs, files, default_body(configs) if body is None else body)
        (staging / README).write_text(text, encoding="utf-8")
        (staging / croissant.FILE_NAME).write_text(croissant.croissant_json(configs, splits),
                                                   encoding="utf-8")
        move_into_place(staging, target, overwrite)
    return target


def render_readme(configs: Sequence[LimeConfig], files: Mapping[str, Mapping[str, Sequence[str]]],
                  body: str) -> str:
    """README.md: the YAML front matter naming each config's files per split, then ``body``.

    ``files[config][split]`` lists the split's data files, relative to the folder.
    """
    entries = [ConfigFiles(config.name, files[config.name]) for config in configs]
    return front_matter(PRETTY_NAME, entries) + body.rstrip("\n") + "\n"


def default_body(configs: Sequence[LimeConfig]) -> str:
    """A short README body: what the data are, the configs, how to load them, the citation."""
    rows = [
        f"| `{c.name}` | {c.description} | "
        + ", ".join(f"{task} ({weight:g})" for task, weight in c.task_weights.items())
        + " | " + " / ".join(f"{c.split_size(split):,}" for split in SPLITS) + " |"
        for c in configs
    ]
    example = configs[0].name
    return "\n".join([
        f"# {PRETTY_NAME}",
        "",
        "Synthetic reasoning tasks from *LIME: Learning Inductive Bias for Primitives of "
        "Mathematical Reasoning* (Wu et al., ICML 2021), generated by "
        f"[lime-datasets](https://pypi.org/project/lime-datasets/), data version {DATA_VERSION}.",
        "Every example is a pure function of the parameters (in `data/<config>/lime_metadata.json`"
        "), the split and its `id`.",
        "",
        "| config | description | tasks (weights) | train / validation / test |",
        "|---|---|---|---|",
        *rows,
        "",
        "```python",
        "from datasets import load_dataset",
        f'ds = load_dataset("<this repository or folder>", "{example}")',
        "```",
        "",
        "```bibtex",
        CITATION.rstrip("\n"),
        "```",
    ])
