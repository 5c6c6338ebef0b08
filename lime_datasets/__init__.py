"""LIME synthetic reasoning tasks (Wu et al., ICML 2021), deterministic and loadable by name."""

__version__ = "0.1.0"

from .api import check, example, fingerprint, fingerprint_v1, generate, manifest  # noqa: E402
from .configs import CONFIGS  # noqa: E402
from .core.config import SPLITS, LimeConfig  # noqa: E402
from .core.version import DATA_VERSION  # noqa: E402
from .hf_registration import install as _install_hf_name  # noqa: E402
from .tfds import tfds_config  # noqa: E402
from .tfds.registration import install as _install_tfds_builder  # noqa: E402

_install_tfds_builder()  # registers the TFDS builder "lime" once tensorflow_datasets is imported
_install_hf_name()  # binds datasets.load_dataset("lime", ...) once datasets is imported


def __getattr__(name: str):
    if name == "load_hf":  # imported on first use: it needs the datasets package
        from .extras import require

        require("datasets", "lime_datasets.load_hf")
        from .hf import load_hf

        return load_hf
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CONFIGS",
    "DATA_VERSION",
    "SPLITS",
    "LimeConfig",
    "__version__",
    "check",
    "example",
    "fingerprint",
    "fingerprint_v1",
    "generate",
    "load_hf",
    "manifest",
    "tfds_config",
]
