"""The lm-eval task definitions with the real lm-evaluation-harness, offline."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from llm_cases import corrupted, other_valid_answers
from package_build import build_py

import lime_datasets
from lime_datasets import CONFIGS, llm
from lime_datasets.lm_eval import tasks_path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
evaluator = pytest.importorskip("lm_eval.evaluator")
LM = pytest.importorskip("lm_eval.api.model").LM
yaml = pytest.importorskip("yaml")


def test_path_command_prints_the_folder_of_one_task_per_config() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lime_datasets.lm_eval", "--path"], capture_output=True,
        text=True, check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    folder = Path(out.stdout.strip())
    assert folder == Path(tasks_path())
    tasks = {}
    for path in folder.glob("*.yaml"):
        document = yaml.safe_load(path.read_text())
        tasks[document["task"]] = document["dataset_name"]
    assert tasks == {f"lime_{name}": name for name in CONFIGS}


@pytest.fixture(scope="module")
def manager():
    """Our tasks alone (indexing lm-eval's own thousands of tasks takes seconds)."""
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=tasks_path(), include_defaults=False)


def test_task_manager_finds_every_task_and_the_tag(manager) -> None:
    found = set(manager.all_tasks)
    assert {f"lime_{name}" for name in CONFIGS} | {"lime"} <= found


class ScriptedLM(LM):
    """Answers doc i with the target (i % 3 == 0), another valid answer (1) or a wrong one (2),
    and records the prompts it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: dict[int, str] = {}

    def generate_until(self, requests):
        outputs = []
        for request in requests:
            doc = request.doc
            self.prompts[doc["id"]] = request.args[0]
            answer = [doc["target"], other_valid_answers(doc)[0], corrupted(doc)[0]][doc["id"] % 3]
            outputs.append(f"Thinking... <answer> {answer} </answer>")
        return outputs

    def loglikelihood(self, requests):
        raise NotImplementedError

    def loglikelihood_rolling(self, requests):
        raise NotImplementedError


def test_metrics_count_valid_answers_and_exact_matches_of_the_test_split(manager) -> None:
    model = ScriptedLM()
    results = evaluator.simple_evaluate(
        model=model, tasks=["lime_induct_v2"], limit=6,
        task_manager=manager, log_samples=True,
    )
    metrics = results["results"]["lime_induct_v2"]
    assert metrics["valid_answer,none"] == pytest.approx(4 / 6)
    assert metrics["exact_match,none"] == pytest.approx(2 / 6)
    rows = lime_datasets.generate("induct_v2", "test", 0, 6).to_pylist()
    assert model.prompts == {row["id"]: llm.question(row) for row in rows}
    samples = results["samples"]["lime_induct_v2"]
    assert [sample["doc"]["source"] for sample in samples] == [row["source"] for row in rows]


@pytest.mark.slow
def test_lm_eval_command_runs_a_task_on_a_tiny_local_model(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    recipe = importlib.import_module("grpo_tiny")
    rows = lime_datasets.generate("deduct", "test", 0, 2).to_pylist()
    tokenizer = recipe.tiny_tokenizer([llm.question(row) for row in rows], 1000)
    model_dir = tmp_path / "model"
    recipe.tiny_model(tokenizer).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    subprocess.run(
        [str(Path(sys.executable).parent / "lm_eval"), "--include_path", tasks_path(),
         "--tasks", "lime_deduct", "--model", "hf", "--device", "cpu",
         "--model_args", f"pretrained={model_dir},dtype=float32", "--limit", "2",
         "--gen_kwargs", "max_gen_toks=8", "--output_path", str(tmp_path / "out"),
         "--log_samples"],
        check=True, capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    (results_file,) = (tmp_path / "out").rglob("results_*.json")
    metrics = json.loads(results_file.read_text())["results"]["lime_deduct"]
    assert 0.0 <= metrics["exact_match,none"] <= metrics["valid_answer,none"] <= 1.0
    (samples_file,) = (tmp_path / "out").rglob("samples_lime_deduct_*.jsonl")
    samples = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert [s["doc"]["source"] for s in samples] == [row["source"] for row in rows]
    for sample in samples:
        assert sample["valid_answer"] == llm.score(sample["doc"], sample["resps"][0][0])


def test_task_files_ship_in_the_wheel(tmp_path: Path) -> None:
    """setuptools' build_py (what a wheel contains) copies every task file."""
    pytest.importorskip("setuptools")
    build_lib = build_py(tmp_path)
    shipped = sorted(p.name for p in (build_lib / "lime_datasets/lm_eval/tasks").iterdir())
    assert shipped == sorted(p.name for p in Path(tasks_path()).iterdir() if p.is_file())
    assert "_template_yaml" in shipped
