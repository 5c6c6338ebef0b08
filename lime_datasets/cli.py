"""The ``lime-datasets`` command (also ``python -m lime_datasets``).

A thin layer: configs, parameters and their validation come from the registry, files from
``export``, scores from ``evaluate``. Bad input prints one line to stderr and exits with status 2;
``fingerprint --check`` exits with 1 when an export does not match.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from . import __version__
from .configs import CONFIGS, get_config
from .core import kernels
from .core.config import PARAMETERS, SPLITS, LimeConfig, parse_weights
from .core.records import COLUMNS, DEFAULT_COLUMNS
from .core.suggest import did_you_mean
from .core.tasks import TASKS
from .core.version import DATA_VERSION

PROG = "lime-datasets"
EXIT_MISMATCH = 1
EXIT_USAGE = 2
_EXAMPLE_CONFIG = next(iter(CONFIGS))
_EXAMPLE_WEIGHTS = ",".join(f"{task}={weight}" for weight, task in enumerate(list(TASKS)[:2], 1))


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2, with a "did
    you mean" for a mistyped command, choice or flag."""

    def error(self, message: str) -> None:  # type: ignore[override]
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            first = message[len(prefix):].split()[0].partition("=")[0]
            message += did_you_mean(first, self._option_strings())
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(str, action.choices))
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r} (choose from {choices})"
                f"{did_you_mean(value, map(str, action.choices))}")

    def _option_strings(self) -> list[str]:
        """The flags of this parser and of its commands (unknown flags reach the top parser)."""
        options = list(self._option_string_actions)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for parser in action.choices.values():
                    options.extend(parser._option_string_actions)
        return options


class _Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM, so cleanup code runs."""


# Parameters ---------------------------------------------------------------------------------


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _defaults(name: str) -> list[Any]:
    return [config.parameters()[name] for config in CONFIGS.values()]


def _add_parameters(parser: argparse.ArgumentParser, names: Sequence[str] = PARAMETERS) -> None:
    group = parser.add_argument_group(
        "parameters", f"override the config's defaults (see '{PROG} list')"
    )
    for name in names:
        values = _defaults(name)
        if isinstance(values[0], Mapping):
            metavar, example = "TASK=W,...", f", e.g. {_EXAMPLE_WEIGHTS}"
        else:
            metavar, example = "N", ""
        if all(value == values[0] for value in values):
            default = f"default {_show_value(values[0])}"
        else:
            default = "default per config"
        group.add_argument(_flag(name), dest=name, metavar=metavar, default=None,
                           help=f"{name} ({default}){example}")


def _show_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return ",".join(f"{task}={weight:g}" for task, weight in value.items())
    return f"{value:,}" if isinstance(value, int) else str(value)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters given on the command line, converted by the type of their default."""
    overrides = {}
    for name in PARAMETERS:
        text = getattr(args, name, None)
        if text is None:
            continue
        default = _defaults(name)[0]
        if isinstance(default, Mapping):
            overrides[name] = parse_weights(text)
        elif isinstance(default, int):
            try:
                overrides[name] = int(text)
            except ValueError:
                overrides[name] = text  # the config's validation names the parameter and range
        else:
            overrides[name] = text
    return overrides


def _config(args: argparse.Namespace) -> LimeConfig:
    return get_config(args.config, **_overrides(args))


# Commands -----------------------------------------------------------------------------------


def _cmd_list(args: argparse.Namespace) -> int:
    rows = [("CONFIG", "TASKS", "DESCRIPTION")]
    for name, config in CONFIGS.items():
        weights = set(config.task_weights.values())
        tasks = (", ".join(config.tasks) if len(weights) == 1
                 else _show_value(config.task_weights))
        rows.append((name, tasks, config.description))
    print(_table(rows))
    print()
    rows = [("PARAMETER", "FLAG", "DEFAULT")]
    for name in PARAMETERS:
        values = _defaults(name)
        same = all(value == values[0] for value in values)
        rows.append((name, _flag(name), _show_value(values[0]) if same else "per config (above)"))
    print(_table(rows))
    return 0


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _cmd_show(args: argparse.Namespace) -> int:
    from .core.generate import iter_batches
    from .memory import keep_freed_memory

    config = _config(args)
    size = config.split_size(args.split)
    if not 0 <= args.index < size:
        raise ValueError(
            f"--index must be in [0, {size}): the {args.split} split of {config.name!r} has "
            f"{size} examples; got {args.index}"
        )
    if args.count < 1:
        raise ValueError(f"--count must be at least 1; got {args.count}")
    stop = min(size, args.index + args.count)
    keep_freed_memory()
    for batch in iter_batches(config, args.split, args.index, stop, rows_per_batch=1000):
        for row in batch.to_pylist():
            if row["id"] != args.index:
                print()
            print(f"{config.name}  {args.split}  id {row['id']}  task {row['task']}")
            print(f"source: {row['source']}")
            print(f"target: {row['target']}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from . import export

    config = _config(args)
    splits = export.parse_splits(args.splits)
    if args.beam_options is not None or args.num_shards is not None:
        return _export_beam(args, config, splits)
    if args.format == "hub":
        return _export_hub(args, config, splits)
    shard = export.Shard.parse(args.shard) if args.shard else export.Shard()
    metadata = export.export(
        config, args.out, splits=splits, fmt=args.format, shard=shard, num_proc=args.num_proc,
        overwrite=args.overwrite, progress=None if args.quiet else _progress_bar,
        columns=args.columns,
    )
    if not args.quiet:
        rows = ", ".join(
            f"{split} rows {info['start']}..{info['stop']}"
            for split, info in metadata["splits"].items()
        )
        print(f"exported {config.name} ({args.format}) to {_shown(args.out)}: {rows}")
    return 0


def _export_hub(args: argparse.Namespace, config: LimeConfig, splits: Sequence[str]) -> int:
    if importlib.util.find_spec(f"{__package__}.hub") is None:
        raise ValueError("the hub format needs the Hugging Face export (lime_datasets.hub), "
                         "which this version does not have; use jsonl or parquet")
    if args.shard:
        raise ValueError("--shard is not available for the hub format")
    if args.columns != DEFAULT_COLUMNS:
        raise ValueError("--columns is not available for the hub format (it writes both)")
    if Path(args.out).exists() and not args.overwrite:
        raise ValueError(f"{args.out} exists; pass --overwrite to replace it")
    from . import hub

    hub.export_hub(args.out, [config.name], splits=splits, overwrite=args.overwrite,
                   num_proc=args.num_proc, progress=None if args.quiet else _progress_bar,
                   **_overrides(args))
    if not args.quiet:
        print(f"exported {config.name} (hub) to {_shown(args.out)}")
    return 0


def _export_beam(args: argparse.Namespace, config: LimeConfig, splits: Sequence[str]) -> int:
    if args.beam_options is None or args.num_shards is None:
        given, needed = (("--num-shards", "--beam-options") if args.beam_options is None
                         else ("--beam-options", "--num-shards"))
        raise ValueError(f"{given} needs {needed}: a Beam pipeline writes every shard of "
                         "--num-shards N (on one machine, use --shard I/N or --num-proc)")
    if args.shard:
        raise ValueError("--shard cannot be combined with --beam-options: the pipeline writes "
                         "every shard of --num-shards N")
    if args.num_proc != 1:
        raise ValueError("--num-proc cannot be combined with --beam-options: the runner's "
                         "workers do the work")
    from . import beam

    try:
        beam.export_beam(config, args.out, fmt=args.format, num_shards=args.num_shards,
                         splits=splits, beam_options=args.beam_options, overwrite=args.overwrite,
                         columns=args.columns)
    except beam.IncompleteExportError as error:
        print(f"{PROG}: {_one_line(error)}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"exported {config.name} ({args.format}) to {args.out} in {args.num_shards} "
              "shards with Apache Beam")
    return 0


def _progress_bar(split: str, total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=split, unit="ex", dynamic_ncols=True)


def _cmd_fingerprint(args: argparse.Namespace) -> int:
    if args.check is not None:
        return _check(args)
    if args.config is None:
        raise ValueError("fingerprint needs a CONFIG, or --check DIR")
    from .api import fingerprint

    if args.shard:
        raise ValueError("--shard applies to --check DIR")
    overrides = _overrides(args)
    get_config(args.config, **overrides)
    splits = [args.split] if args.split else list(SPLITS)
    width = max(len(split) for split in splits)
    for split in splits:
        digest = fingerprint(args.config, split, columns=args.columns, **overrides)
        print(f"{split:<{width}}  {digest}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from . import export

    given = [_flag(name) for name in PARAMETERS if getattr(args, name) is not None]
    if args.columns != DEFAULT_COLUMNS:
        given.append("--columns")
    if given:
        raise ValueError(f"--check reads parameters and columns from the export; drop {given[0]}")
    if isinstance(args.num_proc, bool) or args.num_proc < 1:
        raise ValueError(f"--num-proc must be a positive integer; got {args.num_proc}")
    shard = export.Shard.parse(args.shard) if args.shard else None
    metadata = export.read_metadata(args.check)
    if args.config is not None and args.config != metadata[0]["config"]:
        raise ValueError(f"{args.check} holds an export of {metadata[0]['config']!r}, "
                         f"not {args.config!r}")
    held = {split for entry in metadata for split in entry["splits"]}
    if args.split and args.split not in held:
        raise ValueError(f"{args.check} holds no {args.split} split")
    report = export.check_export(args.check, num_proc=args.num_proc,
                                 progress=None if args.quiet else _progress_bar,
                                 splits=[args.split] if args.split else SPLITS, shard=shard)
    shards = f", {report.shards} shards" if report.shards > 1 else ""
    print(f"{_shown(args.check)}: {report.config.name} ({report.fmt}{shards})")
    width = max(len(check.name) for check in report.files)
    for check in report.files:
        print(f"  {check.status:<8}  {check.name:<{width}}  {check.detail}")
    for split in report.splits:
        if shard is not None:
            print(f"{split.split}: shard {shard.index}/{shard.count} "
                  f"{'matches' if split.recorded_ok else 'differs from'} its metadata's blocks")
        elif split.missing:
            ranges = ", ".join(f"{a}..{b}" for a, b in split.missing)
            print(f"{split.split}: incomplete, no file holds rows {ranges}")
        elif not split.recorded_ok:
            print(f"{split.split}: fingerprint {split.fingerprint} differs from the metadata's "
                  "block digests (made with other parameters or another data version?)")
        else:
            print(f"{split.split}: fingerprint {split.fingerprint}")
    bad = sum(check.status != "ok" for check in report.files)
    if report.ok:
        print("all files match")
    elif bad:
        print(f"{bad} of {len(report.files)} files do not match")
    else:
        print("the files match, but the export is incomplete or its metadata is stale")
    return 0 if report.ok else EXIT_MISMATCH


def _cmd_vocab(args: argparse.Namespace) -> int:
    from . import export, publish

    config = get_config(_EXAMPLE_CONFIG, **_overrides(args))  # validates vocab_size
    if args.format == "tokenizers":
        from .tokenizer import tokenizer_json

        text = tokenizer_json(config.vocab_size)
    else:
        text = export.vocabulary_text(config.vocab_size)
    publish.write_text(Path(args.out), text, args.overwrite)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from . import evaluate, publish

    config = _config(args)
    if args.json is not None:
        evaluate.check_report_path(args.json, args.overwrite)
    size = config.split_size(args.split)
    predictions = evaluate.read_prediction_file(args.predictions, size, args.predictions_format)
    report = evaluate.score(config, args.split, predictions.texts, predictions.sources)
    print(evaluate.format_report(report))
    warning = None if predictions.sources else evaluate.mismatch_warning(report)
    if warning:
        print(f"{PROG}: {warning}", file=sys.stderr)
    if args.json is not None:
        result = {"predictions": str(args.predictions), **report.as_dict()}
        publish.write_text(Path(args.json), json.dumps(result, indent=2) + "\n", args.overwrite)
    return 0


# The parser ---------------------------------------------------------------------------------

_COMMANDS: list[tuple[str, str, list[str]]] = [
    ("list", "the named configs, their tasks and default parameters", [f"{PROG} list"]),
    ("show", "print examples: id, task, source and target", [
        f"{PROG} show mixed --split test --index 5 --count 2",
        f"{PROG} show {_EXAMPLE_CONFIG} --vocab-size 100 --seed 7",
    ]),
    ("export", "write splits to files: jsonl, parquet, fairseq text, or a Hub-ready folder", [
        f"{PROG} export {_EXAMPLE_CONFIG} --out data/{_EXAMPLE_CONFIG} --format fairseq "
        "--num-train 100000",
        f"{PROG} export mixed --out data/mixed --format parquet --shard 0/8  # part 0 of 8",
        f"{PROG} export mixed --out gs://bucket/mixed --format parquet --num-shards 64 "
        "--beam-options \"--runner=DataflowRunner --project=P --region=R "
        "--temp_location=gs://bucket/tmp\"",
    ]),
    ("fingerprint", "the sha256 fingerprint of each split, or check an export against them", [
        f"{PROG} fingerprint {_EXAMPLE_CONFIG} --split test",
        f"{PROG} fingerprint --check data/{_EXAMPLE_CONFIG} --num-proc 2",
        f"{PROG} fingerprint --check data/mixed --shard 0/8  # only part 0 of 8",
    ]),
    ("vocab", "write the token vocabulary: one token per line in id order, or a tokenizer.json", [
        f"{PROG} vocab --vocab-size 1000 --out vocab.txt",
        f"{PROG} vocab --vocab-size 1000 --out tokenizer.json --format tokenizers",
    ]),
    ("evaluate", "score predictions: exact-match and valid-answer accuracy, per task", [
        f"{PROG} evaluate mixed --split test --predictions predictions.txt --json scores.json",
        f"{PROG} evaluate deduct --predictions generate-test.txt "
        "--predictions-format fairseq-generate",
    ]),
]

_DETAILS = {
    "export": """\
Formats (file names carry the shard with --shard I/N, e.g. train-00001-of-00003.jsonl):
  jsonl    <split>.jsonl, one JSON object per line with the fields id, task, source, target,
           source_ids, target_ids
  parquet  <split>.parquet with the same fields
  fairseq  train/valid/test.src and .tgt (one example per line, the LIME authors' layout)
           and dict.txt, fairseq's '<token> <count>' dictionary
  hub      a folder ready to upload to the Hugging Face Hub
--columns text or ids keeps only the text or only the token ids (beside id and task). Every
export also writes vocab.txt and lime_metadata.json (config, parameters, versions, split sizes,
the digest of every block of rows and the fingerprints). Files are written under temporary
names and renamed when the export is complete, the metadata last; a rerun finishes an export
killed while renaming. An existing file is never replaced without --overwrite. Shard I of N
holds rows
[floor(I*n/N), floor((I+1)*n/N)) of each split: the shards' data files concatenated in order are
the unsharded files byte for byte (Parquet: the same rows). With --beam-options and
--num-shards N, an Apache Beam pipeline writes all N shards (the files of --shard I/N for every I)
to any filesystem Beam supports (gs://, s3://, hdfs://, a local folder); the files are renamed into
place only after every shard has been written.""",
    "fingerprint": """\
A split's fingerprint is the sha256 of the digests of its blocks of 1,000 rows (see
lime_datasets.manifest); lime_datasets.fingerprint_v1 gives the values published with data
version 1.0.0. --check DIR regenerates the rows an export (or a folder of its shards) holds, block
by block in --num-proc processes, and compares every file, naming the first block (and its rows)
that differs; --shard I/N and --split check only part of it. It exits with status 1 if a file
differs or is missing.""",
    "evaluate": """\
Predictions: a text file with one prediction per line, line k for id k; JSON lines
{"id": <int>, "prediction": <str>} (files ending in .jsonl or .json), optionally with the
example's "source", which must be the split's (else exit status 2); or, with
--predictions-format fairseq-generate, the output of fairseq-generate (its H-<id> lines, in any
order). An exact match has the target's tokens; a valid answer is any answer the checker
accepts. valid - exact is the share of predictions that are right but differ from the reference
target. When no prediction is valid, a warning says the config, split or parameters may not be
those the predictions were made for.""",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    examples = "\n".join(f"  {line}" for _, _, lines in _COMMANDS for line in lines)
    parser = _Parser(
        prog=PROG,
        description="The LIME synthetic reasoning tasks (Wu et al., ICML 2021): list, show, "
        "export, fingerprint and score them.",
        epilog=f"examples:\n{examples}\n\n'{PROG} COMMAND --help' explains each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version",
                        version=f"{PROG} {__version__} (data version {DATA_VERSION}; "
                        f"generating with {kernels.describe()})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, summary, lines in _COMMANDS:
        epilog = "examples:\n" + "\n".join(f"  {line}" for line in lines)
        if name in _DETAILS:
            epilog = f"{_DETAILS[name]}\n\n{epilog}"
        command = commands.add_parser(
            name, help=summary, description=summary[0].upper() + summary[1:] + ".",
            epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
        _CONFIGURE[name](command)
        command.set_defaults(run=_RUN[name])
    return parser


def _configure_list(parser: argparse.ArgumentParser) -> None:
    pass


def _add_config(parser: argparse.ArgumentParser, optional: bool = False) -> None:
    parser.add_argument("config", metavar="CONFIG", nargs="?" if optional else None,
                        help=f"a named config: {', '.join(CONFIGS)}")


def _configure_show(parser: argparse.ArgumentParser) -> None:
    _add_config(parser)
    parser.add_argument("--split", choices=SPLITS, default="train", help="default: train")
    parser.add_argument("--index", type=int, default=0, metavar="K",
                        help="id of the first example (default 0)")
    parser.add_argument("--count", type=int, default=1, metavar="N",
                        help="how many examples (default 1)")
    _add_parameters(parser)


def _configure_export(parser: argparse.ArgumentParser) -> None:
    from .export import FORMATS

    _add_config(parser)
    parser.add_argument("--out", required=True, metavar="DIR", help="the folder to write to")
    parser.add_argument("--splits", default=",".join(SPLITS),
                        help=f"comma-separated (default {','.join(SPLITS)})")
    parser.add_argument("--format", choices=(*FORMATS, "hub"), default="jsonl",
                        help="default: jsonl")
    parser.add_argument("--num-proc", type=int, default=1, metavar="N",
                        help="generate in N processes; the files are the same (default 1)")
    parser.add_argument("--shard", metavar="I/N",
                        help="write only part I (from 0) of N equal parts of each split")
    parser.add_argument("--beam-options", metavar="FLAGS",
                        help="write every shard of --num-shards N with an Apache Beam pipeline "
                        "run with these options, e.g. \"--runner=DirectRunner "
                        "--direct_num_workers=2 --direct_running_mode=multi_processing\"")
    parser.add_argument("--num-shards", type=int, metavar="N",
                        help="with --beam-options: the number of shards (the files of --shard "
                        "I/N for every I)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    _add_columns(parser)
    _add_parameters(parser)


def _add_columns(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--columns", choices=tuple(COLUMNS), default=DEFAULT_COLUMNS,
                        help="keep the text, the token ids or both beside id and task "
                        f"(default {DEFAULT_COLUMNS})")


def _configure_fingerprint(parser: argparse.ArgumentParser) -> None:
    _add_config(parser, optional=True)
    parser.add_argument("--split", choices=SPLITS, help="one split (default: all)")
    parser.add_argument("--check", metavar="DIR",
                        help="check the export in DIR block by block against its rows")
    parser.add_argument("--shard", metavar="I/N",
                        help="with --check: check only shard I of N of the export")
    parser.add_argument("--num-proc", type=int, default=1, metavar="N",
                        help="with --check: check in N processes (default 1)")
    parser.add_argument("--quiet", action="store_true",
                        help="with --check: no progress bar")
    _add_columns(parser)
    _add_parameters(parser)


def _configure_vocab(parser: argparse.ArgumentParser) -> None:
    _add_parameters(parser, names=["vocab_size"])
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    parser.add_argument("--format", choices=("text", "tokenizers"), default="text",
                        help="text: one token per line in id order (default); tokenizers: a "
                        "Hugging Face tokenizer.json (word level, ids as in source_ids)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")


def _configure_evaluate(parser: argparse.ArgumentParser) -> None:
    from .evaluate import PREDICTION_FORMATS

    _add_config(parser)
    parser.add_argument("--split", choices=SPLITS, default="test", help="default: test")
    parser.add_argument("--predictions", required=True, metavar="FILE",
                        help="one prediction per line in id order, or JSON lines with id and "
                        "prediction")
    parser.add_argument("--predictions-format", choices=PREDICTION_FORMATS, default="auto",
                        help="default: jsonl for .jsonl and .json files, else text; "
                        "fairseq-generate: the output of fairseq-generate (H-<id> lines)")
    parser.add_argument("--json", metavar="FILE", help="also write the scores to this JSON file")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    _add_parameters(parser)


_CONFIGURE: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "list": _configure_list,
    "show": _configure_show,
    "export": _configure_export,
    "fingerprint": _configure_fingerprint,
    "vocab": _configure_vocab,
    "evaluate": _configure_evaluate,
}
_RUN: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": _cmd_list,
    "show": _cmd_show,
    "export": _cmd_export,
    "fingerprint": _cmd_fingerprint,
    "vocab": _cmd_vocab,
    "evaluate": _cmd_evaluate,
}


def _terminate(signum: int, frame: Any) -> None:
    raise _Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. 'lime-datasets show ... | head'
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except BrokenProcessPool:
        print(f"{PROG}: a worker process stopped unexpectedly; unfinished files were removed",
              file=sys.stderr)
        return 1
    except (ValueError, OSError) as error:
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; unfinished files were removed", file=sys.stderr)
        return 128 + signal.SIGINT
    except _Terminated:
        print(f"{PROG}: terminated; unfinished files were removed", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)


def _shown(path: str | os.PathLike) -> str:
    """``path`` as text that any output can print on one line: bytes that are not UTF-8 (which
    Python keeps as surrogates) written ``\\xff``, control characters ``\\n`` and the like."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.filename}: {error.strerror}"
    return " ".join(str(error).split())
