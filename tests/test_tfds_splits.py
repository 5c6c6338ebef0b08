"""Only what is asked: ``tfds.load`` / ``tfds.data_source`` of one split builds that split alone,
and a later request for another split adds it to the same folder, which then equals a full build's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

tfds = pytest.importorskip("tensorflow_datasets")
pytest.importorskip("tensorflow")
pytest.importorskip("array_record")

import lime_datasets  # noqa: E402
from lime_datasets.tfds.requested_splits import split_names  # noqa: E402

SIZES = {"num_train": 900, "num_validation": 40, "num_test": 30}
CONFIG = lime_datasets.tfds_config("induct", **SIZES)


def folder(data_dir: Path) -> Path:
    return tfds.builder("lime", config=CONFIG, data_dir=data_dir).data_path


def files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(Path(path).iterdir())}


def split_files(path: Path) -> set[str]:
    return {p.name.split(".")[0] for p in Path(path).iterdir() if p.name.startswith("lime-")}


def load_ids(data_dir: Path, split: str) -> list[int]:
    dataset = tfds.load("lime", split=split, data_dir=data_dir,
                        builder_kwargs={"config": CONFIG})
    return [int(e["id"]) for e in tfds.as_numpy(dataset)]


@pytest.fixture(scope="module")
def full_build(tmp_path_factory):
    builder = tfds.builder("lime", config=CONFIG, data_dir=tmp_path_factory.mktemp("full"))
    builder.download_and_prepare()
    return files(builder.data_path)


def test_a_full_build_has_every_split(full_build):
    assert {name.split(".")[0] for name in full_build if name.startswith("lime-")} == {
        "lime-train", "lime-validation", "lime-test"}


def test_load_of_one_split_builds_it_alone_and_later_splits_join_the_same_folder(
        full_build, tmp_path):
    assert load_ids(tmp_path, "test") == list(range(30))
    assert split_files(folder(tmp_path)) == {"lime-test"}
    builder = tfds.builder("lime", config=CONFIG, data_dir=tmp_path)
    assert builder.is_prepared() and list(builder.info.splits) == ["test"]
    assert load_ids(tmp_path, "train[:5]+validation[-2:]") == [0, 1, 2, 3, 4, 38, 39]
    assert files(folder(tmp_path)) == full_build  # dataset_info.json too


def test_data_source_of_one_split_builds_it_alone(tmp_path):
    def source(split: str):
        return tfds.data_source("lime", split=split, data_dir=tmp_path,
                                builder_kwargs={"config": CONFIG, "file_format": "array_record"})

    assert len(source("validation")) == 40
    assert split_files(folder(tmp_path)) == {"lime-validation"}
    train = source("train")
    assert len(train) == 900
    assert train[899]["target"].decode() == lime_datasets.example(
        "induct", "train", 899, **SIZES)["target"]
    assert split_files(folder(tmp_path)) == {"lime-validation", "lime-train"}


def test_builder_as_dataset_adds_a_missing_split(full_build, tmp_path):
    load_ids(tmp_path, "validation")
    builder = tfds.builder("lime", config=CONFIG, data_dir=tmp_path)
    datasets = builder.as_dataset()  # every split
    assert {split: len(list(tfds.as_numpy(ds))) for split, ds in datasets.items()} == {
        "train": 900, "validation": 40, "test": 30}
    assert files(folder(tmp_path)) == full_build


def test_a_killed_split_additions_leftovers_are_removed(tmp_path):
    load_ids(tmp_path, "test")
    left = folder(tmp_path) / ("incomplete." + "ab" * 16 + ".lime-train.tfrecord-00000-of-00001")
    left.write_bytes(b"partial")
    assert load_ids(tmp_path, "validation") == list(range(40))
    assert not left.exists()


@pytest.mark.parametrize(("split", "names"), [
    ("train", {"train"}),
    ("train[:10%]+test", {"train", "test"}),
    (["validation", "test[5:]"], {"validation", "test"}),
    ({"a": "train", "b": "test"}, {"train", "test"}),
    (tfds.core.ReadInstruction("validation", to=10, unit="abs"), {"validation"}),
    (tfds.core.ReadInstruction("train") + tfds.core.ReadInstruction("test"), {"train", "test"}),
    (tfds.Split.TEST, {"test"}),
])
def test_split_names(split, names):
    assert split_names(split) == names


@pytest.mark.paper_scale
def test_paper_scale_load_of_the_test_split_then_train(tmp_path):
    """The paper's sizes (5,000,000 train rows): test alone first, then train in id order."""
    config = lime_datasets.tfds_config("abduct")
    test = tfds.load("lime", split="test", data_dir=tmp_path, builder_kwargs={"config": config})
    assert sum(1 for _ in test) == config.lime_config.num_test
    train = tfds.load("lime", split="train", data_dir=tmp_path,
                      builder_kwargs={"config": config})
    builder = tfds.builder("lime", config=config, data_dir=tmp_path)
    assert builder.info.splits["train"].num_examples == 5_000_000
    last = next(iter(tfds.as_numpy(train.skip(4_999_999))))
    assert last["target"].decode() == lime_datasets.example("abduct", "train", 4_999_999)["target"]


@pytest.mark.parametrize(("call", "imports_tensorflow"), [
    ("load", True), ("data_source", False), ("download_and_prepare", False)])
def test_only_tfds_load_imports_tensorflow_while_the_workers_write(tmp_path, monkeypatch, call,
                                                                   imports_tensorflow):
    from lime_datasets.tfds import shards as shards_lib

    seen = []
    real = shards_lib.write_shards

    def recording(specs, num_proc, progress=None, alongside=None):
        seen.append(alongside)
        return real(specs, 2, progress, alongside)

    monkeypatch.setattr(shards_lib, "write_shards", recording)
    if call == "load":
        tfds.load("lime", split="test", data_dir=tmp_path, builder_kwargs={"config": CONFIG})
    elif call == "data_source":
        tfds.data_source("lime", split="test", data_dir=tmp_path,
                         builder_kwargs={"config": CONFIG, "file_format": "array_record"})
    else:
        tfds.builder("lime", config=CONFIG, data_dir=tmp_path).download_and_prepare()
    assert seen and all((step is not None) == imports_tensorflow for step in seen)
