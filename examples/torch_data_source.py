"""PyTorch ``DataLoader`` over ``tfds.data_source``: random access, a sampler, padding collate.

``tfds.data_source`` reads the ``array_record`` files by index (``source[k]``) without TensorFlow,
so any ``torch.utils.data.Sampler`` works: ``RandomSampler`` shuffles each epoch, a
``DistributedSampler`` gives each rank its indices. Positions are TFDS's (hashed) order; ``id`` is
the example's index in the split. Workers are started with ``spawn``: a worker forked from a process
that has prepared the files (TensorFlow's and array_record's threads running) can crash.

    python examples/torch_data_source.py deduct --split test --workers 2

Needs ``pip install lime-datasets[tfds,torch]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import tensorflow_datasets as tfds
import torch
from torch.utils.data import DataLoader, RandomSampler

import lime_datasets  # noqa: F401  (registers the TFDS builder "lime")
from lime_datasets.core.vocab import PAD_ID


def data_source(config: str, split: str, data_dir: str | None = None,
                **parameters: Any) -> Sequence[dict[str, Any]]:
    """A split as a random-access source (prepared as ``array_record`` on first use)."""
    params = ",".join(f"{key}={value}" for key, value in sorted(parameters.items()))
    name = f"lime/{config}/{params}" if params else f"lime/{config}"
    return tfds.data_source(name, split=split, data_dir=data_dir,
                            builder_kwargs={"file_format": "array_record"})


def pad(rows: Sequence[Sequence[int]]) -> torch.Tensor:
    """Right-pad id rows with the package's ``<pad>`` id into one ``(rows, longest)`` tensor."""
    out = torch.full((len(rows), max(map(len, rows))), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
    return out


def collate(examples: list[dict[str, Any]]) -> dict[str, Any]:
    """A batch of ``data_source`` examples: ``id``, padded ``source_ids``/``target_ids``, texts."""
    return {
        "id": torch.tensor([int(example["id"]) for example in examples]),
        "source_ids": pad([example["source_ids"] for example in examples]),
        "target_ids": pad([example["target_ids"] for example in examples]),
        "source": [example["source"].decode() for example in examples],
        "target": [example["target"].decode() for example in examples],
    }


def loader(source: Sequence[dict[str, Any]], batch_size: int, workers: int,
           seed: int = 0) -> DataLoader:
    """Shuffled batches: a seeded ``RandomSampler`` (each index once per epoch) over ``source``."""
    sampler = RandomSampler(source, generator=torch.Generator().manual_seed(seed))
    return DataLoader(source, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      collate_fn=collate, multiprocessing_context="spawn" if workers else None)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default="deduct")
    parser.add_argument("--split", default="test")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir")
    parser.add_argument("--num-train", type=int, default=1000,
                        help="train split size to prepare (the config's default is millions)")
    args = parser.parse_args(argv)
    params = {"num_train": args.num_train}
    source = data_source(args.config, args.split, args.data_dir, **params)
    print(f"source[0]: id {int(source[0]['id'])}, {len(source[0]['source_ids'])} source ids")
    ids, shapes = [], set()
    for batch in loader(source, args.batch_size, args.workers):
        ids += batch["id"].tolist()
        shapes.add(tuple(batch["source_ids"].shape))
    print(f"{len(ids)} examples, each once: {sorted(ids) == list(range(len(source)))}; "
          f"source_ids batch shapes {sorted(shapes)}")


if __name__ == "__main__":
    main()
