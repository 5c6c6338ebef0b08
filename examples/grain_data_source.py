"""JAX: a Grain pipeline over ``tfds.data_source``, shuffled, batched and padded into ``jax.Array``.

``grain.MapDataset.source`` reads the ``array_record`` files by index (no TensorFlow); the batch
function pads ``source_ids``/``target_ids`` with the package's ``<pad>`` id to the batch's longest
row, and ``jax.numpy`` arrays are what a JAX model takes.

    python examples/grain_data_source.py deduct --split test --batch-size 32

Needs ``pip install lime-datasets[tfds,jax]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import grain
import jax.numpy as jnp
import numpy as np
import tensorflow_datasets as tfds

import lime_datasets  # noqa: F401  (registers the TFDS builder "lime")
from lime_datasets.core.vocab import PAD_ID


def data_source(config: str, split: str, data_dir: str | None = None,
                **parameters: Any) -> Sequence[dict[str, Any]]:
    """A split as a random-access source (prepared as ``array_record`` on first use)."""
    params = ",".join(f"{key}={value}" for key, value in sorted(parameters.items()))
    name = f"lime/{config}/{params}" if params else f"lime/{config}"
    return tfds.data_source(name, split=split, data_dir=data_dir,
                            builder_kwargs={"file_format": "array_record"})


def pad(rows: Sequence[np.ndarray]) -> np.ndarray:
    """Right-pad id rows with ``PAD_ID`` into one ``(rows, longest)`` int32 array."""
    out = np.full((len(rows), max(map(len, rows))), PAD_ID, dtype=np.int32)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def batch(examples: Sequence[dict[str, Any]]) -> dict[str, jnp.ndarray]:
    """``id`` and padded ``source_ids``/``target_ids`` of a list of examples, as JAX arrays."""
    return {
        "id": jnp.asarray([int(example["id"]) for example in examples]),
        "source_ids": jnp.asarray(pad([example["source_ids"] for example in examples])),
        "target_ids": jnp.asarray(pad([example["target_ids"] for example in examples])),
    }


def pipeline(source: Sequence[dict[str, Any]], batch_size: int,
             seed: int = 0) -> grain.MapDataset:
    """One epoch: the source shuffled by ``seed``, in padded batches (the last may be smaller)."""
    return grain.MapDataset.source(source).shuffle(seed=seed).batch(batch_size, batch_fn=batch)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default="deduct")
    parser.add_argument("--split", default="test")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--data-dir")
    parser.add_argument("--num-train", type=int, default=1000,
                        help="train split size to prepare (the config's default is millions)")
    args = parser.parse_args(argv)
    params = {"num_train": args.num_train}
    source = data_source(args.config, args.split, args.data_dir, **params)
    ids, shapes = [], set()
    for arrays in pipeline(source, args.batch_size):
        ids += arrays["id"].tolist()
        shapes.add(tuple(arrays["source_ids"].shape))
    print(f"{len(ids)} examples, each once: {sorted(ids) == list(range(len(source)))}; "
          f"source_ids batch shapes {sorted(shapes)}")


if __name__ == "__main__":
    main()
