"""``python -m lime_datasets.cards --out DIR``: write every dataset card into DIR."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .stats import AMBIGUITY_SAMPLE, SAMPLE_SIZE
from .write import write_cards

THROUGHPUT_FILE = Path("benchmarks", "results", "generate.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lime_datasets.cards", description="Write every dataset card into DIR."
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing DIR")
    parser.add_argument(
        "--sample-size",
        type=int,
        default=SAMPLE_SIZE,
        metavar="N",
        help=f"train examples measured (default {SAMPLE_SIZE:,})",
    )
    parser.add_argument(
        "--ambiguity-sample",
        type=int,
        default=AMBIGUITY_SAMPLE,
        metavar="N",
        help=f"of those, examples whose answers are counted (default {AMBIGUITY_SAMPLE:,})",
    )
    parser.add_argument(
        "--throughput",
        type=Path,
        default=THROUGHPUT_FILE,
        metavar="FILE",
        help=f"benchmark results for the overview (default {THROUGHPUT_FILE}, if present)",
    )
    args = parser.parse_args(argv)
    try:
        out = write_cards(
            args.out,
            sample_size=args.sample_size,
            overwrite=args.overwrite,
            ambiguity_sample=args.ambiguity_sample,
            throughput_file=args.throughput,
        )
    except ValueError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
