"""Croissant metadata: every Hub-ready export and every dataset card has a ``croissant.json``
that ``mlcroissant`` validates, and reading a small export through it yields the export's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lime_datasets
from lime_datasets import croissant, hub
from lime_datasets.cards import write
from lime_datasets.core.config import SPLITS
from lime_datasets.core.records import SCHEMA

mlc = pytest.importorskip("mlcroissant")

ROOT = Path(__file__).resolve().parents[1]
CARDS = ROOT / "dataset_cards"
SIZES = {"num_train": 40, "num_validation": 7, "num_test": 12}


def validation_errors(path: Path) -> list[str]:
    """The errors ``mlcroissant`` reports for a Croissant file (it raises on any error)."""
    try:
        mlc.Dataset(jsonld=str(path))
    except mlc.ValidationError as error:
        return [str(error)]
    return []


def records(path: Path, record_set: str) -> list[dict]:
    """The records of one record set, decoded to the export's Python values."""
    rows = []
    for record in mlc.Dataset(jsonld=str(path)).records(record_set=record_set):
        row = {}
        for field in SCHEMA:
            value = record[f"{record_set}/{field.name}"]
            if pa.types.is_list(field.type):
                row[field.name] = [int(v) for v in value]
            elif pa.types.is_string(field.type):
                row[field.name] = value.decode()
            else:
                row[field.name] = int(value)
        rows.append(row)
    return sorted(rows, key=lambda row: row["id"])


def test_a_hub_export_reads_back_through_its_croissant_file(tmp_path: Path) -> None:
    out = hub.export_hub(tmp_path / "hub", ["deduct", "mixed"], **SIZES)
    path = out / croissant.FILE_NAME
    assert validation_errors(path) == []
    for name in ("deduct", "mixed"):
        for split in SPLITS:
            expected = pq.read_table(out / "data" / name / f"{split}.parquet").to_pylist()
            got = records(path, croissant.record_set_id(name, split))
            assert len(got) == SIZES[f"num_{split}"]
            assert got == expected


def test_hub_croissant_describes_the_parameters_of_the_export(tmp_path: Path) -> None:
    out = hub.export_hub(tmp_path / "hub", ["abduct"], splits=["test"], seed=5, num_test=9)
    document = json.loads((out / croissant.FILE_NAME).read_text())
    assert [r["@id"] for r in document["recordSet"]] == ["abduct/test"]
    assert "9 examples" in document["recordSet"][0]["description"]
    assert "seed=5" in document["description"]
    assert document["version"] == lime_datasets.DATA_VERSION


def test_every_card_has_its_croissant_file() -> None:
    for name, config in lime_datasets.CONFIGS.items():
        path = CARDS / write.croissant_name(name)
        assert path.read_text(encoding="utf-8") == croissant.croissant_json([config]), (
            "regenerate with: python -m lime_datasets.cards --out dataset_cards --overwrite"
        )


@pytest.mark.parametrize("name", ["mixed", "rewrite_multistep"])
def test_card_croissant_files_validate(name: str) -> None:
    assert validation_errors(CARDS / write.croissant_name(name)) == []


def test_croissant_needs_a_config() -> None:
    with pytest.raises(ValueError, match="at least one config"):
        croissant.croissant([])
