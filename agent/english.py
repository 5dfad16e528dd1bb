"""English words, for telling a word typed on purpose from a slip of the keyboard."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def english_words() -> frozenset[str]:
    """Whole words in the embedding model's vocabulary: a dictionary that ships anyway."""
    text = resources.files("agent").joinpath("assets/minilm-tokenizer.json").read_text("utf-8")
    vocab = json.loads(text)["model"]["vocab"]
    return frozenset(w for w in vocab if w.isalpha() and w.isascii())
