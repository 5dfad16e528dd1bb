"""Semantic catalog search with hard filters."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from tools.catalog_index import CatalogIndex
from tools.types import CatalogItem


class SearchHit(BaseModel):
    item: CatalogItem
    similarity: float


def catalog_search(
    catalog: CatalogIndex,
    query_vector: np.ndarray,
    *,
    query_words: list[str] | None = None,
    k: int = 10,
    category: str | None = None,
    price_min: float | None = None,
    price_max: float | None = None,
) -> list[SearchHit]:
    """Items closest in meaning to the query, among those passing the filters.

    A title containing a query word is lifted above pure vector similarity, because
    a shopper who types "lantern" expects lanterns first.
    """
    if len(catalog) == 0:
        return []
    mask = catalog.filter_mask(category=category, price_min=price_min, price_max=price_max)
    candidates = np.flatnonzero(mask)
    if candidates.size == 0:
        return []
    similarity = catalog.vectors[candidates] @ query_vector
    boosted = similarity + 0.3 * catalog.keyword_match(query_words or [])[candidates]
    k = min(k, candidates.size)
    top = np.argpartition(-boosted, k - 1)[:k]
    top = top[np.argsort(-boosted[top], kind="stable")]
    return [
        SearchHit(item=catalog.items[int(candidates[i])], similarity=float(similarity[i]))
        for i in top
    ]
