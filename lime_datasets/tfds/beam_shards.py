"""Shard files written by Apache Beam workers: the pipeline distributes shard specs only.

``beam.Create(specs) | beam.Map(write)``: each worker writes whole shards with the same code as
the local pool (``shards.write_shard``), so the files are byte for byte those of a local build,
and no runner ships examples between stages. Each written shard leaves a small report beside it,
which the driver reads (and removes) to check every shard's count.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from .shards import ShardResult, ShardSpec, write_shard

REPORT_SUFFIX = ".lime-shard.json"


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
    """Write one shard and its report; return the shard's path."""
    result = write_shard(spec)
    report = spec.path + REPORT_SUFFIX
    temporary = f"{report}.{os.getpid()}"
    with open(temporary, "w") as file:
        json.dump(dataclasses.asdict(result), file)
    os.replace(temporary, report)
    return spec.path


def _read_report(spec: ShardSpec) -> ShardResult:
    report = spec.path + REPORT_SUFFIX
    if not os.path.exists(report):
        return ShardResult(spec.path, 0, 0)
    with open(report) as file:
        result = ShardResult(**json.load(file))
    os.remove(report)
    return result
