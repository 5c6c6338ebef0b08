"""Shard files written by Apache Beam workers: the pipeline distributes shard specs only.

``beam.Create(specs) | beam.Map(write)``: each worker writes whole shards with the same code as
the local pool (``shards.write_shard``), so the files are byte for byte those of a local build,
and no runner ships examples between stages. Each written shard leaves a small report beside it,
which the driver reads (and removes) to check every shard's count and to join the block digests.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import pyarrow as pa
import pyarrow.ipc

from ..core.fingerprint import BlockDigest
from .shards import ShardResult, ShardSpec, write_shard

REPORT_SUFFIX = ".lime-shard.json"
PARTIAL_SUFFIX = ".arrow"


def write_shards_with_beam(specs: list[ShardSpec], options: Any = None, runner: Any = None
                           ) -> list[ShardResult]:
    """Write every shard with a Beam pipeline; results in ``specs`` order (None: not written)."""
    import apache_beam as beam

    with beam.Pipeline(runner=runner, options=options) as pipeline:
        _ = (pipeline
             | "Shards" >> beam.Create(specs, reshuffle=True)
             | "Write" >> beam.Map(write_reported_shard))
    return [_read_report(spec) for spec in specs]


def write_reported_shard(spec: ShardSpec) -> str:
    """Write one shard and its report; return the shard's path.

    The report holds the shard's counts and block digests; the rows of blocks it holds only part
    of, which the driver joins with the neighbouring shard's, go in an Arrow file beside it,
    written first (the report's presence says both are complete).
    """
    result = write_shard(spec)
    report = spec.path + REPORT_SUFFIX
    for start, rows in result.partial_rows.items():
        _write_atomically(f"{report}.{start}{PARTIAL_SUFFIX}", _arrow_bytes(rows))
    summary = {"path": result.path, "num_examples": result.num_examples,
               "num_bytes": result.num_bytes,
               "blocks": [dataclasses.asdict(block) for block in result.blocks],
               "partial_starts": sorted(result.partial_rows)}
    _write_atomically(report, json.dumps(summary).encode())
    return spec.path


def _read_report(spec: ShardSpec) -> ShardResult:
    report = spec.path + REPORT_SUFFIX
    if not os.path.exists(report):
        return ShardResult(spec.path, 0, 0)
    with open(report) as file:
        summary = json.load(file)
    partial_rows = {}
    for start in summary["partial_starts"]:
        path = f"{report}.{start}{PARTIAL_SUFFIX}"
        with pa.OSFile(path) as source:
            partial_rows[start] = pa.ipc.open_file(source).read_all()
        os.remove(path)
    os.remove(report)
    return ShardResult(summary["path"], summary["num_examples"], summary["num_bytes"],
                       tuple(BlockDigest(**block) for block in summary["blocks"]),
                       partial_rows)


def _arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _write_atomically(path: str, data: bytes) -> None:
    temporary = f"{path}.{os.getpid()}"
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, path)
