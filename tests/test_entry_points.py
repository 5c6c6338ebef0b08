"""Every entry point alike: invalid parameters give the core's ``ValueError`` (same message) from
the Python API, ``load_dataset("lime", ...)``, ``load_hf``, ``tfds_config``/``tfds.builder`` and the
command line, and nothing is written; edge split sizes and the smallest vocabulary through each.

Expected messages, rows and fingerprints come from the core at test time.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

datasets = pytest.importorskip("datasets")
tfds = pytest.importorskip("tensorflow_datasets")

from tfds_reading import split_fingerprints  # noqa: E402

import lime_datasets  # noqa: E402
from lime_datasets import cli  # noqa: E402
from lime_datasets.configs import CONFIGS, get_config  # noqa: E402
from lime_datasets.core.config import PARAMETERS, SPLITS, parse_weights  # noqa: E402
from lime_datasets.core.fingerprint import fingerprint_batches  # noqa: E402
from lime_datasets.core.symbols import SYMBOLS_PER_EXAMPLE  # noqa: E402
from lime_datasets.core.tasks import TASKS  # noqa: E402
from lime_datasets.core.vocab import SYMBOL_OFFSET  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
NAMES = sorted(CONFIGS)
INT_PARAMETERS = [name for name in PARAMETERS if name != "task_weights"]


# Invalid parameters ---------------------------------------------------------------------------

# Values a config file or a careless caller passes: integral floats, numeric strings, booleans,
# None, out-of-range numbers.
bad_ints = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=2**64),
    st.floats(allow_nan=True),
    st.integers(0, 10**6).map(float),
    st.integers(0, 10**6).map(str),
    st.booleans(),
    st.none(),
)
bad_weights = st.one_of(
    st.dictionaries(st.sampled_from(sorted(TASKS)), st.floats(max_value=-1e-9), min_size=1),
    st.dictionaries(st.sampled_from(sorted(TASKS)), st.just(0.0), min_size=1),
    st.dictionaries(st.sampled_from(sorted(TASKS)), st.sampled_from([float("inf"), float("nan")]),
                    min_size=1),
    st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True).filter(lambda t: t not in TASKS),
                    st.floats(0.1, 1), min_size=1),
    st.just({}),
    st.sampled_from(["deduct=x", "nope=1", "deduct=-1", ""]),
)


@st.composite
def invalid_parameters(draw) -> tuple[str, dict]:
    """A config name and overrides of which at least one is invalid."""
    kind = draw(st.sampled_from(["int", "vocab", "steps", "weights", "unknown", "name"]))
    name = draw(st.sampled_from(NAMES))
    if kind == "int":
        return name, {draw(st.sampled_from(INT_PARAMETERS)): draw(bad_ints)}
    if kind == "vocab":
        return name, {"vocab_size": draw(st.one_of(st.integers(-5, SYMBOLS_PER_EXAMPLE - 1),
                                                   st.integers(10**6 + 1, 10**9)))}
    if kind == "steps":
        low = draw(st.integers(2, 100))
        return name, {"min_steps": low, "max_steps": draw(st.integers(1, low - 1))}
    if kind == "weights":
        return name, {"task_weights": draw(bad_weights)}
    if kind == "unknown":  # prefixed: no clash with load_dataset's own keywords
        return name, {"x_" + draw(st.from_regex(r"[a-z]{1,10}", fullmatch=True)): 1}
    other = draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(lambda n: n not in CONFIGS))
    return other, {}


def core_message(name: str, parameters: dict) -> str:
    with pytest.raises(ValueError) as error:
        get_config(name, **parameters)
    return str(error.value)


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def run_cli(*args: str) -> tuple[int, str, str]:
    """``lime-datasets ARGS`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(list(args))
        except SystemExit as done:
            status = done.code
    return status, out.getvalue(), err.getvalue()


@SETTINGS
@given(invalid_parameters())
def test_invalid_parameters_raise_the_same_error_everywhere_and_write_nothing(case) -> None:
    name, parameters = case
    message = core_message(name, parameters)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        calls = {
            "generate": lambda: lime_datasets.generate(name, "test", 0, 1, **parameters),
            "example": lambda: lime_datasets.example(name, "test", 0, **parameters),
            "fingerprint": lambda: lime_datasets.fingerprint(name, "test", **parameters),
            "load_dataset": lambda: datasets.load_dataset(
                "lime", name, cache_dir=str(root / "hf"), **parameters),
            "load_dataset streaming": lambda: datasets.load_dataset(
                "lime", name, cache_dir=str(root / "hf"), streaming=True, **parameters),
            "load_hf": lambda: lime_datasets.load_hf(name, cache_dir=str(root / "hf"),
                                                     **parameters),
            "tfds_config": lambda: lime_datasets.tfds_config(name, **parameters),
        }
        if name in CONFIGS:  # TFDS resolves config names itself (listing close matches)
            calls["tfds.builder"] = lambda: tfds.builder(
                "lime", config=name, data_dir=root / "tfds", **parameters)
            if all(isinstance(value, int) for value in parameters.values()):
                spec = ",".join(f"{key}={value}" for key, value in parameters.items())
                calls["tfds.builder name"] = lambda: tfds.builder(
                    f"lime/{name}/{spec}", data_dir=root / "tfds")
        for entry, call in calls.items():
            with pytest.raises(ValueError) as error:
                call()
            if entry.startswith("tfds.builder"):  # TFDS prefixes what it was constructing
                assert str(error.value).endswith(f": {message}"), entry
            else:
                assert str(error.value) == message, entry
        assert files_under(root) == []


def flag_text(value) -> str:
    """How a value reaches a flag from a config file or a shell: as text."""
    if isinstance(value, dict):
        return ",".join(f"{task}={weight}" for task, weight in value.items())
    return str(value)


def cli_value(parameter: str, text: str):
    """What the command line means by a flag's text: the integer it spells, weights, or text."""
    if parameter == "task_weights":
        return parse_weights(text)
    try:
        return int(text)
    except ValueError:
        return text


@SETTINGS
@given(invalid_parameters(), st.sampled_from(["export", "show", "fingerprint"]))
def test_invalid_flags_give_the_core_error_on_one_line_status_2_and_write_nothing(
    case, command: str
) -> None:
    name, parameters = case
    if not all(key in PARAMETERS for key in parameters):
        parameters = {}  # unknown parameters have no flag; an unknown config remains
    texts = {key: flag_text(value) for key, value in parameters.items()}
    try:
        message = core_message(name, {key: cli_value(key, text) for key, text in texts.items()})
    except ValueError as error:  # the weights text itself does not parse
        message = str(error)
    except pytest.fail.Exception:  # valid once spelt as text (e.g. the string "100"): skip
        assume(False)
    flags = [f"--{key.replace('_', '-')}={text}" for key, text in texts.items()]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        extra = ["--out", str(out), "--quiet"] if command == "export" else []
        status, stdout, stderr = run_cli(command, name, *extra, *flags)
        assert status == 2, (stdout, stderr)
        assert stderr == f"lime-datasets: error: {' '.join(message.split())}\n"
        assert stdout == ""
        assert list(Path(folder).iterdir()) == []


# Edge sizes -----------------------------------------------------------------------------------

# One block plus one row, exactly one block, one row; and splits of no rows beside one of one row.
EDGES = {
    "blocks": {"num_train": 1001, "num_validation": 1000, "num_test": 1},
    "empty": {"num_train": 0, "num_validation": 1, "num_test": 0},
}
TINY = {"num_train": 3, "num_validation": 2, "num_test": 1}
SMALLEST = {"vocab_size": SYMBOLS_PER_EXAMPLE, **TINY}


def expected(name: str, parameters: dict) -> dict[str, str]:
    """The fingerprint of every non-empty split, from the core."""
    config = get_config(name, **parameters)
    return {split: lime_datasets.fingerprint(name, split, **parameters) for split in SPLITS
            if config.split_size(split)}


def hf_fingerprints(name: str, cache: Path, parameters: dict) -> dict[str, str]:
    built = datasets.load_dataset("lime", name, cache_dir=str(cache), **parameters)
    return {split: fingerprint_batches([built[split].with_format("arrow")[:].sort_by("id")])
            for split in built}


def tfds_fingerprints(name: str, data_dir: Path, parameters: dict) -> dict[str, str]:
    builder = tfds.builder("lime", config=lime_datasets.tfds_config(name, **parameters),
                           data_dir=data_dir)
    builder.download_and_prepare()
    return split_fingerprints(builder)


def cli_fingerprints(name: str, out: Path, parameters: dict) -> dict[str, str]:
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in parameters.items()]
    status, _, stderr = run_cli("export", name, "--out", str(out), "--format", "parquet",
                                "--quiet", *flags)
    assert status == 0, stderr
    status, stdout, stderr = run_cli("fingerprint", "--check", str(out))
    assert status == 0, stdout + stderr
    config = get_config(name, **parameters)
    found = {}
    for split in SPLITS:
        table = pq.read_table(out / f"{split}.parquet")
        assert table.num_rows == config.split_size(split)
        if table.num_rows:
            found[split] = fingerprint_batches([table])
    return found


@pytest.mark.parametrize("edge", list(EDGES))
def test_edge_sizes_through_the_api(edge: str) -> None:
    parameters = EDGES[edge]
    config = get_config("mixed", **parameters)
    for split in SPLITS:
        size = config.split_size(split)
        whole = lime_datasets.generate("mixed", split, **parameters)
        assert whole.num_rows == size
        assert whole.column("id").to_pylist() == list(range(size))
        for start in sorted({0, size // 2, size}):
            empty = lime_datasets.generate("mixed", split, start, start, **parameters)
            assert empty.num_rows == 0 and empty.schema == whole.schema
        if size:
            last = lime_datasets.example("mixed", split, size - 1, **parameters)
            assert last == whole.slice(size - 1).to_pylist()[0]
        with pytest.raises(ValueError, match="index"):
            lime_datasets.example("mixed", split, size, **parameters)
        with pytest.raises(ValueError, match="stop"):
            lime_datasets.generate("mixed", split, 0, size + 1, **parameters)


@pytest.mark.slow
@pytest.mark.parametrize("edge", list(EDGES))
def test_edge_sizes_through_every_adapter(edge: str, tmp_path: Path) -> None:
    parameters = EDGES[edge]
    want = expected("mixed", parameters)
    assert hf_fingerprints("mixed", tmp_path / "hf", parameters) == want
    assert tfds_fingerprints("mixed", tmp_path / "tfds", parameters) == want
    assert cli_fingerprints("mixed", tmp_path / "cli", parameters) == want


@pytest.mark.parametrize("name", NAMES)
def test_the_smallest_vocabulary_through_the_api(name: str) -> None:
    config = get_config(name, **SMALLEST)
    for split in SPLITS:
        for row in lime_datasets.generate(name, split, **SMALLEST).to_pylist():
            assert row["task"] in config.tasks
            assert lime_datasets.check(row["task"], row["source"], row["target"])
            for ids in (row["source_ids"], row["target_ids"]):
                assert all(0 <= i < SYMBOL_OFFSET + config.vocab_size for i in ids)
    with pytest.raises(ValueError, match="vocab_size"):
        get_config(name, vocab_size=SYMBOLS_PER_EXAMPLE - 1)


@pytest.mark.slow
def test_the_smallest_vocabulary_through_every_adapter(tmp_path: Path) -> None:
    for name in NAMES:
        want = expected(name, SMALLEST)
        assert hf_fingerprints(name, tmp_path / "hf", SMALLEST) == want, name
        assert tfds_fingerprints(name, tmp_path / "tfds", SMALLEST) == want, name
        assert cli_fingerprints(name, tmp_path / "cli" / name, SMALLEST) == want, name


# Valid values of other integer types ----------------------------------------------------------

def test_numpy_integers_from_config_files_work_everywhere(tmp_path: Path) -> None:
    """Integers read with numpy or pandas are integers: every entry point accepts them, and they
    give the same data, cache folder and TFDS config as plain ints."""
    import numpy as np

    plain = {"num_train": 5, "num_validation": 2, "num_test": 3, "seed": 7, "vocab_size": 100}
    typed = {key: np.int64(value) for key, value in plain.items()}
    want = expected("deduct", plain)
    assert expected("deduct", typed) == want
    assert get_config("deduct", **typed) == get_config("deduct", **plain)
    assert hf_fingerprints("deduct", tmp_path / "hf", typed) == want
    builder = datasets.load_dataset_builder("lime", "deduct", cache_dir=str(tmp_path / "hf"),
                                            **plain)
    assert builder.cache_dir == datasets.load_dataset_builder(
        "lime", "deduct", cache_dir=str(tmp_path / "hf"), **typed).cache_dir
    assert lime_datasets.tfds_config("deduct", **typed).name == lime_datasets.tfds_config(
        "deduct", **plain).name
