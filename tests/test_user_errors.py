"""Errors that help a user: "did you mean" for mistyped names in the API and the CLI, a missing
extra named with its pip command, predictions of another config refused or warned about, and
fairseq-generate output read directly; the one-time warning of a build on the numpy code; the
progress of `fingerprint --check`."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import lime_datasets
from lime_datasets import export, kernel_notice
from lime_datasets.core import kernels

SCRIPT = Path(sys.executable).with_name("lime-datasets")
SIZES = {"num_train": 20, "num_validation": 10, "num_test": 30}
TEST_FLAGS = ["--num-test", "30"]


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("call", "suggestion"),
    [
        (lambda: lime_datasets.generate("dedcut", "test", 0, 1), "'deduct'"),
        (lambda: lime_datasets.generate("deduct", "tset", 0, 1), "'test'"),
        (lambda: lime_datasets.generate("deduct", "test", 0, 1, num_tset=5), "'num_test'"),
        (lambda: lime_datasets.generate("mixed", "test", 0, 1, task_weights="abdcut=1"),
         "'abduct'"),
        (lambda: lime_datasets.check("indcut", "x", "y"), "'induct'"),
        (lambda: export.check_format("parqet"), "'parquet'"),
        (lambda: export.parse_splits("train,valdation"), "'validation'"),
    ],
)
def test_api_typos_suggest_the_name(call, suggestion: str) -> None:
    with pytest.raises(ValueError, match="did you mean") as error:
        call()
    assert f"(did you mean {suggestion}?)" in str(error.value)


def test_no_suggestion_for_a_name_like_none() -> None:
    with pytest.raises(ValueError) as error:
        lime_datasets.generate("zzzzzz", "test", 0, 1)
    assert "did you mean" not in str(error.value)
    assert "deduct" in str(error.value)  # the list of configs is still there


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["lsit"], "'list'"),
        (["show", "abdcut"], "'abduct'"),
        (["show", "deduct", "--split", "tset"], "'test'"),
        (["show", "deduct", "--num-tset", "5"], "'--num-test'"),
        (["show", "deduct", "--vocab-szie=100"], "'--vocab-size'"),
        (["export", "deduct", "--out", "unused", "--format", "parqet"], "'parquet'"),
        (["evaluate", "deduct", "--predictions", "p.txt", "--predictions-format", "josnl"],
         "'jsonl'"),
    ],
)
def test_cli_typos_suggest_the_name(args: list[str], suggestion: str, tmp_path: Path) -> None:
    line = one_error_line(run(*args))
    assert f"(did you mean {suggestion}?)" in line
    assert not (tmp_path / "unused").exists()


def test_missing_extra_names_the_pip_command(tmp_path: Path) -> None:
    # A process in which `datasets` and `tensorflow_datasets` cannot be imported.
    code = (
        "import sys; sys.modules['datasets'] = None; sys.modules['tensorflow_datasets'] = None\n"
        "import lime_datasets\n"
        "calls = (lambda: lime_datasets.load_hf, lambda: lime_datasets.tfds_config('deduct'))\n"
        "for call in calls:\n"
        "    try:\n"
        "        call()\n"
        "    except ModuleNotFoundError as error:\n"
        "        print(type(error).__name__, error.name, '|', error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    hf, tfds = result.stdout.splitlines()
    assert hf.startswith("MissingExtraError datasets |")
    assert "pip install 'lime-datasets[hf]'" in hf
    assert tfds.startswith("MissingExtraError tensorflow_datasets |")
    assert "pip install 'lime-datasets[tfds]'" in tfds


def test_only_the_extra_itself_is_blamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lime_datasets import extras

    monkeypatch.setitem(extras.EXTRAS, "lime_test_extra", "hf")
    monkeypatch.setitem(extras.EXTRAS, "lime_test_broken_extra", "hf")
    (tmp_path / "lime_test_broken_extra.py").write_text("import lime_test_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(extras.MissingExtraError, match=r"lime-datasets\[hf\]"):
        extras.require("lime_test_extra", "a feature")
    with pytest.raises(ModuleNotFoundError) as error:  # installed, but broken: not ours to explain
        extras.require("lime_test_broken_extra", "a feature")
    assert not isinstance(error.value, extras.MissingExtraError)
    assert error.value.name == "lime_test_no_such_dependency"


# Evaluate ---------------------------------------------------------------------------------------


def test_jsonl_sources_of_another_config_are_refused(tmp_path: Path) -> None:
    rows = lime_datasets.generate("deduct", "test", num_test=30).to_pylist()
    other = lime_datasets.generate("deduct", "test", num_test=30, seed=1).to_pylist()
    records = [{"id": row["id"], "prediction": row["target"], "source": row["source"]}
               for row in rows]
    records[7]["source"] = other[7]["source"]  # id 7 is the first that differs
    random.Random(0).shuffle(records)
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    out = tmp_path / "scores.json"
    line = one_error_line(run("evaluate", "deduct", "--predictions", path, "--json", out,
                              *TEST_FLAGS))
    assert "source of id 7 " in line
    assert not out.exists()


def test_jsonl_sources_that_match_are_scored(tmp_path: Path) -> None:
    rows = lime_datasets.generate("abduct", "test", num_test=30).to_pylist()
    path = tmp_path / "predictions.jsonl"
    records = [{"id": r["id"], "prediction": r["target"], "source": f"  {r['source']} "}
               for r in rows]  # compared as tokens: spacing does not matter
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    result = run("evaluate", "abduct", "--predictions", path, *TEST_FLAGS)
    assert result.returncode == 0, result.stderr
    assert "30 (100.00%)" in result.stdout and result.stderr == ""


def test_text_predictions_with_no_valid_answer_warn(tmp_path: Path) -> None:
    # The targets of seed 1 scored as seed 0: a mismatch a text file cannot show.
    other = lime_datasets.generate("deduct", "test", num_test=30, seed=1).to_pylist()
    path = tmp_path / "predictions.txt"
    path.write_text("".join(row["target"] + "\n" for row in other))
    result = run("evaluate", "deduct", "--predictions", path, *TEST_FLAGS)
    assert result.returncode == 0, result.stderr
    assert "0 (0.00%)" in result.stdout
    assert "warning: none of the 30 predictions is a valid answer" in result.stderr
    assert "'deduct'" in result.stderr
    right = tmp_path / "right.txt"
    right.write_text("".join(r["target"] + "\n"
                             for r in lime_datasets.generate("deduct", "test", num_test=30)
                             .to_pylist()))
    assert run("evaluate", "deduct", "--predictions", right, *TEST_FLAGS).stderr == ""


def fairseq_generate_output(rows: list[dict], hypotheses: list[str]) -> str:
    """Text laid out as fairseq-generate prints it: log lines, then per sample S, T, H, D and P
    lines in the order the batches finish (not id order), two hypotheses each (--nbest 2)."""
    lines = ["2026-01-01 00:00:00 | INFO | fairseq_cli.generate | loading model(s)"]
    order = list(range(len(rows)))
    random.Random(3).shuffle(order)
    for i in order:
        lines += [f"S-{i}\t{rows[i]['source']}", f"T-{i}\t{rows[i]['target']}",
                  f"H-{i}\t-0.1234\t{hypotheses[i]}", f"D-{i}\t-0.1234\t{hypotheses[i]}",
                  f"P-{i}\t-0.1 -0.2", f"H-{i}\t-9.5\twrong answer", f"D-{i}\t-9.5\twrong answer"]
    lines.append("2026-01-01 00:00:09 | INFO | fairseq_cli.generate | Translated 30 sentences")
    return "\n".join(lines) + "\n"


def test_fairseq_generate_output_is_read_by_id(tmp_path: Path) -> None:
    rows = lime_datasets.generate("deduct", "test", num_test=30).to_pylist()
    hypotheses = [row["target"] for row in rows]
    hypotheses[4] = ""  # an empty hypothesis: a wrong answer, not a malformed line
    hypotheses[9] = rows[8]["target"]
    path = tmp_path / "generate-test.txt"
    path.write_text(fairseq_generate_output(rows, hypotheses))
    out = tmp_path / "scores.json"
    result = run("evaluate", "deduct", "--predictions", path, "--predictions-format",
                 "fairseq-generate", "--json", out, *TEST_FLAGS)
    assert result.returncode == 0, result.stderr
    total = json.loads(out.read_text())["total"]
    assert (total["examples"], total["exact_match"], total["valid_answer"]) == (30, 28, 28)


def test_fairseq_generate_output_missing_an_id_is_refused(tmp_path: Path) -> None:
    rows = lime_datasets.generate("deduct", "test", num_test=30).to_pylist()
    text = fairseq_generate_output(rows, [row["target"] for row in rows])
    text = "\n".join(line for line in text.split("\n") if not line.startswith("H-12\t"))
    path = tmp_path / "generate-test.txt"
    path.write_text(text)
    line = one_error_line(run("evaluate", "deduct", "--predictions", path,
                              "--predictions-format", "fairseq-generate", *TEST_FLAGS))
    assert "none for id 12" in line


# The numpy-path warning -------------------------------------------------------------------------


def test_export_on_the_numpy_path_warns_once(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernels, "native", None)
    monkeypatch.setattr(kernels, "_SWITCHED_OFF", False)
    monkeypatch.setattr(kernel_notice, "_warned", False)
    config = lime_datasets.CONFIGS["deduct"].replace(**SIZES)
    with pytest.warns(kernel_notice.NumpyPathWarning, match="compiled kernels are not built"):
        export.export(config, tmp_path / "first")
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernel_notice.NumpyPathWarning)
        export.export(config, tmp_path / "second")


def test_no_numpy_path_warning_when_switched_off_on_purpose(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernels, "native", None)
    monkeypatch.setattr(kernels, "_SWITCHED_OFF", True)
    monkeypatch.setattr(kernel_notice, "_warned", False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernel_notice.NumpyPathWarning)
        export.export(lime_datasets.CONFIGS["deduct"].replace(**SIZES), tmp_path / "out")


# Progress of fingerprint --check ----------------------------------------------------------------


def test_fingerprint_check_shows_progress_unless_quiet(tmp_path: Path) -> None:
    out = tmp_path / "export"
    flags = ["--num-train", "3000", "--num-validation", "0", "--num-test", "10"]
    assert run("export", "deduct", "--out", out, "--quiet", *flags).returncode == 0
    result = run("fingerprint", "--check", out)
    assert result.returncode == 0, result.stderr
    final = [line.split("\r")[-1] for line in result.stderr.splitlines()]
    assert any(line.startswith("train: 100%") and "3000/3000" in line for line in final), final
    assert any(line.startswith("test: 100%") and "10/10" in line for line in final), final
    quiet = run("fingerprint", "--check", out, "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout == result.stdout
