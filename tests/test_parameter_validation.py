"""Every parameter is validated by type and value before any work, alike in the API, HF and TFDS.

numpy integer scalars are integers everywhere (and give the same data as ``int``); bools are never
integers; a config name, split or task that is not a string is a ``ValueError``, not a
``TypeError``; weights are finite with a finite, positive total. ``evaluate --json`` checks its
output path before reading or scoring anything.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import forbid

import lime_datasets
from lime_datasets import cli, evaluate
from lime_datasets.analysis import count_answers
from lime_datasets.configs import get_config

INT_PARAMETERS = {
    "seed": 3,
    "vocab_size": 500,
    "num_train": 20,
    "num_validation": 4,
    "num_test": 6,
    "min_steps": 2,
    "max_steps": 4,
}
NUMPY_INTS = (np.int64, np.int32, np.uint16, np.uint64)
NOT_STRINGS = (["deduct"], {"deduct": 1}, ("deduct",), None, 3, b"deduct", np.array(["deduct"]))


def adapters(name, **overrides):
    """Every public way to make a config from a name and parameters (TFDS needs no framework)."""
    yield lambda: get_config(name, **overrides)
    yield lambda: lime_datasets.tfds_config(name, **overrides)
    yield lambda: lime_datasets.generate(name, "test", 0, 1, **overrides)
    yield lambda: lime_datasets.fingerprint(name, "test", **overrides)
    yield lambda: lime_datasets.example(name, "test", 0, **overrides)


# --- numpy integers --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", NUMPY_INTS)
def test_numpy_integers_are_integers_everywhere(kind) -> None:
    plain = get_config("rewrite_multistep", **INT_PARAMETERS)
    numpy = get_config("rewrite_multistep", **{k: kind(v) for k, v in INT_PARAMETERS.items()})
    assert numpy == plain
    assert all(type(value) is int for key, value in numpy.parameters().items()
               if key != "task_weights")
    assert lime_datasets.tfds_config("deduct", num_test=kind(5)).name == (
        lime_datasets.tfds_config("deduct", num_test=5).name
    )
    table = lime_datasets.generate("deduct", "test", kind(2), kind(5))
    assert table.equals(lime_datasets.generate("deduct", "test", 2, 5))
    assert lime_datasets.example("deduct", "test", kind(3)) == (
        lime_datasets.example("deduct", "test", 3)
    )
    source = lime_datasets.example("rewrite", "test", 0)["source"]
    assert count_answers("rewrite", source, kind(2)) == count_answers("rewrite", source, 2)
    with pytest.raises(ValueError, match="max_steps"):
        count_answers("rewrite", source, 2, max_steps=True)
    assert count_answers("rewrite", source, 2, max_steps=kind(50)) == count_answers(
        "rewrite", source, 2, max_steps=50
    )


def test_numpy_weights_are_numbers() -> None:
    weights = {"deduct": np.float32(1.5), "abduct": np.int64(3), "induct": np.float64(0.5)}
    config = get_config("mixed", task_weights=weights)
    assert dict(config.task_weights) == {"deduct": 1.5, "abduct": 3.0, "induct": 0.5}
    assert all(type(weight) is float for weight in config.task_weights.values())


# --- bools are not integers ------------------------------------------------------------------


@pytest.mark.parametrize("parameter", sorted(INT_PARAMETERS))
@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_bools_are_refused_for_integers(no_generation, parameter: str, value) -> None:
    for call in adapters("deduct", **{parameter: value}):
        with pytest.raises(ValueError, match=parameter):
            call()


def test_bools_are_refused_for_indices_and_limits(no_generation) -> None:
    for value in (True, np.bool_(False)):
        with pytest.raises(ValueError, match="index"):
            lime_datasets.example("deduct", "test", value)
        with pytest.raises(ValueError, match="start"):
            lime_datasets.generate("deduct", "test", value, 3)
        with pytest.raises(ValueError, match="limit"):
            count_answers("rewrite", "<UPPER> <LOWER> <MATH> <space>", value)
        with pytest.raises(ValueError, match="deduct"):
            get_config("mixed", task_weights={"deduct": value})


# --- names that are not strings ------------------------------------------------------------------


@pytest.mark.parametrize("name", NOT_STRINGS, ids=repr)
def test_a_config_name_that_is_not_a_string_is_a_value_error(no_generation, name) -> None:
    for call in adapters(name):
        with pytest.raises(ValueError, match="config must be one of"):
            call()


@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
def test_a_split_or_task_that_is_not_a_string_is_a_value_error(no_generation, value) -> None:
    with pytest.raises(ValueError, match="split"):
        lime_datasets.generate("deduct", value, 0, 1)
    with pytest.raises(ValueError, match="split"):
        lime_datasets.example("deduct", value, 0)
    with pytest.raises(ValueError, match="task"):
        lime_datasets.check(value, "<UPPER> 1 <LOWER> 2 <MATH> 3 <space> 1", "1")
    with pytest.raises(ValueError, match="task"):
        count_answers(value, "<UPPER> 1 <LOWER> 2 <MATH> 3 <space> 1", 1)


@pytest.mark.parametrize("key", [("deduct",), 1, None, b"deduct", frozenset({"deduct"})], ids=repr)
def test_a_weight_key_that_is_not_a_task_name_is_a_value_error(no_generation, key) -> None:
    for call in adapters("mixed", task_weights={key: 1.0}):
        with pytest.raises(ValueError, match="task_weights"):
            call()


def test_a_config_built_by_hand_needs_string_names() -> None:
    for field in ("name", "description"):
        fields = {"name": "custom", "description": "d", "task_weights": {"deduct": 1}}
        with pytest.raises(ValueError, match=field):
            lime_datasets.LimeConfig(**{**fields, field: 7})


# --- weights ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights",
    [
        {"deduct": 1e308, "abduct": 1e308},  # each finite, the total overflows
        {"deduct": 1.7e308, "abduct": 1.7e308, "induct": 1.7e308},
        "deduct=1e308,abduct=1e308",
        {"deduct": 10**400},  # an int too large for a float
        {"deduct": math.inf},
        {"deduct": -math.inf, "abduct": 1},
        {"deduct": np.float64("nan")},
        {"deduct": np.float32("inf")},
        {"deduct": "1"},
        {"deduct": None},
        {"deduct": 1 + 0j},
        {"deduct": 0.0, "abduct": -0.0},
    ],
    ids=lambda weights: repr(weights)[:40],
)
def test_weights_need_finite_values_and_a_finite_positive_total(no_generation, weights) -> None:
    for call in adapters("mixed", task_weights=weights):
        with pytest.raises(ValueError, match="task_weights"):
            call()


def test_weights_near_the_float_limit_are_fine() -> None:
    config = get_config("mixed", task_weights={"deduct": 1e308, "abduct": 5e307})
    assert config.tasks == ("deduct", "abduct")
    assert lime_datasets.generate("mixed", "test", 0, 30, task_weights=dict(config.task_weights))


# --- evaluate --json: its path is checked before any work ---------------------------------------


@pytest.fixture
def no_scoring(monkeypatch):
    """Fail the test if predictions are read or scored."""
    forbid(monkeypatch, evaluate, ("read_predictions", "read_prediction_file", "score"),
           "predictions read or scored")


def run_evaluate(tmp_path, out, *extra: str) -> int:
    predictions = tmp_path / "predictions.txt"
    predictions.write_text("x\n" * 3)
    return cli.main(["evaluate", "deduct", "--split", "test", "--num-test", "3",
                     "--predictions", str(predictions), "--json", str(out), *extra])


def test_report_below_a_file_fails_before_scoring(tmp_path, no_scoring, capsys) -> None:
    (tmp_path / "file").write_text("")
    for out in (tmp_path / "file" / "s.json", tmp_path / "file" / "deeper" / "s.json"):
        assert run_evaluate(tmp_path, out) == 2
        error = capsys.readouterr().err
        assert "is not a folder" in error and str(tmp_path / "file") in error


def test_report_path_refusals_before_scoring(tmp_path, no_scoring, capsys) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "exists.json").write_text("{}")
    (tmp_path / "link").symlink_to(tmp_path / "missing")
    cases = [
        (tmp_path / "folder", "is a folder"),
        (tmp_path / "exists.json", "--overwrite"),
        (tmp_path / "link", "not a regular file"),
        (tmp_path / "link" / "s.json", "broken link"),
    ]
    for out, words in cases:
        assert run_evaluate(tmp_path, out) == 2
        assert words in capsys.readouterr().err
    assert (tmp_path / "exists.json").read_text() == "{}"


def test_report_in_a_folder_yet_to_make_is_written(tmp_path) -> None:
    out = tmp_path / "new" / "deeper" / "s.json"
    assert evaluate.check_report_path(out) == out
    assert not (tmp_path / "new").exists()  # checking creates nothing
    predictions = tmp_path / "predictions.txt"
    targets = lime_datasets.generate("deduct", "test", 0, 3, num_test=3)["target"].to_pylist()
    predictions.write_text("".join(t + "\n" for t in targets))
    assert cli.main(["evaluate", "deduct", "--split", "test", "--num-test", "3",
                     "--predictions", str(predictions), "--json", str(out)]) == 0
    assert '"valid_answer": 3' in out.read_text()


# --- Hugging Face: load_hf's own arguments ------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"split": "dev"}, "split"),
        ({"split": "train[:10]+dev"}, "split"),
        ({"split": ["train", 3]}, "split"),
        ({"split": True}, "split"),
        ({"num_proc": 0}, "num_proc"),
        ({"num_proc": "2"}, "num_proc"),
        ({"num_proc": True}, "num_proc"),
        ({"num_proc": 2.0}, "num_proc"),
    ],
    ids=repr,
)
def test_load_hf_arguments_are_checked_before_building(tmp_path, arguments, named) -> None:
    hf = pytest.importorskip("lime_datasets.hf")
    with pytest.raises(ValueError, match=named):
        hf.load_hf("deduct", cache_dir=str(tmp_path / "cache"), num_train=4, num_validation=4,
                   num_test=4, **arguments)
    assert not (tmp_path / "cache").exists()  # nothing built


def test_load_hf_reads_split_slices_and_numpy_num_proc(tmp_path) -> None:
    hf = pytest.importorskip("lime_datasets.hf")
    sizes = {"num_train": 4, "num_validation": 4, "num_test": 4}
    sliced = hf.load_hf("deduct", split="train[:2]+test", cache_dir=str(tmp_path), num_proc=None,
                        **sizes)
    assert sliced.num_rows == 6
    built = hf.load_hf("deduct", split="test", cache_dir=str(tmp_path / "b"),
                       num_proc=np.int64(1), **sizes)
    assert built["target"] == lime_datasets.generate("deduct", "test", 0, 4, num_test=4)[
        "target"
    ].to_pylist()
