"""Publishing staged files: the journal that lets the next writer finish an interrupted commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from lime_datasets import locks, publish

pytestmark = pytest.mark.skipif(locks.fcntl is None, reason="needs flock")

NAMES = ["train.jsonl", "vocab.txt", "lime_metadata.json"]


class _Interrupted(BaseException):
    pass


def _stage(directory: Path) -> publish.StagedFiles:
    files = publish.StagedFiles(directory)
    for name in NAMES:
        files.path(name).write_text(f"all of {name}\n")
    return files


def _interrupt_at(step: int, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def at_step(action: str, path: Path) -> None:
        seen.append(action)
        if len(seen) == step:
            raise _Interrupted

    monkeypatch.setattr(publish, "on_step", at_step)


@pytest.mark.parametrize("step", [2, 3, 4, 5])  # before each rename, before the journal's removal
def test_an_interrupted_commit_is_finished_by_the_next_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: int
) -> None:
    _interrupt_at(step, monkeypatch)
    with pytest.raises(_Interrupted), _stage(tmp_path) as files:
        files.commit()
    monkeypatch.setattr(publish, "on_step", None)
    assert any(p.name.endswith(".journal") for p in tmp_path.iterdir())
    finished = publish.finish_interrupted(tmp_path, ["lime_metadata.json"])
    assert [p.name for p in finished] == NAMES
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NAMES)
    assert all((tmp_path / name).read_text() == f"all of {name}\n" for name in NAMES)


def test_a_commit_interrupted_before_its_journal_is_removed_as_leftovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _interrupt_at(1, monkeypatch)
    with pytest.raises(_Interrupted), _stage(tmp_path) as files:
        files.commit()
    assert list(tmp_path.iterdir()) == []  # nothing was renamed: the staged files are discarded


def test_a_name_taken_meanwhile_gives_the_output_up_without_a_journal(tmp_path: Path) -> None:
    with _stage(tmp_path) as files:
        (tmp_path / "vocab.txt").write_text("someone else's\n")
        with pytest.raises(ValueError, match="vocab.txt exists"):
            files.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl", "vocab.txt"]
    assert (tmp_path / "vocab.txt").read_text() == "someone else's\n"
    assert publish.finish_interrupted(tmp_path, NAMES) == []


def test_a_journal_held_by_a_running_writer_is_left_alone(tmp_path: Path) -> None:
    seen = []

    def at_step(action: str, path: Path) -> None:
        seen.append(action)
        if action == "rename" and len(seen) == 3:  # mid-commit, holding the journal's lock
            assert publish.remove_leftovers(tmp_path, NAMES) == []
            assert publish.finish_interrupted(tmp_path, NAMES) == []

    publish.on_step = at_step
    try:
        with _stage(tmp_path) as files:
            files.commit()
    finally:
        publish.on_step = None
    assert len(seen) == len(NAMES) + 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NAMES)
