"""The config of a LIME dataset: which tasks, in what proportions, and every generation parameter.

A ``LimeConfig`` is frozen and validated on construction; ``replace`` makes a validated copy with
overrides. Every bad value raises ``ValueError`` naming the parameter, the value and what is
allowed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .suggest import did_you_mean
from .symbols import SYMBOLS_PER_EXAMPLE
from .tasks import TASKS
from .version import DATA_VERSION

SPLITS = ("train", "validation", "test")
MAX_VOCAB_SIZE = 1_000_000
MAX_STEPS_LIMIT = 100
# Parameters a user may override; ``name`` and ``description`` belong to the registry.
PARAMETERS = (
    "seed",
    "vocab_size",
    "num_train",
    "num_validation",
    "num_test",
    "task_weights",
    "min_steps",
    "max_steps",
)
# Inclusive bounds of each integer parameter: what validation allows and the cards print.
INTEGER_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType({
    "seed": (0, 2**63 - 1),
    "vocab_size": (SYMBOLS_PER_EXAMPLE, MAX_VOCAB_SIZE),
    "num_train": (0, 2**40),
    "num_validation": (0, 2**40),
    "num_test": (0, 2**40),
    "min_steps": (1, MAX_STEPS_LIMIT),
    "max_steps": (1, MAX_STEPS_LIMIT),
})
_WHY = {"vocab_size": f" (each example draws {SYMBOLS_PER_EXAMPLE} distinct symbols)"}


@dataclasses.dataclass(frozen=True, kw_only=True)
class LimeConfig:
    """A named LIME dataset config. Construct through ``lime_datasets.CONFIGS[name].replace``."""

    name: str
    description: str
    task_weights: Mapping[str, float]
    seed: int = 0
    vocab_size: int = 1000
    num_train: int = 5_000_000
    num_validation: int = 1_000
    num_test: int = 1_000
    min_steps: int = 1
    max_steps: int = 5

    def __post_init__(self) -> None:
        for name in ("name", "description"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string; got {getattr(self, name)!r}")
        for name, (low, high) in INTEGER_RANGES.items():
            _check_int(name, getattr(self, name), low, high, _WHY.get(name, ""))
        if self.max_steps < self.min_steps:
            raise ValueError(
                f"max_steps must be >= min_steps ({self.min_steps}); got {self.max_steps}"
            )
        # Integers of any type (numpy's, from a config file) are stored as int: adapters hash them.
        for name in INTEGER_RANGES:
            object.__setattr__(self, name, int(getattr(self, name)))
        object.__setattr__(self, "task_weights", _normalise_weights(self.task_weights))

    def replace(self, **overrides: Any) -> LimeConfig:
        """A validated copy with some parameters changed."""
        unknown = sorted(set(overrides) - set(PARAMETERS))
        if unknown:
            raise ValueError(
                f"unknown parameter {unknown[0]!r} for config {self.name!r}"
                f"{did_you_mean(unknown[0], PARAMETERS)}; allowed: {', '.join(PARAMETERS)}"
            )
        return dataclasses.replace(self, **overrides)

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks with a positive weight, in registry order."""
        return tuple(self.task_weights)

    def split_size(self, split: str) -> int:
        check_split(split)
        return getattr(self, f"num_{split}")

    def parameters(self) -> dict[str, Any]:
        """Every overridable parameter and its value (``task_weights`` as a plain dict)."""
        values = {name: getattr(self, name) for name in PARAMETERS}
        values["task_weights"] = dict(self.task_weights)
        return values

    def digest(self) -> str:
        """16 hex digits of the sha256 of every parameter and the data version (not the name).

        Equal for configs that generate the same bytes under the same name; adapters put it beside
        the name wherever a config needs a key of its own (the HF cache folder, a custom TFDS
        config's name).
        """
        key = {"data_version": DATA_VERSION, "parameters": self.parameters()}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def check_split(split: str) -> None:
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}"
                         f"{did_you_mean(split, SPLITS)}")


def _check_int(name: str, value: Any, low: int, high: int, why: str = "") -> None:
    """An integer of any type (numpy's too; never a bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an integer in [{low}, {high}]{why}; got {value!r} "
            f"({type(value).__name__})"
        )
    if not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}]{why}; got {value!r}")


class _FrozenWeights(Mapping):
    """An immutable, hashable task -> weight mapping in registry order."""

    __slots__ = ("_items",)

    def __init__(self, items: tuple[tuple[str, float], ...]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> float:
        for task, weight in self._items:
            if task == key:
                return weight
        raise KeyError(key)

    def __iter__(self):
        return (task for task, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return repr(dict(self._items))


def _normalise_weights(weights: Any) -> _FrozenWeights:
    allowed = f"a mapping of task name to a non-negative weight; tasks: {', '.join(TASKS)}"
    if isinstance(weights, str):
        weights = parse_weights(weights)
    if not isinstance(weights, Mapping) or not weights:
        raise ValueError(f"task_weights must be {allowed}; got {weights!r}")
    values: dict[str, float] = {}
    for task, weight in weights.items():
        if not isinstance(task, str) or task not in TASKS:
            raise ValueError(f"task_weights names unknown task {task!r}{did_you_mean(task, TASKS)}"
                             f"; tasks: {', '.join(TASKS)}")
        values[task] = _weight(task, weight)
    items = tuple((task, values[task]) for task in TASKS if values.get(task, 0) > 0)
    total = sum(weight for _, weight in items)  # summed as generation sums them
    if not math.isfinite(total) or total <= 0:
        raise ValueError(
            f"task_weights must have a finite, positive total; got {dict(weights)!r} "
            f"(total {total!r})"
        )
    return _FrozenWeights(items)


def _weight(task: str, weight: Any) -> float:
    """One weight as a float: a real number (numpy's too, not a bool), finite and >= 0."""
    problem = f"task_weights[{task!r}] must be a finite non-negative number; got {weight!r}"
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
        raise ValueError(f"{problem} ({type(weight).__name__})")
    try:
        value = float(weight)
    except (OverflowError, ValueError, TypeError):
        raise ValueError(problem) from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(problem)
    return value


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``"deduct=1,abduct=2"`` (a bare ``"deduct"`` means weight 1)."""
    weights: dict[str, float] = {}
    for item in text.split(","):
        task, _, weight = item.strip().partition("=")
        try:
            weights[task.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(
                f"task_weights entry {item!r} must look like task=weight, e.g. deduct=1"
            ) from None
    return weights
