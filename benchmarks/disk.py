"""Bytes per example on disk of every build of a config, for each choice of ``columns``.

Usage: python benchmarks/disk.py [--rows 100000] [--config mixed] [--json PATH]

Builds the train split of ``rows`` examples into a temporary folder: the Hugging Face build
(Arrow files, ``load_dataset``), and the exports in Parquet, JSONL and fairseq text, each with the
text and the token ids, the text only and the token ids only (fairseq holds the text). Bytes are
those of the data files (not the metadata, vocabulary or dictionary). Where TensorFlow Datasets
is installed, the TFDS builds (TFRecord and ArrayRecord, each ``columns``) are measured the same
way.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path


def measure(config: str, rows: int) -> list[dict]:
    import datasets

    import lime_datasets  # noqa: F401  (binds the name "lime")
    from lime_datasets import export
    from lime_datasets.configs import get_config
    from lime_datasets.core.records import COLUMNS

    lime = get_config(config, num_train=rows)
    results = []
    with tempfile.TemporaryDirectory() as work:
        for columns in COLUMNS:
            built = datasets.load_dataset("lime", config, split="train", num_train=rows,
                                          columns=columns, cache_dir=os.path.join(work, "hf"))
            size = sum(os.path.getsize(entry["filename"]) for entry in built.cache_files)
            results.append(_row("Hugging Face (Arrow)", columns, size, rows))
            del built
            for fmt in ("parquet", "jsonl", "fairseq"):
                if fmt == "fairseq" and columns == "ids":
                    continue
                out = Path(work) / f"{fmt}-{columns}"
                metadata = export.export(lime, out, splits=["train"], fmt=fmt, columns=columns)
                size = sum((out / name).stat().st_size for name in metadata["splits"]["train"]
                           ["files"])
                results.append(_row(f"export {fmt}", columns, size, rows))
        results += _tfds_rows(config, rows, work)
    return results


def _tfds_rows(config: str, rows: int, work: str) -> list[dict]:
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        return []
    import lime_datasets
    from lime_datasets.core.records import COLUMNS

    tfds.disable_progress_bar()
    found = []
    for columns in COLUMNS:
        for file_format in ("tfrecord", "array_record"):
            builder = tfds.builder(
                "lime", config=lime_datasets.tfds_config(config, columns, num_train=rows),
                data_dir=os.path.join(work, f"tfds-{file_format}"), file_format=file_format)
            builder.download_and_prepare()
            size = sum(p.stat().st_size for p in Path(builder.data_path).glob("lime-train.*"))
            found.append(_row(f"TFDS ({file_format})", columns, size, rows))
    return found


def _row(build: str, columns: str, size: int, rows: int) -> dict:
    return {"build": build, "columns": columns, "bytes_per_example": round(size / rows, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--config", default="mixed")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    results = {"config": args.config, "rows": args.rows, "builds": measure(args.config,
                                                                           args.rows)}
    print(f"{'build':<24}{'columns':>8}{'bytes/example':>15}")
    for row in results["builds"]:
        print(f"{row['build']:<24}{row['columns']:>8}{row['bytes_per_example']:>15}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
