"""Test doubles shared by the test suite (never imported by ``agent`` or ``tools``)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+")


class HashingEmbedder:
    """A tiny deterministic stand-in for the real model: a hashed bag of words.

    Texts sharing words get similar vectors, so ranking tests behave sensibly without
    loading ONNX. Rows are L2-normalized; a text with no words maps to a fixed unit vector.
    """

    def __init__(self, dim: int = 64, model_id: str = "hashing-test") -> None:
        self.dim = dim
        self.model_id = model_id
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed each text as normalized hashed word counts."""
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower()) or [""]
            for word in words:
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out
