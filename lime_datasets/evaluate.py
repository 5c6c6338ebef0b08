"""Score model predictions on a split: exact-match and valid-answer accuracy, per task.

Predictions come as a text file (line ``k`` is the prediction for id ``k``), as JSON lines
``{"id": <int>, "prediction": <str>}`` in any order (optionally with the example's ``"source"``,
which must then be the split's), or as the output of ``fairseq-generate`` (its ``H-<id>`` lines,
in any order). A prediction matches exactly when its tokens (split on whitespace) equal the
target's; it is valid when the checker accepts it as an answer to the source. Exact matches are
valid, so ``valid - exact`` counts answers that are right but differ from the reference target.
Prediction files are only parsed as text and JSON, never executed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .api import check
from .core.config import LimeConfig, check_split
from .core.generate import iter_batches
from .core.suggest import did_you_mean

PREDICTION_FORMATS = ("auto", "text", "jsonl", "fairseq-generate")


@dataclasses.dataclass
class Predictions:
    """One prediction per id of a split, in id order, and the sources a JSON-lines file gave."""

    texts: list[str]
    sources: dict[int, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Score:
    """Counts of one task (or of all tasks together)."""

    examples: int = 0
    exact: int = 0
    valid: int = 0

    @property
    def exact_accuracy(self) -> float | None:
        return self.exact / self.examples if self.examples else None

    @property
    def valid_accuracy(self) -> float | None:
        return self.valid / self.examples if self.examples else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "exact_match": self.exact,
            "valid_answer": self.valid,
            "exact_match_accuracy": self.exact_accuracy,
            "valid_answer_accuracy": self.valid_accuracy,
        }


@dataclasses.dataclass
class Report:
    config: LimeConfig
    split: str
    tasks: dict[str, Score]  # tasks of the config, in registry order
    total: Score

    def as_dict(self) -> dict[str, Any]:
        from . import DATA_VERSION, __version__

        return {
            "config": self.config.name,
            "split": self.split,
            "parameters": self.config.parameters(),
            "data_version": DATA_VERSION,
            "package_version": __version__,
            "total": self.total.as_dict(),
            "tasks": {task: score.as_dict() for task, score in self.tasks.items()},
        }


def read_predictions(path: str | os.PathLike, size: int, fmt: str = "auto") -> list[str]:
    """The ``size`` predictions of a file, in id order (see ``read_prediction_file``)."""
    return read_prediction_file(path, size, fmt).texts


def read_prediction_file(path: str | os.PathLike, size: int, fmt: str = "auto") -> Predictions:
    """The ``size`` predictions of a file, in id order; ``ValueError`` with a one-line reason
    for an unreadable or malformed file, or one that does not hold exactly one per id.

    ``fmt="auto"`` reads ``.jsonl`` and ``.json`` files as JSON lines, anything else as text.
    ``fmt="fairseq-generate"`` reads the ``H-<id>`` lines of ``fairseq-generate``'s output, in
    any order, and ignores every other line; where ``--nbest`` gives several hypotheses of an id,
    the first (the best) counts.
    """
    if fmt not in PREDICTION_FORMATS:
        raise ValueError(f"predictions format must be one of {', '.join(PREDICTION_FORMATS)}; "
                         f"got {fmt!r}{did_you_mean(fmt, PREDICTION_FORMATS)}")
    path = Path(path)
    if fmt == "auto":
        fmt = "jsonl" if path.suffix.lower() in (".jsonl", ".json") else "text"
    text = _read_text(path)
    if fmt == "jsonl":
        return _parse_jsonl(text, path, size)
    if fmt == "fairseq-generate":
        return Predictions(_parse_fairseq_generate(text, path, size))
    predictions = text.split("\n")
    if predictions[-1] == "":
        predictions.pop()  # the newline that ends the last line
    if len(predictions) != size:
        raise ValueError(
            f"{path} has {len(predictions)} predictions; the split has {size} examples "
            f"(one prediction per line, line k for id k)"
        )
    return Predictions(predictions)


def _read_text(path: Path) -> str:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"predictions {path} is not a regular file")
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read predictions {path}: {error.strerror or error}") from None
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ValueError(f"{path} is not a text file (a NUL byte on line {line})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(f"{path} is not UTF-8 text (line {line})") from None
    return text.removeprefix("\ufeff")


def _parse_jsonl(text: str, path: Path, size: int) -> Predictions:
    found: dict[int, str] = {}
    sources: dict[int, str] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            raise ValueError(f"{where}: not valid JSON") from None
        if not isinstance(record, dict) or "id" not in record or "prediction" not in record:
            raise ValueError(f'{where}: expected an object {{"id": <int>, "prediction": <str>}}')
        index, prediction = record["id"], record["prediction"]
        if type(index) is not int:
            raise ValueError(f"{where}: id must be an integer; got {_short(index)}")
        if not 0 <= index < size:
            raise ValueError(f"{where}: id {index} is out of range; ids are in [0, {size})")
        if not isinstance(prediction, str):
            raise ValueError(f"{where}: prediction must be a string; got {_short(prediction)}")
        if index in found:
            raise ValueError(f"{where}: a second prediction for id {index}")
        found[index] = prediction
        if "source" in record:
            if not isinstance(record["source"], str):
                raise ValueError(f"{where}: source must be a string; got "
                                 f"{_short(record['source'])}")
            sources[index] = record["source"]
    return Predictions(_in_id_order(found, path, size), sources)


def _parse_fairseq_generate(text: str, path: Path, size: int) -> list[str]:
    found: dict[int, str] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.startswith("H-"):
            continue  # source, target, scores, log lines
        fields = line.split("\t", 2)
        label = fields[0][2:]
        if len(fields) < 2 or not label.isdigit():
            raise ValueError(f"{path}, line {number}: expected 'H-<id><TAB><score><TAB><tokens>' "
                             "as fairseq-generate prints it")
        index = int(label)
        if not 0 <= index < size:
            raise ValueError(f"{path}, line {number}: id {index} is out of range; ids are in "
                             f"[0, {size}) (fairseq-generate --gen-subset of another split?)")
        found.setdefault(index, fields[2] if len(fields) == 3 else "")
    return _in_id_order(found, path, size)


def _in_id_order(found: dict[int, str], path: Path, size: int) -> list[str]:
    if len(found) != size:
        first_missing = next(i for i in range(size) if i not in found)
        raise ValueError(
            f"{path} has predictions for {len(found)} of the split's {size} ids; "
            f"none for id {first_missing}"
        )
    return [found[i] for i in range(size)]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_report_path(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """``ValueError`` unless a report could be written at ``path``; call it before scoring.

    Refused: a folder or another non-regular file, an existing file without ``overwrite``, a path
    below a file, and a path whose nearest existing folder cannot be written to.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; expected a file name for the report")
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise ValueError(f"{path} exists and is not a regular file")
        if not overwrite:
            raise ValueError(f"{path} exists; pass --overwrite to replace it")
    parent = path.absolute().parent
    while not parent.exists():
        if parent.is_symlink():
            raise ValueError(f"{parent} is a broken link; cannot write the report {path} below it")
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{parent} is not a folder; cannot write the report {path} below it")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write to {parent} (no permission); needed for the report {path}")
    return path


def score(config: LimeConfig, split: str, predictions: list[str],
          sources: Mapping[int, str] | None = None) -> Report:
    """Score one prediction per example of ``split`` (in id order) against the generated rows.

    ``sources`` (id -> source, as a JSON-lines file may give them) must be the split's: else
    ``ValueError`` names the first id whose source differs, and nothing is scored.
    """
    check_split(split)
    size = config.split_size(split)
    if len(predictions) != size:
        raise ValueError(
            f"expected {size} predictions for the {split} split; got {len(predictions)}"
        )
    if sources:
        check_sources(config, split, sources)
    tasks = {task: Score() for task in config.tasks}
    for batch in iter_batches(config, split, 0, size, rows_per_batch=8192):
        columns = (batch.column(name).to_pylist() for name in ("id", "task", "source", "target"))
        for index, task, source, target in zip(*columns, strict=True):
            prediction = predictions[index]
            counts = tasks[task]
            counts.examples += 1
            counts.exact += prediction.split() == target.split()
            counts.valid += check(task, source, prediction)
    total = Score(*(sum(getattr(s, field) for s in tasks.values())
                    for field in ("examples", "exact", "valid")))
    return Report(config, split, tasks, total)


def check_sources(config: LimeConfig, split: str, sources: Mapping[int, str]) -> None:
    """``ValueError`` naming the first id whose given source (compared as tokens) is not the
    source of that example of ``split``."""
    for batch in iter_batches(config, split, 0, config.split_size(split), rows_per_batch=8192):
        ids = batch.column("id").to_pylist()
        for index, source in zip(ids, batch.column("source").to_pylist(), strict=True):
            if index in sources and sources[index].split() != source.split():
                raise ValueError(
                    f"the source of id {index} in the predictions is not the source of example "
                    f"{index} of the {split} split of {config.name!r} with these parameters: "
                    "the predictions were made for another config, split, or parameters "
                    "(e.g. --seed, --vocab-size, --num-test)"
                )


def mismatch_warning(report: Report) -> str | None:
    """A warning when no prediction is valid: often the predictions of another config, split or
    parameters, which a text file cannot reveal."""
    if report.total.examples == 0 or report.total.valid:
        return None
    return (
        f"warning: none of the {report.total.examples} predictions is a valid answer; if that is "
        f"unexpected, check that they were made for the {report.split} split of "
        f"{report.config.name!r} with these parameters (--seed, --vocab-size, --num-{report.split})"
        "; JSON-lines predictions with a 'source' field are checked for this"
    )


def format_report(report: Report) -> str:
    """A plain-text table: one row per task (for mixtures) and the total."""
    rows = list(report.tasks.items()) if len(report.tasks) > 1 else []
    rows.append(("all" if rows else next(iter(report.tasks)), report.total))
    width = max(len("task"), *(len(name) for name, _ in rows))
    lines = [
        f"{report.config.name}, {report.split} split: {report.total.examples} predictions",
        f"{'task':<{width}}  {'examples':>8}  {'exact match':>20}  {'valid answer':>20}",
    ]
    for name, counts in rows:
        lines.append(
            f"{name:<{width}}  {counts.examples:>8}  "
            f"{_ratio(counts.exact, counts.examples):>20}  "
            f"{_ratio(counts.valid, counts.examples):>20}"
        )
    return "\n".join(lines)


def _ratio(count: int, total: int) -> str:
    share = f"{100 * count / total:.2f}%" if total else "n/a"
    return f"{count} ({share})"
