"""The TFDS builder ``lime``: registration, TFDS's own builder test harness, examples equal to the
core's for every config, random access through ``tfds.data_source``, Apache Beam builds, the
``tfds build`` command line, bad parameters and the generated metadata files.

Builds are small and shared per module: TensorFlow's import alone costs seconds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

tfds = pytest.importorskip("tensorflow_datasets")
pytest.importorskip("tensorflow")
pytest.importorskip("array_record")

import lime_datasets  # noqa: E402
from lime_datasets import citation  # noqa: E402
from lime_datasets.configs import CONFIGS, get_config  # noqa: E402
from lime_datasets.core.config import SPLITS  # noqa: E402
from lime_datasets.core.tasks import TASKS  # noqa: E402
from lime_datasets.core.version import DATA_VERSION, DATA_VERSIONS  # noqa: E402
from lime_datasets.tfds import IncompleteBuildError, metadata  # noqa: E402
from lime_datasets.tfds import examples as examples_lib  # noqa: E402
from lime_datasets.tfds.lime import lime_dataset_builder  # noqa: E402
from lime_datasets.tfds.registration import BUILDER_MODULE  # noqa: E402

REPO = Path(lime_datasets.__file__).resolve().parent.parent
Builder = lime_dataset_builder.Builder
# Distinct sizes per split, so a split mix-up cannot go unnoticed.
SMALL = {"num_train": 150, "num_validation": 40, "num_test": 30}
# Spans several core blocks (the Beam elements), the last one partial.
BEAM_SIZES = {"num_train": 2500, "num_validation": 1200, "num_test": 300}
BEAM_CONFIG = "mixed"
TWO_WORKERS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
IN_MEMORY = "--direct_running_mode=in_memory"


def read_split(builder, split: str) -> dict[int, dict]:
    """Every example of a prepared split through ``tf.data``, as plain Python values, by id."""
    rows = {}
    for example in tfds.as_numpy(builder.as_dataset(split=split)):
        row = as_python(example)
        assert row["id"] not in rows, f"id {row['id']} appears twice in {split}"
        rows[row["id"]] = row
    return rows


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
              ) -> dict[int, dict]:
    table = lime_datasets.generate(name, split, start, stop, **params)
    return {row["id"]: row for row in table.to_pylist()}


def prepare(name: str, data_dir: Path, *, file_format: str = "tfrecord",
            download_config=None, **params):
    builder = tfds.builder("lime", config=lime_datasets.tfds_config(name, **params),
                           data_dir=data_dir, file_format=file_format)
    builder.download_and_prepare(download_config=download_config)
    return builder


def assert_nothing_left(builder, data_dir: Path) -> None:
    """No dataset directory and no data file (TFDS's own ``lime/.config`` note aside)."""
    assert not builder.data_path.exists()
    left = [p for p in data_dir.rglob("*") if p.is_file() and ".config" not in p.parts]
    assert left == []


def beam_config(*flags: str):
    import apache_beam as beam

    options = beam.options.pipeline_options.PipelineOptions(["--runner=DirectRunner", *flags])
    return tfds.download.DownloadConfig(beam_options=options)


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

@pytest.mark.parametrize("first", ["lime_datasets", "tensorflow_datasets", BUILDER_MODULE])
def test_registered_as_lime_in_any_import_order(first):
    result = run_python(f"""
        import sys
        import {first}
        import lime_datasets, tensorflow_datasets as tfds
        builder_cls = tfds.builder_cls("lime")
        print(builder_cls.__module__, builder_cls.name, "tensorflow" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [BUILDER_MODULE, "lime", "False"]


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


def test_parameters_in_the_dataset_name_equal_tfds_config(tmp_path):
    builder = tfds.builder("lime/mixed/seed=7,num_train=100", data_dir=tmp_path)
    expected = lime_datasets.tfds_config("mixed", seed=7, num_train=100)
    assert builder.builder_config.name == expected.name
    assert builder.builder_config.lime_config == expected.lime_config


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


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_config_equals_the_core_by_id(plain_builds, name):
    builder = plain_builds[name]
    assert builder.info.splits.total_num_examples == sum(SMALL.values())
    for split in SPLITS:
        assert read_split(builder, split) == core_rows(name, split, **SMALL)


def test_info_metadata_comes_from_the_generated_files(plain_builds):
    info = plain_builds["mixed"].info
    assert info.description == metadata.readme().strip()  # TFDS strips the file's text
    assert info.citation.strip() == metadata.citations().strip()
    assert info.homepage == citation.HOMEPAGE
    assert info.supervised_keys == ("source", "target")
    assert set(info.features) == set(lime_datasets.generate("mixed", "test", 0, 0).schema.names)
    assert Builder.get_metadata().tags == [tag for tag, _ in metadata.TAGS]


def test_a_plain_build_that_loses_examples_fails(tmp_path, monkeypatch):
    real = examples_lib.examples

    def lossy(config, split, start, stop):
        return (item for item in real(config, split, start, stop) if item[0] != 7)

    monkeypatch.setattr(examples_lib, "examples", lossy)
    builder = tfds.builder("lime", config=lime_datasets.tfds_config("deduct", **SMALL),
                           data_dir=tmp_path)
    with pytest.raises(IncompleteBuildError, match="train"):
        builder.download_and_prepare()
    assert_nothing_left(builder, tmp_path)


def test_batch_examples_of_a_sliced_batch_equal_the_core_rows():
    import numpy as np

    whole = lime_datasets.generate("mixed", "train", 0, 60).combine_chunks().to_batches()[0]
    batch = whole.slice(13, 30)  # its arrays start at an offset into their buffers
    expected = core_rows("mixed", "train", 13, 43)
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
    """``mixed`` prepared as array_record, in its own data directory (tfds.load reads tfrecord)."""
    data_dir = tmp_path_factory.mktemp("array_record")
    tfds.data_source(RANDOM_ACCESS_NAME, split="test", data_dir=data_dir,
                     builder_kwargs={"file_format": "array_record"})
    return data_dir


@pytest.mark.parametrize("split", SPLITS)
def test_data_source_random_access_equals_example(array_record_dir, split):
    source = tfds.data_source(RANDOM_ACCESS_NAME, split=split, data_dir=array_record_dir,
                              builder_kwargs={"file_format": "array_record"}, download=False)
    size = RANDOM_ACCESS[f"num_{split}"]
    assert len(source) == size
    seen = set()
    for position in reversed(range(size)):  # any order: random access
        record = as_python(source[position])
        assert record == lime_datasets.example("mixed", split, record["id"], **RANDOM_ACCESS)
        seen.add(record["id"])
    assert seen == set(range(size))


def test_data_source_reads_without_tensorflow(array_record_dir):
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
                                  data_dir={str(array_record_dir)!r},
                                  builder_kwargs={{"file_format": "array_record"}},
                                  download=False)
        record = source[3]
        expected = lime_datasets.example("mixed", "validation", int(record["id"]),
                                         **{RANDOM_ACCESS!r})
        print(json.dumps([record["source"].decode() == expected["source"],
                          record["source_ids"].tolist() == expected["source_ids"],
                          "tensorflow" in sys.modules]))
    """)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, True, False]


# --- Apache Beam -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def beam_reference(tmp_path_factory):
    """The plain build of the Beam test config, by id: what every Beam build must equal."""
    pytest.importorskip("apache_beam")
    builder = prepare(BEAM_CONFIG, tmp_path_factory.mktemp("beam-reference"), **BEAM_SIZES)
    return {split: read_split(builder, split) for split in SPLITS}


@pytest.mark.slow
@pytest.mark.parametrize("run", range(3))
def test_beam_build_with_two_workers_equals_the_plain_build(beam_reference, tmp_path, run):
    builder = prepare(BEAM_CONFIG, tmp_path, download_config=beam_config(*TWO_WORKERS),
                      **BEAM_SIZES)
    for split in SPLITS:
        assert read_split(builder, split) == beam_reference[split]


@pytest.mark.slow
def test_beam_reference_equals_the_core(beam_reference):
    for split in SPLITS:
        assert beam_reference[split] == core_rows(BEAM_CONFIG, split, **BEAM_SIZES)


@pytest.mark.slow
def test_a_beam_build_that_loses_examples_fails(tmp_path, monkeypatch):
    pytest.importorskip("apache_beam")
    real = examples_lib.block_examples

    def lossy(block, config, split):  # as if the runner dropped one example of block 1
        return (item for item in real(block, config, split) if item[0] != examples_lib.BLOCK_SIZE)

    monkeypatch.setattr(examples_lib, "block_examples", lossy)
    config = lime_datasets.tfds_config(BEAM_CONFIG, **BEAM_SIZES)
    builder = tfds.builder("lime", config=config, data_dir=tmp_path)
    # In this process, so that the patch holds (worker processes would import the real module).
    with pytest.raises(IncompleteBuildError) as error:
        builder.download_and_prepare(download_config=beam_config(IN_MEMORY))
    assert "'train': 2499" in str(error.value) and "'train': 2500" in str(error.value)
    assert_nothing_left(builder, tmp_path)


@pytest.mark.parametrize(("flags", "warns"), [
    (TWO_WORKERS, True),
    (["--direct_running_mode=multi_threading", "--direct_num_workers=2"], True),
    ([IN_MEMORY], False),
    ([], False),  # the DirectRunner's default mode is in_memory
])
def test_direct_runner_hazard_is_recognised(flags, warns):
    beam = pytest.importorskip("apache_beam")
    from lime_datasets.tfds.beam_hazard import direct_runner_hazard

    options = beam.options.pipeline_options.PipelineOptions(["--runner=DirectRunner", *flags])
    assert (direct_runner_hazard(options, None) is not None) == warns
    other = beam.options.pipeline_options.PipelineOptions(["--runner=DataflowRunner", *flags])
    assert direct_runner_hazard(other, None) is None


def test_builder_warns_before_a_hazardous_beam_build(tmp_path):
    pytest.importorskip("apache_beam")
    download_config = beam_config(*TWO_WORKERS)
    download_config.max_examples_per_split = 0  # TFDS then stops before generating anything
    builder = tfds.builder("lime", config=lime_datasets.tfds_config("deduct", **SMALL),
                           data_dir=tmp_path)
    with pytest.warns(RuntimeWarning, match="DirectRunner in multi_processing mode"):
        builder.download_and_prepare(download_config=download_config)


@pytest.mark.slow
def test_beam_build_honours_max_examples_per_split(tmp_path):
    pytest.importorskip("apache_beam")
    download_config = beam_config(IN_MEMORY)
    download_config.max_examples_per_split = 1500
    builder = prepare(BEAM_CONFIG, tmp_path, download_config=download_config, **BEAM_SIZES)
    assert {name: info.num_examples for name, info in builder.info.splits.items()} == {
        "train": 1500, "validation": 1200, "test": 300}
    assert read_split(builder, "train") == core_rows(BEAM_CONFIG, "train", 0, 1500,
                                                       **BEAM_SIZES)


# --- the tfds command line ---------------------------------------------------------------------

CLI_SIZES = {"num_train": 60, "num_validation": 10, "num_test": 20}


def tfds_cli(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "tensorflow_datasets.scripts.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=_env(),
                          timeout=600)


def assert_prepared_equal_to_core(name: str, data_dir: Path, **params) -> None:
    builder = tfds.builder("lime", config=lime_datasets.tfds_config(name, **params),
                           data_dir=data_dir)
    assert builder.is_prepared()
    for split in SPLITS:
        assert read_split(builder, split) == core_rows(name, split, **params)


@pytest.mark.slow
def test_tfds_build_command_builds_a_small_config(tmp_path):
    pytest.importorskip("mlcroissant")
    params = ",".join(f"{key}={value}" for key, value in CLI_SIZES.items())
    done = tfds_cli("build", f"lime/abduct/{params}", "--imports", "lime_datasets",
                    "--data_dir", str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert_prepared_equal_to_core("abduct", tmp_path, **CLI_SIZES)


@pytest.mark.slow
def test_tfds_build_command_with_beam_options(tmp_path):
    pytest.importorskip("mlcroissant")
    pytest.importorskip("apache_beam")
    params = ",".join(f"{key}={value}" for key, value in CLI_SIZES.items())
    done = tfds_cli("build", f"lime/rewrite/{params}", "--imports", "lime_datasets",
                    "--data_dir", str(tmp_path),
                    "--beam_pipeline_options", "runner=DirectRunner,direct_running_mode=in_memory")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "train split as an Apache Beam pipeline" in done.stdout  # the builder's log line
    assert_prepared_equal_to_core("rewrite", tmp_path, **CLI_SIZES)


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
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "lime_datasets", source / "lime_datasets",
                    ignore=shutil.ignore_patterns("__pycache__"))
    build_lib = tmp_path / "build"
    done = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "build_py",
         "--build-lib", str(build_lib)],
        capture_output=True, text=True, cwd=source, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shipped = build_lib / "lime_datasets" / "tfds" / "lime"
    for name in metadata.FILES:
        assert (shipped / name).read_text() == (metadata.BUILDER_DIR / name).read_text()
