"""``lime-datasets evaluate``, run as the real console script: full marks for the targets, valid
alternative answers counted as valid but not exact, wrong answers lowering both, per task for
mixtures, and one clear stderr line with status 2 for every malformed prediction file."""

from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import lime_datasets

SCRIPT = Path(sys.executable).with_name("lime-datasets")
MIXTURE = next(name for name, config in lime_datasets.CONFIGS.items() if len(config.tasks) > 1)
MULTISTEP = "rewrite_multistep"
SIZES = {"num_test": 60, "seed": 4}
SIZE_FLAGS = ["--num-test", "60", "--seed", "4"]


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def rows(config: str = MIXTURE, split: str = "test", **overrides) -> list[dict]:
    return lime_datasets.generate(config, split, **(overrides or SIZES)).to_pylist()


def evaluate(predictions: Path, out: Path, *args: object, config: str = MIXTURE) -> dict:
    result = run("evaluate", config, "--predictions", predictions, "--json", out, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def expected_scores(examples: list[dict], predictions: list[str]) -> dict[str, Counter]:
    scores: dict[str, Counter] = {}
    for row, prediction in zip(examples, predictions, strict=True):
        counts = scores.setdefault(row["task"], Counter())
        counts["examples"] += 1
        counts["exact_match"] += prediction.split() == row["target"].split()
        counts["valid_answer"] += lime_datasets.check(row["task"], row["source"], prediction)
    return scores


def assert_scores(report: dict, examples: list[dict], predictions: list[str]) -> None:
    expected = expected_scores(examples, predictions)
    assert set(report["tasks"]) == set(expected)
    for task, counts in expected.items():
        for key in ("examples", "exact_match", "valid_answer"):
            assert report["tasks"][task][key] == counts[key], (task, key)
    for key in ("examples", "exact_match", "valid_answer"):
        assert report["total"][key] == sum(counts[key] for counts in expected.values())


def test_targets_as_text_predictions_score_full_marks(tmp_path):
    examples = rows()
    predictions = write_lines(tmp_path / "predictions.txt", [row["target"] for row in examples])
    report = evaluate(predictions, tmp_path / "scores.json", *SIZE_FLAGS)
    assert report["config"] == MIXTURE and report["split"] == "test"
    assert report["total"]["exact_match_accuracy"] == report["total"]["valid_answer_accuracy"] == 1
    assert {task: s["examples"] for task, s in report["tasks"].items()} == Counter(
        row["task"] for row in examples)
    assert_scores(report, examples, [row["target"] for row in examples])


def test_targets_as_jsonl_in_any_order_score_full_marks(tmp_path):
    examples = rows()
    records = [{"id": row["id"], "prediction": row["target"]} for row in examples]
    random.Random(0).shuffle(records)
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    report = evaluate(path, tmp_path / "scores.json", *SIZE_FLAGS)
    assert report["total"]["exact_match"] == report["total"]["valid_answer"] == len(examples)


def test_the_printed_table_has_every_task_and_the_counts(tmp_path):
    examples = rows()
    predictions = [row["target"] if row["id"] % 2 else "" for row in examples]
    path = write_lines(tmp_path / "predictions.txt", predictions)
    result = run("evaluate", MIXTURE, "--predictions", path, *SIZE_FLAGS)
    assert result.returncode == 0, result.stderr
    for task, counts in expected_scores(examples, predictions).items():
        line = next(line for line in result.stdout.splitlines() if line.split()[:1] == [task])
        assert line.split()[1] == str(counts["examples"])
        assert f"{counts['exact_match']} (" in line and f"{counts['valid_answer']} (" in line


def parse_rewrite_source(source: str) -> tuple[set[str], set[str], list, tuple[str, ...]]:
    tokens = source.split()
    lower, math, space = tokens.index("<LOWER>"), tokens.index("<MATH>"), tokens.index("<space>")
    rule_symbols, string_symbols = set(tokens[1:lower]), set(tokens[lower + 1 : math])
    segments: list[list[str]] = [[]]
    for token in tokens[space + 1 :]:
        if token == "<space>":
            segments.append([])
        else:
            segments[-1].append(token)
    rules = []
    for segment in segments[:-1]:
        arrow = segment.index("->")
        rules.append((segment[:arrow], segment[arrow + 1 :]))
    return rule_symbols, string_symbols, rules, tuple(segments[-1])


def rewrite_everywhere(rule, string, rule_symbols, string_symbols) -> set[tuple[str, ...]]:
    """Every string one application of ``rule`` can give, at any position where it matches."""
    left, right = rule
    results = set()
    for position in range(len(string) - len(left) + 1):
        binding: dict[str, str] = {}
        for pattern, token in zip(left, string[position:], strict=False):
            if pattern in rule_symbols:
                if token not in string_symbols or binding.get(pattern, token) != token or (
                    pattern not in binding and token in binding.values()
                ):
                    break
                binding[pattern] = token
            elif pattern != token:
                break
        else:
            middle = tuple(binding.get(token, token) for token in right)
            results.add(string[:position] + middle + string[position + len(left) :])
    return results


def multistep_finals(source: str) -> set[tuple[str, ...]]:
    rule_symbols, string_symbols, rules, start = parse_rewrite_source(source)
    strings = {start}
    for rule in rules:
        strings = {new for string in strings
                   for new in rewrite_everywhere(rule, string, rule_symbols, string_symbols)}
    return strings


def test_other_valid_answers_keep_valid_accuracy_and_lower_exact_match(tmp_path):
    sizes = {"num_test": 300, "seed": 4}
    examples = rows(MULTISTEP, **sizes)
    predictions = [row["target"] for row in examples]
    alternatives = 0
    for row in examples:
        others = sorted(multistep_finals(row["source"]) - {tuple(row["target"].split())})
        if others:
            predictions[row["id"]] = " ".join(others[0])
            assert lime_datasets.check(row["task"], row["source"], predictions[row["id"]])
            alternatives += 1
    assert alternatives > 0
    path = write_lines(tmp_path / "predictions.txt", predictions)
    report = evaluate(path, tmp_path / "scores.json", "--num-test", 300, "--seed", 4,
                      config=MULTISTEP)
    assert report["total"]["valid_answer"] == len(examples)
    assert report["total"]["exact_match"] == len(examples) - alternatives
    assert_scores(report, examples, predictions)


def test_wrong_answers_lower_both_measures_per_task(tmp_path):
    examples = rows()
    predictions = []
    for row in examples:
        tokens = row["target"].split()
        wrong = {0: "", 1: " ".join(tokens[:-1]), 2: row["source"]}.get(row["id"] % 5)
        predictions.append(row["target"] if wrong is None else wrong)
    assert not any(lime_datasets.check(row["task"], row["source"], p)
                   for row, p in zip(examples, predictions, strict=True) if row["id"] % 5 < 3)
    path = write_lines(tmp_path / "predictions.txt", predictions)
    report = evaluate(path, tmp_path / "scores.json", *SIZE_FLAGS)
    assert report["total"]["exact_match"] < len(examples)
    assert report["total"]["valid_answer"] < len(examples)
    assert_scores(report, examples, predictions)


def test_whitespace_crlf_and_a_byte_order_mark_do_not_matter(tmp_path):
    examples = rows()
    text = "\ufeff" + "".join("  " + row["target"].replace(" ", "   ") + " \r\n"
                              for row in examples)
    path = tmp_path / "predictions.txt"
    path.write_text(text, encoding="utf-8")
    report = evaluate(path, tmp_path / "scores.json", *SIZE_FLAGS)
    assert report["total"]["exact_match"] == len(examples)


def test_split_and_parameters_select_the_rows_scored(tmp_path):
    examples = rows(split="validation", num_validation=40, seed=9)
    path = write_lines(tmp_path / "p.txt", [row["target"] for row in examples])
    report = evaluate(path, tmp_path / "scores.json", "--split", "validation",
                      "--num-validation", 40, "--seed", 9)
    assert report["split"] == "validation"
    assert report["total"]["exact_match"] == 40
    other = evaluate(path, tmp_path / "other.json", "--split", "validation",
                     "--num-validation", 40, "--seed", 10)
    assert other["total"]["exact_match"] < 40


@pytest.mark.slow
def test_a_10_mb_line_is_just_a_wrong_answer(tmp_path):
    examples = rows()
    predictions = [row["target"] for row in examples]
    predictions[7] = " ".join([examples[7]["target"]] * (10_000_000 // len(predictions[7])))
    assert len(predictions[7]) > 9_000_000
    report = evaluate(write_lines(tmp_path / "p.txt", predictions), tmp_path / "s.json",
                      *SIZE_FLAGS)
    assert report["total"]["valid_answer"] == len(examples) - 1


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def hostile_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (predictions file, a word the error line must contain)."""
    n = SIZES["num_test"]
    targets = [row["target"] for row in rows()]
    files: dict[str, tuple[bytes, str, str]] = {
        "empty": (b"", "txt", "0 predictions"),
        "one_short": ("\n".join(targets[:-1]).encode(), "txt", f"{n - 1} predictions"),
        "one_extra": ("\n".join([*targets, "x"]).encode() + b"\n", "txt", f"{n + 1} predictions"),
        "binary": (bytes(range(256)) * 64, "txt", "not a text file"),
        "latin1": ("\n".join(targets[:-1] + ["caf\u00e9"]).encode("latin-1"), "txt", "UTF-8"),
        "utf16": ("\n".join(targets).encode("utf-16"), "txt", "not a text file"),
        "pickle": (pickle.dumps(_Payload(tmp_path / "marker")), "txt", "predictions"),
        "pickle_jsonl": (pickle.dumps(_Payload(tmp_path / "marker")), "jsonl", "line 1"),
    }

    def jsonl(records: list, extra: str = "") -> bytes:
        return ("".join(json.dumps(r) + "\n" for r in records) + extra).encode()

    good = [{"id": i, "prediction": t} for i, t in enumerate(targets)]
    files.update({
        "not_json": (jsonl(good[1:], "{id: 0, prediction: oops}\n"), "jsonl", "not valid JSON"),
        "array": (jsonl(good[1:] + [[0, targets[0]]]), "jsonl", '"id"'),
        "no_prediction": (jsonl(good[1:] + [{"id": 0}]), "jsonl", "prediction"),
        "string_id": (jsonl(good[1:] + [{"id": "0", "prediction": ""}]), "jsonl", "integer"),
        "float_id": (jsonl(good[1:] + [{"id": 0.0, "prediction": ""}]), "jsonl", "integer"),
        "bool_id": (jsonl(good[1:] + [{"id": False, "prediction": ""}]), "jsonl", "integer"),
        "negative_id": (jsonl(good + [{"id": -1, "prediction": ""}]), "jsonl", "out of range"),
        "id_past_end": (jsonl(good + [{"id": n, "prediction": ""}]), "jsonl", "out of range"),
        "duplicate_id": (jsonl(good + [good[5]]), "jsonl", "id 5"),
        "missing_id": (jsonl(good[:3] + good[4:]), "jsonl", "id 3"),
        "number_prediction": (jsonl(good[1:] + [{"id": 0, "prediction": 7}]), "jsonl", "string"),
        "deep_nesting": (jsonl(good[1:], "[" * 200_000 + "]" * 200_000 + "\n"), "jsonl", "JSON"),
        "huge_id": (jsonl(good[1:], '{"id": 1' + "0" * 5000 + ', "prediction": ""}\n'),
                    "jsonl", "JSON"),
    })
    paths = {}
    for name, (data, suffix, word) in files.items():
        path = tmp_path / f"{name}.{suffix}"
        path.write_bytes(data)
        paths[name] = (path, word)
    return paths


HOSTILE = ["empty", "one_short", "one_extra", "binary", "latin1", "utf16", "pickle",
           "pickle_jsonl", "not_json", "array", "no_prediction", "string_id", "float_id",
           "bool_id", "negative_id", "id_past_end", "duplicate_id", "missing_id",
           "number_prediction", "deep_nesting", "huge_id"]


@pytest.mark.parametrize("name", HOSTILE)
def test_malformed_predictions_are_one_line_status_2_and_write_nothing(tmp_path, name):
    path, word = hostile_files(tmp_path)[name]
    out = tmp_path / "scores.json"
    result = run("evaluate", MIXTURE, "--predictions", path, "--json", out, *SIZE_FLAGS)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert word in result.stderr, result.stderr
    assert not out.exists()
    assert not (tmp_path / "marker").exists()


@pytest.mark.slow
def test_unreadable_paths_and_bad_arguments(tmp_path):
    good = write_lines(tmp_path / "p.txt", [row["target"] for row in rows()])
    existing = tmp_path / "scores.json"
    existing.write_text("keep")
    cases = [
        (["--predictions", tmp_path / "absent.txt"], "absent.txt"),
        (["--predictions", tmp_path], "not a regular file"),
        (["--predictions", good, "--json", existing], "--overwrite"),
        (["--predictions", good, "--predictions-format", "csv"], "--predictions-format"),
        (["--predictions", good, "--split", "dev"], "--split"),
        (["--predictions", good, "--num-test", "zero"], "num_test"),
        ([], "--predictions"),
    ]
    for args, word in cases:
        result = run("evaluate", MIXTURE, *SIZE_FLAGS, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.splitlines()) == 1 and word in result.stderr, result.stderr
    result = run("evaluate", "no_such_config", "--predictions", good)
    assert result.returncode == 2 and "no_such_config" in result.stderr
    assert existing.read_text() == "keep"
    report = evaluate(good, existing, *SIZE_FLAGS, "--overwrite")
    assert report["total"]["exact_match"] == SIZES["num_test"]
