"""The recipes in ``examples/``, each run at a small size and checked for what it claims.

Tests of recipes that need torch, jax or grain skip when the package is not installed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"lime_examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_train_tiny_loss_falls_and_the_test_split_is_scored() -> None:
    pytest.importorskip("torch")
    train_tiny = load("train_tiny")
    result = train_tiny.main([
        "--steps", "30", "--warmup", "1", "--lr", "3e-3", "--train-size", "200",
        "--test-size", "6", "--d-model", "32", "--layers", "1", "--log-every", "0",
    ])
    losses = result["losses"]
    assert len(losses) == 30
    assert sum(losses[-5:]) / 5 < 0.95 * sum(losses[:3]) / 3
    assert result["test_examples"] == 6
    assert 0.0 <= result["exact_match"] <= result["valid_answer"] <= 1.0
