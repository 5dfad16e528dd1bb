"""Catalog vectors from tactful's real embedder, cached on disk between runs.

Embedding ~4,000 item texts takes about a minute on two cores; the vectors depend only
on the texts and the model, so they are stored under a key made of both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agent.embedding import MODEL_ID, load_default_embedder
from tools.types import CatalogItem

CACHE_DIR = Path(__file__).resolve().parents[1] / ".cache" / "embeddings"


def cache_key(texts: Sequence[str], model_id: str = MODEL_ID) -> str:
    """A hash of the model id and every text in order."""
    digest = hashlib.sha256(model_id.encode("utf-8"))
    for text in texts:
        digest.update(b"\x00")
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:32]


def catalog_vectors(items: Sequence[CatalogItem], cache_dir: Path = CACHE_DIR) -> np.ndarray:
    """One unit vector per item, from ``item.embedding_text()``, as the product embeds them."""
    texts = [item.embedding_text() for item in items]
    path = cache_dir / f"{MODEL_ID}-{cache_key(texts)}.npy"
    if path.exists():
        return np.load(path)
    vectors = load_default_embedder().embed(texts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp.npy")
    np.save(partial, vectors)
    partial.replace(path)  # never leave a half-written file under the real key
    return vectors
