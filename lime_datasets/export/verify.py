"""Checking an export (or a folder of its shards) against the rows its metadata describes."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.config import SPLITS, LimeConfig
from ..core.fingerprint import SplitHasher
from ..core.records import SCHEMA
from . import metadata as export_metadata
from .formats import dictionary_text, token_count, vocabulary_text
from .layout import METADATA
from .workers import Pool, rendered_parts
from .writer import ProgressFactory


@dataclasses.dataclass
class FileCheck:
    name: str
    status: str  # "ok", "mismatch" or "missing"
    detail: str


@dataclasses.dataclass
class SplitCheck:
    split: str
    size: int
    missing: list[tuple[int, int]]  # row ranges that no metadata file of the folder covers
    fingerprint: str | None  # of the whole split, recomputed, when the folder covers it all
    recorded_ok: bool  # every metadata file records the fingerprint the rows have now

    @property
    def ok(self) -> bool:
        return not self.missing and self.recorded_ok


@dataclasses.dataclass
class CheckReport:
    config: LimeConfig
    fmt: str
    shards: int
    files: list[FileCheck]
    splits: list[SplitCheck]

    @property
    def ok(self) -> bool:
        # Never ok without having compared something: every split listed was regenerated and
        # every file listed compared (the metadata's validation guarantees there is one).
        return (bool(self.files) and bool(self.splits)
                and all(f.status == "ok" for f in self.files) and all(s.ok for s in self.splits))


def read_metadata(directory: str | os.PathLike) -> list[dict[str, Any]]:
    """The metadata of the export (or of every shard) in a folder, in shard order.

    ``ValueError`` if there is none, if one does not describe a complete export of a registered
    config (``metadata.validate``), if they disagree on config, parameters, format or shard
    count, or if the folder holds data files of the export that none lists.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"{directory} is not a folder")
    paths = sorted(directory.glob(f"{METADATA}*.json"))
    if not paths:
        raise ValueError(f"{directory} holds no {METADATA}.json: not a lime-datasets export")
    entries = [export_metadata.read(path) for path in paths]
    unlisted = export_metadata.unlisted_files(directory, entries)
    if unlisted:
        raise ValueError(f"the metadata in {directory} is not valid export metadata: it does not "
                         f"list {unlisted[0]}, a data file of its export in the folder")
    first_shard, first_config, first = entries[0]
    for shard, config, metadata in entries[1:]:
        if (config, metadata["format"], shard.count) != (
            first_config, first["format"], first_shard.count
        ):
            raise ValueError(
                f"{directory} mixes exports of different configs, parameters, formats or shard "
                "counts; check each in its own folder"
            )
    return [metadata for _, _, metadata in sorted(entries, key=lambda entry: entry[0].index)]


def check_export(directory: str | os.PathLike, num_proc: int = 1,
                 progress: ProgressFactory | None = None) -> CheckReport:
    """Regenerate the rows an export (or a folder of its shards) holds and compare its files.

    JSONL and Parquet files are compared by the fingerprint of the rows they hold, fairseq,
    vocabulary and dictionary files by their bytes. A split is ok when the folder covers all of
    its rows and every metadata file records the fingerprint those rows have now.
    """
    from ..configs import get_config

    directory = Path(directory)
    entries = read_metadata(directory)
    config = get_config(entries[0]["config"], **entries[0]["parameters"])
    fmt = entries[0]["format"]
    counts = [np.zeros(token_count(config.vocab_size), dtype=np.int64) for _ in entries]
    files: list[FileCheck] = []
    splits: list[SplitCheck] = []
    with Pool(num_proc) as pool:
        for split in SPLITS:
            split_hasher = SplitHasher()
            covered, recorded_ok = [], True
            held = [m["splits"][split] for m in entries if split in m["splits"]]
            total = sum(info["stop"] - info["start"] for info in held)
            bar = progress(split, total) if progress and total else None
            for index, metadata in enumerate(entries):
                info = metadata["splits"].get(split)
                if info is None:
                    continue
                start, stop = info["start"], info["stop"]
                hasher = SplitHasher()
                digests = {key: hashlib.sha256() for key in ("jsonl", "src", "tgt")}
                for part in rendered_parts(config, split, start, stop, fmt, pool, num_proc):
                    for batch in part.batches:
                        hasher.update(batch)
                        split_hasher.update(batch)
                    if bar:
                        bar.update(part.num_rows)
                    for key, data in part.outputs.items():
                        digests[key].update(data)
                    if part.counts is not None:
                        counts[index] += part.counts
                fingerprint = hasher.hexdigest()
                recorded_ok &= info["fingerprint"] == fingerprint
                covered.append((start, stop))
                where = f"rows {start}..{stop} of {split}"
                for name in info["files"]:
                    expected = (digests[Path(name).suffix[1:]].hexdigest() if fmt == "fairseq"
                                else fingerprint)
                    files.append(_check_data_file(directory / name, fmt, expected, where))
            if bar:
                bar.close()
            if not covered:
                continue
            missing = _gaps(covered, config.split_size(split))
            splits.append(SplitCheck(split, config.split_size(split), missing,
                                     None if missing else split_hasher.hexdigest(), recorded_ok))
    vocabulary = vocabulary_text(config.vocab_size).encode()
    for index, metadata in enumerate(entries):
        files.append(_check_bytes(directory / metadata["vocabulary"], vocabulary, "vocabulary"))
        if fmt == "fairseq":
            dictionary = dictionary_text(counts[index], config.vocab_size).encode()
            files.append(_check_bytes(directory / metadata["dictionary"], dictionary,
                                      "fairseq dictionary"))
    return CheckReport(config, fmt, entries[0]["shard"]["count"], files, splits)


def _check_data_file(path: Path, fmt: str, expected: str, where: str) -> FileCheck:
    """Compare a data file with the expected rows fingerprint (or sha256 for fairseq)."""
    if not path.is_file():
        return FileCheck(path.name, "missing", where)
    try:
        actual = _file_sha256(path) if fmt == "fairseq" else _rows_fingerprint(path, fmt)
    except (OSError, pa.ArrowException, ValueError) as error:
        return FileCheck(path.name, "mismatch", f"{where}: unreadable ({error})")
    if actual == expected:
        return FileCheck(path.name, "ok", where)
    return FileCheck(path.name, "mismatch", f"{where}: the file holds other data")


def _check_bytes(path: Path, expected: bytes, what: str) -> FileCheck:
    if not path.is_file():
        return FileCheck(path.name, "missing", what)
    if path.stat().st_size == len(expected) and path.read_bytes() == expected:  # bounded read
        return FileCheck(path.name, "ok", what)
    return FileCheck(path.name, "mismatch", f"{what}: differs from the expected file")


def _rows_fingerprint(path: Path, fmt: str) -> str:
    hasher = SplitHasher()
    for batch in _read_rows(path, fmt):
        hasher.update(batch)
    return hasher.hexdigest()


def _read_rows(path: Path, fmt: str) -> Iterator[pa.RecordBatch]:
    # Opened by its bytes: pyarrow takes a text path as UTF-8, which not every name is.
    with pa.OSFile(os.fsencode(path)) as handle:
        if fmt == "parquet":
            parquet = pq.ParquetFile(handle)
            if not parquet.schema_arrow.equals(SCHEMA):
                raise ValueError("its schema is not the record schema")
            yield from parquet.iter_batches()
            return
        import pyarrow.json as pa_json

        if path.stat().st_size == 0:
            return
        options = pa_json.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="error")
        if hasattr(pa_json, "open_json"):  # streaming, pyarrow >= 20
            yield from pa_json.open_json(handle, parse_options=options)
        else:
            yield from pa_json.read_json(handle, parse_options=options).to_batches()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _gaps(covered: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    gaps, position = [], 0
    for start, stop in sorted(covered):
        if start > position:
            gaps.append((position, start))
        position = max(position, stop)
    if position < size:
        gaps.append((position, size))
    return gaps
