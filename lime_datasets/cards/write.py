"""Write every card, its histogram and the overview into a folder, atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..configs import CONFIGS
from ..croissant import croissant_json
from ..publish import move_into_place, remove_leftovers, staging_folder
from . import render, svg
from .stats import AMBIGUITY_SAMPLE, SAMPLE_SIZE, ConfigStats, measure

OVERVIEW = "README.md"


def card_name(config: str) -> str:
    return f"{config}.md"


def image_name(config: str) -> str:
    return f"{config}_lengths.svg"


def croissant_name(config: str) -> str:
    """The card's Croissant metadata: the files an export of ``config`` makes (``croissant``)."""
    return f"{config}.croissant.json"


def write_cards(
    out_dir: str | os.PathLike,
    *,
    sample_size: int = SAMPLE_SIZE,
    overwrite: bool = False,
    ambiguity_sample: int = AMBIGUITY_SAMPLE,
    throughput_file: str | os.PathLike | None = None,
    names: Sequence[str] | None = None,
) -> Path:
    """Write ``<config>.md``, ``<config>_lengths.svg`` and ``README.md`` into ``out_dir``.

    Covers ``names`` (default: every registry config). ``throughput_file`` is a benchmark result
    (a JSON list of objects with ``config`` and ``examples_per_s``) shown in the overview; absent,
    the overview shows n/a. The folder is built under a hidden name beside ``out_dir`` and renamed
    into place when complete; an existing ``out_dir`` is a ``ValueError`` unless ``overwrite``.
    """
    names = list(CONFIGS) if names is None else list(names)
    unknown = [name for name in names if name not in CONFIGS]
    if unknown or not names:
        raise ValueError(f"names must be configs of {', '.join(CONFIGS)}; got {names!r}")
    target = Path(out_dir)
    if target.parent.is_dir():
        remove_leftovers(target.parent, [target.name])  # may put back what a killed run set aside
    if target.exists() and not overwrite:
        raise ValueError(f"{target} exists; pass overwrite=True to replace it")
    throughput = read_throughput(throughput_file)
    stats = {name: measure(name, sample_size, ambiguity_sample) for name in names}
    files = render_files(
        names,
        stats,
        throughput,
        None if throughput_file is None or not throughput else Path(throughput_file).as_posix(),
    )
    with staging_folder(target) as staging:
        for name, content in files.items():
            (staging / name).write_text(content, encoding="utf-8")
        move_into_place(staging, target, overwrite)
    return target


def render_files(
    names: Sequence[str],
    stats: Mapping[str, ConfigStats],
    throughput: Mapping[str, float],
    throughput_source: str | None,
) -> dict[str, str]:
    """File name -> content of every file of a cards folder."""
    configs = [CONFIGS[name] for name in names]
    files: dict[str, str] = {}
    for config in configs:
        s = stats[config.name]
        files[image_name(config.name)] = svg.histograms(
            [("source length", s.source), ("target length", s.target)],
            f"{config.name}: lengths of the first {s.sample_size:,} train examples",
        )
        files[card_name(config.name)] = render.render_card(config, s, image_name(config.name))
        files[croissant_name(config.name)] = croissant_json([config])
    files[OVERVIEW] = render.render_overview(configs, stats, throughput, throughput_source)
    return files


def read_throughput(path: str | os.PathLike | None) -> dict[str, float]:
    """``config -> examples_per_s`` from a benchmark result file; empty if there is none."""
    if path is None or not Path(path).is_file():
        return {}
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        return {str(e["config"]): float(e["examples_per_s"]) for e in entries}
    except (TypeError, KeyError, ValueError):
        raise ValueError(
            f"{path} must be a JSON list of objects with config and examples_per_s"
        ) from None


