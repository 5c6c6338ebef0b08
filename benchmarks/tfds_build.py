"""``tfds.load`` of ``lime`` in a fresh process, next to the Hugging Face build of the same rows.

Usage: python benchmarks/tfds_build.py [--config abduct] [--rows 1000000]
           [--modes tfds,hf] [--num-proc 2] [--python PATH] [--json PATH]

Modes, each in a fresh interpreter with an empty temporary data folder / cache (removed after):

- ``tfds``: ``tfds.load("lime", split="train", builder_kwargs={"config": tfds_config(config,
  num_train=rows), "num_proc": n})``, which builds every split and returns a ``tf.data`` pipeline
  (so TensorFlow is imported, as a user's call does);
- ``data_source``: ``tfds.data_source`` of the same config as array_record (no TensorFlow);
- ``beam``: ``builder.download_and_prepare`` with Apache Beam's DirectRunner, ``n`` worker
  processes;
- ``hf``: ``datasets.load_dataset("lime", config, split="train", num_train=rows, num_proc=n)``.

``call_s`` is the time from the process's start (as the parent launches it) to the return of the
call: interpreter start and imports included, as a user's first call pays them. ``wall_s`` also
includes the interpreter's teardown (about 1 s once TensorFlow is loaded), until the parent sees
the process end. ``examples_per_s`` counts every split built (train + validation + test) over
``call_s``, ``examples_per_s_to_exit`` over ``wall_s``.

``--python`` runs the builds in another interpreter, e.g. a venv with only the ``tfds`` extra as a
TFDS user installs it: ``import tensorflow`` imports what it finds installed (through Keras,
jax, scikit-learn, matplotlib, pandas), so its time depends on the venv.
Peak memory: the largest resident set of the main process (``ru_maxrss``) and of any one of its
child processes: the workers, and under ``tfds`` also a process that TensorFlow's import starts
(with ``--num-proc 1`` it remains). ``vs_hf`` is a mode's wall time over the HF build's in the
same run.
The machine's load average at the start is recorded: shared machines give slower numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODES = ("tfds", "data_source", "beam", "hf")


def child(mode: str, config: str, rows: int, num_proc: int, folder: str) -> dict:
    """One build in this process; returns its measurements."""
    begin = time.perf_counter()
    if mode == "hf":
        import datasets

        import lime_datasets  # binds the name "lime"

        imported = time.perf_counter()
        built = datasets.load_dataset("lime", config, split="train", num_train=rows,
                                      num_proc=num_proc, cache_dir=folder)
        examples = {"train": built.num_rows}
        lime = lime_datasets.configs.get_config(config, num_train=rows)
        examples.update({s: lime.split_size(s) for s in ("validation", "test")})
    else:
        import tensorflow_datasets as tfds

        import lime_datasets

        tfds.disable_progress_bar()
        imported = time.perf_counter()
        builder_config = lime_datasets.tfds_config(config, num_train=rows)
        if mode == "tfds":
            tfds.load("lime", split="train", data_dir=folder,
                      builder_kwargs={"config": builder_config, "num_proc": num_proc})
        elif mode == "data_source":
            tfds.data_source("lime", split="train", data_dir=folder,
                             builder_kwargs={"config": builder_config, "num_proc": num_proc,
                                             "file_format": "array_record"})
        else:
            import apache_beam as beam

            options = beam.options.pipeline_options.PipelineOptions([
                "--runner=DirectRunner", "--direct_running_mode=multi_processing",
                f"--direct_num_workers={num_proc}"])
            tfds.builder("lime", config=builder_config, data_dir=folder).download_and_prepare(
                download_config=tfds.download.DownloadConfig(beam_options=options))
        builder = tfds.builder("lime", config=builder_config, data_dir=folder)
        examples = {name: info.num_examples for name, info in builder.info.splits.items()}
    done = time.perf_counter()
    returned_at = time.time()
    return {
        "mode": mode,
        "returned_at": returned_at,
        "num_proc": num_proc,
        "import_s": round(imported - begin, 2),
        "build_s": round(done - imported, 2),
        "examples": sum(examples.values()),
        "peak_rss_main_mb": round(_peak_mb(resource.RUSAGE_SELF)),
        "peak_rss_worker_mb": round(_peak_mb(resource.RUSAGE_CHILDREN)),
        "data_mb": round(sum(p.stat().st_size for p in Path(folder).rglob("*")
                             if p.is_file()) / 1e6),
    }


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def run(mode: str, config: str, rows: int, num_proc: int, python: str = sys.executable) -> dict:
    """``child`` in a fresh interpreter; adds the call's and the process's times, examples/s."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
           "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory(prefix=f"lime-bench-{mode}-") as folder:
        command = [python, __file__, "--child", mode, folder, "--config", config,
                   "--rows", str(rows), "--num-proc", str(num_proc)]
        launched_at = time.time()
        begin = time.perf_counter()
        out = subprocess.run(command, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - begin
    if out.returncode:
        sys.exit(f"{mode} build failed:\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    call = result.pop("returned_at") - launched_at
    return {**result, "call_s": round(call, 2), "wall_s": round(wall, 2),
            "examples_per_s": round(result["examples"] / call),
            "examples_per_s_to_exit": round(result["examples"] / wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="abduct")
    parser.add_argument("--rows", type=int, default=1_000_000, help="train rows")
    parser.add_argument("--modes", default="tfds,hf",
                        help=f"comma-separated, of: {', '.join(MODES)}")
    parser.add_argument("--num-proc", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter of the builds (default: this one)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.config, args.rows, args.num_proc,
                               args.child[1])))
        return
    modes = args.modes.split(",")
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        parser.error(f"--modes must be among {', '.join(MODES)}; got {', '.join(unknown)}")
    load = os.getloadavg()[0]
    builds = [run(mode, args.config, args.rows, args.num_proc, args.python) for mode in modes]
    hf = next((b for b in builds if b["mode"] == "hf"), None)
    for b in builds:
        if hf is not None:
            b["vs_hf"] = round(b["call_s"] / hf["call_s"], 2)
    print(f"{args.config}, {args.rows:,} train rows, num_proc {args.num_proc}, "
          f"load average {load:.1f} at the start, {args.python}")
    print(f"{'mode':<12}{'call s':>7}{'exit s':>7}{'import s':>9}{'build s':>8}"
          f"{'examples/s':>11}{'to exit':>9}{'peak main MB':>13}{'peak worker MB':>15}"
          f"{'data MB':>8}{'vs HF':>6}")
    for b in builds:
        print(f"{b['mode']:<12}{b['call_s']:>7}{b['wall_s']:>7}{b['import_s']:>9}"
              f"{b['build_s']:>8}{b['examples_per_s']:>11,}{b['examples_per_s_to_exit']:>9,}"
              f"{b['peak_rss_main_mb']:>13}{b['peak_rss_worker_mb']:>15}{b['data_mb']:>8}"
              f"{b.get('vs_hf', '-'):>6}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": args.config, "rows": args.rows, "num_proc": args.num_proc,
                       "python": args.python, "load_average": round(load, 1),
                       "builds": builds}, f, indent=2)


if __name__ == "__main__":
    main()
