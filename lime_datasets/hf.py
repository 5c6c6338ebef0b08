"""The Hugging Face ``datasets`` builder of the registry: one builder config per named config.

The builder is thin: it maps registry configs to builder configs, declares the features and split
sizes, cuts each split into row ranges (the shards) and yields the core's Arrow tables, so
``datasets`` writes at the core's speed. Shards are what ``num_proc`` processes, streaming
DataLoader workers and ``split_dataset_by_node`` ranks share out; every shard regenerates its rows
alone, so any division of the work gives the same rows. The process that writes a shard digests
each block of it as it generates the rows (``core.fingerprint.BlockHasher``); once every shard is
written, the pieces are joined into each split's block manifest, ``lime_manifest.json`` in the
build's folder (``recorded_manifests``). Nothing is read back. ``columns="text"`` or ``"ids"``
stores only those fields, in a cache folder of its own.

Use it as ``datasets.load_dataset("lime", name, **parameters)`` after ``import lime_datasets``
(see ``hf_registration``), or through ``load_hf(name, **parameters)``, which needs no name binding.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import numbers
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

import datasets
import pyarrow as pa
from datasets.filesystems import is_remote_filesystem

from .citation import CITATION, HOMEPAGE, LICENSE
from .configs import CONFIGS, get_config
from .core.config import PARAMETERS, SPLITS, LimeConfig
from .core.fingerprint import BlockDigest, BlockHasher
from .core.generate import BLOCK_SIZE, iter_batches
from .core.manifest import manifest_from_pieces
from .core.records import (
    COLUMNS,
    DEFAULT_COLUMNS,
    FIELDS,
    SCHEMA,
    check_columns,
    schema_of,
    select_columns,
)
from .core.version import DATA_VERSION
from .kernel_notice import warn_if_numpy_path
from .memory import keep_freed_memory, release_freed_memory
from .publish import empty_folder

NAME = "lime"
FEATURES = datasets.Features.from_arrow_schema(SCHEMA)
# The block manifest of every split a build wrote, in the build's folder (``recorded_manifests``).
MANIFEST_FILE = "lime_manifest.json"
# What each process that writes a shard leaves in the build's folder for the manifest; joined
# into ``MANIFEST_FILE`` and removed once every shard is written.
_PIECE_PREFIX = "lime-manifest-piece-"
HFDataset = (
    datasets.DatasetDict | datasets.Dataset
    | datasets.IterableDatasetDict | datasets.IterableDataset
)
# A power of two, so that 2, 4, 8, ... ranks get equal numbers of shards. A paper-size train split
# (5,000 blocks) gets 256 shards of 19 or 20 blocks.
MAX_SHARDS = 512
# Splits of fewer blocks are cut inside blocks, into this many shards (or one per row if fewer).
MIN_SHARDS = 8
# Blocks of a shard, at least, where the split allows (``shard_ranges``): splits of 128 to 16,383
# blocks get shards of 16 to 31 blocks (19 or 20 at 5 and at 10 million rows).
SHARD_BLOCKS = 16
# Blocks of a table the builder yields, at most: a shard is cut into the fewest equal tables of at
# most this many blocks, and a table is one record batch in the built files. So splits of
# ``MIN_SHARDS * SHARD_BLOCKS`` blocks and more are written in tables of 10 to 20 blocks, and a
# paper-size shard is one table. A table is held about three times over as it is generated and
# written (its pieces, their combined copy, a batch's temporaries: about 3.7 MB a block measured),
# so the table size sets a writing process's peak memory. Opening a built split maps into the
# opening process the page cache around the header of each record batch (about 64 KB each, the
# kernel's fault-around), so its resident set grows with the number of tables, hence of rows:
# larger tables trade worker memory for that. Measured from 1 to 10 million rows
# (benchmarks/hf_build.py), 20 blocks halves the tables of 5 and 10 million rows against 16.
TABLE_BLOCKS = 20
TABLE_ROWS = TABLE_BLOCKS * BLOCK_SIZE
FINGERPRINTS_HEADER = (f"Split fingerprints (sha256 of the digests of the blocks of rows, as "
                       f"lime_datasets.fingerprint; every block's digest is in {MANIFEST_FILE}):")

# Everything DatasetBuilder.__init__ takes itself; any other keyword is a registry parameter.
_BUILDER_ARGUMENTS = frozenset(inspect.signature(datasets.DatasetBuilder.__init__).parameters) - {
    "self",
    "config_kwargs",
}
_NOT_APPLICABLE = ("data_files", "data_dir", "features")


def cache_hash() -> str:
    """The builder hash in the cache path: it changes with the data version, and only with it."""
    return hashlib.sha256(f"lime-datasets data {DATA_VERSION}".encode()).hexdigest()[:16]


def shard_ranges(size: int) -> list[tuple[int, int]]:
    """The row ranges ``[start, stop)`` that cut a split of ``size`` rows into shards.

    A split of at least ``MIN_SHARDS`` blocks is cut at block boundaries into a power of two of
    shards: the largest that gives every shard ``SHARD_BLOCKS`` blocks, but at least
    ``MIN_SHARDS`` and at most ``MAX_SHARDS``. A smaller split is cut into ``MIN_SHARDS`` nearly
    equal ranges (one per row if it has fewer rows).
    """
    blocks = -(-size // BLOCK_SIZE)
    if size == 0:
        return []
    if blocks >= MIN_SHARDS:
        wanted = min(MAX_SHARDS, max(MIN_SHARDS, blocks // SHARD_BLOCKS))
        count = 1 << (wanted.bit_length() - 1)
        bounds = [min(size, BLOCK_SIZE * (blocks * i // count)) for i in range(count + 1)]
    else:
        count = min(size, MIN_SHARDS)
        bounds = [size * i // count for i in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def table_ranges(start: int, stop: int) -> list[tuple[int, int]]:
    """The row ranges of the tables that a shard of rows ``[start, stop)`` is written in: the
    fewest of at most ``TABLE_ROWS`` rows, of equal sizes (to a row)."""
    count = -(-(stop - start) // TABLE_ROWS)
    bounds = [start + (stop - start) * i // count for i in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def describe(config: LimeConfig, fingerprints: Mapping[str, str] | None = None,
             columns: str = DEFAULT_COLUMNS) -> str:
    """The dataset description: the config, its parameters, the fields and, once built, the
    fingerprint of each split."""
    parameters = ", ".join(f"{key}={value!r}" for key, value in config.parameters().items())
    if columns != DEFAULT_COLUMNS:
        parameters += f"; columns={columns!r}"
    lines = [
        f"LIME {config.name}: {config.description}",
        "",
        "Synthetic reasoning tasks from 'LIME: Learning Inductive Bias for Primitives of "
        "Mathematical Reasoning' (Wu et al., ICML 2021), generated by lime-datasets, data "
        f"version {DATA_VERSION}. Every example is a pure function of the parameters, the split, "
        "its id and the data version: lime_datasets.example(config, split, id, **parameters) "
        "regenerates it.",
        "",
        f"Parameters: {parameters}.",
        "",
        "Fields:",
        *(f"  {field}: {FIELDS[field]}" for field in COLUMNS[columns]),
    ]
    if fingerprints:
        lines += ["", FINGERPRINTS_HEADER]
        lines += [f"  {split}: {digest}" for split, digest in fingerprints.items()]
    return "\n".join(lines)


def recorded_manifests(built: Any) -> dict[str, dict[str, Any]]:
    """The block manifest of each split (``lime_datasets.manifest``) that a build recorded as it
    wrote the split, from the build's folder: ``built`` is a built ``Dataset`` or
    ``DatasetDict``, a ``Lime`` builder after ``download_and_prepare``, or the folder."""
    if isinstance(built, datasets.DatasetDict):
        built = next(iter(built.values()))
    if isinstance(built, datasets.Dataset):
        if not built.cache_files:
            raise ValueError("the dataset has no cache files (kept in memory?), so no manifest")
        fs, folder = None, posixpath.dirname(built.cache_files[0]["filename"])
    elif isinstance(built, datasets.DatasetBuilder):
        fs, folder = built._fs, built._output_dir
    else:
        fs, folder = None, str(built)
    path = posixpath.join(folder, MANIFEST_FILE)
    try:
        with (fs.open(path, "r") if fs is not None else open(path)) as handle:
            return json.load(handle)["splits"]
    except FileNotFoundError:
        raise ValueError(f"{folder} holds no {MANIFEST_FILE}: not a finished build of "
                         f"{NAME!r}") from None


def recorded_fingerprints(built: Any) -> dict[str, str]:
    """The fingerprint of each split that a build recorded (see ``recorded_manifests``)."""
    return {split: manifest["fingerprint"] for split, manifest in recorded_manifests(built).items()}


class LimeBuilderConfig(datasets.BuilderConfig):
    """A registry config as a builder config, with one attribute per registry parameter.

    Its config id (the cache folder) is the name plus a digest of every parameter and the data
    version, so a changed parameter or data version never reuses a cached build.
    """

    def __init__(self, name: str, columns: str = DEFAULT_COLUMNS, **parameters: Any) -> None:
        config = get_config(name, **parameters)
        super().__init__(
            name=name, version=datasets.Version(DATA_VERSION), description=config.description
        )
        for key, value in config.parameters().items():
            setattr(self, key, value)
        self.columns = check_columns(columns)

    @property
    def lime(self) -> LimeConfig:
        """The validated registry config these attributes describe."""
        return get_config(self.name, **{key: getattr(self, key) for key in PARAMETERS})

    def create_config_id(self, config_kwargs: dict, custom_features: Any = None) -> str:
        """``<name>-<parameter digest>``, and ``-text`` or ``-ids`` for a build of only those
        columns: builds that store different fields never share a cache folder."""
        check_columns(self.columns)
        suffix = "" if self.columns == DEFAULT_COLUMNS else f"-{self.columns}"
        return f"{self.name}-{self.lime.digest()}{suffix}"


class Lime(datasets.ArrowBasedBuilder):
    """The LIME tasks of every registry config, generated (no data files).

    Registry parameters are builder keywords (``Lime(config_name="mixed", num_train=1000)``) and
    are validated by the core before anything else happens: bad ones raise its ``ValueError``.
    """

    BUILDER_CONFIG_CLASS = LimeBuilderConfig
    BUILDER_CONFIGS = [LimeBuilderConfig(name) for name in CONFIGS]
    DEFAULT_WRITER_BATCH_SIZE = TABLE_ROWS

    def __init__(self, *, config_name: str | None = None, **kwargs: Any) -> None:
        for key in _NOT_APPLICABLE:
            if kwargs.get(key) is not None:
                raise ValueError(
                    f"{key} does not apply to {NAME!r}: its data are generated, not read; "
                    f"got {kwargs[key]!r}"
                )
        parameters = {key: value for key, value in kwargs.items()
                      if key not in _BUILDER_ARGUMENTS and key != "columns"}
        get_config(config_name, **parameters)
        check_columns(kwargs.get("columns", DEFAULT_COLUMNS))
        kwargs["dataset_name"] = kwargs.get("dataset_name") or NAME
        kwargs["hash"] = kwargs.get("hash") or cache_hash()
        super().__init__(config_name=config_name, **kwargs)
        # datasets names a builder after its module ("hf"); the dataset's name is "lime".
        self.name = self.info.builder_name = NAME

    def _info(self) -> datasets.DatasetInfo:
        config = self.config.lime
        return datasets.DatasetInfo(
            description=describe(config, columns=self.config.columns),
            citation=CITATION,
            homepage=HOMEPAGE,
            license=LICENSE,
            features=datasets.Features.from_arrow_schema(schema_of(self.config.columns)),
            splits=[
                {"name": split, "num_examples": config.split_size(split), "dataset_name": NAME}
                for split in _splits(config)
            ],
        )

    def _split_generators(self, dl_manager: Any) -> list[datasets.SplitGenerator]:
        warn_if_numpy_path()
        config = self.config.lime
        return [
            datasets.SplitGenerator(
                name=split,
                gen_kwargs={"split": split, "ranges": shard_ranges(config.split_size(split))},
            )
            for split in _splits(config)
        ]

    def _generate_tables(self, split: str, ranges: list[tuple[int, int]]
                         ) -> Iterator[tuple[Any, pa.Table]]:
        """The tables of each shard; when building, the digest of each block of the tables, taken
        as their rows are generated, is left in the build's folder (``_PIECE_PREFIX``)."""
        config, columns = self.config.lime, self.config.columns
        piece_folder = getattr(self, "_manifest_folder", None)  # None: streaming
        keep_freed_memory()
        for shard, (start, stop) in enumerate(ranges):
            hasher = BlockHasher(start, keep_partial=True) if piece_folder else None
            for index, (begin, end) in enumerate(table_ranges(start, stop)):
                batches = (select_columns(batch, columns)
                           for batch in iter_batches(config, split, begin, end))
                if hasher is not None:
                    batches = _digested(batches, hasher)
                yield _key(shard, index), _one_chunk_table(batches, schema_of(columns))
            if hasher is not None:
                self._write_piece(piece_folder, split, start, hasher)

    def _write_piece(self, folder: str, split: str, start: int, hasher: BlockHasher) -> None:
        """Leave the block digests of one shard for ``_download_and_prepare`` to join."""
        piece = {
            "split": split,
            "blocks": [[b.block, b.start, b.stop, b.digest] for b in hasher.finish()],
            "partial_rows": {str(first): base64.b64encode(_ipc_bytes(rows)).decode("ascii")
                             for first, rows in hasher.partial_rows.items()},
        }
        path = posixpath.join(folder, f"{_PIECE_PREFIX}{split}-{start:015d}.json")
        with self._fs.open(path, "w") as handle:
            json.dump(piece, handle)

    def _generate_more_gen_kwargs(self, split: str, ranges: list[tuple[int, int]]
                                  ) -> Iterator[dict[str, Any]]:
        """Finer shards for ``IterableDataset.reshard()``: one per block."""
        for start, stop in ranges:
            cuts = [start, *range((start // BLOCK_SIZE + 1) * BLOCK_SIZE, stop, BLOCK_SIZE), stop]
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                yield {"split": split, "ranges": [(a, b)]}

    def _download_and_prepare(self, dl_manager: Any, verification_mode: Any,
                              **prepare_split_kwargs: Any) -> None:
        _clear_killed_build(self)
        self._manifest_folder = self._output_dir  # read by the writing processes' generators
        try:
            super()._download_and_prepare(dl_manager, verification_mode, **prepare_split_kwargs)
        finally:
            del self._manifest_folder
        release_freed_memory()  # of the tables written here (all of them if num_proc=1)
        manifests = self._join_pieces()
        with self._fs.open(posixpath.join(self._output_dir, MANIFEST_FILE), "w") as handle:
            json.dump({"splits": manifests}, handle, indent=1)
        fingerprints = {split: manifest["fingerprint"] for split, manifest in manifests.items()}
        self.info.description = describe(self.config.lime, fingerprints, self.config.columns)

    def _join_pieces(self) -> dict[str, dict[str, Any]]:
        """The manifest of every split from the pieces the writing processes left (removed)."""
        digests: dict[str, list[BlockDigest]] = {split: [] for split in self.info.splits}
        partial_rows: dict[str, dict[int, pa.Table]] = {split: {} for split in self.info.splits}
        for path in sorted(self._fs.glob(posixpath.join(self._output_dir, _PIECE_PREFIX + "*"))):
            with self._fs.open(path, "r") as handle:
                piece = json.load(handle)
            digests[piece["split"]] += [BlockDigest(*block) for block in piece["blocks"]]
            for first, data in piece["partial_rows"].items():
                reader = pa.ipc.open_stream(base64.b64decode(data))
                partial_rows[piece["split"]][int(first)] = reader.read_all()
            self._fs.rm(path)
        config, columns = self.config.lime, self.config.columns
        return {split: manifest_from_pieces(config, split, columns, digests[split],
                                            partial_rows[split])
                for split in self.info.splits}


def _clear_killed_build(builder: datasets.DatasetBuilder) -> None:
    """Empty the ``<folder>.incomplete`` folder a build is about to write into.

    ``datasets`` reuses the ``.incomplete`` folder a killed build left and, once done, renames it
    with whatever it held into the finished folder. Call this first in ``_download_and_prepare``:
    ``datasets`` runs that holding its ``<folder>_builder.lock``, so no other build of the folder
    is writing there, and before this build wrote anything, so all it holds is leftovers. Remote
    outputs (no lock, no ``.incomplete`` folder) are left alone.
    """
    folder = builder._output_dir
    if is_remote_filesystem(builder._fs) or not folder.endswith(".incomplete"):
        return
    removed = empty_folder(folder)
    if removed:
        datasets.utils.logging.get_logger(__name__).warning(
            f"Removed {removed} leftovers of an interrupted build from {folder}"
        )


def _splits(config: LimeConfig) -> list[str]:
    """The splits a dataset has: ``datasets`` cannot read back a split of no rows."""
    return [split for split in SPLITS if config.split_size(split)]


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _digested(batches: Iterator[pa.RecordBatch], hasher: BlockHasher
              ) -> Iterator[pa.RecordBatch]:
    """``batches``, each fed to ``hasher`` as it comes: digested while still in the CPU's cache
    (the table they are combined into is not, by the time it is complete)."""
    for batch in batches:
        hasher.update(batch)
        yield batch


def _one_chunk_table(batches: Iterator[pa.RecordBatch], schema: pa.Schema = SCHEMA) -> pa.Table:
    """The rows of ``batches`` as a table of one chunk per column.

    ``datasets`` combines the chunks of every table it writes, in pyarrow's default pool. Combined
    here in the system allocator's heap instead, the copy reuses the memory that the batches'
    numpy temporaries just freed, and each column's pieces are freed once copied.
    """
    columns = list(zip(*(batch.columns for batch in batches), strict=True))
    combined = []
    for index, pieces in enumerate(columns):
        columns[index] = None  # leaves ``pieces`` the only reference to this column's pieces
        combined.append(pieces[0] if len(pieces) == 1 else
                        pa.concat_arrays(pieces, memory_pool=pa.system_memory_pool()))
    return pa.Table.from_arrays(combined, schema=schema)


def _key(shard: int, index: int) -> Any:
    """The key of a table: ``datasets.builder.Key`` where it exists (older releases take any)."""
    key_class = getattr(datasets.builder, "Key", None)
    return key_class(shard, index) if key_class else (shard, index)


def load_hf(
    name: str,
    split: str | None = None,
    *,
    streaming: bool = False,
    num_proc: int | None = None,
    cache_dir: str | None = None,
    download_mode: str | None = None,
    **parameters: Any,
) -> HFDataset:
    """``datasets.load_dataset("lime", name, ...)`` without the name binding (the stable path).

    ``parameters`` are registry parameters, and ``columns`` (``"both"``, ``"text"`` or
    ``"ids"``); ``split=None`` gives every split. The cache is the one
    ``load_dataset("lime", ...)`` uses.
    """
    _check_split_argument(split)
    if num_proc is not None and (
        isinstance(num_proc, bool) or not isinstance(num_proc, numbers.Integral) or num_proc < 1
    ):
        raise ValueError(f"num_proc must be a positive integer or None; got {num_proc!r}")
    if streaming and num_proc is not None:
        raise ValueError(
            f"num_proc applies to building, not to streaming; got num_proc={num_proc!r} with "
            "streaming=True (use DataLoader workers to stream in parallel)"
        )
    builder = Lime(config_name=name, cache_dir=cache_dir, **parameters)
    if streaming:
        return builder.as_streaming_dataset(split=split)
    builder.download_and_prepare(num_proc=num_proc, download_mode=download_mode)
    return builder.as_dataset(split=split)


def _check_split_argument(split: Any) -> None:
    """``ValueError`` unless ``split`` names only our splits, in any form ``datasets`` reads
    (``"train[:10%]+test"``, a ``NamedSplit``, a ``ReadInstruction`` or a list of those)."""
    if split is None or isinstance(split, datasets.ReadInstruction):
        return
    if isinstance(split, datasets.splits.SplitBase) and not isinstance(split, datasets.NamedSplit):
        return  # a merge of NamedSplits: each was checked when it was named
    if isinstance(split, (list, tuple)):
        for item in split:
            _check_split_argument(item)
        return
    if not isinstance(split, (str, datasets.NamedSplit)):
        raise ValueError(f"split must be one of {', '.join(SPLITS)} (or a slice of them, e.g. "
                         f"'train[:10%]'); got {split!r}")
    for part in str(split).split("+"):
        name = part.split("[", 1)[0].strip()
        if name not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)} (or a slice of them, "
                             f"e.g. 'train[:10%]'); got {split!r}")
