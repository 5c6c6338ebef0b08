"""The names of an export's files: formats, splits, shards, and which file holds what."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from ..core.config import SPLITS
from ..core.records import check_columns
from ..core.suggest import did_you_mean

FORMATS = ("jsonl", "parquet", "fairseq")
FAIRSEQ_NAMES = {"train": "train", "validation": "valid", "test": "test"}
METADATA = "lime_metadata"
VOCABULARY = "vocab"
DICTIONARY = "dict"


@dataclasses.dataclass(frozen=True)
class Shard:
    """Part ``index`` of ``count`` equal parts of every split (``0/1`` is the whole split)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 99_999 or not 0 <= self.index < self.count:
            raise ValueError(
                f"shard must be I/N with 1 <= N <= 99999 and 0 <= I < N; "
                f"got {self.index}/{self.count}"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"1/3"`` -> ``Shard(1, 3)``."""
        match = re.fullmatch(r"\s*(\d{1,9})\s*/\s*(\d{1,9})\s*", text)
        if not match:
            raise ValueError(f"shard must look like I/N (e.g. 0/3); got {text!r}")
        return cls(int(match[1]), int(match[2]))

    @property
    def label(self) -> str:
        """The file name suffix: empty for the whole split."""
        return "" if self.count == 1 else f"-{self.index:05d}-of-{self.count:05d}"

    def rows(self, size: int) -> tuple[int, int]:
        return self.index * size // self.count, (self.index + 1) * size // self.count


def data_files(fmt: str, split: str, shard: Shard = Shard()) -> tuple[str, ...]:
    """Names of the data files of one split."""
    if fmt == "fairseq":
        name = FAIRSEQ_NAMES[split] + shard.label
        return (f"{name}.src", f"{name}.tgt")
    return (f"{split}{shard.label}.{fmt}",)


def planned_files(fmt: str, splits: Sequence[str], shard: Shard = Shard()) -> list[str]:
    """Every file an export writes, the metadata last."""
    names = [name for split in splits for name in data_files(fmt, split, shard)]
    if fmt == "fairseq":
        names.append(f"{DICTIONARY}{shard.label}.txt")
    return [*names, f"{VOCABULARY}{shard.label}.txt", f"{METADATA}{shard.label}.json"]


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}"
                         f"{did_you_mean(fmt, FORMATS)}")


def check_format_columns(fmt: str, columns: str) -> None:
    """``ValueError`` unless ``fmt`` is a format and ``columns`` a field selection it can hold
    (fairseq files hold the text)."""
    check_format(fmt)
    check_columns(columns)
    if fmt == "fairseq" and columns == "ids":
        raise ValueError("columns must be text or both for the fairseq format, which writes the "
                         "text; got 'ids' (use jsonl or parquet for token ids only)")


def parse_splits(text: str) -> tuple[str, ...]:
    """``"train,test"`` -> the named splits in canonical order; ``ValueError`` for others."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SPLITS]
    if unknown or not names:
        raise ValueError(
            f"splits must be a comma-separated subset of {','.join(SPLITS)}; got {text!r}"
            f"{did_you_mean(unknown[0], SPLITS) if unknown else ''}"
        )
    return tuple(split for split in SPLITS if split in names)
