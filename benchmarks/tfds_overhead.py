"""Time per example of serializing ``lime`` examples: the builder's batch serializer against
TFDS's per-example path, next to the core that generates them.

Usage: python benchmarks/tfds_overhead.py [--config mixed] [--rows 100000] [--repeats 5]
           [--json PATH]

Over the first ``rows`` train rows, batch by batch as the builder makes them, each stage is timed
on its own, on the output of the stage before it:

- ``core``: ``iter_batches`` generating the Arrow record batches;
- ``batch_serialize``: ``example_proto.serialize_batch``, what the builder writes (a whole batch
  of serialized ``tf.train.Example`` records at once; the compiled encoder where it is built);
- ``batch_serialize_numpy``: ``example_proto.serialize_batch_numpy``, the same records with numpy
  and pyarrow only (the path without the compiled encoder);
- ``adapter``: ``batch_examples`` turning a batch into ``(id, example dict)`` pairs (what a
  ``_generate_examples`` yields to TFDS's writer);
- ``tfds_encode``: the builder's ``features.encode_example`` of those dicts;
- ``tfds_serialize``: TFDS's ``ExampleSerializer`` turning the encoded examples into bytes.

Each figure is the median over ``repeats`` passes, in microseconds per example. ``speedup`` is
TFDS's path (adapter + encode + serialize) over the batch serializer; both give the same
``tf.train.Example`` messages (``tests/test_tfds_writer.py``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

STAGES = ("core", "batch_serialize", "batch_serialize_numpy", "adapter", "tfds_encode",
          "tfds_serialize")


def _one_pass(lime_config, rows: int, features, serializer) -> dict[str, float]:
    """Seconds spent in each stage over ``rows`` train rows."""
    from lime_datasets.core.generate import iter_batches
    from lime_datasets.tfds.example_proto import serialize_batch, serialize_batch_numpy
    from lime_datasets.tfds.examples import batch_examples
    from lime_datasets.tfds.shards import LIST_ENCODING, ROWS_PER_BATCH

    spent = dict.fromkeys(STAGES, 0.0)
    batches = iter_batches(lime_config, "train", 0, rows, rows_per_batch=ROWS_PER_BATCH)
    while True:
        t0 = time.perf_counter()
        batch = next(batches, None)
        t1 = time.perf_counter()
        if batch is None:
            return spent
        serialize_batch(batch, LIST_ENCODING)
        t2 = time.perf_counter()
        serialize_batch_numpy(batch, LIST_ENCODING)
        t2n = time.perf_counter()
        pairs = list(batch_examples(batch))
        t3 = time.perf_counter()
        encoded = [features.encode_example(example) for _, example in pairs]
        t4 = time.perf_counter()
        for example in encoded:
            serializer.serialize_example(example)
        t5 = time.perf_counter()
        for stage, seconds in zip(
                STAGES, (t1 - t0, t2 - t1, t2n - t2, t3 - t2n, t4 - t3, t5 - t4), strict=True):
            spent[stage] += seconds


def measure(config: str, rows: int, repeats: int) -> dict:
    """Median microseconds per example of each stage, and the batch serializer's speedup."""
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core import example_serializer

    import lime_datasets

    builder_config = lime_datasets.tfds_config(config, num_train=rows)
    with tempfile.TemporaryDirectory(prefix="lime-tfds-overhead-") as data_dir:
        features = tfds.builder("lime", config=builder_config, data_dir=data_dir).info.features
    serializer = example_serializer.ExampleSerializer(features.get_serialized_info())
    passes = [_one_pass(builder_config.lime_config, rows, features, serializer)
              for _ in range(repeats)]
    us = {stage: round(statistics.median(p[stage] for p in passes) / rows * 1e6, 2)
          for stage in STAGES}
    tfds_us = us["adapter"] + us["tfds_encode"] + us["tfds_serialize"]
    return {
        "config": config,
        "rows": rows,
        "repeats": repeats,
        **{f"{stage}_us": value for stage, value in us.items()},
        "speedup": round(tfds_us / us["batch_serialize"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="mixed")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the result to this JSON file")
    args = parser.parse_args()
    result = measure(args.config, args.rows, args.repeats)
    print(f"{args.config}, {args.rows:,} train rows, median of {args.repeats} passes "
          "(microseconds per example):")
    for stage in STAGES:
        print(f"  {stage:<22}{result[f'{stage}_us']:>8.2f}")
    print(f"  TFDS's path (adapter + encode + serialize) / batch_serialize: {result['speedup']}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
