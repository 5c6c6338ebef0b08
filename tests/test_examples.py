"""The recipes in ``examples/``, each run at a small size and checked for what it claims.

Tests of recipes that need torch, jax or grain skip when the package is not installed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` by name from ``examples/`` on ``sys.path`` (the folder is not
    a package), so that ``spawn`` workers import the recipe's functions the same way."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(name)


@pytest.mark.slow
def test_train_tiny_loss_falls_and_the_test_split_is_scored() -> None:
    pytest.importorskip("torch")
    train_tiny = load("train_tiny")
    result = train_tiny.main([
        "--steps", "30", "--warmup", "1", "--lr", "3e-3", "--train-size", "200",
        "--test-size", "6", "--d-model", "32", "--layers", "1", "--log-every", "0",
    ])
    losses = result["losses"]
    assert len(losses) == 30
    assert sum(losses[-5:]) / 5 < 0.95 * sum(losses[:3]) / 3
    assert result["test_examples"] == 6
    assert 0.0 <= result["exact_match"] <= result["valid_answer"] <= 1.0


STREAM_CONFIG, STREAM_SPLIT, STREAM_SIZE = "mixed", "test", 120


def test_torch_streaming_workers_yield_every_example_exactly_once() -> None:
    pytest.importorskip("torch")
    import lime_datasets
    from lime_datasets.core.vocab import PAD_ID

    recipe = load("torch_streaming")
    dataset = recipe.streaming(STREAM_CONFIG, STREAM_SPLIT, num_test=STREAM_SIZE)
    assert dataset.num_shards >= 2  # so that both workers have work
    batches = list(recipe.loader(dataset, batch_size=16, workers=2))
    ids = recipe.epoch_ids(batches)
    assert len(ids) == STREAM_SIZE and sorted(ids) == list(range(STREAM_SIZE))
    expected = lime_datasets.generate(STREAM_CONFIG, STREAM_SPLIT, num_test=STREAM_SIZE)
    expected = expected.to_pylist()
    for batch in batches:
        for field in ("source_ids", "target_ids"):
            padded = batch[field]
            assert padded.shape[0] == len(batch["id"])
            lengths = [len(expected[i][field]) for i in batch["id"].tolist()]
            assert padded.shape[1] == max(lengths)
            for row, i, length in zip(padded.tolist(), batch["id"].tolist(), lengths, strict=True):
                assert row[:length] == expected[i][field]
                assert row[length:] == [PAD_ID] * (padded.shape[1] - length)


@pytest.mark.parametrize("world_size", [2, 3])
def test_split_dataset_by_node_ranks_are_disjoint_and_complete(world_size: int) -> None:
    pytest.importorskip("torch")
    recipe = load("torch_streaming")
    parts = [
        recipe.epoch_ids(recipe.loader(
            recipe.rank_dataset(STREAM_CONFIG, STREAM_SPLIT, rank, world_size,
                                num_test=STREAM_SIZE),
            batch_size=8, workers=1 + rank % 2,
        ))
        for rank in range(world_size)
    ]
    assert all(parts)
    assert sum(map(len, parts)) == STREAM_SIZE  # no example in two ranks (nor twice in one)
    assert sorted(i for part in parts for i in part) == list(range(STREAM_SIZE))


def test_tf_data_padded_batches_cover_the_split_and_feed_a_model(tmp_path: Path) -> None:
    import lime_datasets
    from lime_datasets.core.vocab import PAD_ID

    recipe = load("tf_data")
    params = {"num_train": 20, "num_validation": 10, "num_test": 37}
    expected = lime_datasets.generate("mixed", "test", **params).to_pylist()
    model = recipe.encoder(lime_datasets.CONFIGS["mixed"].vocab_size, width=8)
    ids = []
    for batch in recipe.padded_batches("mixed", "test", 8, str(tmp_path), **params):
        batch_ids = batch["id"].numpy().tolist()
        ids += batch_ids
        for field in ("source_ids", "target_ids"):
            padded = batch[field].numpy().tolist()
            width = max(len(expected[i][field]) for i in batch_ids)
            for row, i in zip(padded, batch_ids, strict=True):
                length = len(expected[i][field])
                assert len(row) == width
                assert row[:length] == expected[i][field]
                assert row[length:] == [PAD_ID] * (width - length)
        source_width = batch["source_ids"].shape[1]
        assert tuple(model(batch["source_ids"]).shape) == (len(batch_ids), source_width, 8)
    assert len(ids) == params["num_test"] and sorted(ids) == list(range(params["num_test"]))


DATA_SOURCE_PARAMS = {"num_train": 20, "num_validation": 10, "num_test": 45}


@pytest.fixture(scope="module")
def array_record_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``mixed`` at small sizes prepared as array_record (shared by the data_source recipes)."""
    import tensorflow_datasets as tfds

    import lime_datasets

    data_dir = str(tmp_path_factory.mktemp("array_record"))
    config = lime_datasets.tfds_config("mixed", **DATA_SOURCE_PARAMS)
    tfds.data_source("lime", split="test", data_dir=data_dir,
                     builder_kwargs={"file_format": "array_record", "config": config})
    return data_dir


@pytest.mark.slow
def test_torch_data_source_sampler_covers_the_split_in_padded_batches(
    array_record_dir: str,
) -> None:
    pytest.importorskip("torch")
    import lime_datasets
    from lime_datasets.core.vocab import PAD_ID

    recipe = load("torch_data_source")
    source = recipe.data_source("mixed", "test", array_record_dir, **DATA_SOURCE_PARAMS)
    size = DATA_SOURCE_PARAMS["num_test"]
    assert len(source) == size
    expected = lime_datasets.generate("mixed", "test", **DATA_SOURCE_PARAMS).to_pylist()
    epochs = []
    for seed in (0, 1):
        ids = []
        for batch in recipe.loader(source, batch_size=8, workers=2, seed=seed):
            batch_ids = batch["id"].tolist()
            ids += batch_ids
            for field in ("source_ids", "target_ids"):
                width = max(len(expected[i][field]) for i in batch_ids)
                assert tuple(batch[field].shape) == (len(batch_ids), width)
                for row, i in zip(batch[field].tolist(), batch_ids, strict=True):
                    length = len(expected[i][field])
                    assert row == expected[i][field] + [PAD_ID] * (width - length)
            assert batch["source"] == [expected[i]["source"] for i in batch_ids]
        assert sorted(ids) == list(range(size))  # every example exactly once per epoch
        epochs.append(ids)
    assert epochs[0] != epochs[1]  # the sampler shuffles, by its seed


def test_grain_pipeline_shuffles_and_pads_the_data_source(array_record_dir: str) -> None:
    pytest.importorskip("jax")
    pytest.importorskip("grain")
    import lime_datasets
    from lime_datasets.core.vocab import PAD_ID

    recipe = load("grain_data_source")
    source = recipe.data_source("mixed", "test", array_record_dir, **DATA_SOURCE_PARAMS)
    expected = lime_datasets.generate("mixed", "test", **DATA_SOURCE_PARAMS).to_pylist()
    size = DATA_SOURCE_PARAMS["num_test"]
    epochs = []
    for seed in (0, 1):
        ids = []
        for arrays in recipe.pipeline(source, batch_size=8, seed=seed):
            batch_ids = arrays["id"].tolist()
            ids += batch_ids
            for field in ("source_ids", "target_ids"):
                width = max(len(expected[i][field]) for i in batch_ids)
                assert arrays[field].shape == (len(batch_ids), width)
                for row, i in zip(arrays[field].tolist(), batch_ids, strict=True):
                    assert row == expected[i][field] + [PAD_ID] * (width - len(expected[i][field]))
        assert sorted(ids) == list(range(size))
        epochs.append(ids)
    assert epochs[0] != epochs[1]
