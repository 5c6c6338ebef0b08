"""Write the splits of a config to files (JSONL, Parquet, fairseq text) crash-safely; check them.

Layout of an export folder, where ``L`` is empty, or ``-IIIII-of-NNNNN`` for shard ``I`` of ``N``:

* ``jsonl``: ``<split>L.jsonl``, one JSON object per line with the record fields, in id order.
* ``parquet``: ``<split>L.parquet`` with the record schema, row groups of
  ``PARQUET_ROW_GROUP_ROWS`` rows.
* ``fairseq``: ``<name>L.src`` and ``<name>L.tgt`` (``name`` is ``train``, ``valid`` or ``test``),
  line ``k`` holding the source and target text of one example, in id order; and ``dictL.txt``,
  fairseq's ``<token> <count>`` dictionary of every token in the exported files.
* always: ``vocabL.txt`` (the token of each id, one per line, in id order) and
  ``lime_metadataL.json`` (config, parameters, versions, columns, the rows of each split with
  the digest of each block of them and their fingerprint, the file names). The metadata is
  renamed into place last: it marks a finished export.

Shard ``i`` of ``n`` holds rows ``[floor(i * size / n), floor((i + 1) * size / n))`` of every split,
so the shards' data files concatenated in shard order are the unsharded files byte for byte
(Parquet: the same rows). The bytes never depend on ``num_proc``. Every file is staged under a
hidden name in the destination folder and renamed when the whole export is done, the metadata
last (``lime_datasets.publish``). An export first deals with what a killed export of the same
files left: it finishes the renames of one killed while renaming (and, if that is the export asked
for, returns it), and removes the staged files of one killed before; never a running export's.

One module per job: ``layout`` (file names), ``formats`` (rendering and writing each format),
``workers`` (the process pool), ``writer`` (``export``), ``verify`` (``check_export``).
``write_text``, ``check_outputs`` and ``prepare_folder`` are ``lime_datasets.publish``'s.
"""

from ..publish import check_outputs, prepare_folder, write_text
from .formats import (
    PARQUET_ROW_GROUP_ROWS,
    Part,
    dictionary_text,
    jsonl_bytes,
    render_part,
    vocabulary_text,
)
from .layout import (
    DICTIONARY,
    FAIRSEQ_NAMES,
    FORMATS,
    METADATA,
    VOCABULARY,
    Shard,
    check_format,
    check_format_columns,
    data_files,
    parse_splits,
    planned_files,
)
from .verify import CheckReport, FileCheck, SplitCheck, check_export, read_metadata
from .workers import PART_ROWS
from .writer import Progress, ProgressFactory, export

__all__ = [
    "DICTIONARY",
    "FAIRSEQ_NAMES",
    "FORMATS",
    "METADATA",
    "PARQUET_ROW_GROUP_ROWS",
    "PART_ROWS",
    "VOCABULARY",
    "CheckReport",
    "FileCheck",
    "Part",
    "Progress",
    "ProgressFactory",
    "Shard",
    "SplitCheck",
    "check_export",
    "check_format",
    "check_format_columns",
    "check_outputs",
    "data_files",
    "dictionary_text",
    "export",
    "jsonl_bytes",
    "parse_splits",
    "planned_files",
    "prepare_folder",
    "read_metadata",
    "render_part",
    "vocabulary_text",
    "write_text",
]
