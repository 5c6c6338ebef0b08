"""Where the time of ``generate`` goes, per stage, for any config.

Usage: python benchmarks/generate_profile.py [--rows 200000] [--configs deduct,abduct,induct]
                                             [--json PATH]

Runs the stages of ``lime_datasets.core.generate`` one after the other on batches of its size and
times each: the random words, the 68-symbol draw, splitting a mixture's rows by task (0 for one
task), the task's draws and token rows (one compiled pass per task where the kernels are built),
placing each task's rows in the batch (a mixture's; nothing for one task), rendering the text, and
assembling the Arrow batch. Prints microseconds per example and each stage's share, and checks
that the batches equal ``iter_batches``' (so the stages timed are the ones that run). The random
words, the symbol draw, the task rows, placing and rendering run the compiled kernels where they
are built (``lime_datasets.core.kernels``; LIME_DATASETS_PURE_PYTHON=1 times the numpy code
instead); the output says which.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pyarrow as pa

from lime_datasets.configs import get_config
from lime_datasets.core import generate, kernels, vocab
from lime_datasets.core.records import SCHEMA
from lime_datasets.core.rng import SlotReader
from lime_datasets.core.symbols import candidate_count, sample_symbol_ids
from lime_datasets.core.tasks import TASKS
from lime_datasets.memory import keep_freed_memory

STAGES = ("random words", "symbol draw", "task split", "task token rows", "place task rows",
          "render text", "Arrow batch")


def profile(name: str, rows: int) -> dict:
    config = get_config(name, num_train=10**9)
    tasks = config.tasks
    slots = generate.slots_per_row(config)
    n_candidates = candidate_count(config.vocab_size)
    seconds = dict.fromkeys(STAGES, 0.0)
    first = 10_000_000
    expected = generate.iter_batches(config, "train", first, first + rows)
    for begin in range(first, first + rows, generate.CHUNK_ROWS):
        end = min(first + rows, begin + generate.CHUNK_ROWS)
        clock = time.perf_counter()
        words = generate._row_words(config, "train", begin, end, slots)
        clock = _lap(seconds, "random words", clock)
        sample_ids = sample_symbol_ids(
            words[:, 1 : 1 + n_candidates], config.vocab_size, vocab.SYMBOL_OFFSET
        )
        clock = _lap(seconds, "symbol draw", clock)
        # As generate._build_batch: one task reads all rows; a mixture gives each task its rows.
        if len(tasks) == 1:
            task_index = np.zeros(end - begin, dtype=np.int64)
            inputs = [(tasks[0], SlotReader(words, start=1 + n_candidates), sample_ids, None)]
        else:
            thresholds = generate._task_thresholds(config.task_weights)
            task_index = np.searchsorted(thresholds, words[:, 0].astype(np.uint64), side="right")
            inputs = []
            for index, task in enumerate(tasks):
                rows_of_task = np.flatnonzero(task_index == index)
                if len(rows_of_task):
                    reader = SlotReader(words[rows_of_task, 1 + n_candidates :])
                    inputs.append((task, reader, sample_ids[rows_of_task], rows_of_task))
        clock = _lap(seconds, "task split", clock)
        sources, targets = [], []
        for task, reader, task_ids, rows_of_task in inputs:
            source_parts, target_parts = TASKS[task].build(reader, task_ids, config)
            sources.append((source_parts, rows_of_task))
            targets.append((target_parts, rows_of_task))
        clock = _lap(seconds, "task token rows", clock)
        source_ids, source_offsets = generate._pack_tasks(sources, end - begin)
        target_ids, target_offsets = generate._pack_tasks(targets, end - begin)
        clock = _lap(seconds, "place task rows", clock)
        source = vocab.render(source_ids, source_offsets, config.vocab_size)
        target = vocab.render(target_ids, target_offsets, config.vocab_size)
        clock = _lap(seconds, "render text", clock)
        batch = pa.RecordBatch.from_arrays([
            pa.array(np.arange(begin, end, dtype=np.int64)),
            generate._task_column(tasks, task_index),
            source, target,
            generate._ids_array(source_ids, source_offsets),
            generate._ids_array(target_ids, target_offsets),
        ], schema=SCHEMA)
        _lap(seconds, "Arrow batch", clock)
        if not batch.equals(next(expected)):
            raise AssertionError(f"{name}: the profiled stages do not give iter_batches' rows")
    total = sum(seconds.values())
    return {
        "config": name,
        "code": _code(),
        "rows": rows,
        "us_per_example": round(total / rows * 1e6, 3),
        "examples_per_s": round(rows / total),
        "stages_us_per_example": {k: round(v / rows * 1e6, 3) for k, v in seconds.items()},
        "stages_share": {k: round(v / total, 3) for k, v in seconds.items()},
    }


def _code() -> str:
    return "compiled kernels" if kernels.native is not None else "numpy"


def _lap(seconds: dict[str, float], stage: str, since: float) -> float:
    now = time.perf_counter()
    seconds[stage] += now - since
    return now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--configs", default="deduct,abduct,induct,rewrite,rewrite_multistep")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    keep_freed_memory()  # as every path that generates in bulk does
    results = []
    for name in args.configs.split(","):
        profile(name, 2 * generate.CHUNK_ROWS)  # warm caches
        results.append(profile(name, args.rows))
    print(f"random words, symbol draw, task rows, placing and rendering: {_code()}")
    print(f"{'config':<24}{'us/example':>11}" + "".join(f"{s:>22}" for s in STAGES))
    for r in results:
        shares = "".join(f"{r['stages_us_per_example'][s]:>14.3f} ({r['stages_share'][s]:>4.0%})"
                         for s in STAGES)
        print(f"{r['config']:<24}{r['us_per_example']:>11.3f}{shares}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
