"""The catalog index as files: its item vectors as one ``.npy`` matrix, its items as JSON.

The matrix is mapped from the file rather than read (copy on write: the rare item that
changes in place changes this process's copy only), so several workers on one home
share one copy of it in the page cache.
"""

from __future__ import annotations

import json
from typing import IO

import numpy as np
from pydantic import TypeAdapter

from agent.snapshot.files import Saved, Writer
from tools.catalog_index import CatalogIndex
from tools.types import CatalogItem

VECTORS = "vectors.npy"
ITEMS = "items.json"

_ITEMS = TypeAdapter(list[CatalogItem])


def catalog_parts(catalog: CatalogIndex) -> dict[str, Writer]:
    """How to write each of the catalog's files."""

    def vectors(out: IO[bytes]) -> None:
        np.save(out, catalog.vectors, allow_pickle=False)

    def items(out: IO[bytes]) -> None:
        records = [item.model_dump(mode="json") for item in catalog.items]
        out.write(json.dumps(records, ensure_ascii=False).encode("utf-8"))

    return {VECTORS: vectors, ITEMS: items}


def read_catalog(saved: Saved, dim: int) -> CatalogIndex:
    """The catalog index saved in ``saved``; ValueError when its files disagree."""
    vectors = np.load(saved.files[VECTORS], mmap_mode="c", allow_pickle=False)
    items = _ITEMS.validate_json(saved.files[ITEMS].read_bytes())
    if vectors.dtype != np.float32 or vectors.ndim != 2 or vectors.shape[1] != dim:
        raise ValueError(f"saved item vectors of shape {vectors.shape}, {vectors.dtype}")
    return CatalogIndex(items, vectors)
