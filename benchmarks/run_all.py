"""Run every benchmark and write the results table (``make bench``).

Writes ``benchmarks/results/``: ``generate.json`` (per-config throughput, read by the dataset
cards), ``generate_numpy.json`` (the same on the numpy code, without the compiled kernels),
``profile.json`` (where generation time goes), ``scaling.json``,
``hf_build_<rows>.json``, ``tfds_build.json`` (1M and 5M rows, next to the HF build),
``tfds_overhead.json``, ``disk.json`` (bytes per example of every build), ``import.json``,
``machine.json`` and ``README.md``
(the tables, in markdown). Sizes can be lowered for a quick run:

    python benchmarks/run_all.py [--quick] [--skip profile,hf,tfds,disk]

Each measurement names what it timed; wall times depend on the machine's load, which is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REPO = HERE.parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ("numpy", "pyarrow", "datasets", "tensorflow-datasets", "tensorflow-cpu",
                    "apache-beam", "lime-datasets"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    done = subprocess.run([sys.executable, "-c", "from lime_datasets.core import kernels; "
                           "print(kernels.describe())"], env=ENV, capture_output=True, text=True,
                          check=True)
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions,
            "generation_code": done.stdout.strip(),
            "load_average_at_start": round(os.getloadavg()[0], 2)}


def _generate_range(args: tuple[str, int, int]) -> int:
    import lime_datasets
    from lime_datasets.configs import get_config
    from lime_datasets.core.generate import iter_batches

    name, start, stop = args
    config = get_config(name, num_train=10**9)
    rows = 0
    for batch in iter_batches(config, "train", start, stop):
        rows += batch.num_rows
    assert lime_datasets.DATA_VERSION
    return rows


def scaling(name: str, rows: int) -> list[dict]:
    """Generate ``rows`` examples split over 1 and 2 worker processes (spawned, warm)."""
    results = []
    for processes in (1, 2):
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(_generate_range, [(name, 0, 2048)] * processes))  # warm each worker
            parts = [(name, i * rows // processes, (i + 1) * rows // processes)
                     for i in range(processes)]
            begin = time.perf_counter()
            done = sum(pool.map(_generate_range, parts))
            seconds = time.perf_counter() - begin
        results.append({"config": name, "processes": processes, "rows": done,
                        "seconds": round(seconds, 2), "examples_per_s": round(done / seconds)})
    return results


def import_time(repeats: int = 7) -> dict:
    def best(code: str) -> float:
        times = []
        for _ in range(repeats):
            begin = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=ENV, check=True)
            times.append(time.perf_counter() - begin)
        return min(times)

    base = best("import numpy, pyarrow")
    package = best("import numpy, pyarrow, lime_datasets")
    return {"numpy_pyarrow_s": round(base, 3), "with_lime_datasets_s": round(package, 3),
            "lime_datasets_extra_s": round(package - base, 3)}


def run_script(script: str, *args: str, env: dict | None = None) -> dict:
    out_file = RESULTS / f".{script}.{os.getpid()}.json"
    subprocess.run([sys.executable, str(HERE / script), *args, "--json", str(out_file)],
                   env=env or ENV, check=True)
    result = json.loads(out_file.read_text())
    out_file.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--skip", default="",
                        help="comma-separated: generate,profile,scaling,hf,tfds,disk")
    parser.add_argument("--tfds-python",
                        help="also run tfds.load in this interpreter: a venv with only the tfds "
                             "extra, as a TFDS user installs it (make bench makes one)")
    parser.add_argument("--render-only", action="store_true",
                        help="only rewrite README.md from the JSON files already in results/")
    args = parser.parse_args()
    if args.render_only:
        (RESULTS / "README.md").write_text(render(load_results()))
        return
    skip = set(filter(None, args.skip.split(",")))
    RESULTS.mkdir(exist_ok=True)
    results: dict = {"machine": machine()}
    (RESULTS / "machine.json").write_text(json.dumps(results["machine"], indent=2) + "\n")
    results["import"] = import_time()
    (RESULTS / "import.json").write_text(json.dumps(results["import"], indent=2) + "\n")
    if "generate" not in skip:
        rows = "20000" if args.quick else "200000"
        results["generate"] = run_script("generate_throughput.py", "--rows", rows)
        (RESULTS / "generate.json").write_text(json.dumps(results["generate"], indent=2) + "\n")
        pure = {**ENV, "LIME_DATASETS_PURE_PYTHON": "1"}
        results["generate_numpy"] = run_script("generate_throughput.py", "--rows", rows, env=pure)
        (RESULTS / "generate_numpy.json").write_text(
            json.dumps(results["generate_numpy"], indent=2) + "\n")
    if "profile" not in skip:
        rows = "20000" if args.quick else "200000"
        results["profile"] = run_script("generate_profile.py", "--rows", rows)
        (RESULTS / "profile.json").write_text(json.dumps(results["profile"], indent=2) + "\n")
    if "scaling" not in skip:
        results["scaling"] = scaling("mixed", 200_000 if args.quick else 2_000_000)
        (RESULTS / "scaling.json").write_text(json.dumps(results["scaling"], indent=2) + "\n")
    if "hf" not in skip:
        sizes = [100_000] if args.quick else [1_000_000, 5_000_000, 10_000_000]
        results["hf"] = []
        for rows in sizes:
            # At paper scale, also with the page cache's frames recycled (hf_build.py's doc).
            frames = "fresh,recycled" if rows == 5_000_000 else "fresh"
            result = run_script("hf_build.py", "--rows", str(rows), "--num-proc", "1,2",
                                "--page-frames", frames)
            (RESULTS / f"hf_build_{rows}.json").write_text(json.dumps(result, indent=2) + "\n")
            results["hf"].append(result)
    if "tfds" not in skip:
        sizes = [20_000] if args.quick else [1_000_000, 5_000_000]
        results["tfds"] = [run_script("tfds_build.py", "--rows", str(rows),
                                      "--modes", "tfds,data_source,hf") for rows in sizes]
        if args.tfds_python:
            results["tfds"] += [run_script("tfds_build.py", "--rows", str(rows), "--modes", "tfds",
                                           "--python", args.tfds_python) for rows in sizes]
        (RESULTS / "tfds_build.json").write_text(json.dumps(results["tfds"], indent=2) + "\n")
        results["tfds_overhead"] = run_script(
            "tfds_overhead.py", "--config", "abduct", "--rows", "20000" if args.quick else "100000")
        (RESULTS / "tfds_overhead.json").write_text(
            json.dumps(results["tfds_overhead"], indent=2) + "\n")
    if "disk" not in skip:
        results["disk"] = run_script("disk.py", "--rows", "20000" if args.quick else "200000")
        (RESULTS / "disk.json").write_text(json.dumps(results["disk"], indent=2) + "\n")
    # Every result kept, so that a run of some benchmarks (--skip) keeps the others' tables.
    (RESULTS / "README.md").write_text(render(load_results()))
    print((RESULTS / "README.md").read_text())


def _thousands(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def load_results() -> dict:
    """The results of earlier runs, from the JSON files in ``results/``."""
    results = {}
    for key in ("machine", "import", "generate", "generate_numpy", "profile", "scaling", "tfds",
                "tfds_overhead", "disk"):
        path = RESULTS / f"{'tfds_build' if key == 'tfds' else key}.json"
        if path.exists():
            results[key] = json.loads(path.read_text())
    hf = sorted(RESULTS.glob("hf_build_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    if hf:
        results["hf"] = [json.loads(p.read_text()) for p in hf]
    return results


def _growth(hf_results: list[dict]) -> str:
    """How the peak memory of a build grows from the smallest N to the largest."""
    small, large = hf_results[0], hf_results[-1]
    ratios = []
    fresh = [[b for b in r["builds"] if b.get("page_frames", "fresh") == "fresh"]
             for r in (small, large)]
    for before, after in zip(*fresh, strict=True):
        ratios.append(f"`num_proc={before['num_proc']}` main process "
                      f"{after['peak_rss_main_mb'] / before['peak_rss_main_mb']:.2f}")
        if before["num_proc"] > 1:
            ratios.append(f"its workers "
                          f"{after['peak_rss_worker_mb'] / before['peak_rss_worker_mb']:.2f}")
    return (f"Peak memory at {large['rows']:,} over {small['rows']:,} train examples: "
            + ", ".join(ratios) + ".")


def render(results: dict) -> str:
    m = results["machine"]
    lines = ["# Benchmark results", "",
             f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}; load average "
             f"{m['load_average_at_start']} at start; generating with "
             f"{m.get('generation_code', 'the code installed')}.", "",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v), "",
             "## import lime_datasets", "",
             f"`import numpy, pyarrow`: {results['import']['numpy_pyarrow_s']} s; adding "
             f"`import lime_datasets`: {results['import']['lime_datasets_extra_s']:+.3f} s "
             "(best of 7 fresh processes).", ""]
    if "generate" in results:
        numpy_rates = {r["config"]: r["examples_per_s"]
                       for r in results.get("generate_numpy", [])}
        code = results["generate"][0].get("code", "the code installed")
        lines += ["## generate, one process", "",
                  f"With {code}; the numpy code (`LIME_DATASETS_PURE_PYTHON=1`) alongside. "
                  "examples/s: `generate` returning the rows as one table in memory; streaming: "
                  "the same rows batch by batch (`iter_batches`), as builds and exports "
                  "generate them, each batch's memory reused by the next.", "",
                  "| config | examples/s | text MB/s | streaming, examples/s | "
                  "numpy code, examples/s | ratio |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in results["generate"]:
            slow = numpy_rates.get(r["config"])
            numpy_cells = f"{slow:,} | {r['examples_per_s'] / slow:.2f}" if slow else "- | -"
            lines.append(f"| {r['config']} | {r['examples_per_s']:,} | {r['text_mb_per_s']} | "
                         f"{_thousands(r.get('streaming_examples_per_s'))} | {numpy_cells} |")
        lines.append("")
    if "profile" in results:
        stages = list(results["profile"][0]["stages_share"])
        lines += ["## Where generation time goes (microseconds per example, share)", "",
                  "| config | total | " + " | ".join(stages) + " |",
                  "|---|---:|" + "---:|" * len(stages)]
        lines += [f"| {r['config']} | {r['us_per_example']:.2f} | " + " | ".join(
                      f"{r['stages_us_per_example'][s]:.2f} ({r['stages_share'][s]:.0%})"
                      for s in stages) + " |" for r in results["profile"]]
        lines.append("")
    if "scaling" in results:
        lines += ["## Generation with 1 and 2 processes (mixed)", "",
                  "| processes | rows | seconds | examples/s |", "|---:|---:|---:|---:|"]
        lines += [f"| {r['processes']} | {r['rows']:,} | {r['seconds']} | "
                  f"{r['examples_per_s']:,} |" for r in results["scaling"]]
        lines.append("")
    if "hf" in results:
        lines += ["## load_dataset(\"lime\", \"mixed\", num_train=N)", "",
                  "Call s: from the process's start to `load_dataset`'s return (imports "
                  "included); exit s: to the process's end. CPU of all processes, user (the "
                  "package, pyarrow, `datasets`) and system (mostly the kernel taking the "
                  "written bytes into its page cache; on a virtual machine it can vary several-"
                  "fold between runs). Peak memory of the main process as `load_dataset` "
                  "returns: resident in all (anonymous, file-backed pages of the memory-mapped "
                  "Arrow files; the two parts peak separately). Page frames: `fresh` as the "
                  "machine is (the builds run in turn, each deleting its files as it ends); "
                  "`recycled` with the page cache's memory freed a moment before the "
                  "build (a file larger than its output written and deleted), as a machine "
                  "that keeps its free memory always has it. A virtual machine that gives free "
                  "memory back to its host pays to take it again: 1.4 to 2.8 s of system time "
                  "per GB on the one first measured, against 0.2 s per GB recycled "
                  "(`benchmarks/hf_build.py`).",
                  "",
                  "| N | num_proc | page frames | call s | exit s | CPU user s | CPU sys s | "
                  "peak RSS main MB (anon / file) | peak RSS per worker MB | Arrow MB |",
                  "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for result in results["hf"]:
            for b in result["builds"]:
                parts = (f" ({b['peak_anon_main_mb']} / {b['peak_file_main_mb']})"
                         if "peak_anon_main_mb" in b else "")
                system = b.get("sys_main_s", 0) + b.get("sys_workers_s", 0)
                user = b["cpu_main_s"] + b["cpu_workers_s"] - system
                cpu = (f"{user:.1f} | {system:.1f}" if "sys_main_s" in b else "- | -")
                lines.append(f"| {result['rows']:,} | {b['num_proc']} | "
                             f"{b.get('page_frames', 'fresh')} | {b.get('call_s', '-')} | "
                             f"{b['wall_s']} | {cpu} | "
                             f"{b['peak_rss_main_mb']}{parts} | "
                             f"{b['peak_rss_worker_mb'] if b['num_proc'] > 1 else '-'} | "
                             f"{b['arrow_mb']} |")
        lines += ["", _growth(results["hf"]), ""]
        digest = [(r["rows"], r["digest_cpu_s"]) for r in results["hf"] if "digest_cpu_s" in r]
        if digest:
            rows, seconds = digest[-1]
            lines += [f"A build digests every block of rows it writes (the manifest it records): "
                      f"{seconds} s of CPU for {rows:,} rows of the core alone "
                      f"({seconds / rows * 1e6:.2f} us per example), spread over the writing "
                      "processes. No build reads its files back.", ""]
    if "tfds" in results:
        lines += ["## TFDS: `tfds.load` in a fresh process, next to the Hugging Face build", "",
                  "Each build in a fresh process, imports included (`tfds.load` imports "
                  "TensorFlow; `tfds.data_source` writes array_record and does not). Call s: "
                  "from the process's start to the call's return; exit s: to the process's end "
                  "(the interpreter's teardown too, about 1 s once TensorFlow is loaded). "
                  "examples/s counts every split written over the call's time. Venv: `dev` has "
                  "every extra, and `import tensorflow` also imports what Keras finds there "
                  "(jax, scikit-learn and matplotlib beyond what the `tfds` extra brings); "
                  "`tfds` has only the `tfds` extra, "
                  "as a TFDS user installs it. Largest child: the largest resident set of a "
                  "child process (the shard workers; under `tfds.load` also a process that "
                  "TensorFlow's import starts).", "",
                  "| config | train rows | build | venv | call s | exit s | examples/s | "
                  "to exit | peak RSS MB | largest child MB | data MB | call / HF's | "
                  "load average |",
                  "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for result in results["tfds"]:
            venv = "tfds" if result.get("python", sys.executable) != sys.executable else "dev"
            lines += [f"| {result['config']} | {result['rows']:,} | {b['mode']} | {venv} | "
                      f"{b.get('call_s', '-')} | {b['wall_s']} | {b['examples_per_s']:,} | "
                      f"{_thousands(b.get('examples_per_s_to_exit'))} | "
                      f"{b['peak_rss_main_mb']:,} | {b['peak_rss_worker_mb']:,} | "
                      f"{b['data_mb']:,} | {b.get('vs_hf', '-')} | {result['load_average']} |"
                      for b in result["builds"]]
        lines.append("")
    if "tfds_overhead" in results:
        r = results["tfds_overhead"]
        lines += [f"Serializing {r['config']} examples, in microseconds per example: the core "
                  f"generates one in {r['core_us']}; the builder's batch serializer takes "
                  f"{r['batch_serialize_us']} (without the compiled encoder: "
                  f"{r.get('batch_serialize_numpy_us', '-')}), TFDS's per-example path "
                  f"{r['adapter_us']} "
                  f"(example dicts) + {r['tfds_encode_us']} (encoding) + "
                  f"{r['tfds_serialize_us']} (serialisation): {r['speedup']}x.", ""]
    if "disk" in results:
        disk = results["disk"]
        lines += [f"## Bytes per example on disk ({disk['config']}, {disk['rows']:,} train "
                  "examples)", "",
                  "Data files only. `columns`: the text and the token ids (both), the text only, "
                  "the token ids only (fairseq files hold the text whatever `columns` is).", "",
                  "| build | both | text | ids |", "|---|---:|---:|---:|"]
        table: dict[str, dict[str, float]] = {}
        for row in disk["builds"]:
            table.setdefault(row["build"], {})[row["columns"]] = row["bytes_per_example"]
        for build, cells in table.items():
            lines.append(f"| {build} | " + " | ".join(
                f"{cells[c]:,}" if c in cells else "-" for c in ("both", "text", "ids")) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
