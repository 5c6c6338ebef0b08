"""The registry of named configs: one per task, plus ``mixed`` (the paper's Mixed task).

Every adapter, the CLI and the cards read this mapping; none restates a default.
"""

from __future__ import annotations

from types import MappingProxyType

from .core.config import LimeConfig
from .core.suggest import did_you_mean
from .core.tasks import TASKS

MIXED_TASKS = ("deduct", "induct", "abduct")


def _build() -> dict[str, LimeConfig]:
    configs = {
        name: LimeConfig(name=name, description=task.summary, task_weights={name: 1.0})
        for name, task in TASKS.items()
    }
    configs["mixed"] = LimeConfig(
        name="mixed",
        description="The paper's Mixed task: deduct, induct and abduct examples in equal shares.",
        task_weights={task: 1.0 for task in MIXED_TASKS},
    )
    return configs


CONFIGS: MappingProxyType[str, LimeConfig] = MappingProxyType(_build())


def get_config(name: str, **overrides) -> LimeConfig:
    """The named config with ``overrides`` applied and validated."""
    if not isinstance(name, str) or name not in CONFIGS:
        raise ValueError(f"config must be one of {', '.join(CONFIGS)}; got {name!r}"
                         f"{did_you_mean(name, CONFIGS)}")
    config = CONFIGS[name]
    return config.replace(**overrides) if overrides else config
