"""A short tour: every config's first example and split fingerprints, then the same data loaded
through Hugging Face ``datasets`` and TensorFlow Datasets.

Run with ``python -m lime_datasets.demo`` (``make demo``). Uses a small train split
(``--num-train``, default 10,000) and a temporary folder for the framework caches.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import textwrap

import lime_datasets
from lime_datasets.core import kernels


def _show(row: dict) -> None:
    print(f"  id {row['id']}  task {row['task']}")
    for field in ("source", "target"):
        text = textwrap.shorten(row[field], width=150, placeholder=" ...")
        print(f"  {field:>6}: {text}")
    valid = lime_datasets.check(row["task"], row["source"], row["target"])
    print(f"   valid: {valid}")


def tour_configs(overrides: dict) -> None:
    for name, config in lime_datasets.CONFIGS.items():
        print(f"\n== {name}: {config.description}")
        _show(lime_datasets.example(name, "validation", 0, **overrides))
        for split in lime_datasets.SPLITS:
            size = config.replace(**overrides).split_size(split)
            digest = lime_datasets.fingerprint(name, split, **overrides)
            print(f"  {split:>10} ({size:>6,} examples)  sha256 {digest}")


def tour_frameworks(name: str, overrides: dict, folder: str) -> None:
    expected = lime_datasets.generate(name, "validation", **overrides).to_pylist()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is downloaded: the data is generated
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import datasets
        from datasets import load_dataset
    except ImportError:
        print("\n(datasets is not installed: pip install 'lime-datasets[hf]')")
    else:
        datasets.disable_progress_bars()
        hf = load_dataset("lime", name, split="validation", cache_dir=f"{folder}/hf", **overrides)
        same = hf.sort("id").to_list() == expected
        print(f"\nHugging Face: load_dataset('lime', {name!r}) -> {hf.num_rows} rows, "
              f"equal to lime_datasets.generate: {same}")
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        print("(tensorflow-datasets is not installed: pip install 'lime-datasets[tfds]')")
        return
    tfds.disable_progress_bar()
    # TFDS's notices (the custom config, the folder it prepares) are not what the tour shows.
    logging.getLogger("absl").setLevel(logging.ERROR)
    config = lime_datasets.tfds_config(name, **overrides)
    data = tfds.load("lime", split="validation", builder_kwargs={"config": config},
                     data_dir=f"{folder}/tfds", download_and_prepare_kwargs={})
    rows = {int(r["id"]): r for r in tfds.as_numpy(data)}
    same = all(rows[i]["source"].decode() == e["source"] for i, e in enumerate(expected))
    print(f"TensorFlow Datasets: tfds.load('lime/{name}') -> {len(rows)} rows, "
          f"sources equal to lime_datasets.generate by id: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-train", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default="mixed", help="the config loaded through frameworks")
    args = parser.parse_args()
    overrides = {"num_train": args.num_train, "seed": args.seed}
    print(f"lime-datasets {lime_datasets.__version__}, data version {lime_datasets.DATA_VERSION}; "
          f"generating with {kernels.describe()}")
    tour_configs(overrides)
    with tempfile.TemporaryDirectory() as folder:
        tour_frameworks(args.config, {**overrides, "num_train": 1000}, folder)


if __name__ == "__main__":
    main()
