"""Property tests over the parameter space of every config (hypothesis)."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lime_datasets
from lime_datasets.core.config import PARAMETERS
from lime_datasets.core.records import SCHEMA
from lime_datasets.core.tasks import TASKS

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

weights = st.dictionaries(
    st.sampled_from(sorted(TASKS)),
    st.floats(min_value=0, max_value=100, allow_nan=False),
    min_size=1,
    max_size=4,
).filter(lambda w: sum(w.values()) > 0)


@st.composite
def valid_parameters(draw) -> tuple[str, dict]:
    name = draw(st.sampled_from(sorted(lime_datasets.CONFIGS)))
    overrides = {
        "seed": draw(st.integers(0, 2**63 - 1)),
        "vocab_size": draw(st.one_of(st.integers(68, 120), st.integers(68, 20_000))),
        "num_train": draw(st.integers(0, 3000)),
        "num_validation": draw(st.integers(0, 50)),
        "num_test": draw(st.integers(0, 50)),
    }
    low = draw(st.integers(1, 6))
    overrides["min_steps"], overrides["max_steps"] = low, draw(st.integers(low, 8))
    if draw(st.booleans()):
        overrides["task_weights"] = draw(weights)
    return name, overrides


@SETTINGS
@given(valid_parameters(), st.data())
def test_valid_parameters_give_valid_examples(parameters: tuple[str, dict], data) -> None:
    name, overrides = parameters
    config = lime_datasets.CONFIGS[name].replace(**overrides)
    split = data.draw(st.sampled_from(lime_datasets.SPLITS))
    size = config.split_size(split)
    start = data.draw(st.integers(0, size))
    stop = data.draw(st.integers(start, min(size, start + 40)))
    table = lime_datasets.generate(name, split, start, stop, **overrides)
    assert table.schema == SCHEMA
    assert table.num_rows == stop - start
    assert table.column("id").to_pylist() == list(range(start, stop))
    for row in table.to_pylist():
        assert row["task"] in config.tasks
        assert lime_datasets.check(row["task"], row["source"], row["target"])
        symbols = [int(t) for t in row["source"].split() if t.isdigit()]
        assert all(0 <= s < config.vocab_size for s in symbols)
    assert isinstance(table.column("source_ids").type, pa.ListType)


bad_values = st.one_of(
    st.tuples(st.just("vocab_size"), st.one_of(st.integers(max_value=67), st.floats(), st.text())),
    st.tuples(
        st.sampled_from(["num_train", "num_validation", "num_test", "seed"]),
        st.one_of(st.integers(max_value=-1), st.floats(), st.booleans(), st.none()),
    ),
    st.tuples(
        st.sampled_from(["min_steps", "max_steps"]),
        st.one_of(st.integers(max_value=0), st.floats(), st.text()),
    ),
    st.tuples(
        st.just("task_weights"),
        st.one_of(
            st.dictionaries(st.text(min_size=1), st.floats(0, 1), min_size=1).filter(
                lambda w: not set(w) <= set(TASKS)
            ),
            st.dictionaries(st.sampled_from(sorted(TASKS)), st.floats(max_value=-1e-9), min_size=1),
            st.dictionaries(st.sampled_from(sorted(TASKS)), st.just(0.0), min_size=1),
            st.dictionaries(st.sampled_from(sorted(TASKS)), st.just(math.inf), min_size=1),
        ),
    ),
    st.tuples(st.text(min_size=1).filter(lambda k: k not in PARAMETERS), st.integers()),
)


@SETTINGS
@given(st.sampled_from(sorted(lime_datasets.CONFIGS)), bad_values)
def test_invalid_parameters_raise_value_error_naming_them(name: str, bad: tuple) -> None:
    key, value = bad
    with pytest.raises(ValueError) as error:
        lime_datasets.generate(name, "test", 0, 1, **{key: value})
    message = str(error.value)
    assert key in message or "task_weights" in message
