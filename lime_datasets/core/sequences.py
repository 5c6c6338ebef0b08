"""Token sequences of a batch of examples, as runs of consecutive ids in flat tables.

Generators build each part of a source or target (a header, a rule, a case) as a ``Part``: per
row, a fixed number of runs, each a stretch of consecutive entries of one flat id table (a rule is
one run of its row of rule ids; a case entry ``A : [ v v ] ,`` is three). A run of length 0 is
absent. ``pack`` lays the runs of all parts end to end, row by row, and copies them out with one
gather, so the cost follows the tokens written rather than the padded widths (or the compiled
kernel copies them, where there is one: ``kernels``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import kernels
from .vocab import SYMBOL_OFFSET

ID_DTYPE = np.int32

# Every id below the symbols at its own index: a structural token is a run of this table.
_TOKEN_TABLE = np.arange(SYMBOL_OFFSET, dtype=ID_DTYPE)


class Part(NamedTuple):
    table: np.ndarray  # flat token ids (ID_DTYPE) the runs index
    start: np.ndarray  # (rows, runs) index in ``table`` of each run's first token
    length: np.ndarray  # (rows, runs) tokens in each run; 0 = absent


class PackedRows(Part):
    """A part that is whole rows already packed: one run per row, the runs end to end over the
    whole table (made by ``packed_rows``). ``pack`` of it alone returns its table as it is."""


def packed_rows(ids: np.ndarray, offsets: np.ndarray) -> PackedRows:
    """Rows ``ids[offsets[r] : offsets[r + 1]]`` (``offsets[0] == 0``, ``offsets[-1] ==
    len(ids)``), as one part."""
    return PackedRows(ids, offsets[:-1, None], np.diff(offsets)[:, None])


def token(rows: int, token_id: int, present: np.ndarray | None = None) -> Part:
    """The structural token ``token_id`` in every row (or in the rows where ``present``)."""
    length = np.ones((rows, 1), dtype=np.intp)
    if present is not None:
        length *= present.reshape(rows, 1)
    return Part(_TOKEN_TABLE, np.full((rows, 1), token_id, dtype=np.intp), length)


def runs(ids: np.ndarray, begin: np.ndarray, length: np.ndarray) -> Part:
    """Runs of the rows of ``ids`` ``(rows, width)``: run ``j`` of row ``r`` is
    ``ids[r, begin[r, j] : begin[r, j] + length[r, j]]`` (``begin``, ``length`` broadcast to
    ``(rows, runs)``)."""
    rows, width = ids.shape
    row_start = np.arange(0, rows * width, width, dtype=np.intp).reshape(rows, 1)
    start = row_start + begin
    length = np.broadcast_to(np.asarray(length, dtype=np.intp), start.shape)
    return Part(ids.reshape(-1), start, length)


def span(ids: np.ndarray, begin: np.ndarray | int, end: np.ndarray | int) -> Part:
    """One run per row: ``ids[r, begin[r] : end[r]]`` (empty where ``end <= begin``)."""
    rows = ids.shape[0]
    begin = np.broadcast_to(np.asarray(begin, dtype=np.intp), (rows,))
    length = np.maximum(np.asarray(end, dtype=np.intp) - begin, 0)
    return runs(ids, begin[:, None], np.broadcast_to(length, (rows,))[:, None])


def prefix(ids: np.ndarray, lengths: np.ndarray) -> Part:
    """The first ``lengths[r]`` entries of row ``r``."""
    return span(ids, 0, lengths)


def in_rows(part: Part, first: int, rows: int) -> Part:
    """``part``, whose rows are rows ``first ..`` of a batch of ``rows``, absent from the others."""
    count, width = part.start.shape
    start = np.zeros((rows, width), dtype=np.intp)
    length = np.zeros((rows, width), dtype=np.intp)
    start[first : first + count] = part.start
    length[first : first + count] = part.length
    return Part(part.table, start, length)


def reorder_rows(part: Part, order: np.ndarray) -> Part:
    """``part`` with row ``r`` of the result being row ``order[r]`` of ``part``."""
    return Part(part.table, part.start[order], part.length[order])


def pack(parts: list[Part]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate parts row by row: ``(flat_ids, offsets)`` with ``rows + 1`` offsets (the
    ``pack_groups`` of one group that makes every row, in order)."""
    if len(parts) == 1 and isinstance(parts[0], PackedRows):
        rows = parts[0].start.shape[0]
        offsets = np.empty(rows + 1, dtype=np.int64)
        offsets[:-1] = parts[0].start[:, 0]
        offsets[-1] = parts[0].table.size
        return parts[0].table, offsets
    return kernels.choose("pack_groups")([(parts, None)], parts[0].start.shape[0])


def _kernel_runs(parts: list[Part]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``parts`` in the types the kernel reads (no copy where they have them already; the
    tables C-ordered and aligned)."""
    return [
        (
            np.require(part.table, ID_DTYPE, "CA"),
            np.asarray(part.start, dtype=np.int64),
            np.asarray(part.length, dtype=np.int64),
        )
        for part in parts
    ]


def _pack_numpy(parts: list[Part]) -> tuple[np.ndarray, np.ndarray]:
    """``pack`` in numpy: one gather of the runs' entries from the tables laid end to end."""
    tables: dict[tuple[int, int], int] = {}  # (address, size) of a table -> its offset
    pieces, size = [], 0
    starts, lengths = [], []
    for part in parts:
        key = (part.table.__array_interface__["data"][0], part.table.size)
        if key not in tables:
            tables[key] = size
            pieces.append(part.table)
            size += part.table.size
        offset = tables[key]
        starts.append(part.start + offset if offset else part.start)
        lengths.append(part.length)
    rows = starts[0].shape[0]
    start = np.hstack(starts).reshape(-1)
    length = np.hstack(lengths).reshape(-1)
    run_end = np.cumsum(length)
    offsets = np.zeros(rows + 1, dtype=np.int64)
    if length.size:
        offsets[1:] = run_end.reshape(rows, -1)[:, -1]
    table = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
    return table.take(_run_indices(start, length, run_end)), offsets


def _run_indices(start: np.ndarray, length: np.ndarray, run_end: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(start, length)])``, as the running sum of
    steps that are 1 inside a run and jump to the next run's start between runs."""
    total = int(run_end[-1]) if run_end.size else 0
    # Run i's jump, from one past the end of run i - 1 to its own start, lands on its first
    # token. The empty runs before a run land on the same token and their jumps add up to the
    # jump from the last non-empty run, so no run needs to be left out.
    jump = start.copy()
    jump[1:] -= start[:-1] + length[:-1]
    steps = np.ones(total + 1, dtype=np.intp)  # one spare entry: empty runs may end the table
    steps[0] = 0
    np.add.at(steps, run_end - length, jump)
    return np.cumsum(steps[:total], out=steps[:total])


def pack_groups(
    groups: list[tuple[list[Part], np.ndarray | None]], rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """``pack`` of groups of parts that each make some rows of a batch of ``rows``: row ``i`` of
    the group ``(parts, places)`` is row ``places[i]`` of the result (``places`` None: row ``i``,
    for a lone group of every row). Each row of the batch is in at most one group; rows in none
    are empty."""
    return kernels.choose("pack_groups")(groups, rows)


def pack_groups_native(
    groups: list[tuple[list[Part], np.ndarray | None]], rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """``pack_groups`` by the compiled kernel: each group's runs go straight to their rows."""
    offsets = np.empty(rows + 1, dtype=np.int64)
    runs_of_groups = [
        (_kernel_runs(parts), None if places is None else np.require(places, np.int64, "CA"))
        for parts, places in groups
    ]
    flat = kernels.native.pack_groups(runs_of_groups, offsets)
    return np.frombuffer(flat, dtype=ID_DTYPE), offsets


def pack_groups_numpy(
    groups: list[tuple[list[Part], np.ndarray | None]], rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """``pack_groups`` in numpy: each group packed, then its rows moved to their places."""
    if len(groups) == 1 and groups[0][1] is None:
        return _pack_numpy(groups[0][0])
    packed = [(_pack_numpy(parts), places) for parts, places in groups]
    lengths = np.zeros(rows, dtype=np.int64)
    for (_, offsets), places in packed:
        lengths[places] = np.diff(offsets)
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.empty(offsets[-1], dtype=ID_DTYPE)
    for (values, group_offsets), places in packed:
        group_lengths = np.diff(group_offsets)
        shift = np.repeat(offsets[places] - group_offsets[:-1], group_lengths)
        flat[np.arange(len(values)) + shift] = values
    return flat, offsets


def symbol_ids(symbol_ids_row: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Token ids of sample indices: ``symbol_ids_row`` ``(rows, 68)``, ``indices`` ``(rows, ...)``.

    Negative indices (padding) map to the first symbol; callers leave them out of their runs.
    Indices are below 68.
    """
    rows, width = symbol_ids_row.shape
    base = (np.arange(rows, dtype=np.int64) * width).reshape((rows,) + (1,) * (indices.ndim - 1))
    return symbol_ids_row.ravel().take(base + np.maximum(indices, 0))
