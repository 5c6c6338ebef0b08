"""Arrow arrays built from buffers equal what pyarrow builds from the same values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from lime_datasets.core import arrays


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint32, np.float64])
def test_numbers_equal_pa_array(dtype: type) -> None:
    values = np.arange(-3, 50, 7).astype(dtype)[::2]  # not contiguous
    built = arrays.numbers(values)
    assert built.type == pa.from_numpy_dtype(np.dtype(dtype))
    assert built.to_pylist() == values.tolist()
    built.validate(full=True)


def test_numbers_refuse_more_than_one_dimension() -> None:
    with pytest.raises(ValueError, match="1-dimensional"):
        arrays.numbers(np.zeros((2, 3), dtype=np.int64))


@pytest.mark.parametrize("texts", [[], [""], ["deduct", "", "induct_v2", "é→∀"]])
def test_strings_equal_pa_array(texts: list[str]) -> None:
    built = arrays.strings(texts)
    assert built.type == pa.string()
    assert built.to_pylist() == texts
    built.validate(full=True)
