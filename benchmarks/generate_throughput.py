"""Throughput of ``lime_datasets.generate`` per config, in one process.

Usage: python benchmarks/generate_throughput.py [--rows N] [--configs a,b] [--json PATH]
Prints examples/s and MB/s of text (source + target bytes) per config, and which code generated
(the compiled kernels, or the numpy code: set ``LIME_DATASETS_PURE_PYTHON=1`` to time it).

``examples_per_s``: ``generate`` returning the rows as one table in memory (every row's memory
freshly allocated). ``streaming_examples_per_s``: the same rows batch by batch (``iter_batches``,
each batch dropped before the next), as the builds and exports generate: the memory of a batch is
reused by the next. Both: the best of ``repeats`` runs on fresh rows.
"""

from __future__ import annotations

import argparse
import json
import time

import lime_datasets
from lime_datasets.core import kernels
from lime_datasets.core.generate import iter_batches
from lime_datasets.memory import keep_freed_memory


def measure(name: str, rows: int, repeats: int) -> dict:
    lime_datasets.generate(name, "train", 0, 2048)  # warm caches (render tables, imports)
    keep_freed_memory()  # as the builds and exports do
    config = lime_datasets.configs.get_config(name, num_train=10**9)
    best = best_streaming = float("inf")
    for repeat in range(repeats):
        start = 10_000_000 + repeat * rows  # fresh rows each time; same size
        begin = time.perf_counter()
        table = lime_datasets.generate(name, "train", start, start + rows, num_train=10**9)
        best = min(best, time.perf_counter() - begin)
        start += repeats * rows
        begin = time.perf_counter()
        for _ in iter_batches(config, "train", start, start + rows):
            pass
        best_streaming = min(best_streaming, time.perf_counter() - begin)
    text_bytes = sum(table.column(c).nbytes for c in ("source", "target"))
    return {
        "config": name,
        "rows": rows,
        "seconds": round(best, 4),
        "examples_per_s": round(rows / best),
        "text_mb_per_s": round(text_bytes / best / 1e6, 1),
        "streaming_examples_per_s": round(rows / best_streaming),
        "code": kernels.describe(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", default=",".join(lime_datasets.CONFIGS))
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    results = [measure(n, args.rows, args.repeats) for n in args.configs.split(",")]
    print(f"generating with {kernels.describe()}")
    print(f"{'config':<24}{'examples/s':>12}{'text MB/s':>11}{'streaming':>12}")
    for r in results:
        print(f"{r['config']:<24}{r['examples_per_s']:>12,}{r['text_mb_per_s']:>11}"
              f"{r['streaming_examples_per_s']:>12,}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
