"""The LIME configs as reasoning-gym datasets, registered by ``import lime_datasets.reasoning_gym``.

One dataset per registry config, named ``lime_<config>`` (``lime_deduct``, ``lime_mixed``, ...),
registered with reasoning-gym's ``register_dataset``::

    import reasoning_gym
    import lime_datasets.reasoning_gym  # noqa: F401  (registers the datasets)

    data = reasoning_gym.create_dataset("lime_deduct", seed=1, size=100)
    entry = data[0]  # {"question": ..., "answer": ..., "metadata": {...}}
    data.score_answer(answer, entry)  # 1.0 for any valid answer

Entry ``i`` is example ``i`` of the chosen split of the config (``lime_datasets.example``), with
reasoning-gym's ``seed`` as our seed (``None``: the registry's) and its ``size`` as the number of
entries. ``question`` is ``lime_datasets.llm.question``; ``answer`` is the example's target;
``score_answer`` takes the extracted answer (as reasoning-gym's trainers pass it, see
``reasoning_gym.utils.extract_answer``) and returns 1.0 when the checker accepts it.
Needs ``reasoning-gym`` (``pip install 'lime-datasets[rl]'``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from reasoning_gym import register_dataset
from reasoning_gym.dataset import ProceduralDataset

from .api import check, generate
from .configs import CONFIGS, get_config
from .core.config import PARAMETERS, SPLITS, LimeConfig
from .core.version import DATA_VERSION
from .llm import DEFAULT_TEMPLATE, TEMPLATES, question

PREFIX = "lime_"
DEFAULT_SIZE = 500  # reasoning-gym's own default size
ROWS_PER_CHUNK = 1024  # entries are generated, and kept, this many at a time
# Our parameters that a config dataclass carries besides split, template, seed and size.
_CARRIED = tuple(p for p in PARAMETERS if p != "seed" and not p.startswith("num_"))


class LimeGymConfig:
    """Base of the config dataclasses: ``validate`` and the registry config they describe."""

    lime_name: str  # the registry config, set on each dataclass

    def lime_config(self) -> LimeConfig:
        """The validated registry config (``ValueError`` naming a bad parameter)."""
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {self.split!r}")
        if not isinstance(self.template, str) or self.template not in TEMPLATES:
            raise ValueError(
                f"template must be one of {', '.join(TEMPLATES)}; got {self.template!r}"
            )
        size = self.size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive integer; got {size!r}")
        overrides = {name: getattr(self, name) for name in _CARRIED}
        if self.seed is not None:
            overrides["seed"] = self.seed
        overrides[f"num_{self.split}"] = size  # the first rows of a split do not depend on it
        return get_config(self.lime_name, **overrides)

    def validate(self) -> None:
        self.lime_config()


def config_class(name: str) -> type:
    """The config dataclass of ``lime_<name>``: our parameters with the registry's defaults."""
    config = CONFIGS[name]
    fields: list[tuple[str, Any, Any]] = [("split", str, dataclasses.field(default="train"))]
    for parameter in _CARRIED:
        default = getattr(config, parameter)
        if isinstance(default, Mapping):
            value = dict(default)
            fields.append((parameter, dict, dataclasses.field(default_factory=value.copy)))
        else:
            fields.append((parameter, type(default), dataclasses.field(default=default)))
    fields += [
        ("template", str, dataclasses.field(default=DEFAULT_TEMPLATE)),
        ("seed", int | None, dataclasses.field(default=None)),
        ("size", int, dataclasses.field(default=DEFAULT_SIZE)),
    ]
    camel = "".join(part.capitalize() for part in name.split("_"))
    cls = dataclasses.make_dataclass(
        f"Lime{camel}Config", fields, bases=(LimeGymConfig,), namespace={"lime_name": name}
    )
    cls.__module__ = __name__
    return cls


class LimeDataset(ProceduralDataset):
    """Entries of one registry config; entry ``i`` is example ``i`` of the split."""

    def __init__(self, config: LimeGymConfig) -> None:
        self.lime = config.lime_config()
        super().__init__(config=config, seed=self.lime.seed, size=config.size)
        self._chunk: tuple[int, pa.Table] | None = None
        # What the rows depend on: not the split sizes, of which only the first rows are read.
        self._parameters = {
            key: value for key, value in self.lime.parameters().items()
            if not key.startswith("num_")
        }

    def __getitem__(self, idx: int) -> dict[str, Any]:
        if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < self.size:
            raise IndexError(f"index must be an integer in [0, {self.size}); got {idx!r}")
        row = self._row(idx)
        return {
            "question": question(row, "plain", self.config.template),
            "answer": row["target"],
            "metadata": {
                "source_dataset": PREFIX + self.lime.name,
                "source_index": idx,
                "config": self.lime.name,
                "split": self.config.split,
                "index": idx,
                "task": row["task"],
                "source": row["source"],
                "parameters": {**self._parameters,
                               "task_weights": dict(self._parameters["task_weights"])},
                "data_version": DATA_VERSION,
                "template": self.config.template,
            },
        }

    def score_answer(self, answer: str | None, entry: dict[str, Any]) -> float:
        """1.0 if ``answer`` (the text inside the answer tags) is a valid answer, else 0.0."""
        if not isinstance(answer, str):
            return 0.0
        metadata = entry["metadata"]
        return 1.0 if check(metadata["task"], metadata["source"], answer) else 0.0

    def _row(self, idx: int) -> dict[str, Any]:
        first = idx - idx % ROWS_PER_CHUNK
        if self._chunk is None or self._chunk[0] != first:
            stop = min(first + ROWS_PER_CHUNK, self.size)
            table = generate(self.lime.name, self.config.split, first, stop,
                             **self.lime.parameters())
            self._chunk = (first, table.select(["task", "source", "target"]))
        return self._chunk[1].slice(idx - first, 1).to_pylist()[0]


CONFIG_CLASSES = {name: config_class(name) for name in CONFIGS}
for _name, _class in CONFIG_CLASSES.items():
    register_dataset(PREFIX + _name, LimeDataset, _class)
