"""Block manifests: what a split (or a build of it) holds, as one digest per block of rows.

A manifest is a JSON-ready dict::

    {"config": name, "split": split, "data_version": "1.0.0", "parameters": {...},
     "columns": "both", "rows": 5000000, "block_size": 1000,
     "blocks": [hex digest of block 0, of block 1, ...], "fingerprint": hex}

``blocks`` and ``fingerprint`` are defined in ``core.fingerprint``. A build computes them from the
batches it writes (``BlockHasher``), in the processes that write them, and joins its processes'
pieces with ``manifest_from_pieces``; ``split_manifest`` computes them by generating the split.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from .config import LimeConfig
from .fingerprint import BlockDigest, BlockHasher, RowHasher, fingerprint_of_blocks
from .generate import BLOCK_SIZE, check_range, iter_batches
from .records import DEFAULT_COLUMNS, check_columns, select_columns
from .version import DATA_VERSION

ROWS_PER_BATCH = 8 * 1024


def make_manifest(config: LimeConfig, split: str, columns: str,
                  blocks: list[str]) -> dict[str, Any]:
    """The manifest of a split of ``config`` whose block digests are ``blocks``."""
    return {
        "config": config.name,
        "split": split,
        "data_version": DATA_VERSION,
        "parameters": config.parameters(),
        "columns": columns,
        "rows": config.split_size(split),
        "block_size": BLOCK_SIZE,
        "blocks": list(blocks),
        "fingerprint": fingerprint_of_blocks(blocks),
    }


def range_digests(config: LimeConfig, split: str, start: int, stop: int,
                  columns: str = DEFAULT_COLUMNS) -> list[BlockDigest]:
    """The block digests of rows ``start .. stop - 1`` of a split, generated here."""
    check_columns(columns)
    stop = check_range(config, split, start, stop)
    hasher = BlockHasher(start)
    for batch in iter_batches(config, split, start, stop, rows_per_batch=ROWS_PER_BATCH):
        hasher.update(select_columns(batch, columns))
    return hasher.finish()


def split_manifest(config: LimeConfig, split: str, columns: str = DEFAULT_COLUMNS
                   ) -> dict[str, Any]:
    """The manifest of a whole split, computed by generating it in this process."""
    digests = range_digests(config, split, 0, config.split_size(split), columns)
    return make_manifest(config, split, columns, [block.digest for block in digests])


def manifest_from_pieces(config: LimeConfig, split: str, columns: str,
                         digests: Iterable[BlockDigest],
                         partial_rows: dict[int, pa.Table] | None = None) -> dict[str, Any]:
    """The manifest of a split from the block digests its writers recorded, in any order.

    A block cut between writers comes as partial digests whose rows are in ``partial_rows``
    (first row -> rows, as ``BlockHasher(keep_partial=True)`` keeps them); they are joined here.
    ``ValueError`` if the pieces do not cover every row of the split exactly once.
    """
    size = config.split_size(split)
    whole: dict[int, str] = {}
    parts: dict[int, list[BlockDigest]] = {}
    for digest in digests:
        if digest.is_whole(size):
            if digest.block in whole:
                raise ValueError(f"block {digest.block} of {split} was recorded twice")
            whole[digest.block] = digest.digest
        else:
            parts.setdefault(digest.block, []).append(digest)
    for block, pieces in parts.items():
        whole[block] = _join(block, pieces, size, partial_rows or {})
    count = -(-size // BLOCK_SIZE)
    missing = [block for block in range(count) if block not in whole]
    if missing or len(whole) != count:
        raise ValueError(f"the recorded blocks of {split} do not cover it: block "
                         f"{missing[0] if missing else max(whole)} is "
                         f"{'missing' if missing else 'out of range'}")
    return make_manifest(config, split, columns, [whole[block] for block in range(count)])


def _join(block: int, pieces: list[BlockDigest], size: int,
          partial_rows: dict[int, pa.Table]) -> str:
    """The digest of a block from the rows of its pieces."""
    pieces = sorted(pieces, key=lambda piece: piece.start)
    position = block * BLOCK_SIZE
    hasher = RowHasher()
    for piece in pieces:
        if piece.start != position or piece.start not in partial_rows:
            raise ValueError(f"block {block} is recorded in pieces that do not join up "
                             f"(rows {piece.start}..{piece.stop})")
        hasher.update(partial_rows[piece.start])
        position = piece.stop
    if position != min(size, (block + 1) * BLOCK_SIZE):
        raise ValueError(f"the pieces of block {block} end at row {position}")
    return hasher.hexdigest()
