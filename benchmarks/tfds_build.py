"""Throughput and peak memory of TFDS builds of ``lime``: plain, and Apache Beam on DirectRunner.

Usage: python benchmarks/tfds_build.py [--config mixed] [--num-train 1000000]
           [--modes plain,beam] [--workers 2] [--running-mode multi_processing]
           [--file-format tfrecord] [--parts-rows 100000] [--json PATH]

Each mode runs in a fresh process (so peak memory is its own) and builds into a temporary data
directory that is removed afterwards. examples/s counts every split (train + validation + test)
over the wall time of ``download_and_prepare``. Peak memory: the max RSS of the building process
(the Beam runner, for Beam), and the peak of the summed RSS of its child processes (Beam workers),
sampled every half second. A build whose count check fails (examples lost, see
``lime_datasets/tfds/beam_hazard.py``) is reported with ``complete: false`` and what it wrote.

With the plain mode, ``benchmarks/tfds_overhead.py`` also runs (in its own process, over
``--parts-rows`` train rows; 0 skips it) and the plain row gets its keys: microseconds per example
of the core (``core_us``), of the adapter (``adapter_us``), of TFDS's encoding and serialisation
(``tfds_encode_us``, ``tfds_serialize_us``) and ``adapter_share``, the adapter's time over TFDS's
encode + serialize time. ``tfds_build_us`` is the rest of the build per example (its wall time per
example minus core and adapter: TFDS's encoding, serialisation, shuffling and writing, and the
TensorFlow import it triggers), and ``adapter_share_of_build`` the adapter's time over that.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _sample_children(stop: threading.Event, peak: list[int]) -> None:
    """Keep in ``peak[0]`` the largest summed RSS of this process's children seen so far."""
    import psutil

    me = psutil.Process()
    while not stop.wait(0.5):
        total = 0
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:  # exited meanwhile
                pass
        peak[0] = max(peak[0], total)


def build(config: str, num_train: int, mode: str, workers: int, running_mode: str,
          file_format: str) -> dict:
    import tensorflow_datasets as tfds

    import lime_datasets
    from lime_datasets.tfds import IncompleteBuildError

    builder_config = lime_datasets.tfds_config(config, num_train=num_train)
    download_config = tfds.download.DownloadConfig()
    if mode == "beam":
        import apache_beam as beam

        download_config.beam_options = beam.options.pipeline_options.PipelineOptions([
            "--runner=DirectRunner",
            f"--direct_running_mode={running_mode}",
            f"--direct_num_workers={workers}",
        ])
    with tempfile.TemporaryDirectory(prefix="lime-tfds-bench-") as data_dir:
        builder = tfds.builder("lime", config=builder_config, data_dir=data_dir,
                               file_format=file_format)
        stop, children_peak = threading.Event(), [0]
        sampler = threading.Thread(target=_sample_children, args=(stop, children_peak), daemon=True)
        sampler.start()
        begin = time.perf_counter()
        try:
            builder.download_and_prepare(download_config=download_config)
            complete = True
        except IncompleteBuildError:
            complete = False
        seconds = time.perf_counter() - begin
        stop.set()
        sampler.join()
        written = {name: info.num_examples for name, info in builder.info.splits.items()}
        examples = sum(builder_config.lime_config.split_size(s) for s in written)
        size = builder.info.dataset_size
    if mode == "plain":
        label = "plain"
    elif running_mode == "in_memory":
        label = "beam-in_memory"
    else:
        label = f"beam-{running_mode}-{workers}"
    return {
        "config": config,
        "mode": label,
        "file_format": file_format,
        "examples": examples,
        "complete": complete,
        "written": written,
        "seconds": round(seconds, 1),
        "examples_per_s": round(examples / seconds),
        "dataset_mb": round(size / 1e6, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "peak_workers_rss_mb": children_peak[0] // 2**20,
    }


def parts(config: str, rows: int) -> dict:
    """Per-example times of the build's parts, from ``tfds_overhead.py`` in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="lime-tfds-parts-") as tmp:
        out = Path(tmp) / "parts.json"
        done = subprocess.run([sys.executable, str(HERE / "tfds_overhead.py"), "--config", config,
                               "--rows", str(rows), "--json", str(out)],
                              capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"tfds_overhead.py failed:\n{done.stderr[-4000:]}")
        found = json.loads(out.read_text())
    keys = ("core_us", "adapter_us", "tfds_encode_us", "tfds_serialize_us", "adapter_share")
    return {"parts_rows": rows, **{key: found[key] for key in keys}}


def with_build_share(result: dict) -> dict:
    """Add ``tfds_build_us`` and ``adapter_share_of_build`` to a plain result with parts."""
    build_us = result["seconds"] / result["examples"] * 1e6
    tfds_us = build_us - result["core_us"] - result["adapter_us"]
    return {**result, "tfds_build_us": round(tfds_us, 2),
            "adapter_share_of_build": round(result["adapter_us"] / tfds_us, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="mixed")
    parser.add_argument("--num-train", type=int, default=1_000_000)
    parser.add_argument("--modes", default="plain,beam")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--running-mode", default="multi_processing",
                        choices=("multi_processing", "multi_threading", "in_memory"))
    parser.add_argument("--file-format", default="tfrecord", choices=("tfrecord", "array_record"))
    parser.add_argument("--parts-rows", type=int, default=100_000,
                        help="train rows for the per-part timings of the plain build (0: skip)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one mode in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(build(args.config, args.num_train, args.one, args.workers,
                               args.running_mode, args.file_format)))
        return
    results = []
    for mode in args.modes.split(","):
        command = [sys.executable, __file__, "--one", mode, "--config", args.config,
                   "--num-train", str(args.num_train), "--workers", str(args.workers),
                   "--running-mode", args.running_mode, "--file-format", args.file_format]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{mode} build failed:\n{done.stderr[-4000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if mode == "plain" and args.parts_rows:
            result = with_build_share({**result, **parts(args.config, args.parts_rows)})
        results.append(result)
    print(f"{'mode':<28}{'examples':>10}{'seconds':>9}{'examples/s':>12}{'peak MB':>9}"
          f"{'workers MB':>11}  complete")
    for r in results:
        print(f"{r['mode']:<28}{r['examples']:>10,}{r['seconds']:>9}{r['examples_per_s']:>12,}"
              f"{r['peak_rss_mb']:>9,}{r['peak_workers_rss_mb']:>11,}  "
              f"{'yes' if r['complete'] else 'NO: wrote ' + str(r['written'])}")
    for r in results:
        if "adapter_us" in r:
            print(f"\n{r['mode']}, microseconds per example (parts over {r['parts_rows']:,} train "
                  f"rows): core {r['core_us']}, adapter {r['adapter_us']}, TFDS encode "
                  f"{r['tfds_encode_us']} + serialize {r['tfds_serialize_us']}; rest of the build "
                  f"{r['tfds_build_us']}. Adapter / TFDS encode+serialize: "
                  f"{r['adapter_share']:.1%}; adapter / rest of the build: "
                  f"{r['adapter_share_of_build']:.1%}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
