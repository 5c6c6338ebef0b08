"""The YAML front matter of a Hugging Face dataset README, for the Hub folder and the cards.

It names the licence, the categories and tags, each config's data files per split (``configs:``,
what ``datasets.load_dataset`` reads) and its features and, where known, split sizes
(``dataset_info:``). Written by hand (a JSON string is a YAML double-quoted scalar), so no YAML
library is needed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence

import pyarrow as pa

from .citation import LICENSE
from .core.records import SCHEMA

PRETTY_NAME = "LIME"
TASK_CATEGORIES = ("text2text-generation",)
TAGS = ("synthetic", "reasoning", "mathematics", "lime")


@dataclasses.dataclass(frozen=True)
class ConfigFiles:
    """One config's entry: per split, a glob of its data files or the list of them, and (when
    known) per split its number of examples."""

    name: str
    data_files: Mapping[str, str | Sequence[str]]
    num_examples: Mapping[str, int] | None = None


def front_matter(pretty_name: str, configs: Sequence[ConfigFiles],
                 size_category: str | None = None) -> str:
    """The front matter, from the opening ``---`` to the closing ``---`` and its newline."""
    lines = [
        "---",
        f"license: {LICENSE}",
        f"pretty_name: {quote(pretty_name)}",
        "task_categories:",
        *(f"- {category}" for category in TASK_CATEGORIES),
    ]
    if size_category is not None:
        lines += ["size_categories:", f"- {size_category}"]
    lines += ["tags:", *(f"- {tag}" for tag in TAGS), "configs:"]
    for config in configs:
        lines += [f"- config_name: {quote(config.name)}", "  data_files:"]
        for split, paths in config.data_files.items():
            lines.append(f"  - split: {split}")
            if isinstance(paths, str):
                lines.append(f"    path: {quote(paths)}")
            else:
                lines += ["    path:", *(f"    - {quote(path)}" for path in paths)]
    lines.append("dataset_info:")
    for config in configs:
        lines += [f"- config_name: {quote(config.name)}", "  features:"]
        for field in SCHEMA:
            key, value = feature_type(field.type)
            lines += [f"  - name: {field.name}", f"    {key}: {value}"]
        if config.num_examples is not None:
            lines.append("  splits:")
            for split, rows in config.num_examples.items():
                lines += [f"  - name: {split}", f"    num_examples: {rows}"]
    lines.append("---")
    return "\n".join(lines) + "\n"


def feature_type(arrow_type: pa.DataType) -> tuple[str, str]:
    """The ``datasets`` YAML feature entry (key, value) of a record field's Arrow type."""
    if pa.types.is_list(arrow_type):
        return "list", feature_type(arrow_type.value_type)[1]
    if pa.types.is_string(arrow_type):
        return "dtype", "string"
    if pa.types.is_integer(arrow_type):
        return "dtype", str(arrow_type)
    raise ValueError(f"no YAML feature type for Arrow type {arrow_type}")


def quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar."""
    return json.dumps(text)
