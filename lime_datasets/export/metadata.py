"""What an export's metadata file must say, rebuilt from its parameters and the registry.

``validate`` accepts only metadata that describes one complete export (or one shard of it) of a
registered config, exactly as ``export`` writes it: every key known and of its type, the config's
parameters all recorded, the splits a non-empty subset of ``SPLITS`` with the sizes, row ranges
and file names that those parameters, the format and the shard give. ``unlisted_files`` finds the
data files of a folder's shards that their metadata does not list. Anything else is a ``ValueError``
whose message says "not valid export metadata" and why.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from ..core.config import SPLITS, LimeConfig
from ..core.generate import BLOCK_SIZE
from ..core.records import DEFAULT_COLUMNS, check_columns
from ..core.version import DATA_VERSION
from ..publish import read_regular_file
from .layout import DICTIONARY, METADATA, VOCABULARY, Shard, check_format, data_files

# An export of 10**9 rows records about 70 MB of block digests; nothing valid comes near this.
MAX_METADATA_BYTES = 256 << 20

_REQUIRED = {"config": str, "description": str, "parameters": dict, "data_version": str,
             "package_version": str, "format": str, "shard": dict, "splits": dict,
             "vocabulary": str}
# Keys some writers add: the fairseq dictionary, a selection of columns, the block size.
_OPTIONAL = {"dictionary": str, "columns": str, "block_size": int}
_SPLIT_REQUIRED = {"size": int, "start": int, "stop": int, "fingerprint": str, "files": list}
_SPLIT_OPTIONAL = {"blocks": list}  # one sha256 per block of rows the files hold
_DIGEST = re.compile(r"[0-9a-f]{64}")


class ExportMetadata(NamedTuple):
    shard: Shard
    config: LimeConfig
    metadata: dict[str, Any]


def read(path: Path) -> ExportMetadata:
    """The validated metadata in the file ``path``: a regular file of at most
    ``MAX_METADATA_BYTES``, UTF-8 JSON with no repeated keys and no NaN or infinities."""
    try:
        data = read_regular_file(path, MAX_METADATA_BYTES)
        parsed = json.loads(data.decode("utf-8"), object_pairs_hook=_no_repeated_keys,
                            parse_constant=_no_constant)
    except (OSError, ValueError, RecursionError) as error:
        raise _invalid(path, error) from None
    return validate(parsed, path)


def validate(metadata: Any, path: Path) -> ExportMetadata:
    """``metadata`` (parsed from the file ``path``) if it describes a complete export of a
    registered config, with its shard and config; else ``ValueError``."""
    from ..configs import get_config

    try:
        _check_keys(metadata, _REQUIRED, _OPTIONAL, "the metadata")
        shard_info = metadata["shard"]
        _check_keys(shard_info, {"index": int, "count": int}, {}, "shard")
        shard = Shard(shard_info["index"], shard_info["count"])
        parameters = metadata["parameters"]
        config = get_config(metadata["config"], **parameters)
        if _as_json(config.parameters()) != parameters:
            raise ValueError(f"its parameters {parameters!r} are not the complete parameters "
                             f"of config {config.name!r}")
        if metadata["data_version"] != DATA_VERSION:
            raise ValueError(f"it was made by data version {metadata['data_version']!r}; this "
                             f"package makes {DATA_VERSION!r} (check it with the package that "
                             "made it)")
        fmt = metadata["format"]
        check_format(fmt)
        columns = metadata.get("columns", DEFAULT_COLUMNS)
        check_columns(columns)
        if fmt == "fairseq" and columns == "ids":
            raise ValueError("it is a fairseq export of the token ids only, which fairseq text "
                             "cannot hold")
        if metadata.get("block_size", BLOCK_SIZE) != BLOCK_SIZE:
            raise ValueError(f"its block_size is {metadata['block_size']!r}, not {BLOCK_SIZE}")
        expected_names = {"metadata file": (path.name, f"{METADATA}{shard.label}.json"),
                          "vocabulary": (metadata["vocabulary"],
                                         f"{VOCABULARY}{shard.label}.txt")}
        if fmt == "fairseq":
            expected_names["dictionary"] = (metadata.get("dictionary"),
                                            f"{DICTIONARY}{shard.label}.txt")
        elif "dictionary" in metadata:
            raise ValueError(f"it names a dictionary, which a {fmt} export does not have")
        for what, (actual, expected) in expected_names.items():
            if actual != expected:
                raise ValueError(f"its {what} is {actual!r}; a {fmt} export of shard "
                                 f"{shard.index}/{shard.count} names it {expected!r}")
        _check_splits(metadata["splits"], config, fmt, shard)
    except (ValueError, TypeError) as error:
        raise _invalid(path, error) from None
    return ExportMetadata(shard, config, metadata)


def unlisted_files(directory: Path, entries: Iterable[ExportMetadata]) -> list[str]:
    """Names of files in ``directory`` that would hold a split of a shard in ``entries`` but
    that its metadata does not list (a shard with no metadata file is reported by the check
    as rows no file covers)."""
    return sorted(
        name for entry in entries for split in SPLITS if split not in entry.metadata["splits"]
        for name in data_files(entry.metadata["format"], split, entry.shard)
        if os.path.lexists(directory / name)
    )


def _check_splits(splits: dict[str, Any], config: LimeConfig, fmt: str, shard: Shard) -> None:
    if not splits:
        raise ValueError("it lists no split")
    if list(splits) != [split for split in SPLITS if split in splits]:
        raise ValueError(f"its splits {list(splits)} are not some of {', '.join(SPLITS)}, in "
                         "that order")
    for split, info in splits.items():
        _check_keys(info, _SPLIT_REQUIRED, _SPLIT_OPTIONAL, f"split {split!r}")
        size = config.split_size(split)
        start, stop = shard.rows(size)
        expected = {"size": size, "start": start, "stop": stop,
                    "files": list(data_files(fmt, split, shard))}
        for key, value in expected.items():
            if info[key] != value:
                raise ValueError(f"its {split} {key} is {info[key]!r}; config {config.name!r} "
                                 f"as a {fmt} export of shard {shard.index}/{shard.count} has "
                                 f"{value!r}")
        if not _DIGEST.fullmatch(info["fingerprint"]):
            raise ValueError(f"its {split} fingerprint is not 64 hex digits")
        if "blocks" in info:
            blocks = info["blocks"]
            count = (stop - 1) // BLOCK_SIZE - start // BLOCK_SIZE + 1 if stop > start else 0
            if len(blocks) != count or not all(
                isinstance(block, str) and _DIGEST.fullmatch(block) for block in blocks
            ):
                raise ValueError(f"its {split} blocks are not {count} digests of 64 hex digits "
                                 f"(one per block of rows {start}..{stop})")


def _check_keys(value: Any, required: dict[str, type], optional: dict[str, type],
                what: str) -> None:
    """``value`` is an object with every ``required`` key, no other than ``optional`` ones, each
    of its type (``int``: not a bool)."""
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object")
    missing = [key for key in required if key not in value]
    if missing:
        raise ValueError(f"{what} has no {missing[0]!r}")
    unknown = [key for key in value if key not in required and key not in optional]
    if unknown:
        raise ValueError(f"{what} has an unknown key {unknown[0]!r}")
    for key, item in value.items():
        kind = required.get(key) or optional[key]
        if not isinstance(item, kind) or (kind is int and isinstance(item, bool)):
            raise ValueError(f"{what}'s {key!r} is {item!r}, not a JSON {_JSON_TYPES[kind]}")


_JSON_TYPES = {str: "string", int: "integer", dict: "object", list: "array"}


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        keys = [key for key, _ in pairs]
        raise ValueError(f"the key {next(k for k in keys if keys.count(k) > 1)!r} is repeated")
    return result


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _invalid(path: Path, error: BaseException) -> ValueError:
    reason = error.strerror if isinstance(error, OSError) and error.strerror else error
    if isinstance(error, RecursionError):
        reason = "it is nested too deeply"
    return ValueError(f"{path} is not valid export metadata: {reason}")
