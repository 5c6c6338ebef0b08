"""Building and loading touch no network and run no foreign code.

A subprocess runs with an audit hook (installed by a ``sitecustomize`` on its path) that refuses
every internet socket connection and name lookup, and records any unpickling, any code compiled or
run from the caches, data folders or prediction files, and any module imported from them. It
builds and reloads through ``load_dataset("lime", ...)`` (without ``HF_HUB_OFFLINE``), streams,
builds with TFDS, exports, checks and evaluates with the command line, with traps planted where a
careless loader would execute or unpickle them.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import lime_datasets

pytest.importorskip("datasets")
pytest.importorskip("tensorflow_datasets")

REPO = Path(lime_datasets.__file__).resolve().parent.parent

SITECUSTOMIZE = '''
import atexit, os, socket, sys

LOG = os.environ["LIME_GUARD_LOG"]
ROOTS = tuple(p for p in os.environ["LIME_GUARD_ROOTS"].split(os.pathsep) if p)


def note(line):
    with open(LOG, "a") as handle:
        handle.write(line + "\\n")


def inside(path):
    return isinstance(path, str) and os.path.isabs(path) and path.startswith(ROOTS)


def hook(event, args):
    if event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6):
        note(f"connect {args[1]!r}")
        raise OSError("the network is off in this test")
    if event == "socket.getaddrinfo":
        note(f"getaddrinfo {args[0]!r}")
        raise OSError("the network is off in this test")
    if event == "pickle.find_class":
        note(f"unpickle {args[0]}.{args[1]}")
    if event == "compile" and inside(args[1]):
        note(f"compile {args[1]}")
    if event == "exec" and inside(getattr(args[0], "co_filename", None)):
        note(f"exec {args[0].co_filename}")


@atexit.register
def imported_from_the_roots():
    for name, module in list(sys.modules.items()):
        if inside(getattr(module, "__file__", None)):
            note(f"import {name} from {module.__file__}")


sys.addaudithook(hook)
'''

WORKLOAD = """
import json, os, sys
from pathlib import Path
import datasets, lime_datasets
import tensorflow_datasets as tfds
from lime_datasets import cli, hf

work = Path(sys.argv[1])
sizes = json.loads(sys.argv[2])
report = {}
built = datasets.load_dataset("lime", "mixed", **sizes)
again = datasets.load_dataset("lime", "mixed", **sizes)  # from the cache
assert again["train"].cache_files == built["train"].cache_files
report["hf"] = hf.recorded_fingerprints(again)
report["streamed"] = len(list(datasets.load_dataset("lime", "mixed", split="validation",
                                                    streaming=True, **sizes)))
config = lime_datasets.tfds_config("mixed", **sizes)
for _ in range(2):  # build, then load what was built
    test = tfds.load("lime", split="test", data_dir=work / "tfds",
                     builder_kwargs={"config": config})
report["tfds"] = sorted(int(e["id"]) for e in tfds.as_numpy(test))
flags = [f"--{k.replace('_', '-')}={v}" for k, v in sizes.items()]
report["export"] = cli.main(["export", "mixed", "--out", str(work / "export"), "--quiet", *flags])
report["check"] = cli.main(["fingerprint", "--check", str(work / "export")])
for name in ("predictions.txt", "predictions.jsonl", "predictions.pkl"):
    report[name] = cli.main(["evaluate", "mixed", "--predictions", str(work / name), *flags])
print(json.dumps(report))
"""

SIZES = {"num_train": 30, "num_validation": 20, "num_test": 10}
TRAP = "import os; os.mkdir({marker!r})\n"


class _Trap:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def plant_traps(work: Path, home: Path, marker: Path) -> None:
    """Code and pickles a loader must never run: in the working folder, the caches and the
    prediction files."""
    code = TRAP.format(marker=str(marker))
    (work / "lime").mkdir(parents=True)
    (work / "lime" / "lime.py").write_text(code)  # a local "lime" loading script
    (work / "lime.py").write_text(code)
    modules = home / "modules" / "datasets_modules" / "datasets" / "lime"
    modules.mkdir(parents=True)
    (modules / "__init__.py").write_text(code)
    (modules / "lime.py").write_text(code)
    payload = pickle.dumps(_Trap(str(marker)))
    (work / "predictions.pkl").write_bytes(payload)
    (work / "predictions.txt").write_text(code * SIZES["num_test"])
    record = json.dumps({"id": 0, "prediction": code, "__reduce__": payload.hex()})
    (work / "predictions.jsonl").write_text(record + "\n")


@pytest.mark.slow
def test_building_and_loading_use_no_network_and_run_no_foreign_code(tmp_path: Path) -> None:
    work, home, guard = tmp_path / "work", tmp_path / "hf_home", tmp_path / "guard"
    marker = tmp_path / "trap-was-run"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE)
    plant_traps(work, home, marker)
    log = tmp_path / "guard.log"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS"))}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(guard), str(REPO)]),
        "HF_HOME": str(home), "HF_DATASETS_CACHE": str(home / "datasets"),
        "LIME_GUARD_LOG": str(log), "LIME_GUARD_ROOTS": os.pathsep.join([str(work), str(home)]),
    })
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(WORKLOAD), str(work),
                             json.dumps(SIZES)], capture_output=True, text=True, cwd=work,
                            env=env, timeout=600)
    events = log.read_text().splitlines() if log.exists() else []
    assert result.returncode == 0, (events, result.stderr[-3000:])
    assert sorted(set(events)) == []
    assert not marker.exists()
    report = json.loads(result.stdout.splitlines()[-1])
    expected = {split: lime_datasets.fingerprint("mixed", split, **SIZES)
                for split in ("train", "validation", "test")}
    assert report["hf"] == expected
    assert report["streamed"] == SIZES["num_validation"]
    assert report["tfds"] == list(range(SIZES["num_test"]))
    assert report["export"] == report["check"] == 0
    # Text predictions are scored as text; the others are refused as unreadable, not run.
    assert report["predictions.txt"] == 0
    assert report["predictions.jsonl"] == report["predictions.pkl"] == 2


def test_the_guard_catches_a_connection(tmp_path: Path) -> None:
    """The audit hook is live: a plain connection attempt is refused and recorded."""
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "guard.log"
    code = ("import pickle, socket\n"
            "pickle.loads(pickle.dumps(socket.AF_INET))\n"
            "socket.create_connection(('127.0.0.1', 9), timeout=1)\n")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(guard), "LIME_GUARD_LOG": str(log),
             "LIME_GUARD_ROOTS": str(tmp_path)},
    )
    assert result.returncode != 0 and "the network is off" in result.stderr
    events = log.read_text().splitlines()
    assert events[0].startswith("unpickle socket.")
    assert any(event.startswith(("connect", "getaddrinfo")) for event in events)
