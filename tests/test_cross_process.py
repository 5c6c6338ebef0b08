"""The same fingerprints in other processes: any ``PYTHONHASHSEED``, 1, 2 or 4 build processes,
Hugging Face and TFDS alike, all equal to this process's core fingerprints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import lime_datasets
from lime_datasets.core.config import SPLITS

pytest.importorskip("datasets")

REPO = Path(lime_datasets.__file__).resolve().parent.parent
NAME = "mixed"
SIZES = {"num_train": 2_500, "num_validation": 1_001, "num_test": 3, "seed": 5}

HF = """
import json, sys
import lime_datasets
from lime_datasets.core.fingerprint import fingerprint_batches
sizes = json.loads(sys.argv[2])
built = lime_datasets.load_hf(sys.argv[1], cache_dir=sys.argv[3], num_proc=int(sys.argv[4]),
                              **sizes)
print(json.dumps({
    "api": {s: lime_datasets.fingerprint(sys.argv[1], s, **sizes) for s in lime_datasets.SPLITS},
    "files": len(built["train"].cache_files),
    "read": {s: fingerprint_batches([built[s].with_format("arrow")[:].sort_by("id")])
             for s in built},
}))
"""

TFDS = """
import json, sys
import pyarrow as pa
import lime_datasets, tensorflow_datasets as tfds
from lime_datasets.core.fingerprint import fingerprint_batches
sizes = json.loads(sys.argv[2])
builder = tfds.builder("lime", config=lime_datasets.tfds_config(sys.argv[1], **sizes),
                       data_dir=sys.argv[3])
builder.download_and_prepare()
schema = lime_datasets.generate(sys.argv[1], "test", 0, 0).schema
read = {}
for split in builder.info.splits:
    rows = sorted(({"id": int(e["id"]), "task": e["task"].decode(), "source": e["source"].decode(),
                    "target": e["target"].decode(), "source_ids": e["source_ids"].tolist(),
                    "target_ids": e["target_ids"].tolist()}
                   for e in tfds.as_numpy(builder.as_dataset(split=split))),
                  key=lambda row: row["id"])
    read[split] = fingerprint_batches([pa.Table.from_pylist(rows, schema=schema)])
print(json.dumps({"read": read}))
"""


def run(code: str, hash_seed: str, *args: object) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    return {split: lime_datasets.fingerprint(NAME, split, **SIZES) for split in SPLITS}


@pytest.mark.slow
@pytest.mark.parametrize(("hash_seed", "num_proc"), [("0", 1), ("1", 2), ("random", 4)])
def test_hf_builds_under_any_hash_seed_and_process_count(tmp_path, expected, hash_seed,
                                                          num_proc):
    result = run(HF, hash_seed, NAME, json.dumps(SIZES), tmp_path, num_proc)
    assert result["files"] == num_proc  # really written by that many processes
    assert result["api"] == result["read"] == expected


@pytest.mark.slow
def test_tfds_builds_in_another_process_equal_the_core(tmp_path, expected):
    pytest.importorskip("tensorflow_datasets")
    assert run(TFDS, "2718", NAME, json.dumps(SIZES), tmp_path)["read"] == expected
