"""Regenerate tests/golden_fingerprints.json (``lime_datasets.fingerprint`` of every config).

Golden fingerprints pin the bytes of every config. The fingerprints published with data version
1.0.0 under the first definition (``lime_datasets.fingerprint_v1``) are kept, unchanged, in
tests/golden_fingerprints_v1.0.0.json. Regenerate them only when the data version
changes (bump ``DATA_VERSIONS`` in ``lime_datasets/core/version.py`` and add a CHANGELOG entry), or
when a new config is added (its goldens are added; existing ones must not change). The script
refuses
to change an existing config's fingerprint under the same data version unless ``--force`` is given.

Usage: python tests/update_golden.py [--force]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import lime_datasets

GOLDEN = Path(__file__).parent / "golden_fingerprints.json"
SIZES = {"num_train": 2500, "num_validation": 300, "num_test": 300}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    fingerprints = {
        name: {
            split: lime_datasets.fingerprint(name, split, **SIZES) for split in lime_datasets.SPLITS
        }
        for name in sorted(lime_datasets.CONFIGS)
    }
    if GOLDEN.exists() and not args.force:
        old = json.loads(GOLDEN.read_text())
        if old["data_version"] == lime_datasets.DATA_VERSION:
            changed = [
                n for n in old["fingerprints"] if old["fingerprints"][n] != fingerprints.get(n)
            ]
            if changed:
                print(
                    f"fingerprints changed under data version {lime_datasets.DATA_VERSION}: "
                    f"{', '.join(changed)}; bump the data version or pass --force",
                    file=sys.stderr,
                )
                return 1
    golden = {
        "data_version": lime_datasets.DATA_VERSION,
        "sizes": SIZES,
        "fingerprints": fingerprints,
    }
    GOLDEN.write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
