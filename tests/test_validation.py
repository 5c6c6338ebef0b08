"""Bad input raises ValueError naming the parameter and what is allowed, before any work."""

from __future__ import annotations

import math

import pytest

import lime_datasets

BAD_OVERRIDES = [
    ({"vocab_size": 67}, "vocab_size"),
    ({"vocab_size": 1000.0}, "vocab_size"),
    ({"vocab_size": "1000"}, "vocab_size"),
    ({"vocab_size": True}, "vocab_size"),
    ({"vocab_size": 10**7}, "vocab_size"),
    ({"num_train": -1}, "num_train"),
    ({"num_train": 2.5}, "num_train"),
    ({"num_validation": None}, "num_validation"),
    ({"num_test": -5}, "num_test"),
    ({"seed": -1}, "seed"),
    ({"seed": 1.0}, "seed"),
    ({"min_steps": 0}, "min_steps"),
    ({"min_steps": 1.5}, "min_steps"),
    ({"min_steps": 4, "max_steps": 3}, "max_steps"),
    ({"task_weights": {"deduct": -1}}, "task_weights"),
    ({"task_weights": {"deduct": 0, "abduct": 0}}, "task_weights"),
    ({"task_weights": {"deduct": math.nan}}, "task_weights"),
    ({"task_weights": {"no_such_task": 1}}, "no_such_task"),
    ({"task_weights": {}}, "task_weights"),
    ({"task_weights": "deduct=x"}, "task_weights"),
    ({"no_such_parameter": 1}, "no_such_parameter"),
]


@pytest.mark.parametrize(("overrides", "named"), BAD_OVERRIDES)
def test_bad_overrides(no_generation, overrides: dict, named: str) -> None:
    for call in (
        lambda: lime_datasets.generate("deduct", "train", 0, 10, **overrides),
        lambda: lime_datasets.fingerprint("deduct", "test", **overrides),
        lambda: lime_datasets.example("deduct", "test", 0, **overrides),
    ):
        with pytest.raises(ValueError, match=named):
            call()


def test_error_says_what_is_allowed() -> None:
    with pytest.raises(ValueError) as error:
        lime_datasets.generate("deduct", "train", 0, 1, vocab_size=50)
    assert "68" in str(error.value) and "50" in str(error.value)
    with pytest.raises(ValueError) as error:
        lime_datasets.generate("nope", "train")
    assert "deduct" in str(error.value) and "nope" in str(error.value)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("no_such_config", "train", 0, 1), "config"),
        (("deduct", "dev", 0, 1), "split"),
        (("deduct", "Train", 0, 1), "split"),
        (("deduct", "test", 5, 4), "stop"),
        (("deduct", "test", -1, 4), "start"),
        (("deduct", "test", 0, 1001), "stop"),
        (("deduct", "test", 1.0, 4), "start"),
    ],
)
def test_bad_arguments(no_generation, args: tuple, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        lime_datasets.generate(*args)


def test_bad_example_index(no_generation) -> None:
    for index in (-1, 1000, 2.0, True):
        with pytest.raises(ValueError, match="index"):
            lime_datasets.example("deduct", "test", index)


def test_weights_are_normalised_and_order_free() -> None:
    a = lime_datasets.CONFIGS["mixed"].replace(task_weights={"induct": 2, "deduct": 2, "abduct": 2})
    b = lime_datasets.CONFIGS["mixed"].replace(
        task_weights="abduct=1,deduct=1,induct=1,induct_v2=0"
    )
    assert a.tasks == b.tasks == ("deduct", "abduct", "induct")
    assert lime_datasets.generate("mixed", "test", 0, 50, task_weights=dict(a.task_weights)).equals(
        lime_datasets.generate("mixed", "test", 0, 50)
    )


def test_configs_are_immutable() -> None:
    with pytest.raises(TypeError):
        lime_datasets.CONFIGS["new"] = lime_datasets.CONFIGS["deduct"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        lime_datasets.CONFIGS["deduct"].seed = 3  # type: ignore[misc]
