"""``python -m lime_datasets.lm_eval --path``: print the folder of the lm-eval task definitions."""

from __future__ import annotations

import argparse

from . import tasks_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m lime_datasets.lm_eval",
        description="The LIME task definitions for lm-evaluation-harness.",
    )
    parser.add_argument(
        "--path", action="store_true", required=True,
        help="print the folder to pass to lm_eval --include_path",
    )
    parser.parse_args(argv)
    print(tasks_path())


if __name__ == "__main__":
    main()
