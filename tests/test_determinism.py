"""Same key, same bytes: slicing, prefixes, processes; different keys, different data."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import lime_datasets
from lime_datasets.core.generate import BLOCK_SIZE

GOLDEN = Path(__file__).parent / "golden_fingerprints.json"
# The fingerprints published with data version 1.0.0, before block manifests defined them anew.
PUBLISHED_V1 = Path(__file__).parent / "golden_fingerprints_v1.0.0.json"
REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", sorted(lime_datasets.CONFIGS))
def test_any_row_range_equals_the_same_rows_of_a_larger_range(name: str) -> None:
    whole = lime_datasets.generate(name, "train", 0, 3 * BLOCK_SIZE + 7, num_train=10_000)
    for start, stop in [
        (0, 1),
        (5, 6),
        (BLOCK_SIZE - 3, BLOCK_SIZE + 4),
        (999, 2001),
        (2 * BLOCK_SIZE, 3 * BLOCK_SIZE + 7),
        (17, 17),
    ]:
        part = lime_datasets.generate(name, "train", start, stop, num_train=10_000)
        assert part.equals(whole.slice(start, stop - start)), (start, stop)


@pytest.mark.parametrize("name", ["deduct", "mixed"])
def test_first_rows_equal_a_smaller_build(name: str) -> None:
    big = lime_datasets.generate(name, "train", 0, 2500, num_train=1_000_000)
    small = lime_datasets.generate(name, "train", num_train=2500)
    assert small.equals(big)
    assert lime_datasets.fingerprint(name, "train", num_train=2500) == lime_datasets.fingerprint(
        name, "train", num_train=2500, num_validation=7, num_test=0
    )


def test_example_equals_the_row_of_generate() -> None:
    table = lime_datasets.generate("induct_v2", "validation")
    for index in (0, 1, 499, 999):
        assert (
            lime_datasets.example("induct_v2", "validation", index)
            == table.slice(index, 1).to_pylist()[0]
        )


def test_different_keys_give_different_data() -> None:
    def sources(name: str, split: str, **overrides) -> list[str]:
        return lime_datasets.generate(name, split, 0, 200, **overrides).column("source").to_pylist()

    base = sources("deduct", "train")
    assert sources("deduct", "train", seed=1) != base
    assert sources("deduct", "validation") != base
    assert sources("deduct", "test") != sources("deduct", "validation")
    # Same task, different config name: an independent stream, not the same examples.
    mixed = lime_datasets.generate("mixed", "train", 0, 200, task_weights={"deduct": 1})
    assert mixed.column("source").to_pylist() != base
    # No two seeds are shifted copies of each other.
    assert not set(sources("deduct", "train", seed=2)) & set(sources("deduct", "train", seed=1))


@pytest.mark.slow
def test_no_validation_or_test_source_in_the_first_100k_train_examples() -> None:
    for name in ("deduct", "mixed"):
        train = set(lime_datasets.generate(name, "train", 0, 100_000).column("source").to_pylist())
        for split in ("validation", "test"):
            held_out = lime_datasets.generate(name, split).column("source").to_pylist()
            assert not train & set(held_out), (name, split)
        assert len(train) == 100_000


def test_golden_fingerprints() -> None:
    """Pinned fingerprints of every config and split at small sizes (see update_golden.py)."""
    golden = json.loads(GOLDEN.read_text())
    assert golden["data_version"] == lime_datasets.DATA_VERSION, (
        "the data version changed: regenerate with tests/update_golden.py and add a CHANGELOG entry"
    )
    sizes = golden["sizes"]
    assert set(golden["fingerprints"]) == set(lime_datasets.CONFIGS), "a config has no golden"
    for name, splits in golden["fingerprints"].items():
        for split, expected in splits.items():
            assert lime_datasets.fingerprint(name, split, **sizes) == expected, (name, split)


def test_fingerprint_v1_reproduces_the_fingerprints_published_with_1_0_0() -> None:
    published = json.loads(PUBLISHED_V1.read_text())
    assert published["data_version"] == "1.0.0"
    sizes = published["sizes"]
    assert set(published["fingerprints"]) == set(lime_datasets.CONFIGS)
    for name, splits in published["fingerprints"].items():
        for split, expected in splits.items():
            assert lime_datasets.fingerprint_v1(name, split, **sizes) == expected, (name, split)


def _canonical_digest(rows: list[dict], fields: list[str]) -> bytes:
    """The canonical digest of ``rows``, written out field by field from Python values."""
    summary = ""
    for field in fields:
        lengths, values = hashlib.sha256(), hashlib.sha256()
        for row in rows:
            value = row[field]
            if field == "id":
                values.update(struct.pack("<q", value))
                continue
            data = (value.encode() if isinstance(value, str)
                    else struct.pack(f"<{len(value)}i", *value))
            lengths.update(struct.pack("<I", len(value) if isinstance(value, list) else len(data)))
            values.update(data)
        summary += f"{field}={lengths.hexdigest()}:{values.hexdigest()}\n"
    return hashlib.sha256(summary.encode()).digest()


def test_golden_fingerprints_are_the_hash_of_block_digests_of_the_generated_rows() -> None:
    """The goldens by a separate, plain implementation of the definition: sha256 over the
    digests of each block of 1,000 rows (each over its rows' fields), from ``generate``."""
    golden = json.loads(GOLDEN.read_text())
    sizes = golden["sizes"]
    for name in ("deduct", "mixed", "rewrite_multistep"):
        for split, expected in golden["fingerprints"][name].items():
            table = lime_datasets.generate(name, split, **sizes)
            rows = table.to_pylist()
            blocks = [_canonical_digest(rows[i : i + 1000], table.schema.names)
                      for i in range(0, len(rows), 1000)]
            assert hashlib.sha256(b"".join(blocks)).hexdigest() == expected, (name, split)
            manifest = lime_datasets.manifest(name, split, **sizes)
            assert manifest["blocks"] == [block.hex() for block in blocks]


@pytest.mark.slow
def test_same_bytes_in_another_process_with_another_hash_seed() -> None:
    code = (
        "import json, lime_datasets as L;"
        "print(json.dumps({n: L.fingerprint(n, 'validation', num_validation=300)"
        " for n in sorted(L.CONFIGS)}))"
    )
    results = []
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        results.append(json.loads(out.stdout))
    here = {
        n: lime_datasets.fingerprint(n, "validation", num_validation=300)
        for n in sorted(lime_datasets.CONFIGS)
    }
    assert results[0] == results[1] == here
