"""Dataset cards: every config has one, the committed ones are what the package generates today,
and what they state is true of the data."""

from __future__ import annotations

import fnmatch
import itertools
import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import lime_datasets
from lime_datasets import cards
from lime_datasets.analysis import valid_answers
from lime_datasets.cards import render, svg, write
from lime_datasets.cards.stats import Distribution, measure, wilson_interval
from lime_datasets.configs import get_config
from lime_datasets.core.config import INTEGER_RANGES, PARAMETERS
from lime_datasets.core.records import FIELDS

ROOT = Path(__file__).resolve().parents[1]
CARDS = ROOT / "dataset_cards"
THROUGHPUT = ROOT / "benchmarks" / "results" / "generate.json"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cards as the package generates them now, with the defaults of ``make cards``."""
    out = tmp_path_factory.mktemp("cards") / "dataset_cards"
    # `make cards` runs from the repository root and names the results file relative to it.
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        return cards.write_cards(out, throughput_file=THROUGHPUT.relative_to(ROOT))
    finally:
        os.chdir(here)


def test_every_config_has_a_card_and_a_picture() -> None:
    overview = (CARDS / write.OVERVIEW).read_text(encoding="utf-8")
    for name in lime_datasets.CONFIGS:
        card = (CARDS / write.card_name(name)).read_text(encoding="utf-8")
        assert card.startswith("---\n")
        assert f"]({write.image_name(name)})" in card
        assert (CARDS / write.image_name(name)).is_file()
        assert f"]({write.card_name(name)})" in overview
    cards_on_disk = {p.stem for p in CARDS.glob("*.md")} - {Path(write.OVERVIEW).stem}
    assert cards_on_disk == set(lime_datasets.CONFIGS)


@pytest.mark.slow
def test_committed_cards_are_up_to_date(regenerated: Path) -> None:
    """Fails when the data, the registry or the renderer changed: run `make cards`."""
    committed = sorted(p.name for p in CARDS.iterdir())
    fresh = sorted(p.name for p in regenerated.iterdir())
    assert committed == fresh
    stale = [n for n in fresh if (CARDS / n).read_bytes() != (regenerated / n).read_bytes()]
    assert stale == [], (
        "regenerate with: python -m lime_datasets.cards --out dataset_cards --overwrite"
    )


@pytest.mark.slow
def test_cards_do_not_depend_on_the_hash_seed() -> None:
    """Render one card in another process with another PYTHONHASHSEED: the same bytes."""
    code = (
        "from lime_datasets import CONFIGS; from lime_datasets.cards import measure, render_card;"
        "import sys; sys.stdout.write(render_card(CONFIGS['mixed'], measure('mixed', 3000, 300), "
        "'x.svg'))"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2024")
    ]
    assert outputs[0] == outputs[1]
    assert outputs[0] == render.render_card(
        lime_datasets.CONFIGS["mixed"], measure("mixed", 3000, 300), "x.svg"
    )


# What a card states is true of the data.


def _lengths(texts: list[str]) -> np.ndarray:
    return np.array([len(t.split()) for t in texts])


def _inverted_cdf(values: np.ndarray, q: float) -> int:
    ordered = np.sort(values)
    return int(ordered[math.ceil(q * len(ordered)) - 1])


@pytest.mark.parametrize("name", ["mixed", "induct_v2_double", "rewrite_multistep_easy"])
def test_measured_statistics_match_the_data(name: str) -> None:
    size, counted = 3000, 150
    stats = measure(name, size, counted)
    rows = lime_datasets.generate(name, "train", 0, size).to_pylist()
    sources = [r["source"] for r in rows]
    for distribution, texts in (
        (stats.source, sources),
        (stats.target, [r["target"] for r in rows]),
    ):
        lengths = _lengths(texts)
        assert distribution.minimum == lengths.min() and distribution.maximum == lengths.max()
        assert distribution.median == _inverted_cdf(lengths, 0.5)
        assert distribution.p95 == _inverted_cdf(lengths, 0.95)
        assert distribution.mean == pytest.approx(lengths.mean())
    text_bytes = [len((r["source"] + r["target"]).encode()) for r in rows]
    assert stats.text_bytes == pytest.approx(np.mean(text_bytes))
    assert stats.distinct_sources == len(set(sources))
    assert stats.fingerprints["train"] == lime_datasets.fingerprint(name, "train", num_train=size)
    for split in ("validation", "test"):
        assert stats.fingerprints[split] == lime_datasets.fingerprint(name, split)
        held_out = lime_datasets.generate(name, split).column("source").to_pylist()
        assert stats.overlap[split] == len([s for s in held_out if s in set(sources)])
    tasks = [r["task"] for r in rows]
    assert [(t.task, t.rows) for t in stats.tasks] == [
        (task, tasks.count(task)) for task in lime_datasets.CONFIGS[name].tasks
    ]
    for t in stats.tasks:
        assert t.example == next(r for r in rows if r["task"] == t.task)
    assert stats.ambiguity.examples == counted


def test_ambiguity_counts_examples_with_two_checked_answers() -> None:
    counted = 300
    stats = measure("abduct", counted, counted)
    rows = lime_datasets.generate("abduct", "train", 0, counted).to_pylist()
    several = 0
    for row in rows:
        answers = list(itertools.islice(valid_answers("abduct", row["source"]), 2))
        assert all(lime_datasets.check("abduct", row["source"], a) for a in answers)
        several += len(answers) > 1
    assert stats.ambiguity.several_answers == several > 0
    assert stats.ambiguity.incomplete == 0


def test_parameter_ranges_are_what_the_registry_accepts() -> None:
    for name, (low, high) in INTEGER_RANGES.items():
        extra = {"max_steps": high} if name == "min_steps" else {}
        get_config("mixed", **{name: low})
        get_config("mixed", **{name: high}, **extra)
        for bad in (low - 1, high + 1):
            with pytest.raises(ValueError, match=name):
                get_config("mixed", **{name: bad}, **extra)
    assert {*INTEGER_RANGES, "task_weights"} == set(PARAMETERS)


def test_front_matter_matches_the_hub_export(tmp_path: Path) -> None:
    from lime_datasets.hub import export_hub

    yaml = pytest.importorskip("yaml")
    config = lime_datasets.CONFIGS["deduct"]
    meta = yaml.safe_load(render.front_matter(config).strip().strip("-"))
    assert meta["license"] == "apache-2.0"
    assert meta["configs"][0]["config_name"] == "deduct"
    info = meta["dataset_info"][0]
    assert [f["name"] for f in info["features"]] == list(FIELDS)
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == {
        split: config.split_size(split) for split in lime_datasets.SPLITS
    }
    folder = export_hub(tmp_path / "hub", ["deduct"], num_train=20, num_validation=5, num_test=5)
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet")]
    for entry in meta["configs"][0]["data_files"]:
        matched = [f for f in files if fnmatch.fnmatch(f, entry["path"])]
        assert matched and all(Path(f).name.startswith(entry["split"]) for f in matched)
    assert sum(
        len([f for f in files if fnmatch.fnmatch(f, e["path"])])
        for e in meta["configs"][0]["data_files"]
    ) == len(files)


def test_size_categories() -> None:
    assert render.size_category(999) == "n<1K"
    assert render.size_category(1000) == "1K<n<10K"
    assert render.size_category(5_002_000) == "1M<n<10M"
    assert render.size_category(10**13) == "n>1T"


# Pictures, throughput, writing.


def test_histogram_svg_is_well_formed_and_counts_every_example() -> None:
    values = np.array([3, 3, 4, 9, 9, 9, 120])
    first, width, counts = svg.bins(values)
    assert counts.sum() == len(values) and len(counts) <= svg.MAX_BINS
    assert first == 3 and first + width * len(counts) > values.max()
    picture = svg.histograms([("source", Distribution.of(values))], "title")
    root = ET.fromstring(picture)
    bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect")][1:]  # after the background
    assert len(bars) == len(counts)
    heights = [float(b.get("height")) for b in bars]
    assert heights.index(max(heights)) == int(np.argmax(counts))
    assert picture == svg.histograms([("source", Distribution.of(values))], "title")


def test_throughput_file_feeds_the_overview(tmp_path: Path) -> None:
    results = tmp_path / "generate.json"
    results.write_text(json.dumps([{"config": "deduct", "examples_per_s": 123456.7}]))
    out = cards.write_cards(
        tmp_path / "cards",
        sample_size=200,
        ambiguity_sample=20,
        throughput_file=results,
        names=["deduct", "abduct"],
    )
    overview = (out / write.OVERVIEW).read_text(encoding="utf-8")
    deduct, abduct = (
        next(line for line in overview.splitlines() if f"[`{n}`]" in line)
        for n in ("deduct", "abduct")
    )
    assert deduct.endswith("| 123,457 |") and abduct.endswith("| n/a |")
    results.write_text(json.dumps({"deduct": 1}))
    with pytest.raises(ValueError, match="examples_per_s"):
        write.read_throughput(results)


def test_write_cards_replaces_a_folder_only_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "cards"
    small = {"sample_size": 100, "ambiguity_sample": 10, "names": ["rewrite"]}
    cards.write_cards(out, **small)
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "rewrite.croissant.json",
        "rewrite.md",
        "rewrite_lengths.svg",
    ]
    (out / "stray.txt").write_text("old")
    with pytest.raises(ValueError, match="exists"):
        cards.write_cards(out, **small)
    assert (out / "stray.txt").exists()
    cards.write_cards(out, overwrite=True, **small)
    assert not (out / "stray.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cards"]  # no staging folders left
    for bad in ({"names": ["nope"]}, {"sample_size": 0}, {"ambiguity_sample": 101}):
        with pytest.raises(ValueError):
            cards.write_cards(tmp_path / "other", **{**small, **bad})
    assert not (tmp_path / "other").exists()


def test_wilson_interval_brackets_the_rate() -> None:
    low, high = wilson_interval(43, 1000)
    assert low < 0.043 < high and 0.03 < low and high < 0.06
    assert wilson_interval(0, 10)[0] == 0.0
