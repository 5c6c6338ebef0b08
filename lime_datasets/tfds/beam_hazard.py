"""A known Apache Beam hazard that silently loses examples, recognised before a build starts.

The DirectRunner runs batch pipelines on Beam's FnApiRunner. With worker processes or threads
(``direct_running_mode`` ``multi_processing`` or ``multi_threading``) it sends every stage's input
to its workers over gRPC, through an output stream that a background thread flushes every second.
That flush copies the buffer, hands the copy to the send queue and then clears the buffer, while the
runner thread keeps writing further input chunks into the same buffer without the flush's lock:
chunks written during a flush are dropped, with no error. It takes an input that needs more than a
second to write, such as TFDS's writer sending every serialized example of a large split to its
shard-assignment stage and then whole shards to the shard writers. From apache-beam 2.74 the
send queue is bounded, so a flush can block there for long and the loss gets more likely; earlier
versions lose examples too. ``in_memory`` mode (a single in-process worker, no gRPC) and other
runners do not use this stream. The builder verifies every split's count after any build; this
only warns early.
"""

from __future__ import annotations

from typing import Any

GRPC_MODES = ("multi_processing", "multi_threading")


def direct_runner_hazard(beam_options: Any, beam_runner: Any) -> str | None:
    """A warning text if these Beam settings may lose examples, else None."""
    import apache_beam as beam

    options = beam_options or beam.options.pipeline_options.PipelineOptions([])
    runner = beam_runner or options.view_as(beam.options.pipeline_options.StandardOptions).runner
    runner_name = runner if runner is None or isinstance(runner, str) else type(runner).__name__
    if runner_name not in (None, "DirectRunner", "SwitchingDirectRunner"):
        return None
    mode = options.view_as(beam.options.pipeline_options.DirectOptions).direct_running_mode
    if mode not in GRPC_MODES:
        return None
    return (
        f"apache-beam {beam.__version__}'s DirectRunner in {mode} mode can silently drop "
        "examples of large splits (a race in its gRPC data plane); lime_datasets checks every "
        "split's count and fails the build if that happens. direct_running_mode=in_memory and "
        "cluster runners (Dataflow, Flink, Spark) do not have this problem."
    )
