"""Fingerprints of every config under other numpy and pyarrow releases: the same bytes?

Builds one virtual environment per combination of the two newest minor releases of numpy and of
pyarrow that install here (found with ``pip index versions``; or give ``--numpy``/``--pyarrow``),
with only the core's dependencies and this checkout on ``PYTHONPATH``. In each, and in the running
interpreter, it computes the fingerprint of every split of every config at the sizes of
``tests/golden_fingerprints.json`` plus a variant with other parameters, once with the compiled
kernels (where built in place: ``python setup.py build_ext --inplace``) and once with the numpy code
(``LIME_DATASETS_PURE_PYTHON=1``), and compares them with each other and with the checked-in
goldens.

    python benchmarks/cross_version_fingerprints.py [--venvs /tmp/lime-cross-version] [--json F]

Exit status 0 when every environment gives the same fingerprints as the goldens, 1 otherwise.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden_fingerprints.json"
# Other parameters than the goldens': the smallest vocabulary, another seed, mixed weights, steps.
VARIANT = {"seed": 12345, "vocab_size": 68, "num_train": 1001, "num_validation": 1,
           "num_test": 0, "min_steps": 2, "max_steps": 3}

CHILD = """
import json, sys
import numpy, pyarrow
import lime_datasets
from lime_datasets.core import kernels
sizes, variant = json.loads(sys.argv[1]), json.loads(sys.argv[2])
result = {"numpy": numpy.__version__, "pyarrow": pyarrow.__version__,
          "python": sys.version.split()[0], "golden": {}, "variant": {},
          "code": "numpy" if kernels.native is None else "compiled"}
for name in sorted(lime_datasets.CONFIGS):
    result["golden"][name] = {s: lime_datasets.fingerprint(name, s, **sizes)
                              for s in lime_datasets.SPLITS}
    result["variant"][name] = {s: lime_datasets.fingerprint(name, s, **variant)
                               for s in lime_datasets.SPLITS}
print(json.dumps(result))
"""


def newest_minors(package: str, count: int = 2) -> list[str]:
    """The newest release of each of the ``count`` newest minor versions on the index."""
    out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", package],
                         capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("Available versions:"))
    releases = [v for v in line.partition(":")[2].replace(" ", "").split(",")
                if re.fullmatch(r"\d+(\.\d+)+", v)]
    chosen: dict[tuple[int, ...], str] = {}
    for version in sorted(releases, key=lambda v: tuple(map(int, v.split("."))), reverse=True):
        minor = tuple(map(int, version.split(".")[:2]))
        chosen.setdefault(minor, version)
    return list(chosen.values())[:count]


def make_venv(folder: Path, numpy: str, pyarrow: str) -> Path:
    python = folder / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"numpy=={numpy}", f"pyarrow=={pyarrow}", "tqdm"], check=True)
    return python


def fingerprints(python: str, sizes: dict, pure_python: bool) -> dict:
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "random",
           "LIME_DATASETS_PURE_PYTHON": "1" if pure_python else ""}
    done = subprocess.run([python, "-c", CHILD, json.dumps(sizes), json.dumps(VARIANT)],
                          capture_output=True, text=True, env=env, cwd="/", check=True)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venvs", type=Path, default=Path("/tmp/lime-cross-version"),
                        help="folder for the virtual environments (reused when present)")
    parser.add_argument("--numpy", nargs="+", help="numpy versions (default: two newest minors)")
    parser.add_argument("--pyarrow", nargs="+",
                        help="pyarrow versions (default: two newest minors)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    golden = json.loads(GOLDEN.read_text())
    numpys = args.numpy or newest_minors("numpy")
    pyarrows = args.pyarrow or newest_minors("pyarrow")

    results = [dict(fingerprints(sys.executable, golden["sizes"], pure), environment="this one")
               for pure in (False, True)]
    for numpy, pyarrow in itertools.product(numpys, pyarrows):
        began = time.monotonic()
        python = make_venv(args.venvs / f"numpy-{numpy}-pyarrow-{pyarrow}", numpy, pyarrow)
        for pure in (False, True):
            result = fingerprints(str(python), golden["sizes"], pure)
            results.append(dict(result, environment=str(python.parent.parent)))
        print(f"built and ran numpy {numpy}, pyarrow {pyarrow} in "
              f"{time.monotonic() - began:.0f} s", file=sys.stderr)

    reference = results[0]
    ok = True
    print(f"{'numpy':<8} {'pyarrow':<8} {'python':<8} {'code':<9} goldens  same as this one")
    for result in results:
        matches_golden = result["golden"] == golden["fingerprints"]
        same = (result["golden"], result["variant"]) == (reference["golden"],
                                                         reference["variant"])
        ok &= matches_golden and same
        print(f"{result['numpy']:<8} {result['pyarrow']:<8} {result['python']:<8} "
              f"{result['code']:<9} "
              f"{'equal' if matches_golden else 'DIFFER':<8} {'yes' if same else 'NO'}")
    count = sum(len(v) for v in reference["golden"].values()) * 2
    print(f"{len(results)} runs, {count} fingerprints each: "
          f"{'all identical' if ok else 'DIFFERENCES FOUND'}")
    if args.json:
        summary = [{key: r[key] for key in ("environment", "numpy", "pyarrow", "python", "code")}
                   for r in results]
        args.json.write_text(json.dumps({"identical": ok, "environments": summary,
                                         "fingerprints": reference}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
