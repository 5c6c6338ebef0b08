"""The token vocabulary: a fixed, versioned mapping between tokens and integer ids.

Layout (part of the data version; ids never move for a given data version):

* ``0..3``: special tokens ``<pad>``, ``<s>``, ``</s>``, ``<unk>`` (never inside generated text;
  for models that need them);
* ``4..12``: the structural tokens ``<UPPER> <LOWER> <MATH> <space> : [ ] , ->``;
* ``13 + s``: the symbol ``s`` for ``s`` in ``0 .. vocab_size - 1``, written as its decimal string.

So a symbol's id does not depend on ``vocab_size``: the vocabulary of a smaller size is a prefix of
a larger one.
"""

from __future__ import annotations

import functools

import numpy as np

SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<unk>")
STRUCTURAL_TOKENS = ("<UPPER>", "<LOWER>", "<MATH>", "<space>", ":", "[", "]", ",", "->")
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(len(SPECIAL_TOKENS))
SYMBOL_OFFSET = len(SPECIAL_TOKENS) + len(STRUCTURAL_TOKENS)  # 13

_STRUCTURAL_IDS = {t: len(SPECIAL_TOKENS) + i for i, t in enumerate(STRUCTURAL_TOKENS)}
UPPER = _STRUCTURAL_IDS["<UPPER>"]
LOWER = _STRUCTURAL_IDS["<LOWER>"]
MATH = _STRUCTURAL_IDS["<MATH>"]
SPACE = _STRUCTURAL_IDS["<space>"]
COLON = _STRUCTURAL_IDS[":"]
OPEN = _STRUCTURAL_IDS["["]
CLOSE = _STRUCTURAL_IDS["]"]
COMMA = _STRUCTURAL_IDS[","]
ARROW = _STRUCTURAL_IDS["->"]

_WIDTH = 8  # bytes per token in the render table: the longest token plus the separating space


def vocab_tokens(vocab_size: int) -> list[str]:
    """Every token of the vocabulary, in id order."""
    return [*SPECIAL_TOKENS, *STRUCTURAL_TOKENS, *(str(s) for s in range(vocab_size))]


def token_to_id(token: str, vocab_size: int) -> int:
    """The id of one token; ``ValueError`` for anything outside the vocabulary."""
    if token in _STRUCTURAL_IDS:
        return _STRUCTURAL_IDS[token]
    if token in SPECIAL_TOKENS:
        return SPECIAL_TOKENS.index(token)
    if token.isdigit() and (token == "0" or not token.startswith("0")):
        symbol = int(token)
        if symbol < vocab_size:
            return SYMBOL_OFFSET + symbol
    raise ValueError(f"token {token!r} is not in the vocabulary of size {vocab_size}")


def encode(text: str, vocab_size: int) -> list[int]:
    """Token ids of a space-separated text."""
    return [token_to_id(token, vocab_size) for token in text.split()]


def decode(ids, vocab_size: int) -> str:
    """The text of a sequence of ids (special tokens included as written)."""
    tokens = vocab_tokens(vocab_size)
    return " ".join(tokens[i] for i in ids)


@functools.lru_cache(maxsize=8)
def _render_table(vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per token: its bytes and a trailing space, zero-padded into a uint64; and its byte length."""
    tokens = vocab_tokens(vocab_size)
    table = np.zeros((len(tokens), _WIDTH), dtype=np.uint8)
    lengths = np.zeros(len(tokens), dtype=np.int64)
    for token_id, token in enumerate(tokens):
        encoded = (token + " ").encode("ascii")
        if len(encoded) > _WIDTH:
            raise ValueError(f"token {token!r} is longer than {_WIDTH - 1} bytes")
        table[token_id, : len(encoded)] = np.frombuffer(encoded, dtype=np.uint8)
        lengths[token_id] = len(encoded)
    return table.view(np.uint64).ravel(), lengths


def render(ids: np.ndarray, offsets: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Texts of ragged token-id rows: tokens joined by single spaces, no trailing space.

    ``ids`` is the flat id array and ``offsets`` (``rows + 1`` entries) bounds each row. Returns
    ``(utf8_bytes, byte_offsets)`` ready for an Arrow string array. Every row must be non-empty.
    """
    table, token_lengths = _render_table(vocab_size)
    index = ids.astype(np.intp, copy=False)  # take() is many times slower with other index types
    token_bytes = table.take(index).view(np.uint8)
    lengths = token_lengths.take(index)
    last_tokens = offsets[1:] - 1
    # Drop the separator after the last token of each row; padding bytes are zero, text bytes not.
    token_bytes[last_tokens * _WIDTH + lengths[last_tokens] - 1] = 0
    lengths[last_tokens] -= 1
    data = token_bytes[token_bytes != 0]
    token_ends = np.cumsum(lengths)
    byte_offsets = np.zeros(len(offsets), dtype=np.int64)
    byte_offsets[1:] = token_ends[last_tokens]
    return data, byte_offsets
