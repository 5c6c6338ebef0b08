"""Folders built beside their place: what a killed run leaves is removed, a running one's kept."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lime_datasets import locks, publish

pytestmark = pytest.mark.skipif(locks.fcntl is None, reason="needs flock")

# Makes a hidden folder for the target, writes into it, prints its path, then dies or waits.
_HOLDER = """
import os, signal, sys
from pathlib import Path
from lime_datasets import locks, publish
target, suffix, fate = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
folder, handle = publish._locked_entry(target.parent, target.name, suffix, publish._make_folder)
(folder / "part.parquet").write_bytes(b"half written")
print(folder, flush=True)
if fate == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()
"""


def _holder(target: Path, suffix: str, fate: str) -> tuple[subprocess.Popen, Path]:
    process = subprocess.Popen([sys.executable, "-c", _HOLDER, str(target), suffix, fate],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return process, Path(process.stdout.readline().strip())


@pytest.mark.parametrize("suffix", [publish.STAGING, publish.ASIDE])
def test_a_killed_runs_folder_is_removed_by_the_next_run(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / "lime-hub"
    process, left = _holder(target, suffix, "killed")
    assert process.wait() < 0 and (left / "part.parquet").exists()
    with publish.staging_folder(target) as staging:
        assert not left.exists()
        (staging / "README.md").write_text("done")
        publish.move_into_place(staging, target, overwrite=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lime-hub"]


def test_a_running_builds_folder_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "cards"
    process, live = _holder(target, publish.STAGING, "waits")
    try:
        assert publish.remove_leftovers(target.parent, [target.name]) == []
        assert (live / "part.parquet").exists()
    finally:
        process.communicate("")
    assert publish.remove_leftovers(target.parent, [target.name]) == [live]


def test_other_hidden_folders_are_kept(tmp_path: Path) -> None:
    others = [".cards.abcdefgh.keep", ".cards-x.abcdefgh.tmp", ".card.abcdefgh.tmp",
              ".cards.abc.tmp"]
    for name in others:
        (tmp_path / name).mkdir()
    assert publish.remove_leftovers(tmp_path, ["cards"]) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(others)


def test_replacing_a_folder_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "out"
    for text in ("old", "new"):
        with publish.staging_folder(target) as staging:
            (staging / "file").write_text(text)
            publish.move_into_place(staging, target, overwrite=True)
    assert (target / "file").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# Replaces the folder given with one holding "new", SIGKILLed at publishing step N (0: never).
_REPLACE = """
import os, signal, sys
from pathlib import Path
from lime_datasets import publish
target, step, seen = Path(sys.argv[1]), int(sys.argv[2]), []
def at_step(action, path):
    seen.append(action)
    if len(seen) == step:
        os.kill(os.getpid(), signal.SIGKILL)
publish.on_step = at_step
with publish.staging_folder(target) as staging:
    (staging / "file").write_text("new")
    publish.move_into_place(staging, target, overwrite=True)
"""


@pytest.mark.parametrize(("step", "left"), [(1, "old"), (2, "old"), (3, "old"), (0, "new")])
def test_a_folder_replaced_by_a_killed_writer_is_whole_after_the_next_run(
    tmp_path: Path, step: int, left: str
) -> None:
    """Killed while filling the new folder (step 1), before setting the old one aside (step 2)
    or before renaming the new one into its place (step 3), the next run puts the old folder
    back; never a missing or mixed one."""
    target = tmp_path / "cards"
    target.mkdir()
    (target / "file").write_text("old")
    process = subprocess.run([sys.executable, "-c", _REPLACE, str(target), str(step)],
                             capture_output=True, text=True)
    assert process.returncode == (-signal.SIGKILL if step else 0), process.stderr
    publish.remove_leftovers(tmp_path, ["cards"])
    assert (target / "file").read_text() == left
    assert [p.name for p in tmp_path.iterdir()] == ["cards"]
