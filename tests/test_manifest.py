"""Block manifests: one digest per block of rows, equal however the rows are cut, batched,
generated (compiled kernels or numpy) or written (any number of processes); and the check of an
export that names the block a corrupted byte is in."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import lime_datasets
from lime_datasets.configs import get_config
from lime_datasets.core.config import SPLITS
from lime_datasets.core.fingerprint import BlockHasher, fingerprint_of_blocks
from lime_datasets.core.generate import BLOCK_SIZE, iter_batches
from lime_datasets.core.manifest import manifest_from_pieces, range_digests
from lime_datasets.core.records import COLUMNS

REPO = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).with_name("lime-datasets")
SIZE = 4 * BLOCK_SIZE + 250  # the last block partial
MIXTURE = "mixed"


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


# The definition ---------------------------------------------------------------------------------


def test_manifest_fields_and_the_fingerprint_over_its_blocks() -> None:
    manifest = lime_datasets.manifest(MIXTURE, "train", num_train=SIZE, seed=3)
    assert manifest["block_size"] == BLOCK_SIZE
    assert manifest["rows"] == SIZE and len(manifest["blocks"]) == 5
    assert manifest["data_version"] == lime_datasets.DATA_VERSION
    assert manifest["parameters"] == get_config(MIXTURE, num_train=SIZE, seed=3).parameters()
    assert manifest["config"] == MIXTURE and manifest["split"] == "train"
    joined = b"".join(bytes.fromhex(block) for block in manifest["blocks"])
    assert manifest["fingerprint"] == hashlib.sha256(joined).hexdigest()
    assert lime_datasets.fingerprint(MIXTURE, "train", num_train=SIZE, seed=3) == (
        manifest["fingerprint"])
    json.dumps(manifest)  # JSON-ready


@pytest.mark.parametrize("name", sorted(lime_datasets.CONFIGS))
def test_block_digests_are_equal_for_any_row_range_of_whole_blocks(name: str) -> None:
    whole = lime_datasets.manifest(name, "train", num_train=SIZE)["blocks"]
    config = get_config(name, num_train=SIZE)
    for first, last in [(0, 1), (1, 3), (3, 5), (4, 5), (0, 5)]:
        stop = min(SIZE, last * BLOCK_SIZE)
        digests = range_digests(config, "train", first * BLOCK_SIZE, stop)
        assert [d.digest for d in digests] == whole[first:last], (first, last)
        assert all(d.is_whole(SIZE) for d in digests)


def test_block_digests_do_not_depend_on_batching() -> None:
    config = get_config(MIXTURE, num_train=SIZE)
    expected = lime_datasets.manifest(MIXTURE, "train", num_train=SIZE)["blocks"]
    for rows_per_batch in (1, 333, 1000, 4096):
        hasher = BlockHasher(0)
        for batch in iter_batches(config, "train", 0, SIZE, rows_per_batch=rows_per_batch):
            hasher.update(batch)
        assert [d.digest for d in hasher.finish()] == expected, rows_per_batch


def test_pieces_of_blocks_from_several_writers_join_into_the_manifest() -> None:
    config = get_config(MIXTURE, num_train=SIZE)
    expected = lime_datasets.manifest(MIXTURE, "train", num_train=SIZE)
    cuts = [0, 700, 1000, 2500, 2501, SIZE]  # inside blocks, as small splits are cut
    digests, partial = [], {}
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        hasher = BlockHasher(start, keep_partial=True)
        for batch in iter_batches(config, "train", start, stop):
            hasher.update(batch)
        digests += hasher.finish()
        partial.update(hasher.partial_rows)
    assert manifest_from_pieces(config, "train", "both", reversed(digests), partial) == expected
    with pytest.raises(ValueError, match="block"):
        manifest_from_pieces(config, "train", "both", digests[1:], partial)


def test_columns_are_part_of_what_is_digested() -> None:
    fingerprints = {columns: lime_datasets.fingerprint(MIXTURE, "test", columns=columns)
                    for columns in COLUMNS}
    assert len(set(fingerprints.values())) == 3
    table = lime_datasets.generate(MIXTURE, "test", columns="ids")
    assert table.column_names == list(COLUMNS["ids"])
    with pytest.raises(ValueError, match=r"columns must be one of .*did you mean 'ids'"):
        lime_datasets.generate(MIXTURE, "test", columns="id")
    with pytest.raises(ValueError, match="columns"):
        lime_datasets.manifest(MIXTURE, "test", columns=None)


_MANIFESTS = """
import json, sys, lime_datasets
from lime_datasets.core import kernels
print(json.dumps({"native": kernels.native is not None, "manifests": {
    name: lime_datasets.manifest(name, "train", num_train=int(sys.argv[1]))["blocks"]
    for name in sorted(lime_datasets.CONFIGS)}}))
"""


def test_block_digests_are_equal_on_the_numpy_path_and_the_compiled_path() -> None:
    here = {name: lime_datasets.manifest(name, "train", num_train=2 * BLOCK_SIZE + 1)["blocks"]
            for name in sorted(lime_datasets.CONFIGS)}
    env = {**os.environ, "PYTHONPATH": str(REPO), "LIME_DATASETS_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", _MANIFESTS, str(2 * BLOCK_SIZE + 1)], env=env,
                         capture_output=True, text=True, check=True, timeout=600)
    numpy_path = json.loads(out.stdout)
    assert not numpy_path["native"]
    assert numpy_path["manifests"] == here


# Exports ----------------------------------------------------------------------------------------

SIZES = {"num_train": SIZE, "num_validation": 1200, "num_test": 3}
SIZE_FLAGS = [arg for name, value in SIZES.items()
              for arg in ("--" + name.replace("_", "-"), str(value))]


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exports")
    for fmt in ("jsonl", "parquet", "fairseq"):
        result = run("export", MIXTURE, "--out", root / fmt, "--format", fmt, "--quiet",
                     *SIZE_FLAGS)
        assert result.returncode == 0, result.stderr
    return {fmt: root / fmt for fmt in ("jsonl", "parquet", "fairseq")}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "fairseq"])
def test_an_export_records_the_manifest_of_every_split(exports, fmt) -> None:
    metadata = json.loads((exports[fmt] / "lime_metadata.json").read_text())
    for split in SPLITS:
        columns = "both" if fmt != "fairseq" else metadata["columns"]
        manifest = lime_datasets.manifest(MIXTURE, split, columns=columns, **SIZES)
        assert metadata["splits"][split]["blocks"] == manifest["blocks"]
        assert metadata["splits"][split]["fingerprint"] == manifest["fingerprint"]
    assert metadata["block_size"] == BLOCK_SIZE


@pytest.mark.slow
def test_block_digests_of_an_export_do_not_depend_on_processes_or_shards(tmp_path) -> None:
    blocks = {}
    for num_proc in (1, 2):
        out = tmp_path / f"proc{num_proc}"
        assert run("export", MIXTURE, "--out", out, "--format", "parquet", "--quiet",
                   "--num-proc", num_proc, *SIZE_FLAGS).returncode == 0
        metadata = json.loads((out / "lime_metadata.json").read_text())
        blocks[num_proc] = {s: metadata["splits"][s]["blocks"] for s in SPLITS}
    assert blocks[1] == blocks[2]
    out = tmp_path / "shards"
    for index in range(2):  # shard 0/2 of train ends inside block 2: the pieces are partial
        assert run("export", MIXTURE, "--out", out, "--format", "parquet", "--quiet",
                   "--shard", f"{index}/2", *SIZE_FLAGS).returncode == 0
    first = json.loads((out / "lime_metadata-00000-of-00002.json").read_text())["splits"]
    second = json.loads((out / "lime_metadata-00001-of-00002.json").read_text())["splits"]
    assert first["train"]["blocks"][:2] == blocks[1]["train"][:2]
    assert second["train"]["blocks"][1:] == blocks[1]["train"][3:]
    result = run("fingerprint", "--check", out, "--quiet", "--num-proc", 2)
    assert result.returncode == 0, result.stdout
    fingerprint = lime_datasets.fingerprint(MIXTURE, "train", **SIZES)
    assert f"train: fingerprint {fingerprint}" in result.stdout


def _corrupt(path: Path, offset: int) -> None:
    """Change one byte at ``offset`` (a digit into another digit, so text stays well-formed)."""
    data = bytearray(path.read_bytes())
    while not chr(data[offset]).isdigit():
        offset += 1
    data[offset] = ord("7") if data[offset] != ord("7") else ord("3")
    path.write_bytes(bytes(data))


def _line_offset(path: Path, line: int) -> int:
    data = path.read_bytes()
    position = 0
    for _ in range(line):
        position = data.index(b"\n", position) + 1
    return position + 40


@pytest.mark.parametrize(("fmt", "name"), [("jsonl", "train.jsonl"), ("fairseq", "train.src"),
                                           ("fairseq", "train.tgt")])
def test_a_corrupted_byte_in_a_text_export_is_reported_with_its_block(exports, fmt, name,
                                                                       tmp_path) -> None:
    folder = tmp_path / fmt
    folder.mkdir()
    for path in exports[fmt].iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    _corrupt(folder / name, _line_offset(folder / name, 2 * BLOCK_SIZE + 17))  # row 2017
    result = run("fingerprint", "--check", folder, "--quiet", "--num-proc", 2)
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if name in line)
    assert "mismatch" in line and "block 2 (rows 2000..2999)" in line, line
    assert all(" ok " in other or name in other for other in result.stdout.splitlines()
               if other.startswith("  "))


def test_a_corrupted_byte_in_a_parquet_export_is_reported_with_its_block(exports,
                                                                          tmp_path) -> None:
    folder = tmp_path / "parquet"
    folder.mkdir()
    for path in exports["parquet"].iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    victim = folder / "train.parquet"
    column = pq.ParquetFile(victim).metadata.row_group(0).column(3)  # target: plain text pages
    data = bytearray(victim.read_bytes())
    offset = column.data_page_offset + column.total_compressed_size // 2
    data[offset] ^= 0x01
    victim.write_bytes(bytes(data))
    result = run("fingerprint", "--check", folder, "--quiet")
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if "train.parquet" in line)
    assert "mismatch" in line and "block " in line and "(rows " in line, line


@pytest.mark.slow
def test_one_shard_is_checked_against_its_manifest(tmp_path) -> None:
    out = tmp_path / "shards"
    for index in range(3):
        assert run("export", MIXTURE, "--out", out, "--format", "jsonl", "--quiet", "--shard",
                   f"{index}/3", *SIZE_FLAGS).returncode == 0
    (out / "train-00000-of-00003.jsonl").unlink()  # another shard's file: not checked
    result = run("fingerprint", "--check", out, "--shard", "1/3", "--quiet")
    assert result.returncode == 0, result.stdout
    assert "train-00001-of-00003.jsonl" in result.stdout
    assert "-00000-of-" not in result.stdout and "-00002-of-" not in result.stdout
    _corrupt(out / "train-00001-of-00003.jsonl", 3000)
    result = run("fingerprint", "--check", out, "--shard", "1/3", "--split", "train", "--quiet")
    assert result.returncode == 1
    # Shard 1 of 3 holds train rows 1416..2832: its first block is the part of block 1 it holds.
    assert "train-00001-of-00003.jsonl" in result.stdout and "block 1 (rows 1416..1999)" in (
        result.stdout)
    assert run("fingerprint", "--check", out, "--shard", "5/7").returncode == 2


def test_an_export_of_some_columns(tmp_path) -> None:
    out = tmp_path / "ids"
    assert run("export", MIXTURE, "--out", out, "--format", "parquet", "--columns", "ids",
               "--quiet", *SIZE_FLAGS).returncode == 0
    table = pq.read_table(out / "test.parquet")
    assert table.equals(lime_datasets.generate(MIXTURE, "test", columns="ids", **SIZES))
    metadata = json.loads((out / "lime_metadata.json").read_text())
    assert metadata["columns"] == "ids"
    assert metadata["splits"]["test"]["fingerprint"] == lime_datasets.fingerprint(
        MIXTURE, "test", columns="ids", **SIZES)
    assert run("fingerprint", "--check", out, "--quiet").returncode == 0
    bad = run("export", MIXTURE, "--out", tmp_path / "x", "--format", "fairseq", "--columns",
              "ids")
    assert bad.returncode == 2 and "columns" in bad.stderr and not (tmp_path / "x").exists()
    typo = run("export", MIXTURE, "--out", tmp_path / "y", "--columns", "txt")
    assert typo.returncode == 2 and "did you mean 'text'" in typo.stderr


def test_fingerprint_of_blocks_is_the_hash_of_the_raw_digests() -> None:
    digests = [hashlib.sha256(bytes([i])).hexdigest() for i in range(3)]
    raw = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(3))
    assert fingerprint_of_blocks(digests) == hashlib.sha256(raw).hexdigest()
