"""Any folder name the system accepts works for every export format and for ``--check``, or is
refused before any work with a clear error: spaces, unicode, newlines, glob characters, bytes
that are not UTF-8 (kept by Python as surrogates), a leading dash, the longest names."""

from __future__ import annotations

import json
import os
import sys

import pyarrow.parquet as pq
import pytest

import lime_datasets
from lime_datasets import cli, export
from lime_datasets.configs import get_config
from lime_datasets.core.config import SPLITS

SIZES = {"num_train": 30, "num_validation": 4, "num_test": 2}
SIZE_FLAGS = [arg for name, value in SIZES.items()
              for arg in ("--" + name.replace("_", "-"), str(value))]
NAMES = {
    "spaces": "two  words ",
    "unicode": "données ünïcodé 数据 🙂",
    "newline": "first\nsecond",
    "glob": "[a-z]*?{x}",
    "dash": "-out",
    "non-UTF-8": os.fsdecode(b"latin-1 \xe9t\xe9 \xff\xfe"),
    "long": "n" * 200,
}
if sys.platform != "linux":  # names other systems refuse
    NAMES.pop("non-UTF-8")
if sys.platform == "win32":
    NAMES.pop("newline")


def _run(capsys: pytest.CaptureFixture, *args: object) -> tuple[int, str, str]:
    """The CLI in this process; capsys's stdout is strict UTF-8, as most terminals' are."""
    status = cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _expected_rows(split: str) -> list[dict]:
    return lime_datasets.generate("deduct", split, **SIZES).to_pylist()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "fairseq"])
@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_exports_and_checks_under_any_folder_name(tmp_path, capsys, fmt, name):
    folder = tmp_path / name
    status, out, err = _run(capsys, "export", "deduct", "--format", fmt, "--out", folder,
                            *SIZE_FLAGS)
    assert status == 0, err
    assert len(out.splitlines()) == 1 and out.startswith("exported deduct")
    status, out, err = _run(capsys, "fingerprint", "--check", folder, "--quiet")
    assert status == 0, (out, err)
    assert out.splitlines()[-1] == "all files match"
    assert out.splitlines()[0].endswith(": deduct (" + fmt + ")")  # the folder on one line
    if fmt == "jsonl":
        rows = [json.loads(line) for line in (folder / "train.jsonl").read_text().splitlines()]
        assert rows == _expected_rows("train")
    elif fmt == "parquet":
        with open(folder / "train.parquet", "rb") as handle:  # pyarrow takes paths as UTF-8
            assert pq.read_table(handle).to_pylist() == _expected_rows("train")


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_hub_folders_under_any_name(tmp_path, capsys, name):
    folder = tmp_path / name
    status, out, err = _run(capsys, "export", "deduct", "--format", "hub", "--out", folder,
                            "--quiet", *SIZE_FLAGS)
    assert status == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing hidden left beside
    with open(folder / "data" / "deduct" / "test.parquet", "rb") as handle:
        assert pq.read_table(handle).to_pylist() == _expected_rows("test")
    status, out, err = _run(capsys, "fingerprint", "--check", folder / "data" / "deduct",
                            "--quiet")
    assert status == 0 and out.splitlines()[-1] == "all files match", (out, err)


def test_a_corrupted_file_under_a_non_utf8_name_is_still_a_mismatch(tmp_path, capsys):
    folder = tmp_path / NAMES.get("non-UTF-8", "plain")
    export.export(get_config("deduct", **SIZES), folder)
    (folder / "test.jsonl").write_text("{}\n")
    status, out, err = _run(capsys, "fingerprint", "--check", folder, "--quiet")
    assert status == 1 and "mismatch  test.jsonl" in out


def test_printed_folders_escape_what_a_terminal_cannot_show(tmp_path, capsys):
    folder = tmp_path / os.fsdecode(b"a\nb \xff")
    status, out, err = _run(capsys, "export", "deduct", "--out", folder, *SIZE_FLAGS)
    assert status == 0
    assert out.splitlines() == [f"exported deduct (jsonl) to {tmp_path}/a\\nb \\xff: "
                                + ", ".join(f"{s} rows 0..{SIZES['num_' + s]}" for s in SPLITS)]


@pytest.mark.parametrize("fmt", ["hub"])
def test_names_too_long_for_the_hidden_folder_beside_them_are_refused_before_work(
    tmp_path, capsys, fmt, monkeypatch
):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    folder = tmp_path / ("n" * (limit - 10))
    generated = []
    monkeypatch.setattr(export, "export", lambda *a, **k: generated.append(a))
    status, out, err = _run(capsys, "export", "deduct", "--format", fmt, "--out", folder,
                            *SIZE_FLAGS)
    assert status == 2 and "must have at most" in err and f"allows {limit}" in err
    assert not generated and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out", [".", ".."])
def test_a_hub_folder_must_be_named(tmp_path, capsys, monkeypatch, out):
    (tmp_path / "inside").mkdir()
    monkeypatch.chdir(tmp_path / "inside")
    status, out, err = _run(capsys, "export", "deduct", "--format", "hub", "--out", out,
                            "--overwrite", *SIZE_FLAGS)
    assert status == 2 and "names no folder of its own" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inside"]
    assert list((tmp_path / "inside").iterdir()) == []
