"""The memory a long-lived process keeps after generating."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lime_datasets.memory import malloc_trim

# Run in a fresh interpreter: what the allocators keep depends on everything the process did.
_MEASURE = """
import json
import lime_datasets
from lime_datasets.core.generate import iter_batches
from lime_datasets.memory import keep_freed_memory, release_freed_memory

def resident_anonymous_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024

config = lime_datasets.configs.get_config("mixed", num_train=40_000)
keep_freed_memory()  # as the bulk paths do
for _ in iter_batches(config, "train", 0, 40_000):
    pass
kept = resident_anonymous_mb()
release_freed_memory()
print(json.dumps({"kept": kept, "released": resident_anonymous_mb()}))
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or malloc_trim() is None,
    reason="needs /proc and glibc's malloc_trim",
)
def test_release_gives_back_the_memory_generation_keeps() -> None:
    out = subprocess.run([sys.executable, "-c", _MEASURE], capture_output=True, text=True,
                         check=True)
    resident = json.loads(out.stdout)
    # A batch's temporaries (tens of MiB) stay with the allocators until released.
    assert resident["kept"] - resident["released"] > 10, resident
