"""``fingerprint --check`` trusts nothing in a folder: metadata that does not describe a complete
export of a registered config is refused with one clean error, only regular files of a bounded
size are read as metadata, and success is never reported without every listed file compared."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lime_datasets import cli, export
from lime_datasets.configs import get_config
from lime_datasets.core.generate import BLOCK_SIZE
from lime_datasets.export import metadata as export_metadata
from lime_datasets.export.layout import Shard
from lime_datasets.export.verify import CheckReport, FileCheck

SIZES = {"num_train": 2_100, "num_validation": 7, "num_test": 3}
INVALID = "is not valid export metadata"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exports")
    config = get_config("deduct", **SIZES)
    for fmt in ("jsonl", "parquet", "fairseq"):
        export.export(config, root / fmt, fmt=fmt)
    export.export(config, root / "train-only", splits=["train"])
    for index in range(3):
        export.export(config, root / "shards", shard=Shard(index, 3))
    return {path.name: path for path in root.iterdir()}


def _copy(exports: dict[str, Path], name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(exports[name], folder)
    return folder


def _edit(folder: Path, change: Any, name: str = "lime_metadata.json") -> None:
    path = folder / name
    metadata = json.loads(path.read_text())
    change(metadata)
    path.write_text(json.dumps(metadata))


def _cli_check(folder: Path, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = cli.main(["fingerprint", "--check", str(folder), "--quiet"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_empty_splits_and_a_garbage_data_file_fail_cleanly(exports, tmp_path, capsys):
    """The reproduction: ``"splits": {}`` and ``train.jsonl`` replaced by garbage."""
    folder = _copy(exports, "jsonl", tmp_path)
    _edit(folder, lambda m: m.update(splits={}))
    (folder / "train.jsonl").write_text("garbage\n")
    status, out, err = _cli_check(folder, capsys)
    assert status != 0
    assert "all files match" not in out
    assert INVALID in err and "lists no split" in err and "Traceback" not in err


def test_a_split_dropped_from_the_metadata_leaves_its_file_unlisted(exports, tmp_path, capsys):
    folder = _copy(exports, "jsonl", tmp_path)
    _edit(folder, lambda m: m["splits"].pop("train"))
    (folder / "train.jsonl").write_text("garbage\n")
    status, out, err = _cli_check(folder, capsys)
    assert status == 2 and INVALID in err and "train.jsonl" in err


def test_an_unlisted_split_of_a_shard_is_refused(exports, tmp_path):
    folder = _copy(exports, "shards", tmp_path)
    _edit(folder, lambda m: m["splits"].pop("validation"), "lime_metadata-00002-of-00003.json")
    with pytest.raises(ValueError, match=f"{INVALID}.*validation-00002-of-00003.jsonl"):
        export.read_metadata(folder)


def test_a_shard_without_metadata_is_an_incomplete_export(exports, tmp_path):
    folder = _copy(exports, "shards", tmp_path)
    (folder / "lime_metadata-00002-of-00003.json").unlink()
    report = export.check_export(folder)
    assert not report.ok
    assert all(split.missing for split in report.splits)


def _set(*keys: str, value: Any):
    def change(metadata: dict) -> None:
        for key in keys[:-1]:
            metadata = metadata[key]
        metadata[keys[-1]] = value
    return change


def _drop(*keys: str):
    def change(metadata: dict) -> None:
        for key in keys[:-1]:
            metadata = metadata[key]
        del metadata[keys[-1]]
    return change


TAMPERINGS = {
    "an extra split": _set("splits", "dev", value={"size": 1}),
    "splits out of order": lambda m: m.update(splits=dict(reversed(m["splits"].items()))),
    "splits a list": _set("splits", value=[]),
    "a size as text": _set("splits", "train", "size", value="2100"),
    "a size changed": _set("splits", "train", "size", value=2000),
    "a start as a bool": _set("splits", "test", "start", value=False),
    "a stop beyond the split": _set("splits", "test", "stop", value=4),
    "a fingerprint not hex": _set("splits", "test", "fingerprint", value="z" * 64),
    "a fingerprint a number": _set("splits", "test", "fingerprint", value=0),
    "files renamed": _set("splits", "test", "files", value=["../test.jsonl"]),
    "files a string": _set("splits", "test", "files", value="test.jsonl"),
    "no files": _drop("splits", "test", "files"),
    "an unknown split key": _set("splits", "test", "sha1", value="0"),
    "blocks of the wrong count": _set("splits", "train", "blocks", value=["0" * 64]),
    "blocks not digests": _set("splits", "test", "blocks", value=[1]),
    "an unknown key": _set("extra", value=1),
    "no config": _drop("config"),
    "an unknown config": _set("config", value="deducts"),
    "a config not a string": _set("config", value=["deduct"]),
    "an unknown parameter": _set("parameters", "num_dev", value=1),
    "a parameter of the wrong type": _set("parameters", "vocab_size", value="1000"),
    "a parameter left out": _drop("parameters", "seed"),
    "parameters a list": _set("parameters", value=[]),
    "another data version": _set("data_version", value="0.0.1"),
    "a format unknown": _set("format", value="csv"),
    "a shard index a bool": _set("shard", "index", value=True),
    "a shard out of range": _set("shard", "index", value=1),
    "a shard key more": _set("shard", "total", value=1),
    "a vocabulary elsewhere": _set("vocabulary", value="/etc/passwd"),
    "a dictionary in a jsonl export": _set("dictionary", value="dict.txt"),
    "another block size": _set("block_size", value=BLOCK_SIZE + 1),
    "a description not text": _set("description", value=None),
}


@pytest.mark.parametrize("change", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_tampered_metadata_is_refused_cleanly(exports, tmp_path, capsys, change):
    folder = _copy(exports, "jsonl", tmp_path)
    _edit(folder, change)
    status, out, err = _cli_check(folder, capsys)
    assert status == 2, (out, err)
    assert INVALID in err and "Traceback" not in err and len(err.splitlines()) == 1


RAW = {
    "not an object": b"[1, 2]\n",
    "not JSON": b"{\"config\": \n",
    "not UTF-8": b"{\"config\": \"\xff\"}\n",
    "NaN": b"{\"config\": NaN}\n",
    "a repeated key": b"{\"config\": \"deduct\", \"config\": \"abduct\"}\n",
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "empty": b"",
}


@pytest.mark.parametrize("data", RAW.values(), ids=RAW.keys())
def test_malformed_metadata_files_are_refused_cleanly(exports, tmp_path, data):
    folder = _copy(exports, "jsonl", tmp_path)
    (folder / "lime_metadata.json").write_bytes(data)
    with pytest.raises(ValueError, match=INVALID):
        export.read_metadata(folder)


def test_a_fifo_is_refused_without_blocking(exports, tmp_path):
    folder = _copy(exports, "jsonl", tmp_path)
    (folder / "lime_metadata.json").unlink()
    os.mkfifo(folder / "lime_metadata.json")
    with pytest.raises(ValueError, match=f"{INVALID}: not a regular file"):
        export.read_metadata(folder)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_link_to_a_device_is_refused(exports, tmp_path):
    folder = _copy(exports, "jsonl", tmp_path)
    (folder / "lime_metadata.json").unlink()
    (folder / "lime_metadata.json").symlink_to("/dev/zero")
    with pytest.raises(ValueError, match=f"{INVALID}: not a regular file"):
        export.read_metadata(folder)


def test_metadata_larger_than_the_bound_is_refused_before_reading(exports, tmp_path,
                                                                  monkeypatch):
    folder = _copy(exports, "jsonl", tmp_path)
    size = (folder / "lime_metadata.json").stat().st_size
    monkeypatch.setattr(export_metadata, "MAX_METADATA_BYTES", size - 1)
    with pytest.raises(ValueError, match=f"{INVALID}: {size} bytes, more than"):
        export.read_metadata(folder)
    monkeypatch.setattr(export_metadata, "MAX_METADATA_BYTES", size)
    assert export.read_metadata(folder)


@pytest.mark.parametrize("name", ["jsonl", "parquet", "fairseq", "train-only", "shards"])
def test_every_export_written_passes(exports, name):
    report = export.check_export(exports[name])
    assert report.ok
    listed = {file for entry in export.read_metadata(exports[name])
              for info in entry["splits"].values() for file in info["files"]}
    assert listed <= {check.name for check in report.files}


def test_block_digests_of_the_right_count_are_accepted(exports, tmp_path):
    folder = _copy(exports, "jsonl", tmp_path)
    counts = {"train": 3, "validation": 1, "test": 1}  # 2,100 rows: blocks of 1,000, 1,000, 100
    _edit(folder, lambda m: [info.update(blocks=["a" * 64] * counts[split])
                             for split, info in m["splits"].items()])
    assert export.read_metadata(folder)


def test_a_report_that_compared_nothing_is_not_ok():
    config = get_config("deduct")
    assert not CheckReport(config, "jsonl", 1, [], []).ok
    assert not CheckReport(config, "jsonl", 1, [FileCheck("vocab.txt", "ok", "")], []).ok


def _json_values() -> st.SearchStrategy:
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(
        allow_nan=False, allow_infinity=False)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += _paths(item, (*prefix, index))
    return paths


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_edit_of_valid_metadata_is_refused_or_changes_nothing(exports, data):
    """Replace any one value of real metadata by any JSON value: ``validate`` either refuses it
    with the clean error or the value was one that describes the same export."""
    path = exports["fairseq"] / "lime_metadata.json"
    original = json.loads(path.read_text())
    where = data.draw(st.sampled_from(_paths(original)[1:]))
    value = data.draw(_json_values())
    edited = copy.deepcopy(original)
    target = edited
    for key in where[:-1]:
        target = target[key]
    before, target[where[-1]] = target[where[-1]], value
    try:
        result = export_metadata.validate(edited, path)
    except ValueError as error:
        assert INVALID in str(error)
        return
    # Accepted: the same value, a value that is not read (description, package version),
    # another digest, or another valid value of a parameter that leaves the sizes alone (a seed):
    # then it describes another export, which the check compares with the regenerated rows.
    assert (value == before or where[0] in ("description", "package_version")
            or (where[-1] in ("fingerprint", "blocks") and isinstance(value, str))
            or (where[0] == "parameters"
                and result.config.parameters() == edited["parameters"])), where


def test_metadata_of_another_valid_export_fails_the_comparison(exports, tmp_path):
    folder = _copy(exports, "jsonl", tmp_path)
    _edit(folder, lambda m: m["parameters"].update(seed=m["parameters"]["seed"] + 1))
    report = export.check_export(folder)
    assert not report.ok
    assert {check.name: check.status for check in report.files} == {
        "train.jsonl": "mismatch", "validation.jsonl": "mismatch", "test.jsonl": "mismatch",
        "vocab.txt": "ok"}


def test_data_files_that_are_not_regular_files_are_missing_without_blocking(exports, tmp_path):
    folder = _copy(exports, "jsonl", tmp_path)
    (folder / "train.jsonl").unlink()
    os.mkfifo(folder / "train.jsonl")
    (folder / "test.jsonl").unlink()
    (folder / "test.jsonl").symlink_to("/dev/zero")
    report = export.check_export(folder)
    statuses = {check.name: check.status for check in report.files}
    assert statuses["train.jsonl"] == statuses["test.jsonl"] == "missing"
    assert not report.ok
