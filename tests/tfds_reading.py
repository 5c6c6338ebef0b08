"""Read the splits of a prepared TFDS build back into the record schema and fingerprint them."""

from __future__ import annotations

import pyarrow as pa

from lime_datasets.core.fingerprint import fingerprint_batches
from lime_datasets.core.records import SCHEMA


def split_fingerprints(builder) -> dict[str, str]:
    """Each prepared split's fingerprint, rows as stored (the builder stores them in id order:
    a build out of order gets another fingerprint than the core's)."""
    import tensorflow_datasets as tfds

    found = {}
    for split in builder.info.splits:
        rows = [{"id": int(e["id"]), "task": e["task"].decode(), "source": e["source"].decode(),
                 "target": e["target"].decode(), "source_ids": e["source_ids"].tolist(),
                 "target_ids": e["target_ids"].tolist()}
                for e in tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False))]
        found[split] = fingerprint_batches([pa.Table.from_pylist(rows, schema=SCHEMA)])
    return found
