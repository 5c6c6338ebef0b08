"""TFDS builder configs: one per registry entry, and ``tfds_config`` for any parameters."""

from __future__ import annotations

import dataclasses
import json
from types import MappingProxyType
from typing import Any

from ..configs import CONFIGS, get_config
from ..core.config import LimeConfig
from ..core.records import DEFAULT_COLUMNS, check_columns
from . import registration

with registration.deferred():  # registering needs this module complete: done at its end
    import tensorflow_datasets as tfds


@dataclasses.dataclass(eq=False)
class LimeBuilderConfig(tfds.core.BuilderConfig):
    """A TFDS builder config carrying a validated core ``LimeConfig`` and the fields it stores
    (``columns``: ``records.COLUMNS``)."""

    lime_config: LimeConfig = dataclasses.field(kw_only=True)
    columns: str = dataclasses.field(default=DEFAULT_COLUMNS, kw_only=True)

    def __str__(self) -> str:  # what TFDS logs of a custom config (the repr repeats everything)
        parameters = json.dumps(self.lime_config.parameters(), sort_keys=True)
        return f"{self.name} (parameters {parameters}, columns {self.columns!r})"


def _named(config: LimeConfig) -> LimeBuilderConfig:
    return LimeBuilderConfig(name=config.name, description=config.description, lime_config=config)


NAMED_CONFIGS: MappingProxyType[str, LimeBuilderConfig] = MappingProxyType(
    {name: _named(config) for name, config in CONFIGS.items()}
)


def builder_config(config: LimeConfig, columns: str = DEFAULT_COLUMNS) -> LimeBuilderConfig:
    """The registered builder config when ``config`` is a registry entry stored whole, else a
    custom one.

    A custom config is named ``<name>-<parameters digest>`` (or ``<name>`` for a registry entry's
    parameters), with ``-text`` or ``-ids`` when it stores only those fields: distinct parameters
    or fields get distinct TFDS data directories, and no build reuses data built for another.
    """
    check_columns(columns)
    named = NAMED_CONFIGS.get(config.name)
    is_named = named is not None and named.lime_config == config
    if is_named and columns == DEFAULT_COLUMNS:
        return named
    name = config.name if is_named else f"{config.name}-{config.digest()}"
    description = config.description
    if not is_named:
        description += f" Parameters: {json.dumps(config.parameters(), sort_keys=True)}"
    if columns != DEFAULT_COLUMNS:
        name += f"-{columns}"
        description += f" Fields: {columns} only."
    return LimeBuilderConfig(name=name, description=description, lime_config=config,
                             columns=columns)


def tfds_config(name: str, columns: str = DEFAULT_COLUMNS, **overrides: Any) -> LimeBuilderConfig:
    """A TFDS builder config for registry config ``name`` with any registry parameters changed,
    storing the fields of ``columns`` (``"both"``, ``"text"`` or ``"ids"``).

    Validated by the core (bad input raises its ``ValueError``). Use it as
    ``tfds.load("lime", builder_kwargs={"config": tfds_config("mixed", num_train=1000)})``.
    """
    check_columns(columns)
    return builder_config(get_config(name, **overrides), columns)


def with_overrides(config: str | tfds.core.BuilderConfig | None, overrides: dict[str, Any],
                   columns: str | None = None) -> str | tfds.core.BuilderConfig | None:
    """``config`` (a name, a builder config or None for the default) with registry overrides
    and, unless None, the fields it stores."""
    if columns is not None:
        check_columns(columns)
    if not overrides and columns is None:
        return config
    if config is None:
        config = next(iter(NAMED_CONFIGS))
    if isinstance(config, str):
        config = NAMED_CONFIGS.get(config) or tfds_config(config)
    if isinstance(config, LimeBuilderConfig):
        return builder_config(config.lime_config.replace(**overrides),
                              config.columns if columns is None else columns)
    raise ValueError(f"config must be a config name or a LimeBuilderConfig; got {config!r}")


registration.install()  # registers ``lime`` if importing TFDS above was the first import of it
