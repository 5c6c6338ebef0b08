"""TensorFlow: ``tfds.load`` -> ``padded_batch`` -> a Keras model's input.

``source_ids`` and ``target_ids`` are variable-length int32 vectors; ``padded_batch`` pads them
with the package's ``<pad>`` id (0, so ``Embedding(mask_zero=True)`` masks the padding).

    python examples/tf_data.py deduct --split test --batch-size 32

Needs ``pip install lime-datasets[tfds]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import tensorflow as tf
import tensorflow_datasets as tfds

import lime_datasets  # noqa: F401  (registers the TFDS builder "lime")
from lime_datasets.core.vocab import PAD_ID, vocab_tokens

FIELDS = ("id", "source_ids", "target_ids")


def dataset_name(config: str, **parameters: Any) -> str:
    """The TFDS name of a config with registry parameters, e.g. ``lime/deduct/num_test=50``."""
    params = ",".join(f"{key}={value}" for key, value in sorted(parameters.items()))
    return f"lime/{config}/{params}" if params else f"lime/{config}"


def padded_batches(config: str, split: str, batch_size: int, data_dir: str | None = None,
                   **parameters: Any) -> tf.data.Dataset:
    """Batches of ``id`` and padded ``source_ids``/``target_ids`` (``<pad>`` = ``PAD_ID``)."""
    dataset = tfds.load(dataset_name(config, **parameters), split=split, data_dir=data_dir)
    dataset = dataset.map(lambda example: {field: example[field] for field in FIELDS})
    padding = {"id": tf.constant(0, tf.int64), "source_ids": PAD_ID, "target_ids": PAD_ID}
    return dataset.padded_batch(batch_size, padding_values=padding).prefetch(tf.data.AUTOTUNE)


def encoder(vocab_size: int, width: int = 32) -> tf.keras.Model:
    """A small Keras model whose input is a padded ``source_ids`` batch."""
    source = tf.keras.Input(shape=(None,), dtype=tf.int32, name="source_ids")
    hidden = tf.keras.layers.Embedding(len(vocab_tokens(vocab_size)), width, mask_zero=True)(source)
    hidden = tf.keras.layers.Dense(width, activation="relu")(hidden)
    return tf.keras.Model(source, hidden)


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
    model = encoder(lime_datasets.CONFIGS[args.config].vocab_size)
    count = 0
    for batch in padded_batches(args.config, args.split, args.batch_size, args.data_dir, **params):
        outputs = model(batch["source_ids"])
        count += int(batch["id"].shape[0])
    print(f"{count} examples; last batch: source_ids {tuple(batch['source_ids'].shape)} -> "
          f"model output {tuple(outputs.shape)}")


if __name__ == "__main__":
    main()
