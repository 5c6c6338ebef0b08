"""Statistics of a config measured on its own data: lengths, sizes, ambiguity, split overlap.

Everything is a pure function of the config and the sample sizes (no timing), so a card renders
to the same bytes on every machine.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..analysis.answers import count_answers
from ..configs import get_config
from ..core.fingerprint import fingerprint_batches
from ..core.generate import generate_table
from ..core.tasks import TASKS

SAMPLE_SIZE = 20_000  # train rows the length, size and overlap statistics read
AMBIGUITY_SAMPLE = 2_000  # the first rows of that sample whose valid answers are counted
ANSWER_LIMIT = 2  # counting stops here: "more than one valid answer" is all that is asked
MAX_SEARCH_STEPS = 200_000  # per example; a deterministic bound on the search, never hit so far
EVALUATION_SPLITS = ("validation", "test")


@dataclasses.dataclass(frozen=True)
class Distribution:
    """Summary of integer lengths: extremes, mean, median and 95th percentile, and the values."""

    values: np.ndarray = dataclasses.field(repr=False, compare=False)
    minimum: int
    median: int
    p95: int
    maximum: int
    mean: float

    @classmethod
    def of(cls, values: np.ndarray) -> Distribution:
        """Percentiles are values of the sample (the inverted CDF): no interpolation."""
        values = np.asarray(values, dtype=np.int64)
        median, p95 = np.percentile(values, [50, 95], method="inverted_cdf")
        return cls(
            values,
            int(values.min()),
            int(median),
            int(p95),
            int(values.max()),
            float(values.mean()),
        )


@dataclasses.dataclass(frozen=True)
class Ambiguity:
    """How many of ``examples`` sources have more than one valid answer."""

    examples: int
    several_answers: int  # more than one valid answer text
    several_classes: int  # more than one up to a renaming of the rule symbols
    incomplete: int  # searches that stopped at MAX_SEARCH_STEPS (their counts are lower bounds)
    renaming: bool  # whether answers may rename rule symbols freely

    def rate(self, count: int) -> float:
        return count / self.examples if self.examples else math.nan


@dataclasses.dataclass(frozen=True)
class TaskStats:
    """Statistics of the rows of one task inside a config's sample."""

    task: str
    rows: int
    source: Distribution
    target: Distribution
    ambiguity: Ambiguity
    example: dict


@dataclasses.dataclass(frozen=True)
class ConfigStats:
    name: str
    sample_size: int
    source: Distribution
    target: Distribution
    text_bytes: float  # mean UTF-8 bytes of source + target
    distinct_sources: int
    ambiguity: Ambiguity
    tasks: tuple[TaskStats, ...]
    overlap: dict[str, int]  # "validation", "test": sources found in the train sample;
    # "validation/test": validation sources found in test
    split_rows: dict[str, int]  # rows each fingerprint covers
    fingerprints: dict[str, str]


def measure(
    name: str, sample_size: int = SAMPLE_SIZE, ambiguity_sample: int = AMBIGUITY_SAMPLE
) -> ConfigStats:
    """Measure config ``name`` at its default parameters on the first ``sample_size`` train rows.

    Split overlap compares the whole validation and test splits with that sample; fingerprints
    cover the whole validation and test splits and the sample's train rows.
    """
    config = get_config(name)
    if not 0 < ambiguity_sample <= sample_size <= config.num_train:
        raise ValueError(
            f"need 0 < ambiguity_sample <= sample_size <= num_train ({config.num_train}); "
            f"got {ambiguity_sample} and {sample_size}"
        )
    train = generate_table(config, "train", 0, sample_size)
    held_out = {split: generate_table(config, split) for split in EVALUATION_SPLITS}
    source_lengths = _list_lengths(train, "source_ids")
    target_lengths = _list_lengths(train, "target_ids")
    text_bytes = _string_bytes(train, "source") + _string_bytes(train, "target")
    sources = train.column("source").to_pylist()
    tasks = train.column("task").to_pylist()
    counts = [
        count_answers(task, source, ANSWER_LIMIT, max_steps=MAX_SEARCH_STEPS)
        for task, source in zip(tasks[:ambiguity_sample], sources[:ambiguity_sample], strict=True)
    ]
    train_sources = set(sources)
    validation, test = (held_out[s].column("source").to_pylist() for s in EVALUATION_SPLITS)
    return ConfigStats(
        name=name,
        sample_size=sample_size,
        source=Distribution.of(source_lengths),
        target=Distribution.of(target_lengths),
        text_bytes=float(text_bytes.mean()),
        distinct_sources=len(train_sources),
        ambiguity=_ambiguity(counts, config.tasks),
        tasks=tuple(
            _task_stats(task, tasks, train, source_lengths, target_lengths, counts)
            for task in config.tasks
        ),
        overlap={
            "validation": sum(s in train_sources for s in validation),
            "test": sum(s in train_sources for s in test),
            "validation/test": sum(s in set(test) for s in validation),
        },
        split_rows={"train": sample_size, **{s: len(held_out[s]) for s in EVALUATION_SPLITS}},
        fingerprints={
            "train": fingerprint_batches([train]),
            **{s: fingerprint_batches([held_out[s]]) for s in EVALUATION_SPLITS},
        },
    )


def _task_stats(
    task: str,
    tasks: Sequence[str],
    train: pa.Table,
    source_lengths: np.ndarray,
    target_lengths: np.ndarray,
    counts: Sequence,
) -> TaskStats:
    rows = np.flatnonzero(np.asarray(tasks, dtype=object) == task)
    counted = [c for c, t in zip(counts, tasks, strict=False) if t == task]
    return TaskStats(
        task=task,
        rows=len(rows),
        source=Distribution.of(source_lengths[rows]),
        target=Distribution.of(target_lengths[rows]),
        ambiguity=_ambiguity(counted, (task,)),
        example=train.slice(int(rows[0]), 1).to_pylist()[0],
    )


def _ambiguity(counts: Sequence, tasks: Sequence[str]) -> Ambiguity:
    return Ambiguity(
        examples=len(counts),
        several_answers=sum(c.answers > 1 for c in counts),
        several_classes=sum(c.classes > 1 for c in counts),
        incomplete=sum(not c.complete for c in counts),
        renaming=any(TASKS[task].renames_symbols for task in tasks),
    )


def _list_lengths(table: pa.Table, column: str) -> np.ndarray:
    return pc.list_value_length(table.column(column)).to_numpy().astype(np.int64)


def _string_bytes(table: pa.Table, column: str) -> np.ndarray:
    return pc.binary_length(table.column(column)).to_numpy().astype(np.int64)


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion."""
    if not trials:
        return math.nan, math.nan
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    denominator = 1 + z * z / trials
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)
