"""Croissant metadata (the ML Commons format, mlcommons.org/croissant) of LIME configs.

``croissant(configs)`` describes the files of a Hub-ready folder (``lime_datasets.hub``): one
record set per config and split, read from ``data/<config>/<split>*.parquet`` relative to the
folder that holds ``croissant.json``, with the record fields and their meaning. The same document
accompanies each dataset card, where it describes the folder an export of that config makes. Built
from the registry and the record schema only; writing it needs no ``mlcroissant``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from . import __version__
from .citation import CITATION, HOMEPAGE
from .core.config import SPLITS, LimeConfig
from .core.records import SCHEMA
from .core.version import DATA_VERSION

FILE_NAME = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
DATA_DIR = "data"
NAME = "lime"
LICENSE_URL = "https://www.apache.org/licenses/LICENSE-2.0"
# The meaning of each record field (the same words as the cards').
FIELD_DESCRIPTIONS = {
    "id": "Index of the example in its split; (config, split, id) regenerates it.",
    "task": "The task of this example (varies only in mixtures).",
    "source": "The model input: space-separated tokens, the symbol header first.",
    "target": "The reference answer (other valid answers may exist).",
    "source_ids": "Token ids of the source under the package vocabulary (vocab.txt).",
    "target_ids": "Token ids of the target under the package vocabulary (vocab.txt).",
}
_CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def record_set_id(config: str, split: str) -> str:
    """The ``@id`` of the record set of one split of one config."""
    return f"{config}/{split}"


def croissant(configs: Sequence[LimeConfig], splits: Sequence[str] = SPLITS) -> dict[str, Any]:
    """The Croissant document of a Hub-ready folder holding ``splits`` of ``configs``."""
    if not configs:
        raise ValueError("configs must hold at least one config; got none")
    distribution, record_sets = [], []
    for config in configs:
        for split in splits:
            files = f"{config.name}-{split}-parquet"
            distribution.append({
                "@type": "cr:FileSet",
                "@id": files,
                "name": files,
                "description": f"The {split} split of {config.name!r} in Parquet.",
                "encodingFormat": "application/x-parquet",
                "includes": f"{DATA_DIR}/{config.name}/{split}*.parquet",
            })
            record_sets.append(_record_set(config, split, files))
    names = ", ".join(config.name for config in configs)
    return {
        "@context": _CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": NAME if len(configs) > 1 else f"{NAME}-{configs[0].name}",
        "description": (
            "Synthetic reasoning tasks from LIME: Learning Inductive Bias for Primitives of "
            f"Mathematical Reasoning (Wu et al., ICML 2021), configs {names}, generated "
            f"deterministically by lime-datasets {__version__}. "
            + " ".join(_parameters(config) for config in configs)
        ),
        "license": LICENSE_URL,
        "url": HOMEPAGE,
        "version": DATA_VERSION,
        "citeAs": CITATION,
        "keywords": ["reasoning", "synthetic", "mathematical reasoning", "inductive bias"],
        "isAccessibleForFree": True,
        "creator": {"@type": "sc:Organization", "name": "lime-datasets"},
        "distribution": distribution,
        "recordSet": record_sets,
    }


def croissant_json(configs: Sequence[LimeConfig], splits: Sequence[str] = SPLITS) -> str:
    """``croissant(configs, splits)`` as the text of ``croissant.json``."""
    return json.dumps(croissant(configs, splits), indent=2, ensure_ascii=False) + "\n"


def _parameters(config: LimeConfig) -> str:
    values = ", ".join(f"{key}={value}" for key, value in config.parameters().items())
    return f"{config.name}: {config.description} Parameters: {values}."


def _record_set(config: LimeConfig, split: str, files: str) -> dict[str, Any]:
    record_set = record_set_id(config.name, split)
    fields = []
    for column in SCHEMA:
        field = {
            "@type": "cr:Field",
            "@id": f"{record_set}/{column.name}",
            "name": column.name,
            "description": FIELD_DESCRIPTIONS[column.name],
            "dataType": _data_type(column.type),
            "source": {"fileSet": {"@id": files}, "extract": {"column": column.name}},
        }
        if pa.types.is_list(column.type):
            field["repeated"] = True
        fields.append(field)
    return {
        "@type": "cr:RecordSet",
        "@id": record_set,
        "name": record_set,
        "description": f"{config.split_size(split):,} examples: the {split} split of "
        f"{config.name!r}.",
        "key": {"@id": f"{record_set}/id"},
        "field": fields,
    }


def _data_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_list(arrow_type):
        return _data_type(arrow_type.value_type)
    if pa.types.is_string(arrow_type):
        return "sc:Text"
    if pa.types.is_integer(arrow_type):
        return "sc:Integer"
    raise ValueError(f"no Croissant data type for Arrow type {arrow_type}")
