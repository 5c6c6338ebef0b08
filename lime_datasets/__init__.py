"""LIME synthetic reasoning tasks (Wu et al., ICML 2021), deterministic and loadable by name."""

__version__ = "0.1.0"

from .api import check, example, fingerprint, generate  # noqa: E402
from .configs import CONFIGS  # noqa: E402
from .core.config import SPLITS, LimeConfig  # noqa: E402
from .core.version import DATA_VERSION  # noqa: E402

__all__ = [
    "CONFIGS",
    "DATA_VERSION",
    "SPLITS",
    "LimeConfig",
    "__version__",
    "check",
    "example",
    "fingerprint",
    "generate",
]
