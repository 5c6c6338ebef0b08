"""The Hugging Face builder: ``load_dataset("lime", ...)`` for every config, the name binding in
both import orders, ``num_proc``, streaming across ranks and workers, resuming, caching, metadata,
bad parameters, and the Hub-ready export loaded with no package code.

Real ``datasets``, no mocks, small sizes; expected rows and fingerprints come from
``lime_datasets.generate`` and ``lime_datasets.fingerprint`` at test time.
"""

from __future__ import annotations

import configparser
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

datasets = pytest.importorskip("datasets")

import yaml  # noqa: E402  (a dependency of datasets)
from datasets.distributed import split_dataset_by_node  # noqa: E402
from packaging.specifiers import SpecifierSet  # noqa: E402  (a dependency of datasets)

import lime_datasets  # noqa: E402
from lime_datasets import hf, hf_registration, hub  # noqa: E402
from lime_datasets.configs import CONFIGS, get_config  # noqa: E402
from lime_datasets.core.config import PARAMETERS, SPLITS  # noqa: E402
from lime_datasets.core.generate import BLOCK_SIZE  # noqa: E402
from lime_datasets.core.records import FIELDS, SCHEMA  # noqa: E402
from lime_datasets.core.version import DATA_VERSION  # noqa: E402

REPO = Path(lime_datasets.__file__).resolve().parent.parent
# Distinct sizes per split, so a split mix-up cannot go unnoticed; train spans two blocks.
SMALL = {"num_train": 1_200, "num_validation": 130, "num_test": 7}
# Ten blocks, the last one partial: eight block-aligned shards of one or two blocks.
BLOCKS = {"num_train": 9 * BLOCK_SIZE + 123, "num_validation": 40, "num_test": 9}
MIXTURE = next(name for name, config in CONFIGS.items() if len(config.tasks) > 1)
DECLARED = datasets.Features.from_arrow_schema(SCHEMA)


def load(name: str, cache: Path, **kwargs):
    return datasets.load_dataset("lime", name, cache_dir=str(cache), **kwargs)


def rows(dataset) -> pa.Table:
    """A built split as one Arrow table, in id order."""
    return dataset.with_format("arrow")[:].sort_by("id")


def assert_generated(table: pa.Table, name: str, split: str, **parameters) -> None:
    """``table`` holds exactly the rows ``lime_datasets.generate`` gives, id for id."""
    expected = lime_datasets.generate(name, split, **parameters)
    assert table.column_names == expected.column_names
    for column in expected.column_names:
        actual = table.column(column).combine_chunks()
        assert actual.equals(expected.column(column).combine_chunks()), (name, split, column)


def run_python(code: str, *args: object, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (the test's HF cache and offline mode included)."""
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def files_of(dataset) -> list[str]:
    return [entry["filename"] for entry in dataset.cache_files]


# Every config, by name ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_config_loads_by_name_with_the_core_rows(name: str, hf_cache: Path) -> None:
    dataset = load(name, hf_cache, **SMALL)
    config = get_config(name, **SMALL)
    assert list(dataset) == list(SPLITS)
    recorded = hf.recorded_fingerprints(dataset)
    for split in SPLITS:
        assert dataset[split].features == DECLARED
        assert dataset[split].num_rows == config.split_size(split)
        assert_generated(rows(dataset[split]), name, split, **SMALL)
        assert recorded[split] == lime_datasets.fingerprint(name, split, **SMALL)


def test_the_inspect_helpers_know_the_name() -> None:
    assert datasets.get_dataset_config_names("lime") == list(CONFIGS)
    assert datasets.get_dataset_split_names("lime", MIXTURE) == list(SPLITS)
    info = datasets.get_dataset_config_info("lime", MIXTURE, **SMALL)
    config = get_config(MIXTURE, **SMALL)
    assert {s: info.splits[s].num_examples for s in SPLITS} == {
        s: config.split_size(s) for s in SPLITS
    }
    assert list(datasets.get_dataset_infos("lime")) == list(CONFIGS)


def test_metadata_is_declared_and_fingerprints_are_recorded(hf_cache: Path) -> None:
    builder = datasets.load_dataset_builder("lime", MIXTURE, cache_dir=str(hf_cache), **SMALL)
    info = builder.info
    assert "@inproceedings" in info.citation and "LIME" in info.citation
    assert info.homepage.startswith("https://") and info.license
    assert str(info.version) == DATA_VERSION
    assert (info.builder_name, info.dataset_name, info.config_name) == ("lime", "lime", MIXTURE)
    assert info.features == DECLARED
    for meaning in FIELDS.values():
        assert meaning in info.description
    config = get_config(MIXTURE, **SMALL)
    assert {s: info.splits[s].num_examples for s in SPLITS} == {
        s: config.split_size(s) for s in SPLITS
    }
    with pytest.raises(ValueError, match=hf.MANIFEST_FILE):
        hf.recorded_manifests(builder)  # nothing built yet

    builder.download_and_prepare()
    reloaded = datasets.load_dataset_builder("lime", MIXTURE, cache_dir=str(hf_cache), **SMALL)
    expected = {split: lime_datasets.manifest(MIXTURE, split, **SMALL) for split in SPLITS}
    assert hf.recorded_manifests(reloaded) == json.loads(json.dumps(expected))
    for split in SPLITS:  # the description prints them
        assert f"  {split}: {expected[split]['fingerprint']}" in reloaded.info.description
    assert not list(hf_cache.rglob("lime-manifest-piece-*"))  # joined and removed


def test_fingerprints_are_recorded_for_parquet_output_from_two_processes(tmp_path: Path) -> None:
    builder = datasets.load_dataset_builder("lime", MIXTURE, cache_dir=str(tmp_path / "cache"),
                                            **BLOCKS)
    builder.download_and_prepare(output_dir=str(tmp_path / "out"), file_format="parquet",
                                 num_proc=2)
    assert len(list((tmp_path / "out").glob("lime-train-*.parquet"))) == 2
    assert hf.recorded_fingerprints(builder) == {
        split: lime_datasets.fingerprint(MIXTURE, split, **BLOCKS) for split in SPLITS
    }


# Bad parameters -----------------------------------------------------------------------------

BAD = [
    ("deduct", {"num_train": -1}),
    ("deduct", {"vocab_size": 10}),
    ("deduct", {"seed": "seven"}),
    ("deduct", {"colour": "red"}),
    (MIXTURE, {"task_weights": {"no_such_task": 1.0}}),
    ("rewrite_multistep", {"min_steps": 4, "max_steps": 2}),
    ("no_such_config", {}),
]


@pytest.mark.parametrize(("name", "parameters"), BAD)
def test_bad_parameters_raise_the_core_error_before_any_work(
    name: str, parameters: dict, hf_cache: Path
) -> None:
    with pytest.raises(ValueError) as core:
        get_config(name, **parameters)
    for streaming in (False, True):
        with pytest.raises(ValueError) as loaded:
            load(name, hf_cache, streaming=streaming, **parameters)
        assert str(loaded.value) == str(core.value)
    with pytest.raises(ValueError) as direct:
        hf.load_hf(name, cache_dir=str(hf_cache), **parameters)
    assert str(direct.value) == str(core.value)
    assert not list(hf_cache.rglob("*.arrow"))


@pytest.mark.parametrize("keyword", ["data_files", "data_dir"])
def test_data_files_do_not_apply(keyword: str, hf_cache: Path) -> None:
    with pytest.raises(ValueError, match=keyword):
        load("deduct", hf_cache, **{keyword: "somewhere"}, **SMALL)


def test_load_hf_refuses_num_proc_when_streaming() -> None:
    with pytest.raises(ValueError, match="num_proc"):
        hf.load_hf("deduct", streaming=True, num_proc=2, **SMALL)


# Parallel builds, streaming, ranks and workers, resuming -------------------------------------


def test_num_proc_2_builds_what_num_proc_1_builds(tmp_path: Path) -> None:
    one = load(MIXTURE, tmp_path / "one", num_proc=1, **BLOCKS)
    two = load(MIXTURE, tmp_path / "two", num_proc=2, **BLOCKS)
    assert len(files_of(two["train"])) == 2  # really written by two processes
    for split in SPLITS:
        assert rows(two[split]).equals(rows(one[split]))
        assert_generated(rows(two[split]), MIXTURE, split, **BLOCKS)
    assert hf.recorded_manifests(two) == hf.recorded_manifests(one)


@pytest.mark.parametrize("table_rows", [hf.TABLE_ROWS, BLOCK_SIZE])
def test_a_built_split_has_one_record_batch_per_table_of_a_shard(
    table_rows: int, hf_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Opening a built split maps a page of every record batch: few batches keep that small.
    monkeypatch.setattr(hf, "TABLE_ROWS", table_rows)
    dataset = load(MIXTURE, hf_cache, split="train", **BLOCKS)
    written = []
    for path in files_of(dataset):
        with pa.memory_map(path) as source:
            written += [batch.num_rows for batch in pa.ipc.open_stream(source)]
    shards = hf.shard_ranges(BLOCKS["num_train"])
    tables = iter(written)
    for start, stop in shards:  # each cut into the fewest tables of at most table_rows, equal
        count = math.ceil((stop - start) / table_rows)
        sizes = [next(tables) for _ in range(count)]
        assert sum(sizes) == stop - start and max(sizes) - min(sizes) <= 1, sizes
    assert next(tables, None) is None
    blocks = math.ceil(BLOCKS["num_train"] / BLOCK_SIZE)
    assert len(written) == (blocks if table_rows == BLOCK_SIZE else len(shards))
    assert_generated(rows(dataset), MIXTURE, "train", **BLOCKS)


def test_streaming_generates_the_built_rows_without_writing(hf_cache: Path) -> None:
    name = "rewrite_multistep"
    stream = load(name, hf_cache, split="train", streaming=True, **SMALL)
    assert isinstance(stream, datasets.IterableDataset)
    streamed = list(stream)
    assert not list(hf_cache.rglob("*.arrow"))
    built = load(name, hf_cache, split="train", **SMALL)
    assert stream.features == built.features
    assert streamed == built.to_list()


def test_a_split_of_no_rows_is_left_out(hf_cache: Path) -> None:
    empty = {**SMALL, "num_validation": 0}
    assert list(load("deduct", hf_cache, **empty)) == ["train", "test"]
    assert list(load("deduct", hf_cache, streaming=True, **empty)) == ["train", "test"]


def covering(size: int, parts: list[list[int]]) -> None:
    """Every id of the split exactly once, over non-overlapping parts."""
    every = [i for part in parts for i in part]
    assert sorted(every) == list(range(size))


@pytest.mark.slow
@pytest.mark.parametrize("split", SPLITS)
def test_two_ranks_times_two_workers_share_every_id_once(split: str, hf_cache: Path) -> None:
    stream = load(MIXTURE, hf_cache, split=split, streaming=True, **BLOCKS)
    size = get_config(MIXTURE, **BLOCKS).split_size(split)
    parts = []
    for rank in range(2):
        node = split_dataset_by_node(stream, rank=rank, world_size=2)
        for worker in range(2):
            parts.append([row["id"] for row in node.shard(num_shards=2, index=worker)])
    covering(size, parts)
    if stream.num_shards % 4 == 0:  # ranks and workers each get their own shards
        assert all(parts)


@pytest.mark.slow
def test_dataloader_workers_on_two_ranks_see_every_id_once(hf_cache: Path) -> None:
    torch = pytest.importorskip("torch")
    stream = load(MIXTURE, hf_cache, split="train", streaming=True, **BLOCKS)
    assert stream.num_shards % 4 == 0
    parts = []
    for rank in range(2):
        node = split_dataset_by_node(stream, rank=rank, world_size=2)
        loader = torch.utils.data.DataLoader(node, batch_size=None, num_workers=2)
        parts.append([int(row["id"]) for row in loader])
    assert all(parts)
    covering(BLOCKS["num_train"], parts)


@pytest.mark.parametrize("stop_after", [1, 149, 150, 151, SMALL["num_train"] - 1])
def test_a_resumed_stream_continues_where_it_stopped(stop_after: int, hf_cache: Path) -> None:
    def stream():
        return load(MIXTURE, hf_cache, split="train", streaming=True, **SMALL)

    interrupted, first = stream(), []
    for row in interrupted:
        first.append(row)
        if len(first) == stop_after:
            break
    resumed = stream()
    resumed.load_state_dict(interrupted.state_dict())
    assert first + list(resumed) == list(stream())


@pytest.mark.slow
def test_reshard_cuts_shards_at_every_block(hf_cache: Path) -> None:
    stream = load(MIXTURE, hf_cache, split="train", streaming=True, **BLOCKS)
    if not hasattr(stream, "reshard"):
        pytest.skip("this datasets has no IterableDataset.reshard")
    finer = stream.reshard()
    assert finer.num_shards == math.ceil(BLOCKS["num_train"] / BLOCK_SIZE) > stream.num_shards
    assert [row["id"] for row in finer] == list(range(BLOCKS["num_train"]))


SHARD_SIZES = [0, 1, 7, 8, 999, 7 * BLOCK_SIZE, 8 * BLOCK_SIZE - 1, 8 * BLOCK_SIZE,
               9 * BLOCK_SIZE + 123, 128 * BLOCK_SIZE - 1, 128 * BLOCK_SIZE, 1_000_000,
               5_000_000, 10**10]


@pytest.mark.parametrize("size", SHARD_SIZES)
def test_shards_cover_a_split_once_in_order(size: int) -> None:
    ranges = hf.shard_ranges(size)
    bounds = [start for start, _ in ranges] + [size]
    assert [stop for _, stop in ranges] == bounds[1:]
    assert bounds[0] == 0 and all(start < stop for start, stop in ranges)
    blocks = math.ceil(size / BLOCK_SIZE)
    if blocks >= hf.MIN_SHARDS:
        assert all(start % BLOCK_SIZE == 0 for start, _ in ranges)
        assert hf.MIN_SHARDS <= len(ranges) <= hf.MAX_SHARDS
        assert len(ranges) & (len(ranges) - 1) == 0  # a power of two: any 2^k ranks share it
        if size >= hf.MIN_SHARDS * hf.SHARD_BLOCKS * BLOCK_SIZE:  # shards of SHARD_BLOCKS ...
            assert min(stop - start for start, stop in ranges) >= hf.SHARD_BLOCKS * BLOCK_SIZE
            # ... and twice as many shards would not (or would be too many)
            assert 2 * len(ranges) > min(hf.MAX_SHARDS, blocks // hf.SHARD_BLOCKS)
    else:
        assert len(ranges) == min(size, hf.MIN_SHARDS)


@pytest.mark.parametrize("size", SHARD_SIZES)
def test_shards_are_written_in_tables_of_more_than_half_the_largest(size: int) -> None:
    for start, stop in hf.shard_ranges(size):
        tables = hf.table_ranges(start, stop)
        assert [begin for begin, _ in tables] + [stop] == [start] + [end for _, end in tables]
        assert all(end - begin <= hf.TABLE_ROWS for begin, end in tables)
        if size >= hf.MIN_SHARDS * hf.SHARD_BLOCKS * BLOCK_SIZE:  # few tables: few record batches
            assert all(2 * (end - begin) > hf.TABLE_ROWS for begin, end in tables)


@pytest.mark.parametrize("size", [5_000_000, 10_000_000])
def test_a_paper_size_shard_is_one_table(size: int) -> None:
    assert all(len(hf.table_ranges(*shard)) == 1 for shard in hf.shard_ranges(size))


def test_a_paper_size_split_has_hundreds_of_shards() -> None:
    assert 100 <= len(hf.shard_ranges(CONFIGS[MIXTURE].num_train)) <= hf.MAX_SHARDS


# Caching ------------------------------------------------------------------------------------


def test_the_same_call_reuses_the_cache(hf_cache: Path) -> None:
    first = load("deduct", hf_cache, **SMALL)
    files = files_of(first["train"])
    stamps = [os.stat(path).st_mtime_ns for path in files]
    for again in (
        load("deduct", hf_cache, **SMALL),
        load("deduct", hf_cache, seed=CONFIGS["deduct"].seed, **SMALL),  # the default, explicitly
        hf.load_hf("deduct", cache_dir=str(hf_cache), **SMALL),
    ):
        assert files_of(again["train"]) == files
    assert [os.stat(path).st_mtime_ns for path in files] == stamps


def changed(parameter: str, value):
    """Another valid value of a parameter of the mixture."""
    if parameter == "task_weights":
        first = next(iter(value))
        return {**value, first: value[first] + 1}
    return value + 1


def test_every_parameter_is_in_the_cache_key(hf_cache: Path) -> None:
    base = CONFIGS[MIXTURE].parameters()
    assert set(base) == set(PARAMETERS)

    def cache_dir(**parameters) -> str:
        return datasets.load_dataset_builder("lime", MIXTURE, cache_dir=str(hf_cache),
                                             **parameters).cache_dir

    baseline = cache_dir()
    for parameter in PARAMETERS:
        assert cache_dir(**{parameter: changed(parameter, base[parameter])}) != baseline, parameter


def test_a_changed_parameter_builds_anew(hf_cache: Path) -> None:
    first = load("deduct", hf_cache, split="test", **SMALL)
    other = load("deduct", hf_cache, split="test", seed=CONFIGS["deduct"].seed + 1, **SMALL)
    assert files_of(other) != files_of(first)
    assert_generated(rows(other), "deduct", "test", seed=CONFIGS["deduct"].seed + 1, **SMALL)
    assert not rows(other).equals(rows(first))


@pytest.mark.slow
def test_a_new_data_version_never_reuses_a_cached_build(hf_cache: Path) -> None:
    built = load("deduct", hf_cache, split="test", **SMALL)
    result = run_python(
        """
        import json, sys
        import lime_datasets.core.version as version
        version.DATA_VERSION = "999.0.0"  # before lime_datasets.hf reads it
        import datasets
        ds = datasets.load_dataset("lime", "deduct", split="test", cache_dir=sys.argv[1],
                                   **json.loads(sys.argv[2]))
        print(json.dumps({"files": [f["filename"] for f in ds.cache_files],
                          "version": str(ds.info.version)}))
        """,
        hf_cache, json.dumps(SMALL),
    )
    assert result.returncode == 0, result.stderr
    rebuilt = json.loads(result.stdout)
    assert rebuilt["version"] == "999.0.0"
    assert set(rebuilt["files"]).isdisjoint(files_of(built))
    assert all(Path(path).exists() for path in [*rebuilt["files"], *files_of(built)])


# The name binding ---------------------------------------------------------------------------

LOAD_AND_REPORT = """
import json, sys
{imports}
from lime_datasets import hf
ds = datasets.load_dataset("lime", "{name}", split="validation", cache_dir=sys.argv[1],
                           **json.loads(sys.argv[2]))
print(json.dumps({{"fingerprint": hf.recorded_fingerprints(ds)["validation"],
                  "configs": datasets.get_dataset_config_names("lime")}}))
"""
IMPORT_ORDERS = {
    "datasets first": "import datasets\nimport lime_datasets",
    "lime_datasets first": (
        "import lime_datasets\nassert 'datasets' not in sys.modules\nimport datasets"
    ),
}


def clutter(folder: Path) -> Path:
    """A working directory full of unrelated data files, with a folder named ``lime`` too."""
    (folder / "data").mkdir(parents=True)
    (folder / "lime").mkdir()
    (folder / "train.csv").write_text("a,b\n1,2\n")
    (folder / "test.jsonl").write_text('{"x": 1}\n')
    (folder / "lime" / "train.csv").write_text("c\n3\n")
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: other\n  data_files: train.csv\n---\nNot LIME.\n"
    )
    pq.write_table(pa.table({"y": [1, 2]}), folder / "data" / "validation.parquet")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("order", list(IMPORT_ORDERS))
def test_both_import_orders_bind_the_name_from_a_cluttered_folder(
    order: str, hf_cache: Path, tmp_path: Path
) -> None:
    cwd = clutter(tmp_path / "work")
    code = LOAD_AND_REPORT.format(imports=IMPORT_ORDERS[order], name=MIXTURE)
    result = run_python(code, hf_cache, json.dumps(SMALL), cwd=cwd)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["fingerprint"] == lime_datasets.fingerprint(MIXTURE, "validation", **SMALL)
    assert report["configs"] == list(CONFIGS)


def test_other_names_still_reach_datasets(tmp_path: Path, hf_cache: Path) -> None:
    assert hf_registration.is_bound()
    path = tmp_path / "numbers.csv"
    path.write_text("n\n1\n2\n3\n")
    loaded = datasets.load_dataset("csv", data_files=str(path), split="train",
                                   cache_dir=str(hf_cache))
    assert loaded["n"] == [1, 2, 3]


@pytest.mark.slow
def test_forgetting_the_import_fails_instead_of_serving_a_cached_build(hf_cache: Path) -> None:
    hf.load_hf("deduct", cache_dir=str(hf_cache), **SMALL)  # a build of "lime" that could be served
    for parameters in ({}, SMALL):
        result = run_python(
            """
            import json, sys
            import datasets
            ds = datasets.load_dataset("lime", "deduct", cache_dir=sys.argv[1],
                                       **json.loads(sys.argv[2]))
            print("served", ds)
            """,
            hf_cache, json.dumps(parameters),
        )
        assert result.returncode != 0 and "served" not in result.stdout, result.stdout
        assert "lime" in result.stderr


def test_the_binding_checks_the_internals_it_relies_on() -> None:
    modules = hf_registration.check_internals()
    assert [module.__name__ for module in modules] == list(hf_registration.CALLERS)


@pytest.mark.parametrize(
    ("module_name", "attribute"),
    [("datasets.inspect", "dataset_module_factory"), ("datasets.load", "load_dataset_builder")],
)
def test_changed_internals_fail_loudly(
    module_name: str, attribute: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = sys.modules[module_name]
    if attribute == "dataset_module_factory":
        monkeypatch.delattr(module, attribute)
    else:  # a caller that no longer resolves names through dataset_module_factory
        monkeypatch.setattr(module, attribute, lambda path, *args, **kwargs: None)
    with pytest.raises(hf_registration.IncompatibleDatasetsError) as error:
        hf_registration.bind()
    assert hf_registration.SUPPORTED in str(error.value)
    assert "load_hf" in str(error.value)
    with pytest.warns(RuntimeWarning, match="cannot bind"):
        hf_registration.install()  # at import: a warning, never a broken import


def test_the_supported_range_is_the_hf_extra_and_holds_the_installed_version() -> None:
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    extra = [line.strip() for line in setup["options.extras_require"]["hf"].splitlines()]
    assert hf_registration.SUPPORTED in extra
    requirement = hf_registration.SUPPORTED.removeprefix("datasets")
    assert datasets.__version__ in SpecifierSet(requirement)


# The Hub-ready export -----------------------------------------------------------------------

READ_FOLDER = """
import json, sys
import datasets
folder, cache, names = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
out = {}
for name in names:
    ds = datasets.load_dataset(folder, name, cache_dir=cache)
    out[name] = {split: {"features": ds[split].features.to_dict(), "rows": ds[split].to_list()}
                 for split in ds}
assert not any(module.startswith("lime_datasets") for module in sys.modules)
print(json.dumps(out))
"""


def test_the_hub_folder_loads_with_plain_datasets_and_equals_the_builder(
    tmp_path: Path, hf_cache: Path
) -> None:
    names = ["deduct", "rewrite"]
    folder = hub.export_hub(tmp_path / "lime", names, **SMALL)
    card = yaml.safe_load(folder.joinpath("README.md").read_text().split("---")[1])
    assert [entry["config_name"] for entry in card["configs"]] == names
    result = run_python(READ_FOLDER, folder, tmp_path / "plain-cache", json.dumps(names),
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    for name in names:
        built = hf.load_hf(name, cache_dir=str(hf_cache), **SMALL)
        assert list(loaded[name]) == list(SPLITS)
        for split in SPLITS:
            assert loaded[name][split]["features"] == built[split].features.to_dict()
            assert loaded[name][split]["rows"] == built[split].to_list()


def test_the_hub_export_never_overwrites_without_the_flag(tmp_path: Path) -> None:
    tiny = {"num_train": 5, "num_validation": 3, "num_test": 2}
    folder = hub.export_hub(tmp_path / "out", "deduct", **tiny)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with pytest.raises(ValueError, match="exists"):
        hub.export_hub(folder, "deduct", seed=1, **tiny)
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    hub.export_hub(folder, "deduct", overwrite=True, seed=1, **tiny)
    metadata = json.loads((folder / "data" / "deduct" / "lime_metadata.json").read_text())
    assert metadata["parameters"]["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left


class _Exploding:
    def update(self, n: int) -> None:
        raise RuntimeError("interrupted")

    def close(self) -> None:
        pass


def test_an_interrupted_hub_export_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="interrupted"):
        hub.export_hub(tmp_path / "out", ["deduct", "abduct"], num_train=50,
                       progress=lambda split, total: _Exploding())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("arguments", "word"),
    [
        ({"names": ["no_such_config"]}, "config"),
        ({"names": []}, "names"),
        ({"names": ["deduct", "deduct"]}, "names"),
        ({"splits": ("dev",)}, "splits"),
        ({"num_proc": 0}, "num_proc"),
        ({"num_train": -1}, "num_train"),
    ],
)
def test_bad_hub_export_arguments_fail_before_any_work(
    arguments: dict, word: str, tmp_path: Path
) -> None:
    arguments = {"names": ["deduct"], **arguments}
    with pytest.raises(ValueError, match=word):
        hub.export_hub(tmp_path / "out", **arguments)
    assert list(tmp_path.iterdir()) == []


def test_the_hub_export_and_the_import_do_not_need_datasets() -> None:
    result = run_python(
        "import sys, lime_datasets, lime_datasets.hub; print('datasets' in sys.modules)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# Columns ------------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", ["text", "ids"])
def test_a_build_of_some_columns_is_its_own_cache_entry(columns: str, hf_cache: Path) -> None:
    both = load(MIXTURE, hf_cache, split="validation", **SMALL)
    some = load(MIXTURE, hf_cache, split="validation", columns=columns, **SMALL)
    assert some.column_names == list(lime_datasets.core.records.COLUMNS[columns])
    assert rows(some).equals(rows(both).select(some.column_names))
    assert {Path(f).parent for f in files_of(some)}.isdisjoint(Path(f).parent
                                                                for f in files_of(both))
    assert hf.recorded_manifests(some)["validation"] == json.loads(json.dumps(
        lime_datasets.manifest(MIXTURE, "validation", columns=columns, **SMALL)))
    assert (hf.recorded_fingerprints(some)["validation"]
            != hf.recorded_fingerprints(both)["validation"])


def test_bad_columns_are_refused_before_any_work(hf_cache: Path) -> None:
    with pytest.raises(ValueError, match=r"columns must be one of both, text, ids.*'text'"):
        load(MIXTURE, hf_cache, columns="texts", **SMALL)
    assert not list(hf_cache.rglob("*.arrow"))
