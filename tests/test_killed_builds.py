"""Builds killed with SIGKILL at random moments, then run again: the rerun completes with a clean
build's fingerprints, and a killed build is never served as complete. Also two builds of the same
config into the same cache at once.

Kill moments come from ``random.Random(KILL_SEED)`` (set ``LIME_KILL_SEED`` to vary them); the
whole process group is killed, as a job scheduler does. Sizes are small: each test takes seconds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tfds_reading import split_fingerprints

import lime_datasets
from lime_datasets.core.config import SPLITS
from lime_datasets.core.fingerprint import fingerprint_batches

pytestmark = pytest.mark.slow

REPO = Path(lime_datasets.__file__).resolve().parent.parent
KILL_SEED = int(os.environ.get("LIME_KILL_SEED", "20210"))
SCRIPT = Path(sys.executable).with_name("lime-datasets")
NAME = "mixed"
# HF: a build of about a second here; TFDS is slower per example.
HF_SIZES = {"num_train": 60_000, "num_validation": 1_001, "num_test": 7}
TFDS_SIZES = {"num_train": 6_000, "num_validation": 1_001, "num_test": 7}
SMALL_HF = {"num_train": 20, "num_validation": 3, "num_test": 2}
CLI_SIZES = {"num_train": 60_000, "num_validation": 1_001, "num_test": 7}


def core_fingerprints(sizes: dict) -> dict[str, str]:
    return {split: lime_datasets.fingerprint(NAME, split, **sizes) for split in SPLITS}


def env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def start(code: str, *args: object) -> subprocess.Popen:
    """Start ``code`` in its own process group; returns once it printed ``ready``."""
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env(), cwd=REPO, start_new_session=True,
    )
    line = process.stdout.readline()
    assert line.strip() == "ready", (line, process.communicate())
    return process


def finish(process: subprocess.Popen) -> dict:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return json.loads(stdout.splitlines()[-1])


def kill_after(process: subprocess.Popen, delay: float) -> bool:
    """SIGKILL the process group after ``delay`` s; True if it was still running then."""
    time.sleep(delay)
    running = process.poll() is None
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate(timeout=60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # every worker of the group is gone
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    return running and process.returncode == -signal.SIGKILL


def kill_repeatedly(code: str, args: tuple, seconds: float, kills: int, check) -> int:
    """Start the build ``kills`` times and kill it at a random moment of its ``seconds``; call
    ``check()`` after each kill. Returns how many kills landed while it was running."""
    rng = random.Random(KILL_SEED)
    landed = 0
    for _ in range(kills):
        landed += kill_after(start(code, *args), rng.uniform(0.05, seconds))
        check()
    print(f"{landed} of {kills} kills landed during the build (seed {KILL_SEED})")
    return landed


# Hugging Face ---------------------------------------------------------------------------------

HF_BUILD = """
    import json, sys, time
    import datasets, lime_datasets
    from lime_datasets import hf
    print("ready", flush=True)
    began = time.monotonic()
    built = lime_datasets.load_hf(sys.argv[1], cache_dir=sys.argv[2], num_proc=int(sys.argv[4]),
                                  **json.loads(sys.argv[3]))
    seconds = time.monotonic() - began
    print(json.dumps({"seconds": seconds, "recorded": hf.recorded_fingerprints(built),
                      "files": sorted(f["filename"] for s in built for f in built[s].cache_files),
                      "rows": {s: built[s].num_rows for s in built}}))
"""


def hf_complete_builds(cache: Path, sizes: dict) -> int:
    """Every build folder outside ``*.incomplete`` is complete: its info, its manifest, every row
    in the files it names, and no other file. Returns how many there are."""
    from datasets.naming import filenames_for_dataset_split

    from lime_datasets import hf

    folders = {path.parent for path in cache.rglob("*.arrow")}
    folders |= {path.parent for path in cache.rglob("dataset_info.json")}
    complete = 0
    for folder in folders:
        if any(part.endswith(".incomplete") for part in folder.parts):
            continue
        info = json.loads((folder / "dataset_info.json").read_text())
        named = {"dataset_info.json", "LICENSE", hf.MANIFEST_FILE}
        for split in SPLITS:
            entry = info["splits"][split]
            files = filenames_for_dataset_split(str(folder), "lime", split, "arrow",
                                                entry.get("shard_lengths"))
            rows = sum(pa.ipc.open_stream(pa.memory_map(f)).read_all().num_rows for f in files)
            assert rows == entry["num_examples"] == sizes[f"num_{split}"], (folder, split, rows)
            named |= {Path(f).name for f in files}
        assert {path.name for path in folder.iterdir()} - named == set(), folder
        complete += 1
    return complete


def read_hf_fingerprints(built) -> dict[str, str]:
    return {split: fingerprint_batches([built[split].with_format("arrow")[:].sort_by("id")])
            for split in built}


@pytest.mark.parametrize("num_proc", [1, 2])
def test_a_killed_hf_build_reruns_to_a_clean_builds_fingerprints(tmp_path, num_proc):
    sizes = HF_SIZES
    clean = finish(start(HF_BUILD, NAME, tmp_path / "clean", json.dumps(sizes), num_proc))
    cache = tmp_path / "killed"
    landed = kill_repeatedly(HF_BUILD, (NAME, cache, json.dumps(sizes), num_proc),
                             clean["seconds"], 3, lambda: hf_complete_builds(cache, sizes))
    assert landed >= 1, "no kill landed during a build"
    rerun = lime_datasets.load_hf(NAME, cache_dir=str(cache), **sizes)
    from lime_datasets import hf

    assert hf.recorded_fingerprints(rerun) == clean["recorded"]
    assert read_hf_fingerprints(rerun) == clean["recorded"] == core_fingerprints(sizes)
    assert hf_complete_builds(cache, sizes) == 1


def test_a_killed_builds_leftovers_stay_out_of_the_finished_folder(tmp_path):
    from lime_datasets import hf

    builder = hf.Lime(config_name=NAME, cache_dir=str(tmp_path), **SMALL_HF)
    stale = Path(builder.cache_dir + ".incomplete")
    (stale / "tmp-job").mkdir(parents=True)
    (stale / "lime-train-00001-00000-of-NNNNN.arrow").write_bytes(b"half a shard")
    builder.download_and_prepare()
    names = {p.name for p in Path(builder.cache_dir).iterdir()}
    assert not {"tmp-job", "lime-train-00001-00000-of-NNNNN.arrow"} & names
    assert hf_complete_builds(tmp_path, SMALL_HF) == 1


def test_a_build_clears_the_incomplete_folder_only_once_it_holds_the_builders_lock(tmp_path):
    """While another process holds datasets' lock on the build (it may be writing into the
    ``.incomplete`` folder), a build waits and touches nothing there."""
    import threading

    from filelock import FileLock

    from lime_datasets import hf

    builder = hf.Lime(config_name=NAME, cache_dir=str(tmp_path), **SMALL_HF)
    live = Path(builder.cache_dir + ".incomplete") / "lime-train-00000-of-00001.arrow"
    live.parent.mkdir(parents=True)
    with FileLock(builder.cache_dir + "_builder.lock"):
        live.write_bytes(b"a shard being written")
        thread = threading.Thread(target=builder.download_and_prepare, daemon=True)
        thread.start()
        thread.join(2)
        assert thread.is_alive()
        assert live.read_bytes() == b"a shard being written"
    thread.join(120)  # the holder is gone without finishing: its file is a leftover now
    assert not thread.is_alive()
    assert not live.exists()
    assert hf_complete_builds(tmp_path, SMALL_HF) == 1


def test_concurrent_hf_builds_into_one_cache_both_end_with_the_clean_data(tmp_path):
    """Two processes build the same config into the same cache at once (twice over)."""
    sizes = HF_SIZES
    want = core_fingerprints(sizes)
    for round_ in range(2):
        cache = tmp_path / f"shared-{round_}"
        first = start(HF_BUILD, NAME, cache, json.dumps(sizes), round_ + 1)
        second = start(HF_BUILD, NAME, cache, json.dumps(sizes), round_ + 1)
        results = [finish(first), finish(second)]
        for result in results:
            assert result["recorded"] == want
            assert result["rows"] == {split: sizes[f"num_{split}"] for split in SPLITS}
        assert results[0]["files"] == results[1]["files"]  # one build, used by both
        assert hf_complete_builds(cache, sizes) == 1
        assert read_hf_fingerprints(lime_datasets.load_hf(NAME, cache_dir=str(cache),
                                                          **sizes)) == want


# TensorFlow Datasets --------------------------------------------------------------------------

TFDS_BUILD = """
    import json, sys, time
    import lime_datasets, tensorflow_datasets as tfds
    config = lime_datasets.tfds_config(sys.argv[1], **json.loads(sys.argv[3]))
    builder = tfds.builder("lime", config=config, data_dir=sys.argv[2])
    print("ready", flush=True)
    began = time.monotonic()
    builder.download_and_prepare()
    print(json.dumps({"seconds": time.monotonic() - began}))
"""


def test_a_killed_tfds_build_reruns_to_a_clean_builds_fingerprints(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    sizes = TFDS_SIZES
    config = lime_datasets.tfds_config(NAME, **sizes)
    data_dir = tmp_path / "killed"
    clean = finish(start(TFDS_BUILD, NAME, tmp_path / "clean", json.dumps(sizes)))

    def never_half_served() -> None:
        builder = tfds.builder("lime", config=config, data_dir=data_dir)
        if builder.is_prepared():  # the kill came after the final rename: it must be whole
            assert {s: i.num_examples for s, i in builder.info.splits.items()} == {
                split: sizes[f"num_{split}"] for split in SPLITS}
            assert split_fingerprints(builder) == core_fingerprints(sizes)
        else:
            assert not builder.data_path.exists()
            with pytest.raises(AssertionError, match="not been generated|download_and_prepare"):
                tfds.load("lime", split="train", data_dir=data_dir, download=False,
                          builder_kwargs={"config": config})

    landed = kill_repeatedly(TFDS_BUILD, (NAME, data_dir, json.dumps(sizes)),
                             clean["seconds"], 2, never_half_served)
    assert landed >= 1, "no kill landed during a build"
    rerun = tfds.builder("lime", config=config, data_dir=data_dir)
    rerun.download_and_prepare()
    reference = tfds.builder("lime", config=config, data_dir=tmp_path / "clean")
    assert split_fingerprints(rerun) == split_fingerprints(reference) == core_fingerprints(sizes)


# Command line ---------------------------------------------------------------------------------


def test_a_killed_cli_export_reruns_to_a_clean_exports_fingerprints(tmp_path):
    sizes = CLI_SIZES
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in sizes.items()]
    code = """
        import subprocess, sys, time
        print("ready", flush=True)
        began = time.monotonic()
        subprocess.run(sys.argv[1:], check=True)
        print('{"seconds": %f}' % (time.monotonic() - began))
    """

    def command(out: Path) -> list[str]:
        return [str(SCRIPT), "export", NAME, "--out", str(out), "--format", "parquet",
                "--num-proc", "2", "--quiet", *flags]

    clean = finish(start(code, *command(tmp_path / "clean")))
    out = tmp_path / "killed"

    def nothing_finished_looking() -> None:
        if out.exists():
            names = [path.name for path in out.iterdir()]
            finished = [name for name in names if not name.startswith(".")]
            assert finished == [] or "lime_metadata.json" in finished, names

    landed = kill_repeatedly(code, tuple(command(out)), clean["seconds"], 3,
                             nothing_finished_looking)
    assert landed >= 1, "no kill landed during an export"
    if not (out / "lime_metadata.json").exists():  # else the last kill came after the end
        rerun = subprocess.run(command(out), capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
    check = subprocess.run([str(SCRIPT), "fingerprint", "--check", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout
    found = {split: fingerprint_batches([pq.read_table(out / f"{split}.parquet")])
             for split in SPLITS}
    assert found == core_fingerprints(sizes)
    recorded = json.loads((out / "lime_metadata.json").read_text())["splits"]
    clean_recorded = json.loads((tmp_path / "clean" / "lime_metadata.json").read_text())["splits"]
    assert {s: recorded[s]["fingerprint"] for s in SPLITS} == {
        s: clean_recorded[s]["fingerprint"] for s in SPLITS} == found


@pytest.mark.parametrize("overwrite", [False, True])
def test_concurrent_cli_exports_into_one_folder_never_mix(tmp_path, overwrite):
    """Without --overwrite one export wins and the other fails cleanly; with it both succeed.
    Either way the folder holds one whole, correct export and no temporary file."""
    sizes = {"num_train": 20_000, "num_validation": 1_001, "num_test": 7}
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in sizes.items()]
    out = tmp_path / "out"
    command = [str(SCRIPT), "export", NAME, "--out", str(out), "--format", "jsonl", "--quiet",
               *flags, *(["--overwrite"] if overwrite else [])]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in processes]
    statuses = sorted(status for status, _ in results)
    if overwrite:
        assert statuses == [0, 0], results
    else:
        assert statuses == [0, 2], results
        assert "--overwrite" in max(results)[1]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    check = subprocess.run([str(SCRIPT), "fingerprint", "--check", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout
    recorded = json.loads((out / "lime_metadata.json").read_text())["splits"]
    assert {s: recorded[s]["fingerprint"] for s in SPLITS} == core_fingerprints(sizes)


# Runs the CLI with a hook that SIGKILLs it at publishing step N (1 = the first; 0: never), and
# prints how many steps there were.
_KILL_AT_STEP = """
import os, signal, sys
from lime_datasets import cli, publish
step, seen = int(sys.argv[1]), []
def at_step(action, path):
    seen.append(action)
    if len(seen) == step:
        os.kill(os.getpid(), signal.SIGKILL)
publish.on_step = at_step
status = cli.main(sys.argv[2:])
print(len(seen))
sys.exit(status)
"""


def test_an_export_killed_at_any_step_of_publishing_is_finished_by_a_plain_rerun(tmp_path):
    """SIGKILL at every step of renaming an export's files into place (before the journal, before
    each rename, before the journal's removal): until the metadata is in place the export is
    never taken for complete, and a plain rerun (no --overwrite) ends with the files of an
    uninterrupted export, nothing hidden left."""
    sizes = {"num_train": 3_000, "num_validation": 1_001, "num_test": 7}
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in sizes.items()]
    args = ["export", NAME, "--format", "jsonl", "--quiet", *flags]

    def run_killed_at(step: int, out: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", _KILL_AT_STEP, str(step), *args, "--out",
                               str(out)], capture_output=True, text=True, env=env(), timeout=300)

    clean = tmp_path / "clean"
    done = run_killed_at(0, clean)
    assert done.returncode == 0, done.stderr
    steps = int(done.stdout.split()[-1])
    files = {path.name: path.read_bytes() for path in clean.iterdir()}
    assert steps == len(files) + 2  # the journal, one rename per file, the journal's removal
    for step in range(1, steps + 1):
        out = tmp_path / f"killed-at-{step}"
        killed = run_killed_at(step, out)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        if not (out / "lime_metadata.json").exists():
            check = subprocess.run([str(SCRIPT), "fingerprint", "--check", str(out)],
                                   capture_output=True, text=True, timeout=300)
            assert check.returncode != 0 and "lime_metadata.json" in check.stderr
        rerun = subprocess.run([str(SCRIPT), *args, "--out", str(out)], capture_output=True,
                               text=True, timeout=300)
        assert rerun.returncode == 0, (step, rerun.stderr)
        assert {path.name: path.read_bytes() for path in out.iterdir()} == files, step
    recorded = json.loads(files["lime_metadata.json"])["splits"]
    assert {s: recorded[s]["fingerprint"] for s in SPLITS} == core_fingerprints(sizes)


def test_a_rerun_removes_a_killed_exports_temporary_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".train.jsonl.0badc0de.tmp"
    stale.write_text("half of a killed export\n")
    flags = ["--num-train=10", "--num-validation=3", "--num-test=2"]
    done = subprocess.run([str(SCRIPT), "export", NAME, "--out", str(out), "--quiet", *flags],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not stale.exists()


# Every writer, killed at every step of publishing ----------------------------------------------

# Runs ``sys.argv[3]`` (Python that writes its output at ``sys.argv[2]``) with a hook that SIGKILLs
# the process at step N (1 = the first; 0: never) or at the first step named N, and prints the
# steps it saw, one per line. ``at_step`` is ``publish.on_step``; writers whose steps are not
# publish's call it themselves.
_RUN_KILLED_AT = """
import os, signal, sys
from lime_datasets import publish
step, seen = sys.argv[1], []
def at_step(action, path=None):
    seen.append(action)
    if str(len(seen)) == step or action == step:
        os.kill(os.getpid(), signal.SIGKILL)
publish.on_step = at_step
exec(sys.argv[3])
print("\\n".join(seen))
"""


def run_killed_at(step: int | str, code: str, out: Path) -> tuple[list[str], bool]:
    """Run ``code`` writing to ``out``, killed at ``step``: the steps seen (all of them when
    not killed), and whether it was killed."""
    done = subprocess.run([sys.executable, "-c", _RUN_KILLED_AT, str(step), str(out), code],
                          capture_output=True, text=True, env=env(), timeout=300)
    if done.returncode == -signal.SIGKILL:
        return [], True
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")[:-1], False


def folder_bytes(folder: Path) -> dict[str, bytes] | None:
    """Every file under ``folder`` by its relative path; None if there is no folder."""
    if not folder.is_dir():
        return None
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def hidden(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


SMALL_FLAGS = "num_train=30, num_validation=4, num_test=2"
HUB_WRITE = f"""
from lime_datasets import hub
hub.export_hub(sys.argv[2], ["deduct"], overwrite=True, {SMALL_FLAGS})
"""
CARDS_WRITE = """
from lime_datasets.cards.write import write_cards
write_cards(sys.argv[2], names=["deduct"], sample_size=100, ambiguity_sample=10,
            overwrite=True, throughput_file=None)
"""


def _old_folder(target: Path) -> dict[str, bytes]:
    (target / "data").mkdir(parents=True)
    (target / "README.md").write_text("an older folder\n")
    (target / "data" / "file").write_text("its data\n")
    return folder_bytes(target)


@pytest.mark.parametrize("replacing", [False, True], ids=["new", "replacing"])
@pytest.mark.parametrize("write", [HUB_WRITE, CARDS_WRITE], ids=["hub", "cards"])
def test_a_folder_writer_killed_at_any_step_leaves_a_whole_folder_and_reruns(
    tmp_path, write, replacing
):
    """Hub and cards folders, new or replacing an old one, SIGKILLed at every step: the staging
    folder made, each step of the exports inside it (journal, renames, journal's removal), the
    old folder set aside, the new one renamed into place. A reader then finds no folder, the old
    one or the new one, never a part; the next run first puts back an old folder set aside, and
    ends with the folder of an uninterrupted run and nothing hidden beside it."""
    clean = tmp_path / "clean" / "out"
    steps, _ = run_killed_at(0, write, clean)
    new = folder_bytes(clean)
    assert steps[0] == "stage" and steps[-1] == "rename", steps
    for step in range(1, len(steps) + (2 if replacing else 1)):  # replacing: + "set aside"
        target = tmp_path / f"killed-at-{step}" / "out"
        old = _old_folder(target) if replacing else None
        _, killed = run_killed_at(step, write, target)
        assert killed, step
        assert folder_bytes(target) in (None, old, new), step
        from lime_datasets import publish

        publish.remove_leftovers(target.parent, [target.name])
        assert folder_bytes(target) == old and hidden(target.parent) == [], step
        run_killed_at(0, write, target)
        assert folder_bytes(target) == new, step
        assert sorted(p.name for p in target.parent.iterdir()) == ["out"], step


TFDS_METADATA_WRITE = """
from pathlib import Path
from lime_datasets.tfds import metadata
metadata.write(Path(sys.argv[2]))
"""


def test_the_tfds_metadata_writer_killed_at_any_step_is_finished_by_the_next_run(tmp_path):
    """README.md, CITATIONS.bib and TAGS.txt, all stale, rewritten and SIGKILLed at every step
    (the journal, each rename, the journal's removal): each file is whole, old or new, and the
    next run finishes the renames and leaves nothing hidden."""
    from lime_datasets.tfds import metadata

    new = {name: render().encode() for name, render in metadata.FILES.items()}
    old = {name: f"stale {name}\n".encode() for name in new}
    steps = None
    for step in range(1, 100):
        folder = tmp_path / f"killed-at-{step}"
        folder.mkdir()
        for name, data in old.items():
            (folder / name).write_bytes(data)
        seen, killed = run_killed_at(step, TFDS_METADATA_WRITE, folder)
        if not killed:
            steps = seen
            break
        for name in new:
            assert (folder / name).read_bytes() in (old[name], new[name]), (step, name)
        run_killed_at(0, TFDS_METADATA_WRITE, folder)
        assert folder_bytes(folder) == new and hidden(folder) == [], step
    assert steps == ["journal", "rename", "rename", "rename", "done"]
    assert folder_bytes(folder) == new and hidden(folder) == []


# datasets writes the build itself; the test hooks its steps: each table the builder yields,
# each of its moves (a split's shards to their final names inside ``.incomplete``; last, that
# folder into place), saving the info (dataset_info.json, which marks a finished folder).
# publish's own step is "empty" (clearing a killed build's leftovers).
HF_WRITE = f"""
import shutil
import lime_datasets
from lime_datasets import hf
tables, save, move = hf.Lime._generate_tables, hf.Lime._save_info, shutil.move
def counted(self, *args, **kwargs):
    for item in tables(self, *args, **kwargs):
        at_step("table")
        yield item
def saved(self):
    at_step("save info")
    save(self)
def moved(source, target, *args, **kwargs):
    at_step("move")
    return move(source, target, *args, **kwargs)
hf.Lime._generate_tables, hf.Lime._save_info, shutil.move = counted, saved, moved
lime_datasets.load_hf("{NAME}", cache_dir=sys.argv[2], num_train=2_000, num_validation=7,
                      num_test=3)
"""


def test_an_hf_build_killed_at_any_step_is_never_served_and_reruns_clean(tmp_path):
    """SIGKILL at every step of a build (each table, each move, saving the info, the last move),
    then again at the first step of the next build (emptying the leftovers, when there are
    any): no folder is ever taken for finished, and a third build ends with the clean build's
    fingerprints and no ``.incomplete`` folder."""
    sizes = {"num_train": 2_000, "num_validation": 7, "num_test": 3}
    steps, _ = run_killed_at(0, HF_WRITE, tmp_path / "clean")
    assert steps[-2:] == ["save info", "move"] and "table" in steps, steps
    for step in range(1, len(steps) + 1):
        cache = tmp_path / f"killed-at-{step}"
        assert run_killed_at(step, HF_WRITE, cache)[1], step
        assert hf_complete_builds(cache, sizes) == 0, step
        incomplete = next(cache.rglob("*.incomplete"))
        if any(incomplete.iterdir()):  # a table or more written: the next build empties them
            assert run_killed_at("empty", HF_WRITE, cache)[1], step
            assert hf_complete_builds(cache, sizes) == 0, step
        run_killed_at(0, HF_WRITE, cache)
        assert hf_complete_builds(cache, sizes) == 1, step
        assert not list(cache.rglob("*.incomplete")), step
        rebuilt = lime_datasets.load_hf(NAME, cache_dir=str(cache), **sizes)
        assert read_hf_fingerprints(rebuilt) == core_fingerprints(sizes), step
