"""The ``tokenizer.json`` export: Hugging Face ``tokenizers`` encodes sources as ``source_ids``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tokenizers

import lime_datasets
from lime_datasets.core.vocab import PAD_ID, UNK_ID, encode, vocab_tokens

SCRIPT = Path(sys.executable).with_name("lime-datasets")
VOCAB_SIZE = 1000


def export(tmp_path: Path, *args: object) -> Path:
    out = tmp_path / "tokenizer.json"
    command = [str(SCRIPT), "vocab", "--out", str(out), "--format", "tokenizers", *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> tokenizers.Tokenizer:
    path = export(tmp_path_factory.mktemp("tokenizer"), "--vocab-size", VOCAB_SIZE)
    return tokenizers.Tokenizer.from_file(str(path))


def test_the_vocabulary_is_the_package_vocabulary(tokenizer: tokenizers.Tokenizer) -> None:
    tokens = vocab_tokens(VOCAB_SIZE)
    assert tokenizer.get_vocab_size() == len(tokens)
    assert [tokenizer.id_to_token(i) for i in range(len(tokens))] == tokens
    assert tokenizer.token_to_id("<pad>") == PAD_ID


@pytest.mark.parametrize("name", sorted(lime_datasets.CONFIGS))
def test_encodes_every_config_as_the_record_ids(
    tokenizer: tokenizers.Tokenizer, name: str
) -> None:
    rows = lime_datasets.generate(name, "test", 0, 100).to_pylist()
    encodings = tokenizer.encode_batch([row["source"] for row in rows])
    for row, encoding in zip(rows, encodings, strict=True):
        assert encoding.ids == row["source_ids"]
        assert tokenizer.encode(row["target"]).ids == row["target_ids"]
        assert tokenizer.decode(row["source_ids"]) == row["source"]
        assert UNK_ID not in encoding.ids


def test_one_symbol_is_one_token(tokenizer: tokenizers.Tokenizer) -> None:
    assert tokenizer.encode("417 -> 9 <space>").tokens == ["417", "->", "9", "<space>"]
    assert tokenizer.encode("1000 x").ids == [UNK_ID, UNK_ID]  # outside the vocabulary


def test_padding_uses_the_package_pad_id(tmp_path: Path) -> None:
    tokenizer = tokenizers.Tokenizer.from_file(str(export(tmp_path, "--vocab-size", 70)))
    tokenizer.enable_padding(pad_id=PAD_ID, pad_token="<pad>")
    short, long = tokenizer.encode_batch(["1 2", "3 4 5 6"])
    assert short.ids == [*encode("1 2", 70), PAD_ID, PAD_ID]
    assert short.attention_mask == [1, 1, 0, 0]
    assert long.ids == encode("3 4 5 6", 70)
