"""The package vocabulary as a Hugging Face ``tokenizers`` file (``tokenizer.json``).

A word-level model over ``core.vocab.vocab_tokens(vocab_size)`` behind a pre-tokenizer that splits
on whitespace only, so ``Tokenizer.from_file(path).encode(source).ids == source_ids`` for every
record, and ``decode`` gives the text back. Built as plain JSON: no ``tokenizers`` import needed
to write it, only to read it.

Symbols are single tokens on purpose: a byte-pair or sentencepiece tokenizer would split a symbol
such as ``417`` into pieces (``41`` ``7``), so one symbol would become several tokens whose split
depends on the training text.
"""

from __future__ import annotations

import json
from typing import Any

from .core.vocab import SPECIAL_TOKENS, UNK_ID, vocab_tokens


def tokenizer_dict(vocab_size: int) -> dict[str, Any]:
    """The ``tokenizers`` JSON document of the vocabulary of ``vocab_size`` symbols."""
    tokens = vocab_tokens(vocab_size)
    added = [
        {"id": token_id, "content": token, "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": False, "special": True}
        for token_id, token in enumerate(SPECIAL_TOKENS)
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": None,
        "decoder": None,
        "model": {
            "type": "WordLevel",
            "vocab": {token: token_id for token_id, token in enumerate(tokens)},
            "unk_token": tokens[UNK_ID],
        },
    }


def tokenizer_json(vocab_size: int) -> str:
    """``tokenizer_dict`` serialised, ready to write as ``tokenizer.json``."""
    return json.dumps(tokenizer_dict(vocab_size), indent=1) + "\n"

