"""Exports (JSONL, Parquet, fairseq text) written by an Apache Beam pipeline, to any filesystem Beam
has: local paths, ``gs://``, ``s3://``, ``hdfs://`` ...

The pipeline distributes shard jobs only (``beam.Create(jobs) | beam.Map(write_shard)``): each
worker runs the local ``export`` of one shard into a local temporary folder and copies the
finished files through ``apache_beam.io.filesystems.FileSystems`` into a hidden staging folder of
the output, with a report of what it wrote. The driver then checks that every shard was written,
with the rows and files its shard must have, and renames the files into place, every shard's
metadata last. So the output is byte for byte the files of ``lime-datasets export --shard I/N``
for every ``I``, ``lime-datasets fingerprint --check`` verifies it, and a failed or short run
publishes nothing. A driver killed before it publishes leaves only the hidden
``.lime-beam-<id>.tmp`` folder in the output; one killed while renaming leaves data files without
their metadata, which a rerun with ``overwrite`` replaces.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import shlex
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from typing import Any

from .configs import get_config
from .core.config import SPLITS, LimeConfig
from .core.records import DEFAULT_COLUMNS
from .core.suggest import did_you_mean
from .export import (
    FORMATS,
    METADATA,
    Shard,
    check_format_columns,
    export,
    parse_splits,
    planned_files,
)

REPORT = "lime-beam-report.json"
STAGING_PREFIX = ".lime-beam-"
_COPY_CHUNK = 1 << 24


class IncompleteExportError(RuntimeError):
    """The pipeline finished without writing every shard as it must be; nothing was published."""


@dataclasses.dataclass(frozen=True)
class ShardJob:
    """Shard ``shard`` of ``splits`` of ``config`` in ``fmt`` with the fields of ``columns``, to
    be staged under ``staging``."""

    config: LimeConfig
    fmt: str
    splits: tuple[str, ...]
    shard: Shard
    staging: str
    columns: str = DEFAULT_COLUMNS

    @property
    def folder(self) -> str:
        """Where the attempts at this shard put their files (one subfolder per attempt)."""
        from apache_beam.io.filesystems import FileSystems

        return FileSystems.join(self.staging, f"shard-{self.shard.index:05d}")


def export_beam(
    name_or_config: str | LimeConfig,
    out: str | os.PathLike,
    *,
    num_shards: int,
    fmt: str = "jsonl",
    splits: Sequence[str] | str = SPLITS,
    beam_options: Any = None,
    overwrite: bool = False,
    columns: str = DEFAULT_COLUMNS,
    **parameters: Any,
) -> list[dict[str, Any]]:
    """Export ``splits`` in ``num_shards`` shards by a Beam pipeline; return the shards' metadata.

    ``out`` is a folder on any filesystem Beam supports. ``beam_options`` are the pipeline's
    options: a ``PipelineOptions``, a list of flags, or one string of flags
    (``"--runner=DirectRunner --direct_num_workers=2 --direct_running_mode=multi_processing"``);
    None runs Beam's default runner. ``parameters`` override the named config's (``num_train``,
    ``seed``, ...); ``columns`` keeps the text, the token ids or both, as in ``export``. The files
    equal those of ``export(config, out, fmt=fmt, shard=Shard(i, num_shards), columns=columns)``
    for every ``i``. Everything is validated before the pipeline starts
    (``ValueError`` naming the parameter); an existing file is never replaced without
    ``overwrite``. ``IncompleteExportError`` if the runner did not write every shard.
    """
    config = _resolve_config(name_or_config, parameters)
    _refuse_hub(fmt)
    check_format_columns(fmt, columns)
    splits = parse_splits(splits if isinstance(splits, str) else ",".join(splits))
    if (isinstance(num_shards, bool) or not isinstance(num_shards, int)
            or not 1 <= num_shards <= 99_999):
        raise ValueError("num_shards (--num-shards) must be an integer from 1 to 99999; "
                         f"got {num_shards!r}")
    options = pipeline_options(beam_options)
    import apache_beam as beam
    from apache_beam.io.filesystems import FileSystems

    try:
        pipeline = beam.Pipeline(options=options)
    except ValueError as error:  # an unknown runner
        raise ValueError(f"beam_options (--beam-options): {error}") from None
    out = _absolute(os.fspath(out))
    shards = [Shard(index, num_shards) for index in range(num_shards)]
    if not overwrite:
        _refuse_existing(out, [name for shard in shards
                               for name in planned_files(fmt, splits, shard)])

    staging = FileSystems.join(out, f"{STAGING_PREFIX}{uuid.uuid4().hex[:8]}.tmp")
    jobs = [ShardJob(config, fmt, splits, shard, staging, columns) for shard in shards]
    try:
        with pipeline:
            _ = (pipeline
                 | "Shards" >> beam.Create(jobs, reshuffle=True)
                 | "Export" >> beam.Map(write_shard))
        attempts = [_checked_attempt(job) for job in jobs]
        metadata = [_read_json(FileSystems.join(attempt, METADATA + job.shard.label + ".json"))
                    for job, attempt in zip(jobs, attempts, strict=True)]
        if not overwrite:  # nothing may have appeared while the pipeline ran
            _refuse_existing(out, [name for job in jobs
                                   for name in planned_files(fmt, splits, job.shard)])
        _publish(out, jobs, attempts)
    finally:
        _remove_folder(staging)
    return metadata


def pipeline_options(beam_options: Any):
    """``beam_options`` as a ``PipelineOptions``; ``ValueError`` for a flag Beam does not know or
    a value it refuses (flags given as text or a list; a ``PipelineOptions`` is taken as is)."""
    from .extras import require

    require("apache_beam", "lime_datasets.beam")
    from apache_beam.options.pipeline_options import PipelineOptions

    if isinstance(beam_options, PipelineOptions):
        return beam_options
    if beam_options is None:
        flags: list[str] = []
    elif isinstance(beam_options, str):
        flags = shlex.split(beam_options)
    elif isinstance(beam_options, Sequence) and all(isinstance(f, str) for f in beam_options):
        flags = list(beam_options)
    else:
        raise ValueError("beam_options must be a PipelineOptions, a string of flags or a list "
                         f"of flags; got {beam_options!r}")
    options = PipelineOptions(flags)
    unknown: list[str] = []
    known: list[str] = []

    def find_unknown(parser: Any) -> None:  # Beam's parser, once every option is declared
        unknown.extend(parser.parse_known_args(flags)[1])
        known.extend(parser._option_string_actions)

    try:
        with contextlib.redirect_stderr(io.StringIO()) as messages:
            options.get_all_options(add_extra_args_fn=find_unknown,
                                    retain_unknown_options=True)  # no warning: refused below
    except SystemExit:
        lines = messages.getvalue().strip().splitlines() or ["not accepted by Beam"]
        reason = lines[-1].partition(" error: ")[2] or lines[-1]  # without argparse's prog
        raise ValueError(f"beam_options (--beam-options) {flags!r}: {reason}") from None
    if unknown:
        flag = unknown[0].partition("=")[0]
        raise ValueError(f"beam_options (--beam-options): {flag!r} is not an Apache Beam "
                         f"pipeline option{did_you_mean(flag, known)}")
    return options


def write_shard(job: ShardJob) -> str:
    """Export one shard into a local temporary folder and copy its files into a new attempt
    folder of the shard's staging folder, the report last; return the attempt folder."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    attempt = FileSystems.join(job.folder, uuid.uuid4().hex)
    names = planned_files(job.fmt, job.splits, job.shard)
    with tempfile.TemporaryDirectory(prefix="lime-beam-") as local:
        metadata = export(job.config, local, splits=job.splits, fmt=job.fmt, shard=job.shard,
                          columns=job.columns)
        written = sorted(os.listdir(local))
        if written != sorted(names):
            raise IncompleteExportError(f"shard {job.shard.index}: the export wrote {written}, "
                                        f"expected {sorted(names)}")
        sizes = {}
        for name in names:
            path = os.path.join(local, name)
            with open(path, "rb") as source, FileSystems.create(
                FileSystems.join(attempt, name), compression_type=CompressionTypes.UNCOMPRESSED
            ) as target:
                shutil.copyfileobj(source, target, _COPY_CHUNK)
            sizes[name] = os.path.getsize(path)
    report = {
        "shard": [job.shard.index, job.shard.count],
        "rows": {split: [info["start"], info["stop"]]
                 for split, info in metadata["splits"].items()},
        "files": sizes,
    }
    with FileSystems.create(FileSystems.join(attempt, REPORT),
                            compression_type=CompressionTypes.UNCOMPRESSED) as target:
        target.write(json.dumps(report).encode())
    return attempt


def _checked_attempt(job: ShardJob) -> str:
    """The folder of a complete attempt at ``job``: its report lists the shard's rows of every
    split and every file it must have, each staged with the reported size."""
    from apache_beam.io.filesystems import FileSystems

    where = f"shard {job.shard.index} of {job.shard.count}"
    pattern = FileSystems.join(job.folder, "*", REPORT)
    reports = sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
    if not reports:
        raise IncompleteExportError(f"the pipeline did not write {where}; nothing was published")
    report = _read_json(reports[0])
    attempt = reports[0][: -len(REPORT) - 1]
    rows = {split: job.shard.rows(job.config.split_size(split)) for split in job.splits}
    if report["shard"] != [job.shard.index, job.shard.count] or {
        split: tuple(span) for split, span in report["rows"].items()
    } != rows:
        raise IncompleteExportError(f"{where} reports rows {report['rows']}, not {rows}; "
                                    "nothing was published")
    names = planned_files(job.fmt, job.splits, job.shard)
    if list(report["files"]) != names:
        raise IncompleteExportError(f"{where} reports the files {list(report['files'])}, not "
                                    f"{names}; nothing was published")
    paths = [FileSystems.join(attempt, name) for name in names]
    for name, result in zip(names, FileSystems.match(paths), strict=True):
        sizes = [m.size_in_bytes for m in result.metadata_list]
        if sizes != [report["files"][name]]:
            raise IncompleteExportError(f"{where}: {name} is missing or not the size its worker "
                                        "reported; nothing was published")
    return attempt


def _publish(out: str, jobs: list[ShardJob], attempts: list[str]) -> None:
    """Rename every staged file into ``out``: the data files of all shards, then the metadata."""
    from apache_beam.io.filesystems import FileSystems

    names = [(attempt, name) for job, attempt in zip(jobs, attempts, strict=True)
             for name in planned_files(job.fmt, job.splits, job.shard)]
    for last in (False, True):
        batch = [(attempt, name) for attempt, name in names if name.startswith(METADATA) == last]
        FileSystems.rename([FileSystems.join(attempt, name) for attempt, name in batch],
                           [FileSystems.join(out, name) for _, name in batch])


def _resolve_config(name_or_config: str | LimeConfig, parameters: dict[str, Any]) -> LimeConfig:
    if isinstance(name_or_config, LimeConfig):
        return name_or_config.replace(**parameters) if parameters else name_or_config
    return get_config(name_or_config, **parameters)


def _refuse_hub(fmt: str) -> None:
    if fmt == "hub":
        raise ValueError(
            "fmt (--format) 'hub' cannot be written by a Beam pipeline: the Hub folder is one "
            f"unsharded folder (--shard refuses it too); use one of {', '.join(FORMATS)}, or "
            "lime_datasets.hub.export_hub on one machine"
        )


def _absolute(out: str) -> str:
    """A local ``out`` made absolute (Beam's workers may run elsewhere); URLs as they are."""
    from apache_beam.io.filesystems import FileSystems

    if FileSystems.get_scheme(out):
        return out
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"out (--out) {out} exists and is not a folder")
    return os.path.abspath(out)


def _refuse_existing(out: str, names: list[str]) -> None:
    from apache_beam.io.filesystems import FileSystems

    for name in names:
        path = FileSystems.join(out, name)
        if FileSystems.exists(path):
            raise ValueError(f"{path} exists; pass --overwrite (overwrite=True) to replace it")


def _read_json(path: str) -> Any:
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as source:
        return json.loads(source.read().decode("utf-8"))


def _remove_folder(folder: str) -> None:
    """Delete ``folder`` and everything under it, on any filesystem (object stores have no
    folders, only the files under the prefix)."""
    from apache_beam.io.filesystems import FileSystems

    found = FileSystems.match([FileSystems.join(folder, "**")])[0].metadata_list
    if found:
        FileSystems.delete([m.path for m in found])
    if FileSystems.exists(folder):
        FileSystems.delete([folder])
