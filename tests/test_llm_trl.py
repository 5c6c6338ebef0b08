"""examples/grpo_tiny.py with the real TRL: two GRPOTrainer steps scored by our reward function."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

import lime_datasets
from lime_datasets import llm

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_recipe() -> ModuleType:
    pytest.importorskip("torch")
    pytest.importorskip("trl")
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module("grpo_tiny")


def test_the_tokenizer_keeps_the_package_ids_and_knows_every_prompt_word() -> None:
    recipe = load_recipe()
    rows = lime_datasets.generate("rewrite_multistep", "test", 0, 3).to_pylist()
    prompts = [llm.question(row) for row in rows]
    tokenizer = recipe.tiny_tokenizer(prompts, 1000)
    for row, prompt in zip(rows, prompts, strict=True):
        assert tokenizer(row["source"], add_special_tokens=False).input_ids == row["source_ids"]
        assert tokenizer.unk_token_id not in tokenizer(prompt, add_special_tokens=False).input_ids
    answer = tokenizer("<answer> 12 -> 7 </answer>", add_special_tokens=False).input_ids
    assert llm.extract_answer(tokenizer.decode(answer)) == "12 -> 7"


def test_two_grpo_steps_call_the_reward_with_the_rows_of_the_prompts(monkeypatch) -> None:
    recipe = load_recipe()
    calls = []

    def recording_reward_function(name: str, **parameters):
        reward = llm.reward_function(name, **parameters)

        def recorded(prompts, completions, **columns):
            rewards = reward(prompts, completions, **columns)
            calls.append((prompts, completions, columns, rewards))
            return rewards

        recorded.__name__ = reward.__name__
        return recorded

    monkeypatch.setattr(recipe, "reward_function", recording_reward_function)
    result = recipe.main(["--config", "mixed", "--steps", "2", "--prompts", "4",
                          "--generations", "2", "--completion-length", "8"])
    assert result["steps"] == 2
    assert len(result["rewards"]) == 2 and all(0.0 <= r <= 1.0 for r in result["rewards"])
    assert len(calls) == 2
    for prompts, completions, columns, rewards in calls:
        assert len(prompts) == len(completions) == len(rewards) == 2
        for i, (prompt, completion) in enumerate(zip(prompts, completions, strict=True)):
            assert columns["source"][i] in prompt[0]["content"]
            assert prompt == llm.question(
                {"task": columns["task"][i], "source": columns["source"][i]}, "chat")
            assert completion[0]["role"] == "assistant"
            assert isinstance(completion[0]["content"], str)
