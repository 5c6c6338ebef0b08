"""TFDS builds of ``lime`` on Apache Beam: the pipeline hands out shard specs, workers write whole
shards with the local writer, so the files are byte for byte a plain build's; the driver refuses a
split with a missing shard.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

tfds = pytest.importorskip("tensorflow_datasets")
beam = pytest.importorskip("apache_beam")
pytest.importorskip("tensorflow")

import lime_datasets  # noqa: E402
from lime_datasets.core.config import SPLITS  # noqa: E402
from lime_datasets.tfds import IncompleteBuildError, beam_shards, shards  # noqa: E402
from lime_datasets.tfds.manifests import recorded_manifests  # noqa: E402

pytestmark = pytest.mark.slow

REPO = Path(lime_datasets.__file__).resolve().parent.parent
SIZES = {"num_train": 300, "num_validation": 70, "num_test": 10}
TWO_WORKERS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
IN_MEMORY = ["--direct_running_mode=in_memory"]


@pytest.fixture(autouse=True)
def small_shards(monkeypatch):
    """Shards of 64 rows (the driver cuts them; workers only receive the ranges)."""
    monkeypatch.setattr(shards, "ROWS_PER_SHARD", 64)


def build(data_dir: Path, beam_flags: list[str] | None = None, *, file_format="tfrecord",
          download_config=None):
    builder = tfds.builder("lime", config=lime_datasets.tfds_config("mixed", **SIZES),
                           data_dir=data_dir, file_format=file_format, num_proc=1)
    if beam_flags is not None:
        options = beam.options.pipeline_options.PipelineOptions(
            ["--runner=DirectRunner", *beam_flags])
        download_config = download_config or tfds.download.DownloadConfig()
        download_config.beam_options = options
    builder.download_and_prepare(download_config=download_config)
    return builder


def folder_files(builder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(Path(builder.data_path).iterdir())
            if p.name != "dataset_info.json"}


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shards, "ROWS_PER_SHARD", 64)
        return {file_format: build(tmp_path_factory.mktemp(file_format), file_format=file_format)
                for file_format in ("tfrecord", "array_record")}


@pytest.mark.parametrize("file_format", ["tfrecord", "array_record"])
def test_two_beam_workers_write_a_plain_builds_files(plain, tmp_path, file_format):
    built = build(tmp_path, TWO_WORKERS, file_format=file_format)
    assert built.info.splits["train"].shard_lengths == [64, 64, 64, 64, 44]
    assert folder_files(built) == folder_files(plain[file_format])
    for split in SPLITS:
        assert built.info.splits[split].num_bytes == plain[file_format].info.splits[split].num_bytes
    assert not list(Path(built.data_path).glob("*" + beam_shards.REPORT_SUFFIX + "*"))
    assert recorded_manifests(built) == {
        split: lime_datasets.manifest("mixed", split, **SIZES) for split in SPLITS}


def test_the_plain_build_is_the_cores_rows(plain):
    for split in SPLITS:
        rows = [e["target"].decode() for e in
                tfds.as_numpy(plain["tfrecord"].as_dataset(split=split))]
        assert rows == lime_datasets.generate("mixed", split, **SIZES)["target"].to_pylist()


def test_a_beam_build_with_a_missing_shard_fails_and_leaves_nothing(tmp_path, monkeypatch):
    real = beam_shards.write_reported_shard

    def loses_one(spec):  # as if a worker's output went missing
        return spec.path if spec.split == "train" and spec.start == 128 else real(spec)

    monkeypatch.setattr(beam_shards, "write_reported_shard", loses_one)
    # In this process (in_memory), so that the patch holds.
    with pytest.raises(IncompleteBuildError) as error:
        build(tmp_path, IN_MEMORY)
    assert "'train': 236" in str(error.value) and "'train': 300" in str(error.value)
    assert [p for p in tmp_path.rglob("*") if p.is_file() and ".config" not in p.parts] == []


def test_a_beam_build_honours_max_examples_per_split(plain, tmp_path):
    built = build(tmp_path, IN_MEMORY,
                  download_config=tfds.download.DownloadConfig(max_examples_per_split=100))
    assert {s: i.num_examples for s, i in built.info.splits.items()} == {
        "train": 100, "validation": 70, "test": 10}
    rows = [int(e["id"]) for e in tfds.as_numpy(built.as_dataset(split="train"))]
    assert rows == list(range(100))


def test_tfds_build_command_with_beam_options_writes_the_plain_files(tmp_path, monkeypatch):
    pytest.importorskip("mlcroissant")
    monkeypatch.undo()  # the command runs with the default shard size
    params = ",".join(f"{key}={value}" for key, value in SIZES.items())
    command = [sys.executable, "-m", "tensorflow_datasets.scripts.cli.main", "build",
               f"lime/rewrite/{params}", "--imports", "lime_datasets",
               "--data_dir", str(tmp_path / "cli"),
               "--beam_pipeline_options", "runner=DirectRunner,direct_running_mode=in_memory"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "shards as an Apache Beam pipeline" in done.stdout + done.stderr  # the builder's log
    config = lime_datasets.tfds_config("rewrite", **SIZES)
    built = tfds.builder("lime", config=config, data_dir=tmp_path / "cli")
    reference = tfds.builder("lime", config=config, data_dir=tmp_path / "plain")
    reference.download_and_prepare()
    assert folder_files(built) == folder_files(reference)
