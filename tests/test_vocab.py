"""The vocabulary: a fixed layout, and ids that encode the text exactly."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import lime_datasets
from lime_datasets.core import vocab


def test_layout() -> None:
    tokens = vocab.vocab_tokens(70)
    assert tokens[:4] == ["<pad>", "<s>", "</s>", "<unk>"]
    assert tokens[4:13] == ["<UPPER>", "<LOWER>", "<MATH>", "<space>", ":", "[", "]", ",", "->"]
    assert tokens[13:] == [str(s) for s in range(70)]
    assert vocab.vocab_tokens(1000)[: len(tokens)] == tokens  # a smaller vocabulary is a prefix
    assert len(set(vocab.vocab_tokens(1000))) == 1013


@pytest.mark.parametrize("name", sorted(lime_datasets.CONFIGS))
def test_ids_encode_the_text(name: str) -> None:
    for row in lime_datasets.generate(name, "test", 0, 200).to_pylist():
        assert row["source_ids"] == vocab.encode(row["source"], 1000)
        assert row["target_ids"] == vocab.encode(row["target"], 1000)
        assert vocab.decode(row["source_ids"], 1000) == row["source"]
        assert "  " not in row["source"] and row["source"] == row["source"].strip()


def test_unknown_tokens() -> None:
    for token in ("1000", "-1", "01", "x", ""):
        with pytest.raises(ValueError, match="vocabulary"):
            vocab.token_to_id(token, 1000)


@pytest.mark.parametrize("views", [True, False], ids=["string-views", "arrow-take"])
def test_render_joins_tokens(views: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of looking the tokens up give the tokens joined by single spaces."""
    if not views:
        monkeypatch.setattr(vocab, "_token_views", lambda vocab_size: None)
    elif int(pa.__version__.split(".")[0]) < 16:
        pytest.skip("string views came in pyarrow 16")
    else:
        assert vocab._token_views(1000) is not None  # the views pass their own check
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 30, size=300)
    lengths[:3] = 1  # rows of one token have no separator at all
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    tokens = vocab.vocab_tokens(1000)
    ids = rng.integers(0, len(tokens), size=offsets[-1]).astype(np.int32)
    rows = zip(offsets[:-1], offsets[1:], strict=True)
    expected = [" ".join(tokens[i] for i in ids[a:b]) for a, b in rows]
    assert vocab.render(ids, offsets, 1000).to_pylist() == expected
