"""The optional compiled kernels; everything else about the package is in setup.cfg.

A machine without a C compiler still installs the package: the build of the extension may fail
(``optional=True``) and the numpy code runs instead, with the same bytes.

On Python 3.11 and newer the extension is built for the stable ABI (``Py_LIMITED_API``; the
buffer protocol it reads its inputs through joined the limited API in 3.11), so one ``abi3``
wheel serves every later Python on a platform. On 3.10 the wheel is for that version only.
"""

import glob
import importlib.machinery
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

# Installed into site-packages: at start-up, arms the import of lime_datasets before the first
# import of datasets or tensorflow_datasets (see _lime_datasets_autoload.py).
AUTOLOAD_PTH = "lime_datasets_autoload.pth"
AUTOLOAD_LINE = (
    'import os; os.environ.get("LIME_DATASETS_AUTOLOAD", "1") == "0" '
    'or __import__("_lime_datasets_autoload")\n'
)
LIMITED_API = sys.version_info >= (3, 11) and not sys.implementation.name == "pypy"


class BuildKernels(build_ext):
    """``build_ext`` that never ships an extension the current build did not compile.

    setuptools skips an extension whose file in ``build/`` is newer than its source, so a build
    without a compiler would copy a leftover of an earlier build into the wheel. Outside
    ``--inplace`` (the developer's own rebuilds) the old file is removed and the extension
    compiled afresh; if that fails, the wheel has no kernels and the package runs its numpy code.
    Files of the module under another suffix (a full-ABI build beside an abi3 one) are removed
    too: Python could import either.
    """

    def run(self) -> None:
        self.for_source = self.inplace  # setuptools clears ``inplace`` while it builds
        super().run()

    def build_extension(self, ext: Extension) -> None:
        path = self.get_ext_fullpath(ext.name)
        _remove_other_builds(path)
        if not self.for_source:
            if os.path.exists(path):
                os.remove(path)
            self.force = True
        super().build_extension(ext)

    def copy_extensions_to_source(self) -> None:
        build_py = self.get_finalized_command("build_py")
        for ext in self.extensions:
            _remove_other_builds(self._get_inplace_equivalent(build_py, ext)[0])
        super().copy_extensions_to_source()


class BuildPyWithAutoload(build_py):
    """``build_py`` that also writes the start-up hook ``lime_datasets_autoload.pth``."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            path = os.path.join(self.build_lib, AUTOLOAD_PTH)
            with open(path, "w", encoding="utf-8") as file:
                file.write(AUTOLOAD_LINE)

    def get_outputs(self, include_bytecode: bool = True) -> list:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        return [*outputs, os.path.join(self.build_lib, AUTOLOAD_PTH)]


def _remove_other_builds(path: str) -> None:
    """Remove the files beside ``path`` that hold the same extension module under other names."""
    stem = os.path.join(os.path.dirname(path), os.path.basename(path).partition(".")[0])
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    for other in glob.glob(glob.escape(stem) + ".*"):
        if other != path and other.endswith(suffixes):
            os.remove(other)


def _optional_extension(name: str, source: str) -> Extension:
    return Extension(
        name,
        sources=[source],
        optional=True,
        py_limited_api=LIMITED_API,
        define_macros=[("Py_LIMITED_API", "0x030B0000")] if LIMITED_API else [],
    )


setup(
    ext_modules=[
        _optional_extension("lime_datasets.core._kernels", "lime_datasets/core/_kernels.c"),
        # The TFDS writer's tf.train.Example encoder and TFRecord framing (example_proto.py and
        # record_files.py have the Python equivalents).
        _optional_extension("lime_datasets.tfds._tfrecord", "lime_datasets/tfds/_tfrecord.c"),
    ],
    cmdclass={"build_ext": BuildKernels, "build_py": BuildPyWithAutoload},
    options={"bdist_wheel": {"py_limited_api": "cp311"}} if LIMITED_API else {},
)
