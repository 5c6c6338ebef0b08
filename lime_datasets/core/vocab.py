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
import pyarrow as pa

from . import arrays, kernels

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
def _token_strings(vocab_size: int) -> tuple[str, ...]:
    """Every token followed by a space (at its id), then every token alone (at id + size)."""
    tokens = vocab_tokens(vocab_size)
    return (*(token + " " for token in tokens), *tokens)


_INLINE_BYTES = 12  # an Arrow string view holds a string of up to 12 bytes inside the view


@functools.lru_cache(maxsize=8)
def _token_views(vocab_size: int) -> np.ndarray | None:
    """The Arrow string views of ``_token_strings``: ``(strings, 2)`` uint64, each row the 16
    bytes of one view (int32 length, then the string padded with zeros).

    None where a string does not fit inside its view, or where this pyarrow cannot cast the views
    to exactly the strings (string views came in pyarrow 16).
    """
    texts = _token_strings(vocab_size)
    encoded = [text.encode("utf-8") for text in texts]
    if max(map(len, encoded)) > _INLINE_BYTES:
        return None
    views = np.zeros((len(encoded), 16), dtype=np.uint8)
    for row, text in enumerate(encoded):
        views[row, :4] = np.array([len(text)], dtype="<i4").view(np.uint8)
        views[row, 4 : 4 + len(text)] = np.frombuffer(text, np.uint8)
    views = views.view(np.uint64)
    try:
        cast = _cast_views(views)
    except (AttributeError, TypeError, pa.ArrowNotImplementedError):
        return None
    return views if cast.to_pylist() == list(texts) else None


def _cast_views(views: np.ndarray) -> pa.StringArray:
    """The string array of ``(strings, 2)`` uint64 string views."""
    array = pa.Array.from_buffers(pa.string_view(), len(views), [None, pa.py_buffer(views)])
    return array.cast(pa.string())


@functools.lru_cache(maxsize=8)
def _token_array(vocab_size: int) -> pa.StringArray:
    """``_token_strings`` as an Arrow string array."""
    return arrays.strings(_token_strings(vocab_size))


_ENTRY_BYTES = 8  # the compiled kernel's fixed room for a token and its separator


@functools.lru_cache(maxsize=8)
def _token_entries(vocab_size: int) -> tuple[bytes, bytes] | None:
    """What the compiled kernel reads: every token followed by a space and padded to 8 bytes, and
    the length of each with its space; None where a token does not fit."""
    encoded = [token.encode("utf-8") + b" " for token in vocab_tokens(vocab_size)]
    if max(map(len, encoded)) > _ENTRY_BYTES:
        return None
    return b"".join(text.ljust(_ENTRY_BYTES, b"\0") for text in encoded), bytes(map(len, encoded))


def render(ids: np.ndarray, offsets: np.ndarray, vocab_size: int) -> pa.StringArray:
    """Texts of ragged token-id rows: tokens joined by single spaces, no trailing space.

    ``ids`` is the flat id array and ``offsets`` (``rows + 1`` entries) bounds each row; every row
    must be non-empty. Runs the compiled kernel where there is one (``kernels``), and
    ``render_numpy`` otherwise.
    """
    usable = _token_entries(vocab_size) is not None
    return kernels.choose("render", usable)(ids, offsets, vocab_size)


def render_native(ids: np.ndarray, offsets: np.ndarray, vocab_size: int) -> pa.StringArray:
    """``render`` by the compiled kernel (which also accepts empty rows)."""
    entries, widths = _token_entries(vocab_size)
    rows = len(offsets) - 1
    text_offsets = np.empty(rows + 1, dtype=np.int32)
    ids = np.require(ids, np.int32, "CA")  # C-ordered and aligned, as the kernel reads them
    text = np.empty(_ENTRY_BYTES * (len(ids) + 1), dtype=np.uint8)  # room for 8 bytes a token
    size = kernels.native.render(
        ids, np.require(offsets, np.int64, "CA"), entries, widths, text_offsets, text
    )
    text.resize(size, refcheck=False)  # in place: nothing else refers to it yet
    return pa.StringArray.from_buffers(rows, pa.py_buffer(text_offsets), pa.py_buffer(text))


def render_numpy(ids: np.ndarray, offsets: np.ndarray, vocab_size: int) -> pa.StringArray:
    """``render`` in numpy and Arrow. Each token is looked up with its separator, except the last
    of a row, so the looked-up strings laid end to end are exactly the texts, one after the other.
    """
    index = ids.astype(np.intp)
    index[offsets[1:] - 1] += len(_token_strings(vocab_size)) // 2
    pieces = _look_up(index, vocab_size)
    _, piece_offsets, data = pieces.buffers()
    starts = np.frombuffer(piece_offsets, dtype=np.int32)[: len(pieces) + 1]
    row_offsets = starts[offsets].astype(np.int32)
    return pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(row_offsets), data)


def _look_up(index: np.ndarray, vocab_size: int) -> pa.StringArray:
    """``_token_strings(vocab_size)[i]`` for each ``i`` in ``index``, as a string array.

    Gathering the strings' views with numpy and letting Arrow copy them out is about a fifth
    cheaper than Arrow's take over the strings.
    """
    views = _token_views(vocab_size)
    if views is not None:
        return _cast_views(views.take(index, axis=0))
    return _token_array(vocab_size).take(arrays.numbers(index))
