"""The TFDS builder ``lime`` through TFDS's own entry points: registration in any import order,
TFDS's builder test harness, examples equal to the core's in id order for every config and both
file formats (``tfds.load``, ``as_dataset``, ``tfds.data_source``, ``builder_from_directory``), the
``tfds build`` command line, bad parameters and the generated metadata files.

Builds are small and shared per module: TensorFlow's import alone costs seconds. The shard writer
itself is tested in ``test_tfds_writer.py``, Apache Beam builds in ``test_tfds_beam.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

tfds = pytest.importorskip("tensorflow_datasets")
pytest.importorskip("tensorflow")
pytest.importorskip("array_record")

from package_build import build_py  # noqa: E402

import lime_datasets  # noqa: E402
from lime_datasets import citation  # noqa: E402
from lime_datasets.configs import CONFIGS, get_config  # noqa: E402
from lime_datasets.core.config import SPLITS  # noqa: E402
from lime_datasets.core.records import COLUMNS  # noqa: E402
from lime_datasets.core.tasks import TASKS  # noqa: E402
from lime_datasets.core.version import DATA_VERSION, DATA_VERSIONS  # noqa: E402
from lime_datasets.tfds import examples as examples_lib  # noqa: E402
from lime_datasets.tfds import metadata  # noqa: E402
from lime_datasets.tfds.lime import lime_dataset_builder  # noqa: E402
from lime_datasets.tfds.manifests import recorded_manifests  # noqa: E402
from lime_datasets.tfds.registration import BUILDER_MODULE  # noqa: E402

REPO = Path(lime_datasets.__file__).resolve().parent.parent
Builder = lime_dataset_builder.Builder
# Distinct sizes per split, so a split mix-up cannot go unnoticed.
SMALL = {"num_train": 150, "num_validation": 40, "num_test": 30}


def read_split(builder, split: str) -> list[dict]:
    """Every example of a prepared split through ``tf.data``, in file order, as Python values."""
    return [as_python(e) for e in tfds.as_numpy(builder.as_dataset(split=split,
                                                                  shuffle_files=False))]


def as_python(example) -> dict:
    return {
        "id": int(example["id"]),
        "task": example["task"].decode(),
        "source": example["source"].decode(),
        "target": example["target"].decode(),
        "source_ids": example["source_ids"].tolist(),
        "target_ids": example["target_ids"].tolist(),
    }


def core_rows(name: str, split: str, start: int = 0, stop: int | None = None, **params
              ) -> list[dict]:
    """The core's rows, in id order."""
    return lime_datasets.generate(name, split, start, stop, **params).to_pylist()


def prepare(name: str, data_dir: Path, *, file_format: str = "tfrecord",
            download_config=None, **params):
    builder = tfds.builder("lime", config=lime_datasets.tfds_config(name, **params),
                           data_dir=data_dir, file_format=file_format)
    builder.download_and_prepare(download_config=download_config)
    return builder


def shard_files(builder) -> dict[str, bytes]:
    """The prepared data folder's files by name (everything but ``dataset_info.json``, which
    records where the folder was built)."""
    return {p.name: p.read_bytes() for p in sorted(Path(builder.data_path).iterdir())
            if p.name != "dataset_info.json"}


def run_python(code: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with this checkout importable."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        cwd=REPO, env=_env(), timeout=300, **kwargs,
    )


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


# --- registration and import -------------------------------------------------------------------

FIRST_STEPS = {
    "lime_datasets": "import lime_datasets",
    "tensorflow_datasets": "import tensorflow_datasets",
    "tfds_config": "import lime_datasets; lime_datasets.tfds_config('deduct', num_train=5)",
    "builder_module": f"import {BUILDER_MODULE}",
}


@pytest.mark.slow
@pytest.mark.parametrize("first", list(FIRST_STEPS))
def test_registered_once_and_builds_in_any_import_order(first, tmp_path):
    result = run_python(f"""
        import sys, warnings
        warnings.simplefilter("error", RuntimeWarning)  # a failed registration warns
        {FIRST_STEPS[first]}
        import lime_datasets, tensorflow_datasets as tfds
        builder_cls = tfds.builder_cls("lime")
        builder = tfds.builder("lime", config=lime_datasets.tfds_config(
            "deduct", num_train=5, num_validation=2, num_test=1), data_dir={str(tmp_path)!r})
        builder.download_and_prepare()
        print(builder_cls.__module__, builder_cls.name, builder.info.splits.total_num_examples,
              "tensorflow" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == [BUILDER_MODULE, "lime", "8", "False"]


@pytest.mark.parametrize("name", ["lime/dedcut", "lime/abdcut:1.0.0"])
def test_a_mistyped_config_lists_the_close_names(name, tmp_path):
    close = "deduct" if "dedcut" in name else "abduct"
    with pytest.raises(ValueError, match=f"no config '{name[5:].partition(':')[0]}'.*'{close}'"):
        tfds.builder(name, data_dir=tmp_path)
    with pytest.raises(ValueError, match=f"Did you mean '{close}'"):
        tfds.load(name, data_dir=tmp_path, download=False)


def test_import_lime_datasets_stays_light():
    result = run_python("""
        import sys, lime_datasets
        assert callable(lime_datasets.tfds_config)
        print(sorted(m for m in ("tensorflow_datasets", "tensorflow", "apache_beam")
                     if m in sys.modules))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_one_config_per_registry_entry():
    assert [config.name for config in Builder.BUILDER_CONFIGS] == list(CONFIGS)
    for config in Builder.BUILDER_CONFIGS:
        assert config.lime_config is CONFIGS[config.name]
        assert config.description == CONFIGS[config.name].description


def test_version_and_release_notes_come_from_the_data_versions():
    assert str(Builder.VERSION) == DATA_VERSION
    assert Builder.RELEASE_NOTES == dict(DATA_VERSIONS)


# --- builder configs for any parameters --------------------------------------------------------

def test_tfds_config_without_changes_is_the_registered_config():
    for name in CONFIGS:
        assert lime_datasets.tfds_config(name) is Builder.builder_configs[name]
    seed = CONFIGS["mixed"].seed
    assert lime_datasets.tfds_config("mixed", seed=seed) is Builder.builder_configs["mixed"]


def test_distinct_parameters_get_distinct_names_and_data_dirs(tmp_path):
    a = lime_datasets.tfds_config("mixed", num_train=100, seed=7)
    same = lime_datasets.tfds_config("mixed", seed=7, num_train=100)
    other_seed = lime_datasets.tfds_config("mixed", num_train=100, seed=8)
    other_weights = lime_datasets.tfds_config(
        "mixed", num_train=100, seed=7, task_weights={"deduct": 2, "abduct": 1, "induct": 1})
    assert a.name == same.name
    assert len({a.name, other_seed.name, other_weights.name}) == 3
    for config in (a, other_seed, other_weights):
        assert config.name.startswith("mixed-")
        assert config.name not in CONFIGS
        assert tfds.core.naming.DatasetName(f"lime/{config.name}")  # a valid TFDS name
    paths = {tfds.builder("lime", config=c, data_dir=tmp_path).data_path for c in
             (a, other_seed, other_weights)}
    assert len(paths) == 3
    assert a.lime_config == get_config("mixed", num_train=100, seed=7)


def test_a_custom_config_reads_as_its_name_parameters_and_columns():
    config = lime_datasets.tfds_config("abduct", columns="ids", num_train=10)
    text = str(config)
    assert text.startswith(f"{config.name} (parameters {{")
    assert '"num_train": 10' in text and "columns 'ids'" in text and "LimeConfig(" not in text


def test_parameters_in_the_dataset_name_equal_tfds_config(tmp_path):
    builder = tfds.builder("lime/mixed/seed=7,num_train=100", data_dir=tmp_path)
    expected = lime_datasets.tfds_config("mixed", seed=7, num_train=100)
    assert builder.builder_config.name == expected.name
    assert builder.builder_config.lime_config == expected.lime_config


# --- columns -------------------------------------------------------------------------------------

@pytest.mark.parametrize("columns", ["text", "ids"])
def test_columns_store_only_those_fields_in_a_config_of_their_own(columns, tmp_path):
    whole = lime_datasets.tfds_config("abduct", **SMALL)
    config = lime_datasets.tfds_config("abduct", columns=columns, **SMALL)
    assert config.name == f"{whole.name}-{columns}"
    assert lime_datasets.tfds_config("abduct", columns=columns).name == f"abduct-{columns}"
    by_name = tfds.builder(f"lime/abduct/columns={columns},num_train=150,num_validation=40,"
                           "num_test=30", data_dir=tmp_path)
    assert by_name.builder_config.name == config.name
    builder = tfds.builder("lime", config=config, data_dir=tmp_path)
    assert builder.data_path != tfds.builder("lime", config=whole, data_dir=tmp_path).data_path
    builder.download_and_prepare()
    fields = COLUMNS[columns]
    assert list(builder.info.features) == list(fields)
    for split in SPLITS:
        examples = list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
        expected = [{name: row[name] for name in fields}
                    for row in core_rows("abduct", split, **SMALL)]
        got = [{name: (e[name].tolist() if name.endswith("_ids") else
                       e[name].decode() if isinstance(e[name], bytes) else int(e[name]))
                for name in fields} for e in examples]
        assert got == expected
    recorded = recorded_manifests(builder)
    assert recorded["train"] == lime_datasets.manifest("abduct", "train", columns=columns,
                                                       **SMALL)
    key, example = next(iter(builder._generate_examples("test")))  # the per-example path
    assert (key, list(example)) == (0, list(fields))


def test_columns_are_checked_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="columns must be one of both, text, ids.*'idz'"):
        lime_datasets.tfds_config("abduct", columns="idz")
    with pytest.raises(ValueError, match="columns must be one of"):
        tfds.builder("lime/abduct/columns=tokens", data_dir=tmp_path)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("overrides", [
    {"vocab_size": 10},
    {"num_train": -1},
    {"seed": "seven"},
    {"max_steps": 0},
    {"task_weights": {"nope": 1.0}},
])
def test_bad_parameters_raise_the_core_error(overrides, tmp_path):
    with pytest.raises(ValueError) as core_error:
        get_config("mixed", **overrides)
    message = str(core_error.value)
    with pytest.raises(ValueError, match=re.escape(message)):
        lime_datasets.tfds_config("mixed", **overrides)
    with pytest.raises(ValueError, match=re.escape(message)):
        tfds.builder("lime", config="mixed", data_dir=tmp_path, **overrides)
    assert not any(tmp_path.iterdir())  # raised before any work


@pytest.mark.parametrize(("name", "overrides"), [("nope", {"seed": 1}), ("mixed", {"colour": 1})])
def test_unknown_config_or_parameter_raises_the_core_error(name, overrides):
    with pytest.raises(ValueError) as core_error:
        get_config(name, **overrides)
    with pytest.raises(ValueError, match=re.escape(str(core_error.value))):
        lime_datasets.tfds_config(name, **overrides)


# --- plain builds: TFDS's harness, and every config equal to the core --------------------------

@pytest.mark.slow
class TestTfdsBuilderHarness(tfds.testing.DatasetBuilderTestCase):
    """TFDS's own builder checks: registration, specs, tags, counts, reload, disjoint splits."""

    DATASET_CLASS = Builder
    BUILDER_CONFIG_NAMES_TO_TEST = [
        lime_datasets.tfds_config("mixed", **SMALL),
        lime_datasets.tfds_config("induct_v2_double", **SMALL),
    ]
    SPLITS = {split: SMALL[f"num_{split}"] for split in SPLITS}
    # Nothing is downloaded; the harness only needs an existing folder here.
    EXAMPLE_DIR = str(metadata.BUILDER_DIR)

    @pytest.fixture(autouse=True)
    def _data_dir_under_pytest(self, tmp_path):
        self._data_dir = tmp_path

    def _make_builder(self, config=None):
        return self.dataset_class(data_dir=self._data_dir, config=config, version=self.VERSION)


@pytest.fixture(scope="module")
def plain_builds(tmp_path_factory):
    """Every registry config, small, built once in the default (tfrecord) format."""
    data_dir = tmp_path_factory.mktemp("tfrecord")
    return {name: prepare(name, data_dir, **SMALL) for name in CONFIGS}


@pytest.fixture(scope="module")
def array_record_builds(tmp_path_factory):
    """Every registry config, small, as array_record (what ``tfds.data_source`` reads)."""
    data_dir = tmp_path_factory.mktemp("array_record")
    return {name: prepare(name, data_dir, file_format="array_record", **SMALL)
            for name in CONFIGS}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_config_loads_the_cores_rows_in_id_order(plain_builds, name):
    builder = plain_builds[name]
    assert builder.info.disable_shuffling
    assert builder.info.splits.total_num_examples == sum(SMALL.values())
    for split in SPLITS:
        assert read_split(builder, split) == core_rows(name, split, **SMALL)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_config_as_data_source_is_the_cores_rows_in_id_order(array_record_builds, name):
    builder = array_record_builds[name]
    for split in SPLITS:
        source = builder.as_data_source(split=split)
        assert [as_python(record) for record in source] == core_rows(name, split, **SMALL)


def tfrecords(paths) -> list[bytes]:
    """The records of TFRecord files, read (and CRC-checked) by TensorFlow."""
    import tensorflow as tf

    return [bytes(r) for r in tfds.as_numpy(tf.data.TFRecordDataset([str(p) for p in paths]))]


def test_both_formats_hold_the_same_records(plain_builds, array_record_builds):
    """The array_record files hold exactly the tfrecord files' records (same serializer)."""
    from array_record.python.array_record_module import ArrayRecordReader

    from lime_datasets.tfds.example_proto import serialize_batch

    builder = array_record_builds["mixed"]
    for split in SPLITS:
        records = []
        for path in sorted(Path(builder.data_path).glob(f"lime-{split}.array_record-*")):
            reader = ArrayRecordReader(str(path))
            records += reader.read_all()
            reader.close()
        table = lime_datasets.generate("mixed", split, **SMALL)
        assert records == [r.as_py() for b in table.to_batches() for r in serialize_batch(b)]
        tfrecord_folder = Path(plain_builds["mixed"].data_path)
        assert tfrecords(sorted(tfrecord_folder.glob(f"lime-{split}.tfrecord-*"))) == records


def test_tfds_load_reads_the_build_in_id_order(plain_builds):
    builder = plain_builds["abduct"]
    dataset = tfds.load("lime", split="validation", data_dir=builder.data_dir_root,
                        builder_kwargs={"config": builder.builder_config}, download=False)
    assert [int(e["id"]) for e in tfds.as_numpy(dataset)] == list(range(SMALL["num_validation"]))


def test_the_split_infos_are_exact(plain_builds):
    """Shard names by TFDS's template; lengths and byte sizes as the files hold them."""
    builder = plain_builds["rewrite"]
    info = json.loads((Path(builder.data_path) / "dataset_info.json").read_text())
    assert info["disableShuffling"] is True
    for entry in info["splits"]:
        split = entry["name"]
        paths = sorted(Path(builder.data_path).glob(f"lime-{split}.tfrecord-*"))
        assert [p.name for p in paths] == [
            f"lime-{split}.tfrecord-{i:05d}-of-{len(paths):05d}" for i in range(len(paths))]
        records = [tfrecords([p]) for p in paths]
        assert [int(n) for n in entry["shardLengths"]] == [len(r) for r in records]
        assert int(entry["numBytes"]) == sum(len(r) for shard in records for r in shard)
        framing = 16 * sum(len(r) for r in records)  # length, its CRC, data, its CRC
        assert sum(p.stat().st_size for p in paths) == int(entry["numBytes"]) + framing


def test_builder_from_directory_reads_the_build(plain_builds):
    builder = plain_builds["induct"]
    reread = tfds.builder_from_directory(builder.data_path)
    assert reread.info.splits["train"].shard_lengths == builder.info.splits["train"].shard_lengths
    for split in SPLITS:
        rows = [as_python(e) for e in tfds.as_numpy(reread.as_dataset(split=split))]
        assert rows == core_rows("induct", split, **SMALL)


def test_info_metadata_comes_from_the_generated_files(plain_builds):
    info = plain_builds["mixed"].info
    assert info.description == metadata.readme().strip()  # TFDS strips the file's text
    assert info.citation.strip() == metadata.citations().strip()
    assert info.homepage == citation.HOMEPAGE
    assert info.supervised_keys == ("source", "target")
    assert set(info.features) == set(lime_datasets.generate("mixed", "test", 0, 0).schema.names)
    assert Builder.get_metadata().tags == [tag for tag, _ in metadata.TAGS]


def test_batch_examples_of_a_sliced_batch_equal_the_core_rows():
    import numpy as np

    whole = lime_datasets.generate("mixed", "train", 0, 60).combine_chunks().to_batches()[0]
    batch = whole.slice(13, 30)  # its arrays start at an offset into their buffers
    expected = {row["id"]: row for row in core_rows("mixed", "train", 13, 43)}
    found = {}
    for key, example in examples_lib.batch_examples(batch):
        assert type(key) is int and key == example["id"]
        assert all(type(example[field]) is str for field in ("task", "source", "target"))
        for field in ("source_ids", "target_ids"):
            assert isinstance(example[field], np.ndarray) and example[field].dtype == np.int32
        found[key] = {**example, "source_ids": example["source_ids"].tolist(),
                      "target_ids": example["target_ids"].tolist()}
    assert found == expected


# --- random access -----------------------------------------------------------------------------

RANDOM_ACCESS = {"num_train": 60, "num_validation": 25, "num_test": 40}
RANDOM_ACCESS_NAME = f"lime/mixed/{','.join(f'{k}={v}' for k, v in RANDOM_ACCESS.items())}"


@pytest.fixture(scope="module")
def array_record_dir(tmp_path_factory):
    """``mixed`` prepared as array_record by ``tfds.data_source``, in its own data directory."""
    data_dir = tmp_path_factory.mktemp("data_source")
    tfds.data_source(RANDOM_ACCESS_NAME, split="test", data_dir=data_dir,
                     builder_kwargs={"file_format": "array_record"})
    return data_dir


@pytest.mark.parametrize("split", SPLITS)
def test_data_source_item_k_is_example_k(array_record_dir, split):
    source = tfds.data_source(RANDOM_ACCESS_NAME, split=split, data_dir=array_record_dir,
                              builder_kwargs={"file_format": "array_record"}, download=False)
    size = RANDOM_ACCESS[f"num_{split}"]
    assert len(source) == size
    for position in reversed(range(size)):  # any order: random access
        assert as_python(source[position]) == lime_datasets.example(
            "mixed", split, position, **RANDOM_ACCESS)


def test_data_source_builds_and_reads_without_tensorflow(tmp_path):
    result = run_python(f"""
        import importlib.machinery, json, sys

        class HideTensorFlow:  # as if TensorFlow were not installed
            @staticmethod
            def find_spec(name, path=None, target=None):
                if name.partition(".")[0] == "tensorflow":
                    return None
                return importlib.machinery.PathFinder.find_spec(name, path, target)

        sys.meta_path[:] = [HideTensorFlow if f is importlib.machinery.PathFinder else f
                            for f in sys.meta_path]
        import lime_datasets, tensorflow_datasets as tfds
        source = tfds.data_source({RANDOM_ACCESS_NAME!r}, split="validation",
                                  data_dir={str(tmp_path)!r},
                                  builder_kwargs={{"file_format": "array_record"}})
        record = source[3]
        expected = lime_datasets.example("mixed", "validation", 3, **{RANDOM_ACCESS!r})
        print(json.dumps([len(source), int(record["id"]),
                          record["source"].decode() == expected["source"],
                          record["source_ids"].tolist() == expected["source_ids"],
                          "tensorflow" in sys.modules]))
    """)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [
        RANDOM_ACCESS["num_validation"], 3, True, True, False]


# --- the tfds command line ---------------------------------------------------------------------

CLI_SIZES = {"num_train": 60, "num_validation": 10, "num_test": 20}


def tfds_cli(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "tensorflow_datasets.scripts.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=_env(),
                          timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("file_format", ["tfrecord", "array_record"])
def test_tfds_build_command_writes_the_builders_files(tmp_path, file_format):
    pytest.importorskip("mlcroissant")
    params = ",".join(f"{key}={value}" for key, value in CLI_SIZES.items())
    done = tfds_cli("build", f"lime/abduct/{params}", "--imports", "lime_datasets",
                    "--data_dir", str(tmp_path / "cli"), "--file_format", file_format)
    assert done.returncode == 0, done.stderr[-3000:]
    config = lime_datasets.tfds_config("abduct", **CLI_SIZES)
    built = tfds.builder("lime", config=config, data_dir=tmp_path / "cli")
    assert built.is_prepared()
    reference = prepare("abduct", tmp_path / "api", file_format=file_format, **CLI_SIZES)
    assert shard_files(built) == shard_files(reference)
    assert built.info.splits["train"].num_examples == CLI_SIZES["num_train"]


# --- metadata files ----------------------------------------------------------------------------

def test_metadata_files_match_the_registry():
    assert metadata.drifted() == [], "run: python -m lime_datasets.tfds.metadata"


def test_metadata_drift_is_detected(tmp_path):
    metadata.write(tmp_path)
    assert metadata.drifted(tmp_path) == []
    (tmp_path / "TAGS.txt").write_text("content.data-type.text\n")
    (tmp_path / "README.md").unlink()
    assert metadata.drifted(tmp_path) == ["README.md", "TAGS.txt"]


def test_readme_lists_every_config_and_task_from_the_registry():
    readme = metadata.readme()
    for name, config in CONFIGS.items():
        assert f"| `{name}` |" in readme
        assert f"{config.num_train:,}" in readme
    for task in TASKS.values():
        assert task.summary in readme
    for version, note in DATA_VERSIONS:
        assert f"{version}: {note}" in readme


def test_tags_are_in_the_tfds_vocabulary():
    valid = set(tfds.core.dataset_metadata.valid_tags())
    assert {tag for tag, _ in metadata.TAGS} <= valid


def test_metadata_files_ship_in_the_wheel(tmp_path):
    """setuptools' build_py (what a wheel contains) copies the three files beside the builder."""
    setuptools = pytest.importorskip("setuptools")
    del setuptools
    build_lib = build_py(tmp_path)
    shipped = build_lib / "lime_datasets" / "tfds" / "lime"
    for name in metadata.FILES:
        assert (shipped / name).read_text() == (metadata.BUILDER_DIR / name).read_text()
