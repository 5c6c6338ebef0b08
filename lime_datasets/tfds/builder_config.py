"""TFDS builder configs: one per registry entry, and ``tfds_config`` for any parameters."""

from __future__ import annotations

import dataclasses
import json
from types import MappingProxyType
from typing import Any

from ..configs import CONFIGS, get_config
from ..core.config import LimeConfig
from . import registration

with registration.deferred():  # registering needs this module complete: done at its end
    import tensorflow_datasets as tfds


@dataclasses.dataclass(eq=False)
class LimeBuilderConfig(tfds.core.BuilderConfig):
    """A TFDS builder config carrying a validated core ``LimeConfig``."""

    lime_config: LimeConfig = dataclasses.field(kw_only=True)


def _named(config: LimeConfig) -> LimeBuilderConfig:
    return LimeBuilderConfig(name=config.name, description=config.description, lime_config=config)


NAMED_CONFIGS: MappingProxyType[str, LimeBuilderConfig] = MappingProxyType(
    {name: _named(config) for name, config in CONFIGS.items()}
)


def builder_config(config: LimeConfig) -> LimeBuilderConfig:
    """The registered builder config when ``config`` is a registry entry, else a custom one.

    A custom config is named ``<name>-<parameters digest>``, so distinct parameters get distinct
    TFDS data directories and a changed parameter never reuses data built for another.
    """
    named = NAMED_CONFIGS.get(config.name)
    if named is not None and named.lime_config == config:
        return named
    parameters = json.dumps(config.parameters(), sort_keys=True)
    return LimeBuilderConfig(
        name=f"{config.name}-{config.digest()}",
        description=f"{config.description} Parameters: {parameters}",
        lime_config=config,
    )


def tfds_config(name: str, **overrides: Any) -> LimeBuilderConfig:
    """A TFDS builder config for registry config ``name`` with any registry parameters changed.

    Validated by the core (bad input raises its ``ValueError``). Use it as
    ``tfds.load("lime", builder_kwargs={"config": tfds_config("mixed", num_train=1000)})``.
    """
    return builder_config(get_config(name, **overrides))


def with_overrides(config: str | tfds.core.BuilderConfig | None, overrides: dict[str, Any]
                   ) -> str | tfds.core.BuilderConfig | None:
    """``config`` (a name, a builder config or None for the default) with registry overrides."""
    if not overrides:
        return config
    if config is None:
        config = next(iter(NAMED_CONFIGS))
    if isinstance(config, LimeBuilderConfig):
        return builder_config(config.lime_config.replace(**overrides))
    if isinstance(config, str):
        return tfds_config(config, **overrides)
    raise ValueError(f"config must be a config name or a LimeBuilderConfig; got {config!r}")


registration.install()  # registers ``lime`` if importing TFDS above was the first import of it
