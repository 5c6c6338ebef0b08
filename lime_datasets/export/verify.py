"""Checking an export (or a folder of its shards) against the rows its metadata describes."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.config import SPLITS, LimeConfig
from ..core.fingerprint import fingerprint_of_blocks
from ..core.generate import BLOCK_SIZE
from ..core.manifest import range_digests
from ..core.records import DEFAULT_COLUMNS
from . import metadata as export_metadata
from .blocks import BlockResult, block_bounds, check_rows
from .formats import dictionary_text, token_count, vocabulary_text
from .layout import METADATA, Shard
from .workers import Pool, ordered_map, part_ranges
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
                 progress: ProgressFactory | None = None, *, splits: Sequence[str] = SPLITS,
                 shard: Shard | None = None) -> CheckReport:
    """Check an export (or a folder of its shards, or one ``shard`` of them) block by block.

    Workers regenerate each block of rows and digest it as the data files hold it (JSONL and
    Parquet: the digest of the rows read back; fairseq: of the lines); a file that differs is
    reported with its first differing block and that block's rows. Vocabulary and dictionary
    files are compared by their bytes. A split is ok when the files cover all of its rows (or,
    checking one shard, the shard's) and every metadata file records the block digests those
    rows have now.
    """
    from ..configs import get_config

    directory = Path(directory)
    entries = read_metadata(directory)
    if shard is not None:
        entries = [m for m in entries
                   if (m["shard"]["index"], m["shard"]["count"]) == (shard.index, shard.count)]
        if not entries:
            raise ValueError(f"{directory} holds no shard {shard.index}/{shard.count}")
    config = get_config(entries[0]["config"], **entries[0]["parameters"])
    fmt, columns = entries[0]["format"], entries[0].get("columns", DEFAULT_COLUMNS)
    counts = [np.zeros(token_count(config.vocab_size), dtype=np.int64) for _ in entries]
    files: list[FileCheck] = []
    split_checks: list[SplitCheck] = []
    with Pool(num_proc) as pool:
        for split in splits:
            held = [(i, m["splits"][split]) for i, m in enumerate(entries) if split in m["splits"]]
            if not held:
                continue
            total = sum(info["stop"] - info["start"] for _, info in held)
            bar = progress(split, total) if progress and total else None
            size = config.split_size(split)
            whole: dict[int, str] = {}
            covered, recorded_ok = [], True
            for index, info in held:
                start, stop = info["start"], info["stop"]
                paths = [directory / name for name in info["files"]]
                blocks: list[BlockResult] = []
                with _Lines(paths if fmt != "parquet" else []) as lines:
                    calls = ((config, split, fmt, columns, a, b, start, str(paths[0]),
                              lines.blocks(a, b)) for a, b in part_ranges(start, stop))
                    for result in ordered_map(check_rows, calls, pool, num_proc):
                        blocks += result.blocks
                        if result.counts is not None:
                            counts[index] += result.counts
                        if bar:
                            bar.update(sum(b.expected.stop - b.expected.start
                                           for b in result.blocks))
                    extra = lines.extra()
                if fmt == "parquet":
                    extra = [_parquet_rows(paths[0]) > stop - start]
                digests = [b.expected.digest for b in blocks]
                recorded_ok &= (info.get("blocks") == digests
                                and info.get("fingerprint") == fingerprint_of_blocks(digests))
                whole.update((b.expected.block, b.expected.digest) for b in blocks
                             if b.expected.is_whole(size))
                covered.append((start, stop))
                where = f"rows {start}..{stop} of {split}"
                for position, path in enumerate(paths):
                    files.append(_file_check(path, blocks, position, extra[position], where))
            if bar:
                bar.close()
            missing = [] if shard is not None else _gaps(covered, size)
            fingerprint = None
            if not _gaps(covered, size):
                fingerprint = _split_fingerprint(config, split, columns, whole)
            split_checks.append(SplitCheck(split, size, missing, fingerprint, recorded_ok))
    vocabulary = vocabulary_text(config.vocab_size).encode()
    for index, metadata in enumerate(entries):
        files.append(_check_bytes(directory / metadata["vocabulary"], vocabulary, "vocabulary"))
        if fmt == "fairseq" and tuple(splits) == SPLITS:
            dictionary = dictionary_text(counts[index], config.vocab_size).encode()
            files.append(_check_bytes(directory / metadata["dictionary"], dictionary,
                                      "fairseq dictionary"))
    return CheckReport(config, fmt, entries[0]["shard"]["count"], files, split_checks)


def _file_check(path: Path, blocks: list[BlockResult], position: int, extra: bool,
                where: str) -> FileCheck:
    """The status of one data file from the blocks it should hold."""
    if not path.is_file():
        return FileCheck(path.name, "missing", where)
    for block in blocks:
        problem = block.problems[position]
        if problem:
            first, stop = block.expected.start, block.expected.stop
            return FileCheck(path.name, "mismatch",
                             f"{where}: block {block.expected.block} (rows {first}..{stop - 1}) "
                             f"{problem}")
    if extra:
        return FileCheck(path.name, "mismatch", f"{where}: the file holds more rows")
    return FileCheck(path.name, "ok", where)


def _split_fingerprint(config: LimeConfig, split: str, columns: str,
                       whole: dict[int, str]) -> str:
    """The split fingerprint from the whole blocks checked; blocks that only shards' pieces
    covered (cut at shard boundaries) are regenerated whole."""
    count = -(-config.split_size(split) // BLOCK_SIZE)
    for block in range(count):
        if block not in whole:
            start = block * BLOCK_SIZE
            stop = min(config.split_size(split), start + BLOCK_SIZE)
            whole[block] = range_digests(config, split, start, stop, columns)[0].digest
    return fingerprint_of_blocks([whole[block] for block in range(count)])


def _parquet_rows(path: Path) -> int:
    try:
        with pa.OSFile(os.fsencode(path)) as handle:
            return pq.ParquetFile(handle).metadata.num_rows
    except (OSError, pa.ArrowException):
        return 0


class _Lines:
    """The lines of text files read in order, handed out a block at a time (one list of bytes
    per block: its lines in each file)."""

    def __init__(self, paths: list[Path]) -> None:
        self.handles = [open(path, "rb") if path.is_file() else None for path in paths]
        self.buffers = [b""] * len(paths)

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for handle in self.handles:
            if handle is not None:
                handle.close()

    def blocks(self, start: int, stop: int) -> list[list[bytes]] | None:
        """The lines of rows ``start .. stop - 1`` of each file, block by block."""
        if not self.handles:
            return None
        return [[self._take(i, b - a) for i in range(len(self.handles))]
                for a, b in block_bounds(start, stop)]

    def _take(self, index: int, count: int) -> bytes:
        """The next ``count`` lines of file ``index`` (fewer at its end)."""
        handle, buffer = self.handles[index], self.buffers[index]
        newlines = np.flatnonzero(np.frombuffer(buffer, dtype=np.uint8) == 10)
        while len(newlines) < count and handle is not None:
            chunk = handle.read(1 << 22)
            if not chunk:
                break
            found = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10) + len(buffer)
            buffer += chunk
            newlines = np.concatenate([newlines, found])
        end = int(newlines[count - 1]) + 1 if len(newlines) >= count else len(buffer)
        self.buffers[index] = buffer[end:]
        return buffer[:end]

    def extra(self) -> list[bool]:
        """Does each file hold more than was handed out?"""
        return [bool(self.buffers[i]) or (handle is not None and bool(handle.read(1)))
                for i, handle in enumerate(self.handles)]


def _check_bytes(path: Path, expected: bytes, what: str) -> FileCheck:
    if not path.is_file():
        return FileCheck(path.name, "missing", what)
    if path.stat().st_size == len(expected) and path.read_bytes() == expected:  # bounded read
        return FileCheck(path.name, "ok", what)
    return FileCheck(path.name, "mismatch", f"{what}: differs from the expected file")


def _gaps(covered: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    gaps, position = [], 0
    for start, stop in sorted(covered):
        if start > position:
            gaps.append((position, start))
        position = max(position, stop)
    if position < size:
        gaps.append((position, size))
    return gaps
