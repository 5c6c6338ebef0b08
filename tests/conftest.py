"""Shared test setup: offline, no progress bars, every Hugging Face cache in the test's tmp_path."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Read by huggingface_hub and datasets when they are imported, which is after this file runs.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"


@pytest.fixture(autouse=True, scope="session")
def library_temp_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The temporary folder of the run, for what libraries leave there (TFDS's dataset-info
    folders, Beam's pipeline folders), also in subprocesses: kept with pytest's own, not in /tmp."""
    folder = tmp_path_factory.mktemp("temp")
    before = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(folder)
    yield folder
    if before[0] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = before[0]
    tempfile.tempdir = before[1]


@pytest.fixture(autouse=True)
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own Hugging Face datasets cache (also for the subprocesses it starts)."""
    home = tmp_path / "hf_home"
    cache = home / "datasets"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    config = sys.modules.get("datasets.config")
    if config is not None:  # already imported: it read the variables then
        monkeypatch.setattr(config, "HF_DATASETS_CACHE", cache)
        monkeypatch.setattr(config, "DOWNLOADED_DATASETS_PATH", cache / "downloads")
        monkeypatch.setattr(config, "EXTRACTED_DATASETS_PATH", cache / "downloads" / "extracted")
        monkeypatch.setattr(config, "HF_MODULES_CACHE", home / "modules")
    return cache


def forbid(monkeypatch: pytest.MonkeyPatch, module, names, doing: str) -> None:
    """Make ``module.<name>`` for each of ``names`` fail the test: ``doing`` came too early."""

    def forbidden(*args, **kwargs):
        raise AssertionError(f"{doing} before the input was validated")

    for name in names:
        monkeypatch.setattr(module, name, forbidden)


@pytest.fixture
def no_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any generation work starts."""
    from lime_datasets.core import generate

    forbid(monkeypatch, generate, ("_build_batch", "_row_words"), "generation started")
