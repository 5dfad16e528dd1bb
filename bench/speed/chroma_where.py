"""Why the hot path keeps Chroma's ``where`` filters off it: their cost at scale.

Compares, on one prepared store, Chroma ``get(where=…)`` with the numpy mask the
ranker uses, and a filtered ``query`` with an unfiltered one and with the exact numpy
scan (matrix product, mask, top-k) that ranking does anyway.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection

from agent.domain import CatalogItem
from agent.embedding import MiniLMEmbedder
from agent.settings import Settings
from agent.stores.vectors import ITEMS, ChromaVectorStore, make_chroma_client
from bench.speed.homes import working_copy
from bench.speed.sizes import SIZES
from bench.speed.stats import summarize_ms
from tools.catalog_index import CatalogIndex

QUERY = "red heart mug for the kitchen"


def _median_ms(call: Callable[[], object], reps: int) -> dict[str, float | int]:
    seconds = []
    for _ in range(reps):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    summary = summarize_ms(seconds)
    return {"median": summary["median"], "p95": summary["p95"], "runs": summary["runs"]}


def _stored_category(items: list[CatalogItem], category: str) -> str:
    """A category as stored in Chroma (original case); the index keeps it lower-cased."""
    return next(i.category for i in items if i.category and i.category.lower() == category)


def _get_where(
    collection: Collection,
    catalog: CatalogIndex,
    items: list[CatalogItem],
    category: str,
    matches: int,
    reps: int,
) -> dict[str, Any]:
    where: Any = {"category": _stored_category(items, category)}
    return {
        "matches": matches,
        "get_ids_ms": _median_ms(lambda: collection.get(where=where, include=[]), reps),
        "get_metadatas_ms": _median_ms(
            lambda: collection.get(where=where, include=["metadatas"]), reps
        ),
        "numpy_mask_ms": _median_ms(lambda: catalog.filter_mask(category=category), reps * 5),
    }


def chroma_where(size: str, *, reps: int = 10) -> dict[str, Any]:
    """Timings (ms) of filtered and unfiltered Chroma reads against the numpy equivalents."""
    entry, _meta = SIZES[size].prepare()
    with tempfile.TemporaryDirectory(prefix=f"tactful-bench-where-{size}-") as tmp:
        home = working_copy(entry, Path(tmp), only_chroma=True)
        client = make_chroma_client(Settings(home=home))
        store = ChromaVectorStore(client)
        items: list[CatalogItem] = []
        chunks: list[np.ndarray] = []
        for batch_items, batch_vectors in store.iter_items():
            items.extend(batch_items)
            chunks.append(batch_vectors)
        catalog = CatalogIndex(items, np.vstack(chunks))
        collection = client.get_collection(ITEMS)
        counts = Counter(catalog.categories)
        ranked = [c for c, _ in counts.most_common()]
        # The biggest, a middling and the smallest category: cost depends on matches.
        chosen = list(dict.fromkeys([ranked[0], ranked[len(ranked) // 2], ranked[-1]]))
        query = MiniLMEmbedder().embed([QUERY])[0]

        get_where = {
            category: _get_where(collection, catalog, items, category, counts[category], reps)
            for category in chosen
        }
        started = time.perf_counter()
        collection.query(query_embeddings=[query], n_results=10)
        first_query_ms = (time.perf_counter() - started) * 1000
        middling = _stored_category(items, chosen[len(chosen) // 2])
        where_middling: Any = {"category": middling}
        price_where: Any = {"price": {"$lte": 5.0}}
        query_ms = {
            "no_filter": _median_ms(
                lambda: collection.query(query_embeddings=[query], n_results=10), reps
            ),
            "where_category": _median_ms(
                lambda: collection.query(
                    query_embeddings=[query], n_results=10, where=where_middling
                ),
                reps,
            ),
            "where_price_lte_5": _median_ms(
                lambda: collection.query(query_embeddings=[query], n_results=10, where=price_where),
                reps,
            ),
        }

        def numpy_top10(category: str | None) -> np.ndarray:
            scores = catalog.vectors @ query
            mask = catalog.filter_mask(category=category)
            candidates = np.flatnonzero(mask)
            best = candidates[np.argpartition(-scores[candidates], 9)[:10]]
            return best[np.argsort(-scores[best])]

        numpy_ms = {
            "no_filter": _median_ms(lambda: numpy_top10(None), reps * 5),
            "where_category": _median_ms(lambda: numpy_top10(middling.lower()), reps * 5),
        }
    return {
        "items": len(catalog),
        "categories": len(counts),
        "get_where_category": get_where,
        "query_first_ms": round(first_query_ms, 3),
        "query_top10_ms": query_ms,
        "numpy_top10_ms": numpy_ms,
    }
