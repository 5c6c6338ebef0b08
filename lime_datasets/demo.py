"""A short tour: generate every config, show an example and the split fingerprints.

Run with ``python -m lime_datasets.demo`` (``make demo``). Uses a small train split
(``--num-train``, default 10,000) so it finishes in seconds.
"""

from __future__ import annotations

import argparse
import textwrap

import lime_datasets


def _show(row: dict) -> None:
    print(f"  id {row['id']}  task {row['task']}")
    for field in ("source", "target"):
        text = textwrap.shorten(row[field], width=150, placeholder=" ...")
        print(f"  {field:>6}: {text}")
    valid = lime_datasets.check(row["task"], row["source"], row["target"])
    print(f"   valid: {valid}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-train", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"lime-datasets {lime_datasets.__version__}, data version {lime_datasets.DATA_VERSION}")
    for name, config in lime_datasets.CONFIGS.items():
        overrides = {"num_train": args.num_train, "seed": args.seed}
        print(f"\n== {name}: {config.description}")
        _show(lime_datasets.example(name, "validation", 0, **overrides))
        for split in lime_datasets.SPLITS:
            size = config.replace(**overrides).split_size(split)
            digest = lime_datasets.fingerprint(name, split, **overrides)
            print(f"  {split:>10} ({size:>6,} examples)  sha256 {digest}")


if __name__ == "__main__":
    main()
