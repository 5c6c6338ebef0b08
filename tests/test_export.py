"""``lime-datasets export`` and ``fingerprint --check``, run as the real console script.

Every format round-trips to ``lime_datasets.generate``; shards concatenate to the whole export;
``--num-proc`` changes no byte; the fairseq layout and dictionary; metadata; ``--overwrite``;
atomicity when the export is killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lime_datasets
from lime_datasets.configs import get_config
from lime_datasets.core.config import SPLITS
from lime_datasets.core.records import SCHEMA
from lime_datasets.core.vocab import SPECIAL_TOKENS, vocab_tokens
from lime_datasets.export import PARQUET_ROW_GROUP_ROWS, PART_ROWS
from lime_datasets.publish import StagedFiles, remove_leftovers

SCRIPT = Path(sys.executable).with_name("lime-datasets")
FORMATS = ("jsonl", "parquet", "fairseq")
FAIRSEQ = {"train": "train", "validation": "valid", "test": "test"}
MIXTURE = next(name for name, config in lime_datasets.CONFIGS.items() if len(config.tasks) > 1)
# Split sizes not divisible by 3, and a test split smaller than the shard count (an empty shard).
SIZES = {"num_train": 700, "num_validation": 50, "num_test": 2, "seed": 11}
SIZE_FLAGS = [arg for name, value in SIZES.items()
              for arg in ("--" + name.replace("_", "-"), str(value))]


def run(*args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def export(out: Path, *args: object, config: str = MIXTURE, sizes: bool = True) -> None:
    result = run("export", config, "--out", out, "--quiet", *(SIZE_FLAGS if sizes else ()), *args)
    assert result.returncode == 0, result.stderr


def usage_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def expected_rows(split: str, **overrides) -> list[dict]:
    return lime_datasets.generate(MIXTURE, split, **{**SIZES, **overrides}).to_pylist()


def read_rows(out: Path, fmt: str, split: str, label: str = "") -> list[dict]:
    """The rows of one exported split (fairseq: the source and target text only)."""
    if fmt == "jsonl":
        lines = (out / f"{split}{label}.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]
    if fmt == "parquet":
        table = pq.read_table(out / f"{split}{label}.parquet")
        assert table.schema.equals(SCHEMA)
        return table.to_pylist()
    name = FAIRSEQ[split] + label
    sources = (out / f"{name}.src").read_text().split("\n")
    targets = (out / f"{name}.tgt").read_text().split("\n")
    assert sources.pop() == targets.pop() == ""  # every line ends with a newline
    return [{"source": s, "target": t} for s, t in zip(sources, targets, strict=True)]


def project(rows: list[dict], fmt: str) -> list[dict]:
    keys = ("source", "target") if fmt == "fairseq" else SCHEMA.names
    return [{key: row[key] for key in keys} for row in rows]


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    """A whole export of MIXTURE in every format."""
    root = tmp_path_factory.mktemp("whole")
    for fmt in FORMATS:
        export(root / fmt, "--format", fmt)
    return {fmt: root / fmt for fmt in FORMATS}


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> dict[str, Path]:
    """The same exports written as shards 0/3, 1/3 and 2/3 into one folder per format."""
    root = tmp_path_factory.mktemp("shards")
    for fmt in FORMATS:
        for index in range(3):
            export(root / fmt, "--format", fmt, "--shard", f"{index}/3")
    return {fmt: root / fmt for fmt in FORMATS}


def check(folder: Path) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """Run ``fingerprint --check`` and return the status of each file it lists."""
    result = run("fingerprint", "--check", folder)
    statuses = {}
    for line in result.stdout.splitlines():
        words = line.split()
        if line.startswith("  ") and len(words) >= 2:
            statuses[words[1]] = words[0]
    return result, statuses


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_round_trips_to_generate(exports, fmt):
    out = exports[fmt]
    for split in SPLITS:
        assert project(read_rows(out, fmt, split), fmt) == project(expected_rows(split), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_fingerprint_check_agrees_with_the_export(exports, fmt):
    result, statuses = check(exports[fmt])
    assert result.returncode == 0, result.stdout + result.stderr
    written = {p.name for p in exports[fmt].iterdir()} - {"lime_metadata.json"}
    assert statuses == dict.fromkeys(written, "ok")
    for split in SPLITS:
        fingerprint = lime_datasets.fingerprint(MIXTURE, split, **SIZES)
        assert f"{split}: fingerprint {fingerprint}" in result.stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_metadata_records_config_parameters_versions_sizes_fingerprints(exports, fmt):
    out = exports[fmt]
    metadata = json.loads((out / "lime_metadata.json").read_text())
    config = get_config(MIXTURE, **SIZES)
    assert metadata["config"] == MIXTURE
    assert metadata["format"] == fmt
    assert metadata["parameters"] == json.loads(json.dumps(config.parameters()))
    assert metadata["data_version"] == lime_datasets.DATA_VERSION
    assert metadata["package_version"] == lime_datasets.__version__
    for split in SPLITS:
        info = metadata["splits"][split]
        assert info["size"] == config.split_size(split)
        assert info["fingerprint"] == lime_datasets.fingerprint(MIXTURE, split, **SIZES)
        assert all((out / name).is_file() for name in info["files"])
    vocabulary = (out / metadata["vocabulary"]).read_text().splitlines()
    assert vocabulary == vocab_tokens(config.vocab_size)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_shards_concatenate_to_the_whole_export(exports, shards, fmt):
    labels = [f"-{index:05d}-of-00003" for index in range(3)]
    for split in SPLITS:
        if fmt == "parquet":
            parts = [pq.read_table(shards[fmt] / f"{split}{label}.parquet") for label in labels]
            whole = pq.read_table(exports[fmt] / f"{split}.parquet")
            assert pa.concat_tables(parts).to_pylist() == whole.to_pylist()
            continue
        names = [f"{split}.jsonl"] if fmt == "jsonl" else [f"{FAIRSEQ[split]}.src",
                                                           f"{FAIRSEQ[split]}.tgt"]
        for name in names:
            stem, suffix = name.split(".")
            joined = b"".join((shards[fmt] / f"{stem}{label}.{suffix}").read_bytes()
                              for label in labels)
            assert joined == (exports[fmt] / name).read_bytes(), name
    sizes = {split: len(read_rows(shards[fmt], fmt, "test", label)) for split, label in
             zip(("a", "b", "c"), labels, strict=True)}
    assert sorted(sizes.values()) == [0, 1, 1]  # a split smaller than N has empty shards


@pytest.mark.parametrize("fmt", FORMATS)
def test_fingerprint_check_accepts_a_folder_of_shards(exports, shards, fmt, tmp_path):
    result, statuses = check(shards[fmt])
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(statuses.values()) == {"ok"}
    assert len(statuses) == len([p for p in shards[fmt].iterdir()
                                 if not p.name.startswith("lime_metadata")])
    for split in SPLITS:
        fingerprint = lime_datasets.fingerprint(MIXTURE, split, **SIZES)
        assert f"{split}: fingerprint {fingerprint}" in result.stdout

    folder = tmp_path / "tampered"
    shutil.copytree(shards[fmt], folder)
    (folder / "lime_metadata-00001-of-00003.json").unlink()  # one shard not there yet
    victim = folder / ("train-00002-of-00003.src" if fmt == "fairseq"
                       else f"train-00002-of-00003.{fmt}")
    victim.write_bytes(victim.read_bytes()[:-5])
    result, statuses = check(folder)
    assert result.returncode == 1
    assert statuses[victim.name] == "mismatch"
    assert "incomplete" in result.stdout
    assert not any("-00001-of-" in name for name in statuses)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_fingerprint_check_reports_a_changed_or_missing_file(exports, fmt, tmp_path):
    folder = tmp_path / fmt
    shutil.copytree(exports[fmt], folder)
    rows = expected_rows("validation")
    rows[3]["target"] = rows[4]["target"]
    if fmt == "jsonl":
        text = "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
        (folder / "validation.jsonl").write_text(text)
    else:
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), folder / "validation.parquet")
    (folder / f"test.{fmt}").unlink()
    result, statuses = check(folder)
    assert result.returncode == 1
    assert statuses[f"validation.{fmt}"] == "mismatch"
    assert statuses[f"test.{fmt}"] == "missing"
    assert statuses[f"train.{fmt}"] == "ok"


@pytest.mark.parametrize("field", ["fingerprint", "blocks"])
def test_fingerprint_check_reports_stale_metadata(exports, tmp_path, field):
    folder = tmp_path / "stale"
    shutil.copytree(exports["jsonl"], folder)
    path = folder / "lime_metadata.json"
    metadata = json.loads(path.read_text())
    if field == "fingerprint":
        metadata["splits"]["test"]["fingerprint"] = "0" * 64
    else:
        metadata["splits"]["test"]["blocks"][-1] = "0" * 64
    path.write_text(json.dumps(metadata))
    result, statuses = check(folder)
    assert result.returncode == 1
    assert set(statuses.values()) == {"ok"}  # the files hold the right rows
    assert "test: fingerprint" in result.stdout and "differs from the metadata" in result.stdout


def test_exported_files_have_the_usual_permissions(exports):
    umask = os.umask(0)
    os.umask(umask)
    for path in exports["jsonl"].iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name


def test_progress_bar_per_split_and_quiet(tmp_path):
    shown = run("export", MIXTURE, "--out", tmp_path / "shown", *SIZE_FLAGS)
    assert shown.returncode == 0, shown.stderr
    for split in SPLITS:
        size = get_config(MIXTURE, **SIZES).split_size(split)
        assert any(line.startswith(f"{split}: 100%") and f"{size}/{size}" in line
                   for line in shown.stderr.replace("\r", "\n").splitlines()), shown.stderr
    quiet = run("export", MIXTURE, "--out", tmp_path / "quiet", "--quiet", *SIZE_FLAGS)
    assert quiet.returncode == 0 and quiet.stdout == quiet.stderr == ""


@pytest.mark.slow
def test_num_proc_writes_the_same_bytes(tmp_path):
    rows = PARQUET_ROW_GROUP_ROWS + 123
    assert rows > 2 * PART_ROWS  # several parts per process, two row groups
    for fmt in FORMATS:
        for num_proc in (1, 2):
            export(tmp_path / f"{fmt}{num_proc}", "--format", fmt, "--num-proc", num_proc,
                   "--splits", "train", "--num-train", rows, sizes=False)
        one, two = tmp_path / f"{fmt}1", tmp_path / f"{fmt}2"
        assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in two.iterdir())
        for path in one.iterdir():
            assert path.read_bytes() == (two / path.name).read_bytes(), path.name
    groups = pq.ParquetFile(tmp_path / "parquet1" / "train.parquet").metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [
        PARQUET_ROW_GROUP_ROWS, 123]


@pytest.mark.parametrize("config", list(lime_datasets.CONFIGS))
def test_fairseq_layout_and_dictionary(tmp_path, config):
    sizes = {"num_train": 7, "num_validation": 3, "num_test": 4}
    flags = [arg for name, value in sizes.items() for arg in ("--" + name.replace("_", "-"), value)]
    out = tmp_path / "out"
    export(out, "--format", "fairseq", *flags, config=config, sizes=False)
    data_files = {f"{FAIRSEQ[split]}.{side}" for split in SPLITS for side in ("src", "tgt")}
    assert {p.name for p in out.iterdir()} == data_files | {
        "dict.txt", "vocab.txt", "lime_metadata.json"}
    counts: Counter[str] = Counter()
    for split in SPLITS:
        rows = lime_datasets.generate(config, split, **sizes).to_pylist()
        for side, field in (("src", "source"), ("tgt", "target")):
            text = (out / f"{FAIRSEQ[split]}.{side}").read_text()
            assert text == "".join(row[field] + "\n" for row in rows)
            counts.update(text.split())
    entries = [line.split(" ") for line in (out / "dict.txt").read_text().splitlines()]
    assert all(len(entry) == 2 for entry in entries)
    assert {token: int(count) for token, count in entries} == counts
    assert entries == sorted(entries, key=lambda entry: (-int(entry[1]), entry[0]))
    assert not {token for token, _ in entries} & set(SPECIAL_TOKENS)


def test_existing_outputs_are_never_overwritten_without_the_flag(tmp_path):
    out = tmp_path / "out"
    export(out, "--format", "jsonl")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    result = run("export", MIXTURE, "--out", out, "--quiet", *SIZE_FLAGS, "--seed", 12)
    usage_error(result, "--overwrite")
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before

    export(out, "--format", "jsonl", "--seed", 12, "--overwrite")
    assert project(read_rows(out, "jsonl", "test"), "jsonl") == expected_rows("test", seed=12)
    assert {p.name for p in out.iterdir()} == set(before)  # no temporary file left behind


def test_one_existing_file_stops_the_whole_export(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "vocab.txt").write_text("mine\n")
    result = run("export", MIXTURE, "--out", out, "--quiet", *SIZE_FLAGS)
    usage_error(result, "vocab.txt", "--overwrite")
    assert [p.name for p in out.iterdir()] == ["vocab.txt"]
    assert (out / "vocab.txt").read_text() == "mine\n"


BAD_EXPORTS = [
    (["--format", "csv"], ["--format"]),
    (["--shard", "3/3"], ["shard"]),
    (["--shard", "1/0"], ["shard"]),
    (["--shard", "one/two"], ["shard"]),
    (["--splits", "train,dev"], ["splits"]),
    (["--splits", ","], ["splits"]),
    (["--num-proc", "0"], ["num_proc"]),
    (["--num-proc", "two"], ["--num-proc"]),
    (["--num-train", "-1"], ["num_train"]),
    (["--vocab-size", "67"], ["vocab_size"]),
]


@pytest.mark.parametrize(("args", "words"), BAD_EXPORTS, ids=[" ".join(a) for a, _ in BAD_EXPORTS])
def test_bad_export_input_writes_nothing(tmp_path, args, words):
    parent = tmp_path / "parent"
    parent.mkdir()
    usage_error(run("export", MIXTURE, "--out", parent / "out", *args), *words)
    assert list(parent.iterdir()) == []


def test_export_into_a_file_path_is_refused(tmp_path):
    (tmp_path / "out").write_text("a file")
    usage_error(run("export", MIXTURE, "--out", tmp_path / "out", *SIZE_FLAGS), "not a folder")
    assert (tmp_path / "out").read_text() == "a file"


@pytest.mark.slow
def test_hub_format(tmp_path):
    out = tmp_path / "hub"
    args = ("export", MIXTURE, "--out", out, "--format", "hub", "--quiet", *SIZE_FLAGS)
    try:
        import lime_datasets.hub  # noqa: F401
    except ImportError:
        usage_error(run(*args), "hub")
        assert not out.exists()
        return
    result = run(*args)
    assert result.returncode == 0, result.stderr
    readme = (out / "README.md").read_text()
    assert MIXTURE in readme
    folder = out / "data" / MIXTURE
    for split in SPLITS:
        assert read_rows(folder, "parquet", split) == expected_rows(split)
    checked, statuses = check(folder)
    assert checked.returncode == 0 and set(statuses.values()) == {"ok"}, checked.stdout
    usage_error(run(*args), "--overwrite")
    usage_error(run(*args, "--shard", "0/2", "--overwrite"), "--shard")
    assert run(*args, "--overwrite", "--seed", 12).returncode == 0
    assert read_rows(folder, "parquet", "test") == expected_rows("test", seed=12)


def start_large_export(out: Path, *args: str) -> subprocess.Popen:
    """Start an export of a few million rows and wait until its data file is being written."""
    process = subprocess.Popen(
        [str(SCRIPT), "export", "deduct", "--out", str(out), "--splits", "train", "--quiet",
         "--num-train", "5000000", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        temps = list(out.glob(".train.jsonl.*")) if out.is_dir() else []
        if temps and temps[0].stat().st_size > 1_000_000:
            return process
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the export never started writing")


def wait_for_group_exit(group: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(group, signal.SIGKILL)
    raise AssertionError("processes of the export outlived it")


@pytest.mark.slow
@pytest.mark.parametrize("num_proc", ["1", "2"])
def test_a_killed_export_leaves_no_finished_looking_file(tmp_path, num_proc):
    out = tmp_path / "out"
    process = start_large_export(out, "--num-proc", num_proc)
    process.kill()
    process.communicate(timeout=60)
    wait_for_group_exit(process.pid)
    assert process.returncode == -signal.SIGKILL
    names = [p.name for p in out.iterdir()]
    assert names and all(name.startswith(".") and name.endswith(".tmp") for name in names)
    export(out, "--splits", "train", "--num-train", "1000", config="deduct", sizes=False)
    assert sorted(p.name for p in out.iterdir()) == ["lime_metadata.json", "train.jsonl",
                                                     "vocab.txt"]


@pytest.mark.slow
def test_an_export_keeps_a_running_exports_temporary_files(tmp_path):
    out = tmp_path / "out"
    process = start_large_export(out)
    try:
        live = list(out.iterdir())
        export(out, "--splits", "train", "--num-train", "1000", config="deduct", sizes=False)
        assert process.poll() is None, "the large export ended too soon to show anything"
        assert all(path.exists() for path in live)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
        wait_for_group_exit(process.pid)
    assert sorted(p.name for p in out.iterdir()) == ["lime_metadata.json", "train.jsonl",
                                                     "vocab.txt"]
    assert run("fingerprint", "--check", out).returncode == 0


def test_only_unlocked_temporary_files_of_the_named_outputs_are_removed(tmp_path):
    kept = [".test.jsonl.0badc0de.tmp", ".train.jsonl.notes.tmp", "train.jsonl.0badc0de.tmp"]
    for name in [".train.jsonl.0badc0de.tmp", ".train.jsonl.12345678.tmp", *kept]:
        (tmp_path / name).write_text("left by someone\n")
    with StagedFiles(tmp_path) as files:
        live = files.path("train.jsonl")
        removed = remove_leftovers(tmp_path, ["train.jsonl", "vocab.txt"])
        assert sorted(path.name for path in removed) == [".train.jsonl.0badc0de.tmp",
                                                         ".train.jsonl.12345678.tmp"]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, *kept])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


@pytest.mark.slow
@pytest.mark.parametrize("num_proc", ["1", "2"])
def test_a_terminated_export_removes_its_temporary_files(tmp_path, num_proc):
    out = tmp_path / "out"
    process = start_large_export(out, "--num-proc", num_proc)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    wait_for_group_exit(process.pid)
    assert process.returncode == 128 + signal.SIGTERM
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr
    assert list(out.iterdir()) == []
