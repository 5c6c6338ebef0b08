"""lime_datasets.reasoning_gym with the real reasoning-gym: registration, determinism, our rows,
and score_answer backed by the checker."""

from __future__ import annotations

import dataclasses
import re

import pytest
from llm_cases import ALTERNATIVE_TASKS, corrupted, hostile_completions, rows_with_other_answers

import lime_datasets
from lime_datasets import CONFIGS, llm
from lime_datasets.llm import question

reasoning_gym = pytest.importorskip("reasoning_gym")
lime_gym = pytest.importorskip("lime_datasets.reasoning_gym")
extract_answer = reasoning_gym.utils.extract_answer


@pytest.mark.parametrize("name", CONFIGS)
def test_every_config_is_registered_with_a_config_dataclass(name: str) -> None:
    from reasoning_gym.factory import DATASETS

    dataset_class, config_class = DATASETS[f"lime_{name}"]
    assert dataset_class is lime_gym.LimeDataset
    fields = {field.name for field in dataclasses.fields(config_class)}
    assert {"seed", "size", "split", "vocab_size", "task_weights", "min_steps", "max_steps",
            "template"} <= fields
    defaults = config_class()
    assert defaults.vocab_size == CONFIGS[name].vocab_size
    assert defaults.task_weights == dict(CONFIGS[name].task_weights)


@pytest.mark.parametrize("name", CONFIGS)
def test_entries_are_our_rows_and_their_answers_score_one(name: str) -> None:
    data = reasoning_gym.create_dataset(f"lime_{name}", seed=11, size=40, split="validation")
    assert len(data) == 40
    expected = lime_datasets.generate(name, "validation", 0, 40, seed=11).to_pylist()
    for index, (entry, row) in enumerate(zip(data, expected, strict=True)):
        assert entry["question"] == question(row)
        assert entry["answer"] == row["target"]
        metadata = entry["metadata"]
        assert (metadata["config"], metadata["split"], metadata["index"]) == (
            name, "validation", index)
        assert metadata["source_dataset"] == f"lime_{name}"
        assert metadata["task"] == row["task"] and metadata["source"] == row["source"]
        assert metadata["data_version"] == lime_datasets.DATA_VERSION
        assert metadata["parameters"]["seed"] == 11
        assert data.score_answer(entry["answer"], entry) == 1.0
        completion = f"<think>...</think>\n<answer>{entry['answer']}</answer>"
        assert data.score_answer(extract_answer(completion), entry) == 1.0


def test_same_seed_same_entries_and_other_seeds_other_entries() -> None:
    def entries(seed: int | None, size: int = 30) -> list[dict]:
        return list(reasoning_gym.create_dataset("lime_mixed", seed=seed, size=size))

    assert entries(5) == entries(5)
    assert entries(5)[:10] == entries(5, size=10)  # the first rows do not depend on the size
    assert entries(None) == entries(CONFIGS["mixed"].seed)  # None: the registry's seed
    first, second = entries(5), entries(6)
    assert all(a["answer"] != b["answer"] for a, b in zip(first, second, strict=True))


def test_entries_past_a_chunk_and_out_of_range() -> None:
    size = lime_gym.ROWS_PER_CHUNK + 3
    data = reasoning_gym.create_dataset("lime_rewrite", seed=2, size=size)
    row = lime_datasets.example("rewrite", "train", size - 1, seed=2)
    assert data[size - 1]["answer"] == row["target"]
    assert data[0]["answer"] == lime_datasets.example("rewrite", "train", 0, seed=2)["target"]
    for index in (size, -1, "0", True):
        with pytest.raises(IndexError, match=r"index must be an integer in \[0, 1027\)"):
            data[index]


@pytest.mark.parametrize("task", ALTERNATIVE_TASKS)
def test_other_valid_answers_score_one(task: str) -> None:
    data = reasoning_gym.create_dataset(f"lime_{task}", size=400, split="test")
    for row, others in rows_with_other_answers(task):
        entry = data[row["id"]]
        assert entry["answer"] == row["target"]
        for answer in others:
            assert data.score_answer(answer, entry) == 1.0


@pytest.mark.parametrize("name", CONFIGS)
def test_corrupted_and_hostile_answers_score_zero(name: str) -> None:
    data = reasoning_gym.create_dataset(f"lime_{name}", size=20)
    for entry in data:
        row = {"source": entry["metadata"]["source"], "target": entry["answer"]}
        for answer in corrupted(row):
            assert data.score_answer(answer, entry) == 0.0
    entry = data[0]
    assert data.score_answer(None, entry) == 0.0
    for label, completion in hostile_completions(entry["answer"]).items():
        if label in ("no tags", "upper-case tags", "markup around the answer"):
            continue  # not hostile as an extracted answer: see the test below
        # reasoning-gym's extract_answer takes minutes on a megabyte of opening tags (its regex
        # is quadratic there); ours is linear.
        assert data.score_answer(llm.extract_answer(completion), entry) == 0.0, label
        assert data.score_answer(completion, entry) == 0.0, label


def test_score_answer_takes_the_extracted_answer_whitespace_aside() -> None:
    data = reasoning_gym.create_dataset("lime_deduct", size=1)
    entry = data[0]
    assert data.score_answer("  " + entry["answer"].replace(" ", "\n") + " ", entry) == 1.0
    assert data.score_answer(f"`{entry['answer']}`", entry) == 0.0


def test_score_function_and_composite_dataset_of_reasoning_gym() -> None:
    score = reasoning_gym.get_score_answer_fn("lime_abduct")
    data = reasoning_gym.create_dataset("lime_abduct", size=3)
    assert [score(entry["answer"], entry) for entry in data] == [1.0, 1.0, 1.0]
    from reasoning_gym.composite import CompositeConfig, CompositeDataset, DatasetSpec

    composite = CompositeDataset(CompositeConfig(size=12, seed=3, datasets=[
        DatasetSpec("lime_deduct", 1.0, {}), DatasetSpec("lime_rewrite", 1.0, {"split": "test"}),
    ]))
    names = set()
    for entry in composite:
        names.add(entry["metadata"]["source_dataset"])
        assert composite.score_answer(entry["answer"], entry) == 1.0
    assert names == {"lime_deduct", "lime_rewrite"}


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"split": "dev"}, "split must be one of train, validation, test; got 'dev'"),
        ({"size": 0}, "size must be a positive integer; got 0"),
        ({"size": 2.5}, "size must be a positive integer; got 2.5"),
        ({"vocab_size": 10}, "vocab_size must be an integer in [68, "),
        ({"seed": -1}, "seed must be an integer in [0, "),
        ({"max_steps": 0}, "max_steps must be an integer in [1, 100]"),
        ({"template": "fancy"}, "template must be one of detailed, concise, think"),
        ({"template": ["concise"]}, "template must be one of detailed, concise, think"),
        ({"size": 1001, "split": "test", "vocab_size": 5}, "vocab_size"),
    ],
)
def test_bad_parameters_raise_value_error(parameters: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        reasoning_gym.create_dataset("lime_rewrite_multistep", **parameters)
