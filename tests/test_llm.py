"""lime_datasets.llm: prompts, answer extraction and the checker-backed score (core only), and the
TRL helpers prompt_dataset and reward_function (with datasets)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from llm_cases import (
    ALTERNATIVE_TASKS,
    corrupted,
    hostile_completions,
    rows,
    rows_with_other_answers,
)

import lime_datasets
from lime_datasets import CONFIGS, llm
from lime_datasets.core.tasks import TASKS
from lime_datasets.core.version import DATA_VERSIONS


def wrap(answer: str) -> str:
    return f"Let me think.\n<answer>\n{answer}\n</answer>"


@pytest.mark.parametrize("name", CONFIGS)
def test_every_reference_answer_scores_one(name: str) -> None:
    for split in ("train", "test"):
        for row in rows(name, split, 60):
            assert llm.score(row, wrap(row["target"])) == 1.0, row
            assert llm.exact_match(row, wrap(row["target"])) == 1.0


@pytest.mark.parametrize("task", ALTERNATIVE_TASKS)
def test_other_valid_answers_score_one_and_do_not_match_exactly(task: str) -> None:
    for row, others in rows_with_other_answers(task):
        for answer in others:
            assert lime_datasets.check(task, row["source"], answer)
            assert llm.score(row, wrap(answer)) == 1.0
            assert llm.exact_match(row, wrap(answer)) == 0.0


@pytest.mark.parametrize("name", CONFIGS)
def test_corrupted_answers_score_zero(name: str) -> None:
    for row in rows(name, count=30):
        for answer in corrupted(row):
            assert llm.score(row, wrap(answer)) == 0.0, answer


def test_any_change_to_a_deduct_result_scores_zero() -> None:
    """deduct has exactly one valid answer: dropping or swapping tokens breaks it."""
    for row in rows("deduct", count=30):
        tokens = row["target"].split()
        assert llm.score(row, wrap(" ".join(tokens[:-1]))) == 0.0
        assert llm.score(row, wrap(" ".join(tokens[1:]))) == 0.0
        if tokens[0] != tokens[-1]:
            swapped = [tokens[-1], *tokens[1:-1], tokens[0]]
            assert llm.score(row, wrap(" ".join(swapped))) == 0.0


@pytest.mark.parametrize("name", CONFIGS)
def test_hostile_completions_score_zero_without_raising(name: str) -> None:
    row = rows(name, count=1)[0]
    for label, completion in hostile_completions(row["target"]).items():
        assert llm.score(row, completion) == 0.0, label
        assert llm.exact_match(row, completion) == 0.0, label


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("<answer> 1  2\n3\t</answer>", "1 2 3"),
        ("<answer>1</answer> and then <answer> 2 </answer>", "2"),
        ("<answer>1</answer> <answer> 2", "1"),
        ("<answer></answer>", ""),
        ("<answer> 1 </answer> </answer>", None),
        ("<answer><answer>1</answer></answer>", None),
        ("no tags", None),
        ("</answer> 1 <answer>", None),
        ("", None),
    ],
)
def test_extract_answer_takes_the_last_complete_block(completion: str, expected: str | None
                                                      ) -> None:
    assert llm.extract_answer(completion) == expected


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("template", llm.TEMPLATES)
def test_question_states_the_task_the_problem_and_the_answer_format(name: str, template: str
                                                                    ) -> None:
    for row in rows(name, count=5):
        text = llm.question(row, template=template)
        assert row["source"] in text
        assert "<answer>" in text and "</answer>" in text
        assert "<UPPER>" in text and "<LOWER>" in text and "<MATH>" in text
        assert row["target"] not in text
        assert llm.question(row, "chat", template) == [{"role": "user", "content": text}]


def test_question_depends_on_the_task_and_is_the_same_for_the_same_example() -> None:
    texts = {}
    for task in TASKS:
        row = rows(task, count=1)[0]
        texts[task] = llm.question(row).replace(row["source"], "")
        again = lime_datasets.example(task, "test", 0)
        assert llm.question(again) == llm.question(row)
    assert len(set(texts.values())) == len(TASKS)  # one instruction per task


def test_templates_differ_and_every_data_version_has_a_default() -> None:
    row = rows("abduct", count=1)[0]
    assert len({llm.question(row, template=t) for t in llm.TEMPLATES}) == len(llm.TEMPLATES)
    for version, _ in DATA_VERSIONS:
        assert llm.DEFAULT_TEMPLATES[version] in llm.TEMPLATES
    assert llm.question(row) == llm.question(row, template=llm.DEFAULT_TEMPLATE)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda row: llm.question(row, style="html"), "style must be one of plain, chat"),
        (lambda row: llm.question(row, template="fancy"), "template must be one of"),
        (lambda row: llm.question(row, template=["detailed"]), "template must be one of"),
        (lambda row: llm.prompt_dataset("deduct", template=None), "template must be one of"),
        (lambda row: llm.question({**row, "task": "dedukt"}), "example['task'] must be one of"),
        (lambda row: llm.question({**row, "task": ["deduct"]}), "example['task'] must be one of"),
        (lambda row: llm.question({"task": "deduct"}), "example['source'] must be a str"),
        (lambda row: llm.question("deduct"), "example must be a mapping"),
        (lambda row: llm.score(row, None), "completion must be a str"),
        (lambda row: llm.score(row, b"<answer> 1 </answer>"), "completion must be a str"),
        (lambda row: llm.exact_match({"task": "deduct"}, ""), "str 'target'"),
    ],
)
def test_bad_arguments_raise_value_error(call, message: str) -> None:
    row = rows("deduct", count=1)[0]
    with pytest.raises(ValueError, match=re.escape(message)):
        call(row)


def test_prompt_dataset_holds_our_rows_in_trl_conversational_format() -> None:
    pytest.importorskip("datasets")
    dataset = llm.prompt_dataset("mixed", "validation", 5, 12, template="concise", seed=4)
    expected = lime_datasets.generate("mixed", "validation", 5, 12, seed=4).to_pylist()
    assert len(dataset) == 7
    assert set(dataset.column_names) == {"prompt", "id", "task", "source", "target"}
    for record, row in zip(dataset, expected, strict=True):
        assert {k: record[k] for k in ("id", "task", "source", "target")} == {
            k: row[k] for k in ("id", "task", "source", "target")}
        assert record["prompt"] == llm.question(row, "chat", "concise")


def test_reward_function_scores_conversational_and_plain_completions() -> None:
    pytest.importorskip("datasets")
    dataset = llm.prompt_dataset("mixed", "train", 0, 6)
    reward = llm.reward_function("mixed")
    assert reward.__name__ == "lime_mixed_valid_answer"
    right = [[{"role": "assistant", "content": wrap(t)}] for t in dataset["target"]]
    wrong = [[{"role": "assistant", "content": wrap(t + " 0")}] for t in dataset["target"]]
    columns = {"task": dataset["task"], "source": dataset["source"], "id": dataset["id"],
               "target": dataset["target"], "trainer_state": None}
    assert reward(dataset["prompt"], right, **columns) == [1.0] * 6
    assert reward(dataset["prompt"], wrong, **columns) == [0.0] * 6
    plain = [wrap(t) if i % 2 else "" for i, t in enumerate(dataset["target"])]
    assert reward(dataset["prompt"], plain, **columns) == [0.0, 1.0] * 3


def test_reward_function_refuses_rows_it_cannot_score() -> None:
    row = rows("rewrite", count=1)[0]
    reward = llm.reward_function("deduct")
    with pytest.raises(ValueError, match="needs the dataset columns task and source"):
        reward(["p"], ["c"], task=["deduct"])
    with pytest.raises(ValueError, match="a row of task 'rewrite' reached the reward"):
        reward(["p"], ["c"], task=[row["task"]], source=[row["source"]])
    with pytest.raises(ValueError, match="config must be one of"):
        llm.reward_function("dedukt")
    with pytest.raises(ValueError, match="unknown parameter"):
        llm.reward_function("deduct", nope=1)


def test_the_prompts_shown_in_the_docs_are_the_prompts() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "llm.md").read_text()
    for name, template in (("deduct", "detailed"), ("rewrite", "detailed"),
                           ("rewrite_multistep", "detailed"), ("abduct", "concise")):
        example = lime_datasets.example(name, "test", 0)
        assert f"```text\n{llm.question(example, template=template)}\n```" in page


STRUCTURAL = ["<UPPER>", "<LOWER>", "<MATH>", "<space>", ":", "[", "]", ",", "->", "<answer>",
              "</answer>", "<pad>", "<think>"]


@pytest.mark.parametrize("name", CONFIGS)
def test_mutated_and_random_answers_score_without_raising(name: str) -> None:
    rng = random.Random(name)
    for row in rows(name, count=10):
        words = row["source"].split() + STRUCTURAL
        for _ in range(100):
            tokens = row["target"].split()
            for _ in range(rng.randint(1, 3)):
                where = rng.randrange(len(tokens))
                choice = rng.random()
                if choice < 0.3:
                    del tokens[where]
                elif choice < 0.6:
                    tokens.insert(where, rng.choice(words))
                else:
                    tokens[where] = rng.choice(words)
            noise = [rng.choice(words) for _ in range(rng.randint(0, 60))]
            for answer in (tokens, noise):
                assert llm.score(row, wrap(" ".join(answer))) in (0.0, 1.0)


def test_importing_llm_pulls_in_no_framework() -> None:
    code = (
        "import sys, json; import lime_datasets.llm; print(json.dumps([m for m in "
        "('datasets', 'torch', 'transformers', 'trl', 'reasoning_gym', 'lm_eval', "
        "'tensorflow') if m in sys.modules]))"
    )
    repo = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=repo)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("extra", ["rl", "eval"])
def test_the_extras_hold_the_installed_versions(extra: str) -> None:
    """The tested versions of reasoning-gym, TRL, transformers and lm-eval are in their ranges."""
    import configparser
    from importlib import metadata

    requirements = pytest.importorskip("packaging.requirements")
    setup = configparser.ConfigParser()
    setup.read(Path(__file__).resolve().parent.parent / "setup.cfg")
    lines = setup["options.extras_require"][extra].splitlines()
    checked = 0
    for line in (line.strip() for line in lines):
        if not line or line.startswith(("%", "#")):
            continue
        requirement = requirements.Requirement(line)
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        assert requirement.specifier.contains(version, prereleases=True), (line, version)
        checked += 1
    if not checked:
        pytest.skip(f"none of the packages of the {extra} extra is installed")
