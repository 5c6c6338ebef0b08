"""A one-time warning when a build or export generates on the numpy code because the compiled
kernels were not built (a machine without a C compiler at install time).

The bytes are the same either way; only the speed differs. Switching the kernels off on purpose
(``LIME_DATASETS_PURE_PYTHON``) is not warned about.
"""

from __future__ import annotations

import warnings

from .core import kernels

# The range of speeds over the named configs: numpy code / compiled kernels, one process
# (benchmarks/results: 198,000-329,000 against 293,000-907,000 examples/s).
SPEED = "0.35 to 0.7 times"


class NumpyPathWarning(RuntimeWarning):
    """Generation runs on the numpy code because the compiled kernels are not built."""


_warned = False


def warn_if_numpy_path() -> None:
    """Warn once per process if the compiled kernels are missing (not switched off)."""
    global _warned
    if _warned or kernels.native is not None or "not built" not in kernels.describe():
        return
    _warned = True
    warnings.warn(
        "lime_datasets: the compiled kernels are not built (no C compiler and Python headers when "
        f"the package was installed), so this runs on the numpy code at {SPEED} the speed; the "
        "data are the same. Reinstall where a C compiler is found, or install a binary wheel, to "
        "build them ('lime-datasets --version' names the code that generates).",
        NumpyPathWarning,
        stacklevel=3,
    )
