"""Write the splits of a config to files (JSONL, Parquet, fairseq text), atomically, and check them.

Layout of an export folder, where ``L`` is empty, or ``-IIIII-of-NNNNN`` for shard ``I`` of ``N``:

* ``jsonl``: ``<split>L.jsonl``, one JSON object per line with the record fields, in id order.
* ``parquet``: ``<split>L.parquet`` with the record schema, row groups of
  ``PARQUET_ROW_GROUP_ROWS`` rows.
* ``fairseq``: ``<name>L.src`` and ``<name>L.tgt`` (``name`` is ``train``, ``valid`` or ``test``),
  line ``k`` holding the source and target text of one example, in id order; and ``dictL.txt``,
  fairseq's ``<token> <count>`` dictionary of every token in the exported files.
* always: ``vocabL.txt`` (the token of each id, one per line, in id order) and
  ``lime_metadataL.json`` (config, parameters, versions, the rows and fingerprint of each split,
  the file names). The metadata is renamed into place last: it marks a finished export.

Shard ``i`` of ``n`` holds rows ``[floor(i * size / n), floor((i + 1) * size / n))`` of every split,
so the shards' data files concatenated in shard order are the unsharded files byte for byte
(Parquet: the same rows). The bytes never depend on ``num_proc``. Every file is written to a hidden
temporary file ``.<name>.<8 hex digits>.tmp`` in the destination folder and renamed when the whole
export is done. The writer holds an exclusive ``flock`` on each of its temporary files, so an export
removes the ones a killed export of the same files left (nobody holds their lock), never a running
export's.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import hashlib
import json
import multiprocessing
import os
import re
import secrets
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import __version__
from .core import vocab
from .core.config import SPLITS, LimeConfig
from .core.fingerprint import SplitHasher
from .core.generate import BLOCK_SIZE, iter_batches
from .core.records import SCHEMA
from .core.suggest import did_you_mean
from .core.version import DATA_VERSION
from .kernel_notice import warn_if_numpy_path
from .locks import lock, remove_unlocked

FORMATS = ("jsonl", "parquet", "fairseq")
FAIRSEQ_NAMES = {"train": "train", "validation": "valid", "test": "test"}
FAIRSEQ_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
PART_ROWS = 16 * BLOCK_SIZE  # rows one worker generates and renders at a time
PARQUET_ROW_GROUP_ROWS = 32_768  # about 40 MB of Arrow data at the default vocabulary size
METADATA = "lime_metadata"
VOCABULARY = "vocab"
DICTIONARY = "dict"


class Progress(Protocol):
    def update(self, n: int) -> Any: ...
    def close(self) -> Any: ...


ProgressFactory = Callable[[str, int], Progress]


@dataclasses.dataclass(frozen=True)
class Shard:
    """Part ``index`` of ``count`` equal parts of every split (``0/1`` is the whole split)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 99_999 or not 0 <= self.index < self.count:
            raise ValueError(
                f"shard must be I/N with 1 <= N <= 99999 and 0 <= I < N; "
                f"got {self.index}/{self.count}"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"1/3"`` -> ``Shard(1, 3)``."""
        match = re.fullmatch(r"\s*(\d{1,9})\s*/\s*(\d{1,9})\s*", text)
        if not match:
            raise ValueError(f"shard must look like I/N (e.g. 0/3); got {text!r}")
        return cls(int(match[1]), int(match[2]))

    @property
    def label(self) -> str:
        """The file name suffix: empty for the whole split."""
        return "" if self.count == 1 else f"-{self.index:05d}-of-{self.count:05d}"

    def rows(self, size: int) -> tuple[int, int]:
        return self.index * size // self.count, (self.index + 1) * size // self.count


def data_files(fmt: str, split: str, shard: Shard = Shard()) -> tuple[str, ...]:
    """Names of the data files of one split."""
    if fmt == "fairseq":
        name = FAIRSEQ_NAMES[split] + shard.label
        return (f"{name}.src", f"{name}.tgt")
    return (f"{split}{shard.label}.{fmt}",)


def planned_files(fmt: str, splits: Sequence[str], shard: Shard = Shard()) -> list[str]:
    """Every file an export writes, the metadata last."""
    names = [name for split in splits for name in data_files(fmt, split, shard)]
    if fmt == "fairseq":
        names.append(f"{DICTIONARY}{shard.label}.txt")
    return [*names, f"{VOCABULARY}{shard.label}.txt", f"{METADATA}{shard.label}.json"]


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}"
                         f"{did_you_mean(fmt, FORMATS)}")


def parse_splits(text: str) -> tuple[str, ...]:
    """``"train,test"`` -> the named splits in canonical order; ``ValueError`` for others."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SPLITS]
    if unknown or not names:
        raise ValueError(
            f"splits must be a comma-separated subset of {','.join(SPLITS)}; got {text!r}"
            f"{did_you_mean(unknown[0], SPLITS) if unknown else ''}"
        )
    return tuple(split for split in SPLITS if split in names)


# Rendering ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Part:
    """Rows ``start .. stop - 1`` of a split: the records and their bytes in each data file."""

    batches: list[pa.RecordBatch]
    outputs: dict[str, bytes]  # file extension -> bytes (text formats)
    counts: np.ndarray | None  # token id -> occurrences (fairseq)

    @property
    def num_rows(self) -> int:
        return sum(batch.num_rows for batch in self.batches)


def render_part(config: LimeConfig, split: str, start: int, stop: int, fmt: str) -> Part:
    """Generate rows ``start .. stop - 1`` and render them for ``fmt``."""
    batches = list(iter_batches(config, split, start, stop))
    outputs: dict[str, bytes] = {}
    counts = None
    if fmt == "jsonl":
        outputs["jsonl"] = b"".join(jsonl_bytes(batch, config) for batch in batches)
    elif fmt == "fairseq":
        outputs["src"] = b"".join(_lines(batch.column("source")) for batch in batches)
        outputs["tgt"] = b"".join(_lines(batch.column("target")) for batch in batches)
        counts = np.zeros(_token_count(config.vocab_size), dtype=np.int64)
        for batch in batches:
            for name in ("source_ids", "target_ids"):
                ids = batch.column(name).flatten().to_numpy()
                counts += np.bincount(ids, minlength=len(counts))
    return Part(batches, outputs, counts)


@functools.lru_cache(maxsize=16)
def _json_safe(vocab_size: int, tasks: tuple[str, ...]) -> bool:
    """Can every token and task name go between JSON quotes as it is?"""
    texts = [*vocab.vocab_tokens(vocab_size), *tasks]
    return all(json.dumps(text)[1:-1] == text for text in texts)


def jsonl_bytes(batch: pa.RecordBatch, config: LimeConfig) -> bytes:
    """The batch as JSON lines, byte-identical to ``json.dumps(row, separators=(",", ":"))``."""
    if not _json_safe(config.vocab_size, config.tasks):
        rows = batch.to_pylist()
        return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows).encode()
    numbers = _decimal_strings(_token_count(config.vocab_size))
    columns = [
        '{"id":', pc.cast(batch.column("id"), pa.string()),
        ',"task":"', batch.column("task"),
        '","source":"', batch.column("source"),
        '","target":"', batch.column("target"),
        '","source_ids":[', _joined_ids(batch.column("source_ids"), numbers),
        '],"target_ids":[', _joined_ids(batch.column("target_ids"), numbers),
        "]}\n",
    ]
    return _string_bytes(pc.binary_join_element_wise(*columns, ""))


def _token_count(vocab_size: int) -> int:
    return vocab.SYMBOL_OFFSET + vocab_size  # ids 0 .. SYMBOL_OFFSET - 1, then one per symbol


@functools.lru_cache(maxsize=4)
def _decimal_strings(count: int) -> pa.Array:
    return pa.array([str(i) for i in range(count)], type=pa.string())


def _joined_ids(column: pa.ListArray, numbers: pa.Array) -> pa.Array:
    """Each list of ids written as ``1,2,3``."""
    offsets = pc.subtract(column.offsets, column.offsets[0])
    texts = pc.take(numbers, column.flatten())
    return pc.binary_join(pa.ListArray.from_arrays(offsets, texts), ",")


def _lines(column: pa.Array) -> bytes:
    return _string_bytes(pc.binary_join_element_wise(column, "\n", ""))


def _string_bytes(array: pa.Array) -> bytes:
    """The UTF-8 bytes of all strings of a string array, concatenated."""
    if len(array) == 0:
        return b""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[
        array.offset : array.offset + len(array) + 1
    ]
    data = array.buffers()[2]
    return bytes(memoryview(data)[int(offsets[0]) : int(offsets[-1])]) if data else b""


def vocabulary_text(vocab_size: int) -> str:
    """The vocabulary file: the token of each id, one per line, in id order."""
    return "".join(token + "\n" for token in vocab.vocab_tokens(vocab_size))


def dictionary_text(counts: np.ndarray, vocab_size: int) -> str:
    """fairseq's ``dict.txt``: ``<token> <count>`` for every occurring token, fairseq's specials
    excluded, by descending count, ties by token (the order fairseq's ``Dictionary`` saves)."""
    tokens = vocab.vocab_tokens(vocab_size)
    entries = [
        (token, int(count))
        for token, count in zip(tokens, counts, strict=True)
        if count and token not in FAIRSEQ_SPECIALS
    ]
    entries.sort(key=lambda entry: (-entry[1], entry[0]))
    return "".join(f"{token} {count}\n" for token, count in entries)


# Atomic files ------------------------------------------------------------------------------


TEMPORARY = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{8}\.tmp")  # what ``AtomicFiles.path`` creates


class AtomicFiles:
    """Hidden temporary files in one folder, renamed to their final names together by ``commit``.

    Until ``commit`` no final name exists; ``discard`` (or leaving a ``with`` block by an exception)
    deletes the temporary files. Without ``overwrite``, a final name that exists is an error. Each
    temporary file stays locked (``flock``) until it is renamed or deleted, which marks it live for
    ``remove_stale_temporaries``.
    """

    def __init__(self, directory: Path, overwrite: bool = False) -> None:
        self.directory = directory
        self.overwrite = overwrite
        self._temps: dict[str, Path] = {}
        self._locks: list[int] = []  # open descriptors holding the locks

    def __enter__(self) -> AtomicFiles:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.discard()

    def path(self, name: str) -> Path:
        """A new, empty, locked temporary file that ``commit`` will rename to ``name``."""
        while True:
            temp = self.directory / f".{name}.{secrets.token_hex(4)}.tmp"
            try:  # unlike mkstemp's 0600, the usual permissions (0666 less the umask)
                handle = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            except FileExistsError:
                continue
            if lock(handle, temp):
                self._locks.append(handle)
                self._temps[name] = temp
                return temp
            os.close(handle)  # removed between its creation and its lock: take another name

    def commit(self) -> None:
        """Rename every temporary file into place, in the order they were created."""
        for temp in self._temps.values():
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
        while self._temps:
            name, temp = next(iter(self._temps.items()))
            _rename(temp, self.directory / name, self.overwrite)
            del self._temps[name]
        _fsync_directory(self.directory)
        self._unlock()

    def discard(self) -> None:
        for temp in self._temps.values():
            temp.unlink(missing_ok=True)
        self._temps.clear()
        self._unlock()

    def _unlock(self) -> None:
        while self._locks:
            os.close(self._locks.pop())


def remove_stale_temporaries(directory: Path, names: Iterable[str]) -> list[Path]:
    """Delete the temporary files for ``names`` in ``directory`` that no running writer holds.

    ``AtomicFiles`` locks each temporary file until it renames or deletes it, and the system drops
    a dead process's locks, so a temporary file whose lock can be taken was left by a killed
    writer. Files locked by a running export, or on a file system without locks, are kept.
    Returns the deleted paths.
    """
    wanted = set(names)
    removed = []
    for entry in os.scandir(directory):
        match = TEMPORARY.fullmatch(entry.name)
        if match and match["name"] in wanted and entry.is_file(follow_symlinks=False):
            if remove_unlocked(Path(entry.path), Path.unlink):
                removed.append(Path(entry.path))
    return removed


def _rename(temp: Path, final: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, final)
        return
    try:
        os.link(temp, final)  # fails if ``final`` exists, even if it appeared a moment ago
    except FileExistsError:
        raise ValueError(f"{final} exists; pass --overwrite to replace it") from None
    except OSError:  # no hard links on this file system
        if final.exists():
            raise ValueError(f"{final} exists; pass --overwrite to replace it") from None
        os.replace(temp, final)
        return
    temp.unlink()


def _fsync_directory(directory: Path) -> None:
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def check_outputs(paths: Iterable[Path], overwrite: bool) -> None:
    """``ValueError`` if an output exists (and ``overwrite`` is off) or is a folder."""
    for path in paths:
        if path.is_dir():
            raise ValueError(f"{path} is a folder; expected a file name")
        if path.exists() and not overwrite:
            raise ValueError(f"{path} exists; pass --overwrite to replace it")


def prepare_folder(directory: Path) -> None:
    """Create ``directory`` (and its parents) unless it exists; ``ValueError`` if it is a file."""
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"{directory} exists and is not a folder")
    directory.mkdir(parents=True, exist_ok=True)


def write_text(path: str | os.PathLike, text: str, overwrite: bool = False) -> None:
    """Write one text file atomically; never replaces an existing file without ``overwrite``."""
    path = Path(path)
    check_outputs([path], overwrite)
    prepare_folder(path.parent)
    remove_stale_temporaries(path.parent, [path.name])
    with AtomicFiles(path.parent, overwrite) as files:
        files.path(path.name).write_text(text, encoding="utf-8")
        files.commit()


# Export ------------------------------------------------------------------------------------


def export(
    config: LimeConfig,
    out_dir: str | os.PathLike,
    *,
    splits: Sequence[str] = SPLITS,
    fmt: str = "jsonl",
    shard: Shard = Shard(),
    num_proc: int = 1,
    overwrite: bool = False,
    progress: ProgressFactory | None = None,
) -> dict[str, Any]:
    """Export ``splits`` of ``config`` to ``out_dir`` in ``fmt`` and return the metadata written.

    Validates everything (format, splits, ``num_proc``, existing outputs) before writing anything.
    """
    check_format(fmt)
    splits = parse_splits(",".join(splits))
    if isinstance(num_proc, bool) or not isinstance(num_proc, int) or num_proc < 1:
        raise ValueError(f"num_proc must be a positive integer; got {num_proc!r}")
    directory = Path(out_dir)
    names = planned_files(fmt, splits, shard)
    check_outputs([directory / name for name in names], overwrite)
    warn_if_numpy_path()
    prepare_folder(directory)
    remove_stale_temporaries(directory, names)

    counts = np.zeros(_token_count(config.vocab_size), dtype=np.int64)
    split_info: dict[str, Any] = {}
    with AtomicFiles(directory, overwrite) as files, _Pool(num_proc) as pool:
        for split in splits:
            start, stop = shard.rows(config.split_size(split))
            files_of_split = data_files(fmt, split, shard)
            bar = progress(split, stop - start) if progress else None
            hasher = SplitHasher()
            with _Sink(fmt, [files.path(name) for name in files_of_split]) as sink:
                for part in _parts(config, split, start, stop, fmt, pool, num_proc):
                    for batch in part.batches:
                        hasher.update(batch)
                    sink.write(part)
                    if part.counts is not None:
                        counts += part.counts
                    if bar:
                        bar.update(part.num_rows)
            if bar:
                bar.close()
            split_info[split] = {
                "size": config.split_size(split),
                "start": start,
                "stop": stop,
                "fingerprint": hasher.hexdigest(),
                "files": list(files_of_split),
            }
        if fmt == "fairseq":
            dictionary = f"{DICTIONARY}{shard.label}.txt"
            files.path(dictionary).write_text(dictionary_text(counts, config.vocab_size))
        vocabulary = f"{VOCABULARY}{shard.label}.txt"
        files.path(vocabulary).write_text(vocabulary_text(config.vocab_size))
        metadata = {
            "config": config.name,
            "description": config.description,
            "parameters": config.parameters(),
            "data_version": DATA_VERSION,
            "package_version": __version__,
            "format": fmt,
            "shard": {"index": shard.index, "count": shard.count},
            "splits": split_info,
            "vocabulary": vocabulary,
        }
        if fmt == "fairseq":
            metadata["dictionary"] = dictionary
        files.path(names[-1]).write_text(json.dumps(metadata, indent=2) + "\n")
        files.commit()
    return metadata


class _Pool:
    """A process pool (spawned: forking a process with Arrow threads is unsafe), or none."""

    def __init__(self, num_proc: int) -> None:
        self.executor = None
        if num_proc > 1:
            self.executor = concurrent.futures.ProcessPoolExecutor(
                num_proc, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(os.getpid(),),
            )

    def __enter__(self) -> concurrent.futures.ProcessPoolExecutor | None:
        return self.executor

    def __exit__(self, *exc_info: Any) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent is gone (killed parents cannot stop their pool)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _parts(config: LimeConfig, split: str, start: int, stop: int, fmt: str,
           pool: concurrent.futures.Executor | None, num_proc: int) -> Iterator[Part]:
    """Rendered parts in row order; with a pool, at most ``2 * num_proc`` in flight."""
    ranges = [(a, min(stop, a + PART_ROWS)) for a in range(start, stop, PART_ROWS)]
    if pool is None:
        for a, b in ranges:
            yield render_part(config, split, a, b, fmt)
        return
    pending: deque[concurrent.futures.Future] = deque()
    for a, b in ranges:
        pending.append(pool.submit(render_part, config, split, a, b, fmt))
        if len(pending) >= 2 * num_proc:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


class _Sink:
    """Appends parts to the data files of one split."""

    def __init__(self, fmt: str, paths: list[Path]) -> None:
        self.fmt = fmt
        self.handles: list[BinaryIO] = []
        self.writer: pq.ParquetWriter | None = None
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        if fmt == "parquet":
            self.writer = pq.ParquetWriter(str(paths[0]), SCHEMA, compression="snappy")
        else:
            self.handles = [open(path, "wb") for path in paths]

    def __enter__(self) -> _Sink:
        return self

    def write(self, part: Part) -> None:
        if self.writer is None:
            keys = ("jsonl",) if self.fmt == "jsonl" else ("src", "tgt")
            for handle, key in zip(self.handles, keys, strict=True):
                handle.write(part.outputs[key])
            return
        self.pending.extend(part.batches)
        self.pending_rows += part.num_rows
        while self.pending_rows >= PARQUET_ROW_GROUP_ROWS:
            self._flush(PARQUET_ROW_GROUP_ROWS)

    def _flush(self, rows: int) -> None:
        table = pa.Table.from_batches(self.pending, schema=SCHEMA)
        group, rest = table.slice(0, rows).combine_chunks(), table.slice(rows)
        self.writer.write_table(group, row_group_size=rows)
        self.pending = rest.combine_chunks().to_batches() if rest.num_rows else []
        self.pending_rows = rest.num_rows

    def __exit__(self, exc_type: Any, *exc_info: Any) -> None:
        try:
            if self.writer is not None:
                if exc_type is None and self.pending_rows:
                    self._flush(self.pending_rows)
                self.writer.close()
        finally:
            for handle in self.handles:
                handle.close()


# Check -------------------------------------------------------------------------------------


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
        return all(f.status == "ok" for f in self.files) and all(s.ok for s in self.splits)


def read_metadata(directory: str | os.PathLike) -> list[dict[str, Any]]:
    """The metadata of the export (or of every shard) in a folder, in shard order.

    ``ValueError`` if there is none, if one is malformed, or if they disagree on config,
    parameters, format or shard count.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"{directory} is not a folder")
    paths = sorted(directory.glob(f"{METADATA}*.json"))
    if not paths:
        raise ValueError(f"{directory} holds no {METADATA}.json: not a lime-datasets export")
    entries = [_read_one_metadata(path) for path in paths]
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


def _read_one_metadata(path: Path) -> tuple[Shard, LimeConfig, dict[str, Any]]:
    from .configs import get_config

    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
        shard = Shard(metadata["shard"]["index"], metadata["shard"]["count"])
        config = get_config(metadata["config"], **metadata["parameters"])
        fmt = metadata["format"]
        check_format(fmt)
        expected_names = {
            f"{METADATA}{shard.label}.json": path.name,
            f"{VOCABULARY}{shard.label}.txt": metadata["vocabulary"],
        }
        if fmt == "fairseq":
            expected_names[f"{DICTIONARY}{shard.label}.txt"] = metadata["dictionary"]
        for split, info in metadata["splits"].items():
            if (info["start"], info["stop"]) != shard.rows(config.split_size(split)):
                raise ValueError(f"its {split} rows do not match its shard")
            if info["files"] != list(data_files(fmt, split, shard)):
                raise ValueError(f"its {split} file names do not match its format and shard")
        for expected, actual in expected_names.items():
            if expected != actual:
                raise ValueError(f"{actual!r} should be {expected!r}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{path} is not valid export metadata: {error}") from None
    return shard, config, metadata


def check_export(directory: str | os.PathLike, num_proc: int = 1,
                 progress: ProgressFactory | None = None) -> CheckReport:
    """Regenerate the rows an export (or a folder of its shards) holds and compare its files.

    JSONL and Parquet files are compared by the fingerprint of the rows they hold, fairseq,
    vocabulary and dictionary files by their bytes. A split is ok when the folder covers all of
    its rows and every metadata file records the fingerprint those rows have now.
    """
    from .configs import get_config

    directory = Path(directory)
    entries = read_metadata(directory)
    config = get_config(entries[0]["config"], **entries[0]["parameters"])
    fmt = entries[0]["format"]
    counts = [np.zeros(_token_count(config.vocab_size), dtype=np.int64) for _ in entries]
    files: list[FileCheck] = []
    splits: list[SplitCheck] = []
    with _Pool(num_proc) as pool:
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
                for part in _parts(config, split, start, stop, fmt, pool, num_proc):
                    for batch in part.batches:
                        hasher.update(batch)
                        split_hasher.update(batch)
                    for key, data in part.outputs.items():
                        digests[key].update(data)
                    if part.counts is not None:
                        counts[index] += part.counts
                    if bar:
                        bar.update(part.num_rows)
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
    if path.read_bytes() == expected:
        return FileCheck(path.name, "ok", what)
    return FileCheck(path.name, "mismatch", f"{what}: differs from the expected file")


def _rows_fingerprint(path: Path, fmt: str) -> str:
    hasher = SplitHasher()
    for batch in _read_rows(path, fmt):
        hasher.update(batch)
    return hasher.hexdigest()


def _read_rows(path: Path, fmt: str) -> Iterator[pa.RecordBatch]:
    if fmt == "parquet":
        parquet = pq.ParquetFile(path)
        if not parquet.schema_arrow.equals(SCHEMA):
            raise ValueError("its schema is not the record schema")
        yield from parquet.iter_batches()
        return
    import pyarrow.json as pa_json

    if path.stat().st_size == 0:
        return
    options = pa_json.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="error")
    if hasattr(pa_json, "open_json"):  # streaming, pyarrow >= 20
        yield from pa_json.open_json(path, parse_options=options)
    else:
        yield from pa_json.read_json(path, parse_options=options).to_batches()


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
