"""The ``lime-datasets`` console script, run in a subprocess: help, list, show, fingerprint, vocab,
parameters from the registry, and one clear stderr line with status 2 for every bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

import lime_datasets
from lime_datasets.configs import get_config
from lime_datasets.core import kernels
from lime_datasets.core.config import PARAMETERS, SPLITS
from lime_datasets.core.vocab import vocab_tokens

SCRIPT = Path(sys.executable).with_name("lime-datasets")
COMMANDS = ("list", "show", "export", "fingerprint", "vocab", "evaluate")
MIXTURE = next(name for name, config in lime_datasets.CONFIGS.items() if len(config.tasks) > 1)
SINGLE = next(name for name, config in lime_datasets.CONFIGS.items() if len(config.tasks) == 1)
MULTISTEP = "rewrite_multistep"


def run(*args: object, cwd: Path | None = None, module: bool = False
        ) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "lime_datasets"] if module else [str(SCRIPT)]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def usage_error(result: subprocess.CompletedProcess, *words: str) -> str:
    """Assert status 2 and one stderr line (no traceback) naming ``words``; return the line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def test_console_script_is_installed_and_matches_python_m():
    assert SCRIPT.exists() or shutil.which("lime-datasets"), (
        "the lime-datasets console script is missing: pip install -e . (setup.cfg entry point)"
    )
    script, module = run("list"), run("list", module=True)
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout


def test_importing_the_package_loads_neither_the_command_nor_tqdm():
    code = ("import sys, lime_datasets; "
            "print([m for m in ('lime_datasets.cli', 'tqdm') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_version_names_package_and_data_version():
    result = run("--version")
    assert result.returncode == 0
    assert lime_datasets.__version__ in result.stdout
    assert lime_datasets.DATA_VERSION in result.stdout


def test_version_says_which_code_generates():
    built = kernels.native is not None
    assert ("compiled kernels" if built else "numpy code") in run("--version").stdout
    environment = {**os.environ, kernels.PURE_PYTHON_VARIABLE: "1"}
    forced = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True,
                            env=environment, timeout=300)
    assert f"numpy code ({kernels.PURE_PYTHON_VARIABLE} is set)" in forced.stdout


@pytest.mark.slow
def test_help_explains_every_command_with_an_example():
    result = run("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert f"lime-datasets {command}" in result.stdout, command
    for command in COMMANDS:
        sub = run(command, "--help")
        assert sub.returncode == 0, sub.stderr
        examples = sub.stdout.rsplit("\nexamples:\n", 1)[1]
        assert f"lime-datasets {command}" in examples


@pytest.mark.parametrize("command", ["show", "export", "fingerprint", "evaluate"])
def test_every_registry_parameter_is_a_flag(command):
    text = run(command, "--help").stdout
    for name in PARAMETERS:
        assert flag(name) in text, (command, name)


def test_list_shows_every_config_its_tasks_and_the_defaults():
    result = run("list")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for name, config in lime_datasets.CONFIGS.items():
        line = next(line for line in lines if line.split()[:1] == [name])
        for task in config.tasks:
            assert task in line
    for name in PARAMETERS:
        line = next(line for line in lines if line.split()[:1] == [name])
        assert flag(name) in line
        defaults = {repr(c.parameters()[name]) for c in lime_datasets.CONFIGS.values()}
        value = next(iter(lime_datasets.CONFIGS.values())).parameters()[name]
        if len(defaults) == 1 and not isinstance(value, Mapping):
            assert f"{value:,}" in line


def parse_show(text: str) -> list[dict[str, str]]:
    rows = []
    for block in text.strip().split("\n\n"):
        header, source, target = block.splitlines()
        words = header.split()
        rows.append({"id": int(words[words.index("id") + 1]),
                     "task": words[words.index("task") + 1],
                     "source": source.removeprefix("source: "),
                     "target": target.removeprefix("target: ")})
    return rows


def test_show_prints_the_generated_examples_with_parameters():
    result = run("show", MIXTURE, "--split", "test", "--index", 4, "--count", 3,
                 "--vocab-size", 90, "--seed", 5)
    assert result.returncode == 0, result.stderr
    expected = lime_datasets.generate(MIXTURE, "test", 4, 7, vocab_size=90, seed=5).to_pylist()
    assert parse_show(result.stdout) == [
        {key: row[key] for key in ("id", "task", "source", "target")} for row in expected
    ]


def test_show_stops_at_the_end_of_the_split():
    result = run("show", SINGLE, "--split", "validation", "--num-validation", 3, "--index", 1,
                 "--count", 10)
    assert result.returncode == 0, result.stderr
    assert [row["id"] for row in parse_show(result.stdout)] == [1, 2]


def test_task_weights_and_steps_flags_reach_the_generator():
    weights = {task: float(weight) for weight, task in enumerate(reversed(
        lime_datasets.CONFIGS[MIXTURE].tasks), start=1)}
    text = ",".join(f"{task}={weight:g}" for task, weight in weights.items())
    result = run("show", MIXTURE, "--task-weights", text, "--count", 12)
    expected = lime_datasets.generate(MIXTURE, "train", 0, 12, task_weights=weights)
    assert [row["task"] for row in parse_show(result.stdout)] == expected["task"].to_pylist()
    assert [row["source"] for row in parse_show(result.stdout)] == expected["source"].to_pylist()

    result = run("show", MULTISTEP, "--min-steps", 4, "--max-steps", 6, "--count", 3)
    expected = lime_datasets.generate(MULTISTEP, "train", 0, 3, min_steps=4, max_steps=6)
    assert [row["source"] for row in parse_show(result.stdout)] == expected["source"].to_pylist()
    default = lime_datasets.generate(MULTISTEP, "train", 0, 3)
    assert expected["source"].to_pylist() != default["source"].to_pylist()


def test_fingerprint_prints_every_split_fingerprint():
    result = run("fingerprint", MIXTURE, "--num-train", 300, "--seed", 2)
    assert result.returncode == 0, result.stderr
    printed = dict(line.split() for line in result.stdout.splitlines())
    assert printed == {
        split: lime_datasets.fingerprint(MIXTURE, split, num_train=300, seed=2) for split in SPLITS
    }
    one = run("fingerprint", MIXTURE, "--split", "test", "--num-train", 300, "--seed", 2)
    assert one.stdout.split() == ["test", printed["test"]]


def test_vocab_writes_the_tokens_in_id_order_and_never_overwrites(tmp_path):
    out = tmp_path / "sub" / "vocab.txt"
    assert run("vocab", "--vocab-size", 70, "--out", out).returncode == 0
    assert out.read_text().splitlines() == vocab_tokens(70)
    usage_error(run("vocab", "--vocab-size", 80, "--out", out), str(out), "--overwrite")
    assert out.read_text().splitlines() == vocab_tokens(70)
    assert run("vocab", "--vocab-size", 80, "--out", out, "--overwrite").returncode == 0
    assert out.read_text().splitlines() == vocab_tokens(80)
    assert sorted(p.name for p in out.parent.iterdir()) == ["vocab.txt"]  # no temporary left


def test_vocab_default_size_is_the_registry_default(tmp_path):
    out = tmp_path / "vocab.txt"
    assert run("vocab", "--out", out).returncode == 0
    assert out.read_text().splitlines() == vocab_tokens(get_config(SINGLE).vocab_size)


BAD_INPUT = [
    (["show", "no_such_config"], ["no_such_config"]),
    (["show", SINGLE, "--num-train", "many"], ["num_train"]),
    (["show", SINGLE, "--num-train", "-5"], ["num_train"]),
    (["show", SINGLE, "--num-test", "1.5"], ["num_test"]),
    (["show", SINGLE, "--vocab-size", "10"], ["vocab_size"]),
    (["show", SINGLE, "--seed", "x"], ["seed"]),
    (["show", MIXTURE, "--task-weights", "bogus=1"], ["bogus"]),
    (["show", MIXTURE, "--task-weights", "deduct=heavy"], ["task_weights"]),
    (["show", MIXTURE, "--task-weights", "deduct=-1"], ["task_weights"]),
    (["show", MULTISTEP, "--min-steps", "4", "--max-steps", "2"], ["max_steps"]),
    (["show", SINGLE, "--split", "dev"], ["--split"]),
    (["show", SINGLE, "--index", "x"], ["--index"]),
    (["show", SINGLE, "--split", "test", "--index", "1000000"], ["--index"]),
    (["show", SINGLE, "--index", "-1"], ["--index"]),
    (["show", SINGLE, "--count", "0"], ["--count"]),
    (["show", SINGLE, "--no-such-flag"], ["--no-such-flag"]),
    (["show"], ["CONFIG"]),
    (["frobnicate"], ["frobnicate"]),
    ([], ["COMMAND"]),
    (["fingerprint"], ["CONFIG"]),
    (["fingerprint", SINGLE, "--vocab-size", "5"], ["vocab_size"]),
    (["vocab", "--vocab-size", "3", "--out", "v.txt"], ["vocab_size"]),
    (["vocab"], ["--out"]),
]


@pytest.mark.parametrize(("args", "words"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_status_2_and_writes_nothing(tmp_path, args, words):
    work = tmp_path / "work"
    work.mkdir()
    usage_error(run(*args, cwd=work), *words)
    assert list(work.iterdir()) == []


def test_broken_pipe_is_quiet(tmp_path):
    script = f"'{SCRIPT}' show {SINGLE} --count 200 | head -n 1"
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ})
    assert result.stdout.startswith(SINGLE)
    assert "Traceback" not in result.stderr
