"""The benchmark scripts run end to end on small sizes (what they measure is not tested here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def _run(script: str, tmp_path: Path, *args: str) -> list[dict]:
    out = tmp_path / f"{script}.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args, "--json", str(out)],
                   env=ENV, check=True, capture_output=True, timeout=600)
    return json.loads(out.read_text())


def test_the_stage_profile_times_the_stages_that_generate_runs(tmp_path: Path) -> None:
    # The script raises if its stages do not give iter_batches' rows.
    results = _run("generate_profile.py", tmp_path, "--rows", "5000",
                   "--configs", "deduct,rewrite_multistep")
    assert [r["config"] for r in results] == ["deduct", "rewrite_multistep"]
    for r in results:
        assert abs(sum(r["stages_share"].values()) - 1) < 0.01
        assert r["examples_per_s"] > 0


def test_the_throughput_benchmark_reports_every_config_asked(tmp_path: Path) -> None:
    results = _run("generate_throughput.py", tmp_path, "--rows", "2000", "--repeats", "1",
                   "--configs", "mixed,induct_v3")
    assert [(r["config"], r["rows"]) for r in results] == [("mixed", 2000), ("induct_v3", 2000)]
    assert all(r["examples_per_s"] > 0 and r["text_mb_per_s"] > 0 for r in results)


def test_the_disk_benchmark_measures_every_build_and_columns_choice(tmp_path: Path) -> None:
    results = _run("disk.py", tmp_path, "--rows", "1500")
    sizes = {(r["build"], r["columns"]): r["bytes_per_example"] for r in results["builds"]}
    for build in ("Hugging Face (Arrow)", "export parquet", "export jsonl"):
        # Either column group alone takes less room than both.
        assert sizes[build, "text"] < sizes[build, "both"] > sizes[build, "ids"], build
    assert ("export fairseq", "ids") not in sizes
