"""Exports written by an Apache Beam pipeline (``lime_datasets.beam``, ``export --beam-options``):
the files of the local shard exports byte for byte, checked by ``fingerprint --check``, with
bad input refused before any work and a runner that drops a shard publishing nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

beam = pytest.importorskip("apache_beam")

from apache_beam.io.filesystem import FileMetadata, FileSystem  # noqa: E402

from lime_datasets import beam as beam_export  # noqa: E402
from lime_datasets.cli import EXIT_MISMATCH, EXIT_USAGE, main  # noqa: E402
from lime_datasets.configs import get_config  # noqa: E402
from lime_datasets.core.config import SPLITS  # noqa: E402
from lime_datasets.export import Shard, export, planned_files  # noqa: E402

SIZES = {"num_train": 300, "num_validation": 70, "num_test": 10}
NUM_SHARDS = 3
IN_MEMORY = "--runner=DirectRunner --direct_running_mode=in_memory"
TWO_WORKERS = ("--runner=DirectRunner --direct_running_mode=multi_processing "
               "--direct_num_workers=2")
FORMATS = ("jsonl", "parquet", "fairseq")
SIZE_FLAGS = ["--num-train", "300", "--num-validation", "70", "--num-test", "10"]


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every entry of ``folder`` (hidden ones too) and its bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def local_shards(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """Per format, the files of ``export --shard I/3`` for every I, written one by one."""
    config = get_config("mixed", **SIZES)
    files = {}
    for fmt in FORMATS:
        folder = tmp_path_factory.mktemp(fmt)
        for index in range(NUM_SHARDS):
            export(config, folder, fmt=fmt, shard=Shard(index, NUM_SHARDS))
        files[fmt] = folder_files(folder)
    return files


@pytest.mark.parametrize("fmt", FORMATS)
def test_in_memory_pipeline_writes_the_local_shards(local_shards, tmp_path, fmt):
    out = tmp_path / "out"
    metadata = beam_export.export_beam("mixed", out, fmt=fmt, num_shards=NUM_SHARDS,
                                       beam_options=IN_MEMORY, **SIZES)
    assert folder_files(out) == local_shards[fmt]
    assert sorted(local_shards[fmt]) == sorted(
        name for index in range(NUM_SHARDS)
        for name in planned_files(fmt, SPLITS, Shard(index, NUM_SHARDS)))
    assert [m["shard"] for m in metadata] == [{"index": i, "count": NUM_SHARDS}
                                              for i in range(NUM_SHARDS)]
    assert sum(m["splits"]["train"]["stop"] - m["splits"]["train"]["start"]
               for m in metadata) == SIZES["num_train"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_two_worker_processes_write_the_local_shards(local_shards, tmp_path, fmt):
    out = tmp_path / "out"
    beam_export.export_beam("mixed", out, fmt=fmt, num_shards=NUM_SHARDS,
                            beam_options=TWO_WORKERS.split(), **SIZES)
    assert folder_files(out) == local_shards[fmt]


class MemoryFileSystem(FileSystem):
    """``memory://`` paths held in a dict: an object store like ``gs://`` (no folders; a rename
    is a copy and a delete), which only Beam's ``FileSystems`` can reach."""

    objects: dict[str, bytes] = {}

    @classmethod
    def scheme(cls):
        return "memory"

    def join(self, basepath, *paths):
        return "/".join([basepath.rstrip("/"), *paths])

    def split(self, path):
        return tuple(path.rsplit("/", 1))

    def mkdirs(self, path):
        pass

    def has_dirs(self):
        return False

    def _list(self, prefix):
        for path, data in list(self.objects.items()):
            if path.startswith(prefix):
                yield FileMetadata(path, len(data))

    def create(self, path, *args, **kwargs):
        objects = self.objects

        class Upload(io.BytesIO):
            def close(self):
                if not self.closed:
                    objects[path] = self.getvalue()
                super().close()

        return Upload()

    def open(self, path, *args, **kwargs):
        return io.BytesIO(self.objects[path])

    def copy(self, sources, destinations):
        for source, destination in zip(sources, destinations, strict=True):
            self.objects[destination] = self.objects[source]

    def rename(self, sources, destinations):
        self.copy(sources, destinations)
        self.delete(sources)

    def exists(self, path):
        return path in self.objects

    def size(self, path):
        return len(self.objects[path])

    def last_updated(self, path):
        return 0.0

    def metadata(self, path):
        return FileMetadata(path, self.size(path))

    def checksum(self, path):
        return str(self.size(path))

    def delete(self, paths):
        for path in paths:
            del self.objects[path]


def test_an_object_store_gets_the_local_shards(local_shards, tmp_path):
    MemoryFileSystem.objects.clear()
    beam_export.export_beam("mixed", "memory://bucket/lime", fmt="fairseq", num_shards=NUM_SHARDS,
                            beam_options=IN_MEMORY, **SIZES)
    prefix = "memory://bucket/lime/"
    assert {path.removeprefix(prefix): data
            for path, data in MemoryFileSystem.objects.items()} == local_shards["fairseq"]
    with pytest.raises(ValueError, match="exists; pass --overwrite"):
        beam_export.export_beam("mixed", "memory://bucket/lime", fmt="fairseq",
                                num_shards=NUM_SHARDS, beam_options=IN_MEMORY, **SIZES)


def test_a_config_object_and_some_splits(tmp_path):
    config = get_config("deduct", **SIZES)
    beam_export.export_beam(config, tmp_path / "beam", splits="test,validation", num_shards=2,
                            fmt="parquet", beam_options=IN_MEMORY)
    for index in range(2):
        export(config, tmp_path / "local", splits=("validation", "test"), fmt="parquet",
               shard=Shard(index, 2))
    assert folder_files(tmp_path / "beam") == folder_files(tmp_path / "local")
    assert not list((tmp_path / "beam").glob("train*"))


@pytest.mark.parametrize(("fmt", "columns"), [("parquet", "ids"), ("jsonl", "text")])
def test_columns_give_the_local_shards_of_those_fields(tmp_path, capsys, fmt, columns):
    config = get_config("mixed", **SIZES)
    assert main(["export", "mixed", "--out", str(tmp_path / "beam"), "--format", fmt,
                 *SIZE_FLAGS, "--columns", columns, "--num-shards", "2", "--beam-options",
                 IN_MEMORY, "--quiet"]) == 0
    for index in range(2):
        export(config, tmp_path / "local", fmt=fmt, shard=Shard(index, 2), columns=columns)
    assert folder_files(tmp_path / "beam") == folder_files(tmp_path / "local")
    assert main(["fingerprint", "--check", str(tmp_path / "beam"), "--quiet"]) == 0
    capsys.readouterr()


def test_fingerprint_check_passes_and_finds_a_changed_byte(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["export", "mixed", "--out", str(out), "--format", "jsonl", *SIZE_FLAGS,
                 "--num-shards", str(NUM_SHARDS), "--beam-options", IN_MEMORY]) == 0
    assert "in 3 shards" in capsys.readouterr().out
    assert main(["fingerprint", "--check", str(out), "--quiet"]) == 0
    assert "all files match" in capsys.readouterr().out

    changed = out / "train-00001-of-00003.jsonl"
    data = bytearray(changed.read_bytes())
    position = data.index(b'"target":"') + len(b'"target":"')
    data[position] = ord("9") if data[position] != ord("9") else ord("8")
    changed.write_bytes(bytes(data))
    assert main(["fingerprint", "--check", str(out), "--quiet"]) == EXIT_MISMATCH
    report = capsys.readouterr().out
    assert "mismatch  train-00001-of-00003.jsonl" in report
    assert "1 of" in report


def test_an_existing_output_is_replaced_only_with_overwrite(tmp_path, capsys):
    out = tmp_path / "out"
    command = ["export", "deduct", "--out", str(out), *SIZE_FLAGS, "--num-shards", "2",
               "--beam-options", IN_MEMORY, "--quiet"]
    assert main(command) == 0
    first = folder_files(out)
    (out / "test-00001-of-00002.jsonl").write_bytes(b"stale\n")
    assert main(command) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "exists; pass --overwrite" in error
    assert (out / "test-00001-of-00002.jsonl").read_bytes() == b"stale\n"
    assert main([*command, "--overwrite"]) == 0
    assert folder_files(out) == first


@pytest.mark.parametrize(("flags", "named"), [
    (["--beam-options", IN_MEMORY], "--num-shards"),
    (["--num-shards", "2"], "--beam-options"),
    (["--num-shards", "0", "--beam-options", IN_MEMORY], "--num-shards"),
    (["--num-shards", "2", "--beam-options", IN_MEMORY, "--shard", "0/2"], "--shard"),
    (["--num-shards", "2", "--beam-options", IN_MEMORY, "--num-proc", "2"], "--num-proc"),
    (["--num-shards", "2", "--beam-options", IN_MEMORY, "--format", "hub"], "--format"),
    (["--num-shards", "2", "--beam-options", IN_MEMORY, "--splits", "tran"], "splits"),
    (["--num-shards", "2", "--beam-options", IN_MEMORY, "--vocab-size", "10"], "vocab_size"),
    (["--num-shards", "2", "--beam-options=--runner=NoSuchRunner"], "--beam-options"),
    (["--num-shards", "2", "--beam-options=--direct_num_worker=2"], "'--direct_num_workers'"),
    (["--num-shards", "2", "--beam-options=--direct_running_mode=fast"], "--beam-options"),
    (["--num-shards", "2", "--beam-options", "--direct_num_workers=two --runner=DirectRunner"],
     "--beam-options"),
])
def test_bad_input_is_refused_before_any_work(tmp_path, capsys, monkeypatch, flags, named):
    def no_pipeline(*args, **kwargs):
        raise AssertionError("a pipeline was built")

    monkeypatch.setattr(beam, "Create", no_pipeline)
    out = tmp_path / "out"
    assert main(["export", "mixed", "--out", str(out), *flags]) == EXIT_USAGE
    assert named in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(("arguments", "named"), [
    ({"num_shards": True}, "num_shards"),
    ({"num_shards": 2, "fmt": "hub"}, "fmt"),
    ({"num_shards": 2, "fmt": "csv"}, "format"),
    ({"num_shards": 2, "beam_options": 7}, "beam_options"),
    ({"num_shards": 2, "beam_options": ["--no_such_option"]}, "beam_options"),
    ({"num_shards": 2, "num_train": -1}, "num_train"),
    ({"num_shards": 2, "columns": "tokens"}, "columns"),
    ({"num_shards": 2, "columns": "ids", "fmt": "fairseq"}, "columns"),
])
def test_the_function_refuses_bad_arguments_naming_them(tmp_path, arguments, named):
    with pytest.raises(ValueError, match=named):
        beam_export.export_beam("mixed", tmp_path / "out", **arguments)
    assert not (tmp_path / "out").exists()


def test_an_output_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "out").write_text("a file\n")
    with pytest.raises(ValueError, match="out .* is not a folder"):
        beam_export.export_beam("mixed", tmp_path / "out", num_shards=2, beam_options=IN_MEMORY)


WRITE_SHARD = beam_export.write_shard  # the real worker, for the patched ones below


def _drop_shard_one(job):
    if job.shard.index != 1:
        return WRITE_SHARD(job)
    return None


def _lose_a_file(job):
    attempt = WRITE_SHARD(job)
    if job.shard.index == 0:
        Path(attempt, "train-00000-of-00002.jsonl").unlink()
    return attempt


@pytest.mark.parametrize(("worker", "message"), [
    (_drop_shard_one, "did not write shard 1 of 2"),
    (_lose_a_file, "train-00000-of-00002.jsonl is missing"),
])
def test_a_runner_that_loses_work_publishes_nothing(tmp_path, monkeypatch, worker, message):
    monkeypatch.setattr(beam_export, "write_shard", worker)
    out = tmp_path / "out"
    with pytest.raises(beam_export.IncompleteExportError, match=message):
        beam_export.export_beam("deduct", out, num_shards=2, beam_options=IN_MEMORY, **SIZES)
    assert list(out.iterdir()) == []  # no file published, the staging folder removed

