"""The package as a user installs it: an sdist and a wheel built from a clean copy of the source,
``twine check``, the wheel installed into a fresh virtual environment without extras, where the
console script and ``generate`` work and give the same data; the start-up hook that makes
``load_dataset("lime", ...)`` work without ``import lime_datasets``; and a rebuild without a C
compiler that must not ship the extension a previous build left in ``build/``.

To stay fast and offline, the builds run without build isolation (the test extra installs
setuptools, wheel and build), and the fresh environment gets numpy, pyarrow and tqdm, the only
requirements, as links to the copies installed here instead of from the package index.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import lime_datasets

pytest.importorskip("build")
pytest.importorskip("twine")
if os.name != "posix":
    pytest.skip("the fresh environment links its requirements (POSIX only)",
                allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ("numpy", "pyarrow", "tqdm")
# Paths never copied: what a build, a test run or a developer leaves behind.
LEFTOVERS = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                   "*.so", "*.pyd", ".pytest_cache", ".ruff_cache", ".hypothesis",
                                   "site", "out")
pytestmark = pytest.mark.slow


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-3000:])
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, **extra}


def build(source: Path, out: Path, *args: str, **env: str) -> Path:
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), *args,
         str(source)], env=clean_env(**env), cwd=source)
    return out


def has_compiler() -> bool:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(compiler) is not None


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source tree without anything a build or a test run left."""
    copy = tmp_path_factory.mktemp("clean") / "lime-datasets"
    shutil.copytree(ROOT, copy, ignore=LEFTOVERS)
    return copy


@pytest.fixture(scope="module")
def dist(source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = build(source, tmp_path_factory.mktemp("dist"))
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def fresh(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel and its requirements, and no extras."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(home / "env")
    python = home / "env" / "bin" / "python"
    purelib = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                        "['purelib'])"]).stdout.strip())
    links = home / "requirements"
    links.mkdir()
    for name in REQUIREMENTS:
        distribution = importlib.metadata.distribution(name)
        tops = {Path(str(f)).parts[0] for f in distribution.files or []} - {".."}
        for top in tops:
            target = Path(distribution.locate_file(top))
            if target.exists() and not (links / top).exists():
                (links / top).symlink_to(target)
    (purelib / "lime_requirements.pth").write_text(f"{links}\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-index", str(dist["wheel"])], env=clean_env())
    return home / "env" / "bin"


def in_fresh(bin_dir: Path, *command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return run([str(bin_dir / command[0]), *command[1:]], env=clean_env(**env), cwd=cwd)


def test_sdist_and_wheel_pass_twine_check(dist: dict[str, Path]) -> None:
    result = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.values())])
    assert result.stdout.count("PASSED") == 2


def test_the_sdist_holds_what_a_build_needs(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as archive:
        names = {Path(*Path(name).parts[1:]).as_posix() for name in archive.getnames()}
    for needed in ("setup.py", "setup.cfg", "pyproject.toml", "README.md",
                   "_lime_datasets_autoload.py", "lime_datasets/core/_kernels.c",
                   "lime_datasets/tfds/lime/README.md", "lime_datasets/tfds/lime/TAGS.txt"):
        assert needed in names


def test_the_wheel_is_abi3_with_kernels_and_the_startup_hook(dist: dict[str, Path]) -> None:
    names = zipfile.ZipFile(dist["wheel"]).namelist()
    assert "lime_datasets_autoload.pth" in names and "_lime_datasets_autoload.py" in names
    assert "lime_datasets/tfds/lime/CITATIONS.bib" in names
    kernels = [name for name in names if name.startswith("lime_datasets/core/_kernels")]
    if not has_compiler():
        assert kernels == []
        return
    if sys.version_info >= (3, 11):
        assert "-cp311-abi3-" in dist["wheel"].name
        assert kernels == [f"lime_datasets/core/_kernels.abi3{'.so' if os.name != 'nt' else ''}"]
    else:
        assert len(kernels) == 1


def test_the_installed_wheel_runs_the_cli_and_generates(fresh: Path, tmp_path: Path) -> None:
    version = in_fresh(fresh, "lime-datasets", "--version", cwd=tmp_path).stdout
    assert lime_datasets.__version__ in version
    assert ("compiled kernels" in version) == has_compiler()
    listing = in_fresh(fresh, "lime-datasets", "list", cwd=tmp_path).stdout
    assert all(name in listing for name in lime_datasets.CONFIGS)
    printed = in_fresh(fresh, "lime-datasets", "fingerprint", "mixed", "--split", "test",
                       "--num-test", "300", cwd=tmp_path).stdout.split()
    assert printed == ["test", lime_datasets.fingerprint("mixed", "test", num_test=300)]
    code = (
        "import json, sys, lime_datasets\n"
        "table = lime_datasets.generate('rewrite', 'train', 100, 160, seed=3)\n"
        "json.dump({'file': lime_datasets.__file__, 'rows': table.to_pylist(),\n"
        "           'heavy': sorted(m for m in ('datasets', 'tensorflow_datasets', 'tensorflow')\n"
        "                           if m in sys.modules)}, sys.stdout)\n"
    )
    result = json.loads(in_fresh(fresh, "python", "-c", code, cwd=tmp_path).stdout)
    assert Path(result["file"]).is_relative_to(fresh.parent)  # the installed copy, not ours
    assert result["rows"] == lime_datasets.generate("rewrite", "train", 100, 160,
                                                    seed=3).to_pylist()
    assert result["heavy"] == []


def test_no_extra_is_installed_and_the_error_says_which(fresh: Path, tmp_path: Path) -> None:
    code = (
        "import lime_datasets\n"
        "try:\n"
        "    lime_datasets.load_hf\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    printed = in_fresh(fresh, "python", "-c", code, cwd=tmp_path).stdout
    assert "pip install 'lime-datasets[hf]'" in printed


def test_the_startup_hook_imports_nothing_until_a_framework_is(fresh: Path,
                                                               tmp_path: Path) -> None:
    # A stand-in `datasets` package: importing it must import lime_datasets first.
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "__init__.py").write_text(
        "import sys\nSEEN = 'lime_datasets' in sys.modules\n")
    code = (
        "import sys\n"
        "before = sorted(m for m in sys.modules if 'lime' in m)\n"
        "import datasets\n"
        "print(before, datasets.SEEN, 'lime_datasets' in sys.modules)\n"
    )
    armed = in_fresh(fresh, "python", "-W", "ignore", "-c", code, cwd=tmp_path,
                     PYTHONPATH=str(tmp_path)).stdout.strip()
    assert armed == "['_lime_datasets_autoload'] True True"
    off = in_fresh(fresh, "python", "-c", code, cwd=tmp_path, PYTHONPATH=str(tmp_path),
                   LIME_DATASETS_AUTOLOAD="0").stdout.strip()
    assert off == "[] False False"


def test_a_rebuild_without_a_compiler_ships_no_stale_kernels(source: Path,
                                                             tmp_path: Path) -> None:
    if not has_compiler() or sys.platform != "linux":
        pytest.skip("needs a C compiler, switched off through CC (Linux)")
    first = build(source, tmp_path / "first", "--wheel")
    assert any("_kernels" in n for n in zipfile.ZipFile(next(first.glob("*.whl"))).namelist())
    assert list((source / "build").rglob("_kernels*"))  # the leftover the next build finds
    second = build(source, tmp_path / "second", "--wheel", CC="false")
    names = zipfile.ZipFile(next(second.glob("*.whl"))).namelist()
    assert not any("_kernels" in name for name in names)
