"""Checking the rows of an exported data file block by block: the work of one worker.

A task is a row range of one file (``workers.part_ranges``: whole blocks but at the file's ends).
The worker regenerates the rows, digests each block, and digests the same block as the file holds
it (Parquet: read from the file by the worker; text formats: the block's lines, read by the
parent in order and sent along). The parent compares and names the first block that differs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .. import memory
from ..core.config import LimeConfig
from ..core.fingerprint import BlockDigest, digest_rows
from ..core.generate import BLOCK_SIZE, iter_batches
from ..core.records import COLUMNS, schema_of
from .formats import fairseq_bytes, token_count


@dataclasses.dataclass
class BlockResult:
    """One block: its digest regenerated, and per data file (by position in the split's file
    list) whether the file holds it."""

    expected: BlockDigest  # of the regenerated rows: the manifest's digest
    problems: list[str]  # per data file: "" if it holds the block, else what is wrong


@dataclasses.dataclass
class TaskResult:
    """The blocks of one task, in order."""

    blocks: list[BlockResult]
    counts: np.ndarray | None  # fairseq: token id -> occurrences in these rows


def block_bounds(start: int, stop: int) -> list[tuple[int, int]]:
    """Rows ``start .. stop - 1`` cut at block boundaries."""
    cuts = [start, *range((start // BLOCK_SIZE + 1) * BLOCK_SIZE, stop, BLOCK_SIZE), stop]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if a < b]


def check_rows(config: LimeConfig, split: str, fmt: str, columns: str, start: int, stop: int,
               file_start: int, path: str, held: list | None) -> TaskResult:
    """Compare rows ``start .. stop - 1`` of a split with the data files holding rows from
    ``file_start``: Parquet, the file at ``path``; text formats, ``held``: for each block, its
    lines in each data file (fairseq: ``.src``, ``.tgt``), read by the caller."""
    memory.keep_freed_memory()
    full = pa.Table.from_batches(list(iter_batches(config, split, start, stop)))
    rows = full.select(list(COLUMNS[columns]))
    bounds = block_bounds(start, stop)
    if fmt == "parquet":
        found = [[found] for found in _parquet_digests(Path(path), columns, start - file_start,
                                                       bounds)]
    elif fmt == "jsonl":
        found = [[_jsonl_digest(data[0], columns)] for data in held]
    else:
        found = [[_lines_digest(data) for data in pair] for pair in held]
    results = []
    for (a, b), file_found in zip(bounds, found, strict=True):
        block = rows.slice(a - start, b - a)
        expected = BlockDigest(a // BLOCK_SIZE, a, b, digest_rows([block]))
        wanted = (fairseq_bytes(block.to_batches()) if fmt == "fairseq" else (expected.digest,))
        problems = []
        for want, (digest, problem) in zip(wanted, file_found, strict=True):
            if fmt == "fairseq":
                want = hashlib.sha256(want).hexdigest()
            problems.append(problem if digest is None else "" if digest == want else "differs")
        results.append(BlockResult(expected, problems))
    counts = None
    if fmt == "fairseq":
        counts = np.zeros(token_count(config.vocab_size), dtype=np.int64)
        for name in ("source_ids", "target_ids"):
            ids = full.column(name).combine_chunks().flatten().to_numpy()
            counts += np.bincount(ids, minlength=len(counts))
    return TaskResult(results, counts)


def _parquet_digests(path: Path, columns: str, first: int, bounds: list[tuple[int, int]]
                     ) -> list[tuple[str | None, str]]:
    """The digest of each block (row ranges of the split, the file's row 0 being ``bounds``'s
    first row minus ``first``) as the Parquet file holds it."""
    base = bounds[0][0]
    try:
        # Opened by its bytes: pyarrow takes a text path as UTF-8, which not every name is.
        parquet = pq.ParquetFile(pa.OSFile(os.fsencode(path)))
        if not parquet.schema_arrow.equals(schema_of(columns)):
            return [(None, "its schema is not the export's")] * len(bounds)
        sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
        ends = np.cumsum(sizes)
        want_from, want_to = first, first + (bounds[-1][1] - bounds[0][0])
        if want_to > (int(ends[-1]) if len(ends) else 0):
            return [(None, "the file ends early")] * len(bounds)
        groups = [i for i in range(len(sizes))
                  if ends[i] > want_from and ends[i] - sizes[i] < want_to]
        table = parquet.read_row_groups(groups)
        offset = want_from - int(ends[groups[0]] - sizes[groups[0]])
    except (OSError, pa.ArrowException, ValueError) as error:
        return [(None, f"unreadable ({' '.join(str(error).split())})")] * len(bounds)
    return [(digest_rows([table.slice(offset + a - base, b - a)]), "")
            for a, b in bounds]


def _jsonl_digest(data: bytes, columns: str) -> tuple[str | None, str]:
    import pyarrow.json as pa_json

    if not data:
        return None, "the file ends early"
    options = pa_json.ParseOptions(explicit_schema=schema_of(columns),
                                   unexpected_field_behavior="error")
    try:
        table = pa_json.read_json(pa.BufferReader(data), parse_options=options)
    except (pa.ArrowException, ValueError) as error:
        return None, f"unreadable ({' '.join(str(error).split())[:200]})"
    return digest_rows([table]), ""


def _lines_digest(data: bytes) -> tuple[str | None, str]:
    if not data:
        return None, "the file ends early"
    return hashlib.sha256(data).hexdigest(), ""
