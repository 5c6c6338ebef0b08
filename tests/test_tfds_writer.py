"""The TFDS builder's own shard writer: the ``tf.train.Example`` serializer against TensorFlow's
and TFDS's, the TFRecord framing against TensorFlow's reader, ArrayRecord files, files that do not
depend on the number of processes, count checks, killed builds and the progress bar.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import hypothesis
import numpy as np
import pyarrow as pa
import pytest

tfds = pytest.importorskip("tensorflow_datasets")
tf = pytest.importorskip("tensorflow")
pytest.importorskip("array_record")
pytest.importorskip("google_crc32c")

import lime_datasets  # noqa: E402
from lime_datasets.configs import CONFIGS, get_config  # noqa: E402
from lime_datasets.core.config import SPLITS  # noqa: E402
from lime_datasets.tfds import IncompleteBuildError, record_files, shards  # noqa: E402
from lime_datasets.tfds.example_proto import (  # noqa: E402
    native_encoder,
    serialize_batch,
    serialize_batch_numpy,
)
from lime_datasets.tfds.examples import batch_examples  # noqa: E402

REPO = Path(lime_datasets.__file__).resolve().parent.parent
SIZES = {"num_train": 300, "num_validation": 70, "num_test": 10}


def build(data_dir: Path, name: str = "mixed", *, num_proc: int | None = None,
          file_format: str = "tfrecord", **params):
    builder = tfds.builder("lime", config=lime_datasets.tfds_config(name, **params),
                           data_dir=data_dir, file_format=file_format, num_proc=num_proc)
    builder.download_and_prepare()
    return builder


def folder_files(builder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(Path(builder.data_path).iterdir())
            if p.name != "dataset_info.json"}


def leftovers(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.rglob("*") if "incomplete" in p.name]


# --- the serializer ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CONFIGS))
def test_records_parse_to_what_tfds_serializes(name, tmp_path):
    """TFDS's own encode + serialize path and ours give the same ``tf.train.Example``."""
    from tensorflow_datasets.core import example_serializer

    features = tfds.builder("lime", config=name, data_dir=tmp_path).info.features
    serializer = example_serializer.ExampleSerializer(features.get_serialized_info())
    batch = lime_datasets.generate(name, "validation", 0, 40).combine_chunks().to_batches()[0]
    batch = batch.slice(3, 30)  # arrays starting at an offset into their buffers
    ours = serialize_batch(batch, shards.LIST_ENCODING)  # what the builder writes
    assert len(ours) == 30
    for (_, example), record in zip(batch_examples(batch), ours, strict=True):
        theirs = serializer.serialize_example(features.encode_example(example))
        assert tf.train.Example.FromString(record.as_py()) == tf.train.Example.FromString(theirs)


needs_compiled_encoder = pytest.mark.skipif(native_encoder() is None,
                                            reason="the compiled _tfrecord is not built")
SERIALIZERS = [pytest.param(serialize_batch, id="compiled", marks=needs_compiled_encoder),
               pytest.param(serialize_batch_numpy, id="numpy")]


@pytest.mark.parametrize("serializer", SERIALIZERS)
@pytest.mark.parametrize("list_encoding", ["int64_list", "bytes"])
def test_records_are_protobufs_deterministic_bytes(list_encoding, serializer):
    """Edge values, against protobuf's deterministic serialization of the same message."""
    batch = pa.record_batch({
        "a_int": pa.array([0, 1, 127, 128, 2**40, -5, 2**63 - 1], pa.int64()),
        "b_ids": pa.array([[], [0], [127, 128, 16383, 16384], [2**31 - 1], [-1], [5] * 300, []],
                          pa.list_(pa.int32())),
        "c_text": pa.array(["", "é ∀", "x" * 200, "y", "z" * 20000, "\0", "end"]),
    })
    records = serializer(batch.slice(1), list_encoding)
    for record, row in zip(records, batch.slice(1).to_pylist(), strict=True):
        if list_encoding == "bytes":
            ids = tf.train.Feature(bytes_list=tf.train.BytesList(
                value=[np.array(row["b_ids"], dtype=np.int32).tobytes()]))
        else:
            ids = tf.train.Feature(int64_list=tf.train.Int64List(value=row["b_ids"]))
        expected = tf.train.Example(features=tf.train.Features(feature={
            "a_int": tf.train.Feature(int64_list=tf.train.Int64List(value=[row["a_int"]])),
            "b_ids": ids,
            "c_text": tf.train.Feature(bytes_list=tf.train.BytesList(
                value=[row["c_text"].encode()])),
        }))
        assert record.as_py() == expected.SerializeToString(deterministic=True)


ROW_VALUES = {
    "id": hypothesis.strategies.integers(-2**63, 2**63 - 1),
    "text": hypothesis.strategies.text(max_size=40),
    "ids": hypothesis.strategies.lists(hypothesis.strategies.integers(-2**31, 2**31 - 1),
                                       max_size=20),
}


@needs_compiled_encoder
@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(rows=hypothesis.strategies.lists(
    hypothesis.strategies.fixed_dictionaries(ROW_VALUES), max_size=30),
    start=hypothesis.strategies.integers(0, 3))
def test_the_compiled_encoder_equals_the_numpy_serializer(rows, start):
    batch = pa.RecordBatch.from_pylist(rows, schema=pa.schema(
        [("id", pa.int64()), ("text", pa.string()), ("ids", pa.list_(pa.int32()))]))
    batch = batch.slice(min(start, batch.num_rows))
    reference = serialize_batch_numpy(batch, "bytes")
    assert serialize_batch(batch, "bytes").to_pylist() == reference.to_pylist()
    fields = lime_datasets.tfds.example_proto.native_fields(batch, "bytes")
    framed, offsets = native_encoder().encode_examples(fields, batch.num_rows, True)
    assert bytes(framed) == bytes(record_files.frame_records_python(reference))
    assert np.diff(np.frombuffer(offsets, dtype=np.int64)).tolist() == [
        len(record) + 16 for record in reference.to_pylist()]


@needs_compiled_encoder
@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_tfrecord_writer_writes_the_same_file_on_both_paths(name, tmp_path, monkeypatch):
    batch = lime_datasets.generate(name, "test", 0, 64).combine_chunks().to_batches()[0]
    files = []
    for native in (True, False):
        if not native:
            monkeypatch.setattr(record_files, "native_fields", lambda *args: None)
            monkeypatch.setattr(record_files, "native_encoder", lambda: None)
        path = tmp_path / f"{native}.tfrecord"
        writer = record_files.open_writer(str(path), "tfrecord")
        sizes = [writer.write_examples(batch.slice(0, 10), shards.LIST_ENCODING),
                 writer.write_examples(batch.slice(10), shards.LIST_ENCODING)]
        writer.close()
        files.append((path.read_bytes(), sizes))
    assert files[0] == files[1]
    assert sum(files[0][1]) == len(files[0][0]) - 16 * 64


def test_the_compiled_encoder_refuses_bad_fields():
    encoder = native_encoder()
    if encoder is None:
        pytest.skip("the compiled _tfrecord is not built")
    offsets = np.array([0, 2, 1], dtype=np.int32)
    with pytest.raises(ValueError, match="offsets must rise"):
        encoder.encode_examples(((b"t", 0, b"abc", offsets, 1),), 2, False)
    with pytest.raises(ValueError, match="offsets must rise"):
        encoder.encode_examples(((b"t", 0, b"abc", np.array([0, 4], np.int32), 1),), 1, False)
    with pytest.raises(ValueError, match="int64 field needs 2"):
        encoder.encode_examples(((b"i", 1, np.zeros(3, np.int64), None, 1),), 2, False)
    with pytest.raises(ValueError, match="kind must be 0"):
        encoder.encode_examples(((b"i", 7, b"", None, 1),), 0, False)
    with pytest.raises(ValueError, match="fields must be a tuple"):
        encoder.encode_examples([(b"i", 1, b"", None, 1)], 0, False)


def test_an_unsupported_column_or_encoding_is_refused():
    with pytest.raises(ValueError, match="cannot serialize a column of type double"):
        serialize_batch(pa.record_batch({"x": pa.array([1.5])}))
    with pytest.raises(ValueError, match="list_encoding must be one of.*'zlib'"):
        serialize_batch(pa.record_batch({"x": pa.array([[1]])}), "zlib")


# --- record files ------------------------------------------------------------------------------

def some_records() -> pa.BinaryArray:
    batch = lime_datasets.generate("rewrite", "train", 0, 500, num_train=500).to_batches()[0]
    return serialize_batch(batch)


def test_tfrecord_files_read_back_through_tensorflow_with_their_crcs(tmp_path):
    records = some_records()
    path = tmp_path / "x.tfrecord"
    writer = record_files.open_writer(str(path), "tfrecord")
    writer.write(records.slice(0, 200))
    writer.write(records.slice(200))
    writer.close()
    read = [bytes(r) for r in tfds.as_numpy(tf.data.TFRecordDataset(str(path)))]
    assert read == records.to_pylist()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1  # one flipped bit: TensorFlow checks the data's CRC
    path.write_bytes(bytes(data))
    with pytest.raises(tf.errors.DataLossError):
        list(tf.data.TFRecordDataset(str(path)))


def test_the_vectorised_crc_equals_google_crc32c():
    import google_crc32c

    rows = np.random.default_rng(0).integers(0, 256, size=(300, 8), dtype=np.uint8)
    assert record_files._crc32c_rows(rows).tolist() == [
        google_crc32c.value(row.tobytes()) for row in rows]


def test_array_record_files_read_back(tmp_path):
    from array_record.python.array_record_module import ArrayRecordReader

    records = some_records()
    path = tmp_path / "x.array_record"
    writer = record_files.open_writer(str(path), "array_record")
    writer.write(records)
    writer.close()
    reader = ArrayRecordReader(str(path))
    assert reader.num_records() == len(records)
    assert reader.read_all() == records.to_pylist()
    assert reader.read([417]) == [records[417].as_py()]
    reader.close()


def test_an_existing_file_is_never_overwritten(tmp_path):
    for file_format in record_files.FILE_FORMATS:
        path = tmp_path / f"x.{file_format}"
        path.write_bytes(b"keep")
        with pytest.raises(FileExistsError):
            record_files.open_writer(str(path), file_format)
        assert path.read_bytes() == b"keep"
    with pytest.raises(ValueError, match="file_format must be one of"):
        record_files.open_writer(str(tmp_path / "y"), "riegeli")


# --- builds with several shards and processes --------------------------------------------------

@pytest.fixture
def small_shards(monkeypatch):
    """Shards of 64 rows, so small builds have several (the pool's workers are forked)."""
    monkeypatch.setattr(shards, "ROWS_PER_SHARD", 64)
    monkeypatch.setattr(shards, "ROWS_PER_BATCH", 24)  # several batches per shard
    return monkeypatch


@pytest.mark.parametrize("cores", [2, 3])
def test_a_core_is_left_to_what_runs_alongside_when_the_workers_would_take_all(
        small_shards, tmp_path, cores):
    """With as many workers as cores, one fewer writes while ``alongside`` runs; the files are
    those of a build without it."""
    config = get_config("mixed", **SIZES)
    log = tmp_path / "log"
    log.mkdir()
    real_write = shards.write_shard

    def logged_write(spec, progress=None):  # runs in the workers, holding the semaphore
        began = time.monotonic()
        result = real_write(spec, progress)
        (log / f"{spec.start}").write_text(f"{began} {time.monotonic()}")
        return result

    alongside_ran, finished = [], threading.Event()

    def alongside():
        began = time.monotonic()
        time.sleep(0.5)
        alongside_ran.append((began, time.monotonic()))
        finished.set()

    small_shards.setattr(shards, "write_shard", logged_write)
    small_shards.setattr(shards, "default_num_proc", lambda: cores)
    specs = [shards.ShardSpec(config, "train", start, stop, str(tmp_path / f"{start}.tfrecord"),
                              "tfrecord")
             for start, stop in shards.shard_ranges(SIZES["num_train"])]
    results = shards.write_shards(specs, 2, alongside=alongside)
    assert finished.wait(30)  # it is not waited for
    assert [r.num_examples for r in results] == [stop - start for start, stop in
                                                 shards.shard_ranges(SIZES["num_train"])]
    [(began, ended)] = alongside_ran
    spans = sorted(tuple(map(float, path.read_text().split())) for path in log.iterdir())
    overlapping_alongside = [
        (a, b) for i, a in enumerate(spans) for b in spans[i + 1:]
        if max(a[0], b[0], began) < min(a[1], b[1], ended)]
    if cores == 2:
        assert overlapping_alongside == []  # never two shards at once while alongside ran
    plain = [shards.write_shard(shards.ShardSpec(config, "train", spec.start, spec.stop,
                                                 spec.path + ".plain", "tfrecord"))
             for spec in specs]
    for spec, written in zip(specs, plain, strict=True):
        assert Path(spec.path).read_bytes() == Path(written.path).read_bytes()


@pytest.mark.parametrize("file_format", ["tfrecord", "array_record"])
def test_the_files_do_not_depend_on_the_number_of_processes(small_shards, tmp_path, file_format):
    one = build(tmp_path / "one", num_proc=1, file_format=file_format, **SIZES)
    two = build(tmp_path / "two", num_proc=2, file_format=file_format, **SIZES)
    three = build(tmp_path / "three", num_proc=3, file_format=file_format, **SIZES)
    small_shards.setattr(shards, "ROWS_PER_BATCH", 4096)  # one batch per shard
    whole = build(tmp_path / "whole", num_proc=2, file_format=file_format, **SIZES)
    assert one.info.splits["train"].shard_lengths == [64, 64, 64, 64, 44]
    assert folder_files(one) == folder_files(two) == folder_files(three) == folder_files(whole)
    for split in SPLITS:
        assert one.info.splits[split].num_bytes == two.info.splits[split].num_bytes
    if file_format == "tfrecord":
        ids = [int(e["id"]) for e in tfds.as_numpy(two.as_dataset(split="train"))]
    else:
        ids = [int(e["id"]) for e in two.as_data_source(split="train")]
    assert ids == list(range(SIZES["num_train"]))


def test_max_examples_per_split_caps_every_split(small_shards, tmp_path):
    builder = tfds.builder("lime", config=lime_datasets.tfds_config("deduct", **SIZES),
                           data_dir=tmp_path)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(max_examples_per_split=65))
    assert {s: i.num_examples for s, i in builder.info.splits.items()} == {
        "train": 65, "validation": 65, "test": 10}
    rows = [e["source"].decode() for e in tfds.as_numpy(builder.as_dataset(split="train"))]
    assert rows == lime_datasets.generate("deduct", "train", 0, 65, **SIZES)["source"].to_pylist()


@pytest.mark.parametrize("num_proc", [0, -1, 1.5, True, "2"])
def test_a_bad_num_proc_is_refused_before_any_work(tmp_path, num_proc):
    with pytest.raises(ValueError, match=f"num_proc must be a positive integer.*{num_proc!r}"):
        tfds.builder("lime", config="deduct", data_dir=tmp_path, num_proc=num_proc)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("num_proc", [1, 2])
def test_a_build_that_writes_too_few_examples_fails_and_leaves_nothing(
        small_shards, tmp_path, monkeypatch, num_proc):
    real = shards.iter_batches

    def short(config, split, start, stop, rows_per_batch):  # the shard's last 16 rows go missing
        batches = list(real(config, split, start, stop, rows_per_batch))
        return batches[:-1] if split == "train" and start == 128 else batches

    monkeypatch.setattr(shards, "iter_batches", short)
    with pytest.raises(IncompleteBuildError, match="'train': 284.*'train': 300"):
        build(tmp_path, num_proc=num_proc, **SIZES)
    assert [p for p in tmp_path.rglob("*") if p.is_file() and ".config" not in p.parts] == []


def test_a_workers_error_fails_the_build_and_leaves_nothing(small_shards, tmp_path, monkeypatch):
    real_open = shards.open_writer

    def open_broken_writer(path, file_format):
        writer = real_open(path, file_format)
        write_examples = writer.write_examples

        def broken(batch, list_encoding):
            if batch.column("id")[0].as_py() == 192:
                raise RuntimeError("serializer broke")
            return write_examples(batch, list_encoding)

        writer.write_examples = broken
        return writer

    monkeypatch.setattr(shards, "open_writer", open_broken_writer)
    with pytest.raises(RuntimeError, match="serializer broke"):
        build(tmp_path, num_proc=2, **SIZES)
    assert [p for p in tmp_path.rglob("*") if p.is_file() and ".config" not in p.parts] == []


# --- killed builds -----------------------------------------------------------------------------

def test_a_rerun_removes_abandoned_build_folders_but_not_a_running_builds(tmp_path):
    import fcntl

    config = lime_datasets.tfds_config("deduct", **SIZES)
    config_dir = tfds.builder("lime", config=config, data_dir=tmp_path).data_path.parent
    version = lime_datasets.DATA_VERSION
    abandoned = config_dir / f"incomplete.AB12CD_{version}"
    running = config_dir / f"incomplete.XY34ZW_{version}"
    other_version = config_dir / "incomplete.QQ00QQ_0.0.1"
    for folder in (abandoned, running, other_version):
        folder.mkdir(parents=True)
        (folder / "lime-train.tfrecord-00000-of-00001").write_bytes(b"partial")
    handle = os.open(running, os.O_RDONLY)
    fcntl.flock(handle, fcntl.LOCK_EX)  # as a build in progress holds it
    try:
        builder = build(tmp_path, "deduct", **SIZES)
    finally:
        os.close(handle)
    assert not abandoned.exists()
    assert running.exists() and other_version.exists()
    assert builder.is_prepared()


KILLED_BUILD = """
    import sys, time
    import lime_datasets, tensorflow_datasets as tfds
    from lime_datasets.tfds import shards

    real = shards.iter_batches
    def slow(*args, **kwargs):  # a long build, killed in the middle
        for batch in real(*args, **kwargs):
            time.sleep(0.2)
            yield batch

    shards.iter_batches = slow
    shards.ROWS_PER_BATCH = 20
    config = lime_datasets.tfds_config("mixed", **eval(sys.argv[2]))
    tfds.builder("lime", config=config, data_dir=sys.argv[1], num_proc=2).download_and_prepare()
"""


def shard_being_written(data_dir: Path) -> bool:
    try:
        return any(data_dir.rglob("incomplete.*.lime-*"))
    except FileNotFoundError:  # a folder went away while listed
        return False


@pytest.mark.slow
def test_a_killed_build_leaves_nothing_a_rerun_trips_on(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_BUILD), str(tmp_path), repr(SIZES)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not shard_being_written(tmp_path):
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the whole group: the workers too
    process.wait(timeout=60)
    assert leftovers(tmp_path)  # what the kill left
    builder = build(tmp_path, **SIZES)
    assert leftovers(tmp_path) == []
    rows = [int(e["id"]) for e in tfds.as_numpy(builder.as_dataset(split="train"))]
    assert rows == list(range(SIZES["num_train"]))


# --- progress ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shown", [True, False])
def test_the_progress_bar_has_a_total_and_follows_tfds_settings(tmp_path, capsys, shown):
    tfds.display_progress_bar(shown)
    try:
        build(tmp_path, "deduct", num_proc=1, **SIZES)
    finally:
        tfds.display_progress_bar(True)
    err = capsys.readouterr().err
    bar = [line for line in err.replace("\r", "\n").splitlines() if "Generating lime/" in line]
    if shown:
        assert bar and all("/380" in line for line in bar), err[-2000:]
    else:
        assert bar == []


def test_the_compiled_framing_equals_the_python_framing():
    _tfrecord = pytest.importorskip("lime_datasets.tfds._tfrecord")
    batch = lime_datasets.generate("mixed", "test", 0, 300).to_batches()[0]
    records = serialize_batch(batch, "bytes")
    for piece in (records, records.slice(17, 100), records.slice(5, 0)):
        compiled = bytes(record_files.frame_records(piece))
        assert compiled == bytes(record_files.frame_records_python(piece))
    assert _tfrecord.crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(hypothesis.strategies.lists(hypothesis.strategies.binary(max_size=300)))
def test_the_compiled_framing_equals_the_python_framing_on_any_records(values):
    pytest.importorskip("lime_datasets.tfds._tfrecord")
    records = pa.array(values, type=pa.binary())
    assert bytes(record_files.frame_records(records)) == bytes(
        record_files.frame_records_python(records))


def test_the_compiled_framing_refuses_bad_offsets():
    _tfrecord = pytest.importorskip("lime_datasets.tfds._tfrecord")
    data = b"abcdef"
    with pytest.raises(ValueError, match="offsets must rise"):
        _tfrecord.frame(data, np.array([0, 4, 2], dtype=np.int64), bytearray(6 + 32))
    with pytest.raises(ValueError, match="offsets must rise"):
        _tfrecord.frame(data, np.array([0, 7], dtype=np.int64), bytearray(7 + 16))
    with pytest.raises(ValueError, match="out must hold"):
        _tfrecord.frame(data, np.array([0, 6], dtype=np.int64), bytearray(5))


@pytest.mark.parametrize("num_proc", [1, 2])
def test_a_build_records_the_manifest_of_what_it_wrote(small_shards, tmp_path, num_proc):
    from lime_datasets.tfds.manifests import recorded_manifests

    built = build(tmp_path, num_proc=num_proc, **SIZES)  # shards of 64 rows cut blocks
    recorded = recorded_manifests(built)
    assert set(recorded) == set(SPLITS)
    for split in SPLITS:
        assert recorded[split] == lime_datasets.manifest("mixed", split, **SIZES)


def test_a_capped_build_records_no_manifest(small_shards, tmp_path):
    from lime_datasets.tfds.manifests import recorded_manifests

    builder = tfds.builder("lime", config=lime_datasets.tfds_config("deduct", **SIZES),
                           data_dir=tmp_path)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(max_examples_per_split=65))
    assert set(recorded_manifests(builder)) == {"test"}  # the only split not cut short
