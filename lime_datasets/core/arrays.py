"""Arrow arrays built from their buffers.

``pa.array`` probes its input for pandas types and so imports pandas, where it is installed, on its
first call (about 0.14 s, more than generating a first example). The core builds its arrays from
numpy buffers instead, which is also zero-copy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def numbers(values: np.ndarray) -> pa.Array:
    """The 1-d numeric array ``values`` as an Arrow array of the same type (no nulls)."""
    values = np.ascontiguousarray(values)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-dimensional; got shape {values.shape}")
    arrow_type = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(arrow_type, len(values), [None, pa.py_buffer(values)])


def strings(texts: Sequence[str]) -> pa.StringArray:
    """``texts`` as an Arrow string array (no nulls)."""
    encoded = [text.encode() for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(text) for text in encoded], out=offsets[1:])
    return pa.StringArray.from_buffers(
        len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))
    )
