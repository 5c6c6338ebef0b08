"""PyTorch ``DataLoader`` over the Hugging Face streaming dataset, and one rank's part of it.

A streaming split is cut into shards (row ranges, see ``lime_datasets.hf``); ``datasets`` hands
each ``DataLoader`` worker its own shards, so an epoch yields every example exactly once however
many workers there are. ``split_dataset_by_node`` does the same across ranks (nodes): with a world
size that divides the number of shards each rank gets whole shards, otherwise every rank reads all
of them and keeps one example in ``world_size``; either way the ranks are disjoint and complete.

    python examples/torch_streaming.py deduct --split test --workers 2 --world-size 3

Needs ``torch`` and ``datasets`` (``pip install lime-datasets[hf,torch]``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import datasets
import torch
from datasets.distributed import split_dataset_by_node
from torch.utils.data import DataLoader

import lime_datasets
from lime_datasets.core.vocab import PAD_ID


def pad(rows: Sequence[Sequence[int]]) -> torch.Tensor:
    """Right-pad id rows with the package's ``<pad>`` id into one ``(rows, longest)`` tensor."""
    out = torch.full((len(rows), max(map(len, rows))), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
    return out


def collate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A batch: ``id`` as a tensor, padded ``source_ids``/``target_ids``, texts as lists."""
    return {
        "id": torch.tensor([row["id"] for row in rows]),
        "source_ids": pad([row["source_ids"] for row in rows]),
        "target_ids": pad([row["target_ids"] for row in rows]),
        "source": [row["source"] for row in rows],
        "target": [row["target"] for row in rows],
    }


def streaming(name: str, split: str, **parameters: Any) -> datasets.IterableDataset:
    """The split as a ``datasets.IterableDataset`` (generated as it is read, nothing cached)."""
    return lime_datasets.load_hf(name, split, streaming=True, **parameters)


def loader(dataset: datasets.IterableDataset, batch_size: int, workers: int) -> DataLoader:
    """A ``DataLoader`` over a streaming dataset: the workers share out its shards."""
    return DataLoader(dataset, batch_size=batch_size, num_workers=workers, collate_fn=collate,
                      persistent_workers=False)


def rank_dataset(name: str, split: str, rank: int, world_size: int,
                 **parameters: Any) -> datasets.IterableDataset:
    """The part of a split that rank ``rank`` of ``world_size`` reads."""
    return split_dataset_by_node(streaming(name, split, **parameters), rank, world_size)


def epoch_ids(batches: Sequence[dict[str, Any]] | DataLoader) -> list[int]:
    """Every id an epoch of a loader yields, in the order it yields them."""
    return [int(i) for batch in batches for i in batch["id"]]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default="deduct")
    parser.add_argument("--split", default="test")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--world-size", type=int, default=3)
    args = parser.parse_args(argv)
    dataset = streaming(args.config, args.split)
    ids = epoch_ids(loader(dataset, args.batch_size, args.workers))
    print(f"{len(ids)} examples from {dataset.num_shards} shards, {args.workers} workers; "
          f"each exactly once: {sorted(ids) == list(range(len(ids)))}")
    parts = [set(epoch_ids(loader(rank_dataset(args.config, args.split, rank, args.world_size),
                                  args.batch_size, args.workers)))
             for rank in range(args.world_size)]
    print(f"ranks of {args.world_size}: sizes {[len(p) for p in parts]}, disjoint "
          f"{sum(map(len, parts)) == len(set().union(*parts))}, complete "
          f"{set().union(*parts) == set(ids)}")


if __name__ == "__main__":
    main()
