"""The shop-wide, in-memory side of scoring: the catalog matrix and the interaction snapshot.

Loaded from the stores once, kept current as items arrive, and the interaction
snapshot rebuilt when it has gone stale (after ingestion, or when enough new events
have come in), never on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from agent.stores.records import RecordStore
from agent.stores.vectors import ChromaVectorStore
from tools.catalog_index import CatalogIndex
from tools.interactions import InteractionIndex
from tools.signals import DecayPolicy
from tools.types import CatalogItem

#: Rebuild the shop-wide snapshot after this many new events…
REBUILD_AFTER_EVENTS = 5000
#: …or when it is this many days older than the clock.
REBUILD_AFTER_DAYS = 1.0


class ShopIndex:
    """Catalog vectors and shop-wide interactions, ready for the ranker."""

    def __init__(
        self,
        records: RecordStore,
        vectors: ChromaVectorStore,
        policy: DecayPolicy,
        dim: int,
        excluded_events: Callable[[], frozenset[str]],
    ) -> None:
        self._records = records
        self._vectors = vectors
        self._policy = policy
        self._excluded_events = excluded_events
        self.catalog = CatalogIndex.empty(dim)
        self.interactions: InteractionIndex | None = None
        self._events_since_build = 0

    def load_catalog(self) -> None:
        items: list[CatalogItem] = []
        chunks: list[np.ndarray] = []
        for batch_items, batch_vectors in self._vectors.iter_items():
            items.extend(batch_items)
            chunks.append(batch_vectors)
        if items:
            self.catalog = CatalogIndex(items, np.vstack(chunks))
        self.interactions = None

    def add_items(self, items: Sequence[CatalogItem], vectors: np.ndarray) -> None:
        self.catalog.upsert(items, vectors)
        self.interactions = None  # item columns changed

    def held(self, item: CatalogItem) -> CatalogItem | None:
        """The item with this id as the catalog holds it now, if it does."""
        row = self.catalog.row(item.item_id)
        return None if row is None else self.catalog.items[row]

    def note_events(self, count: int) -> None:
        self._events_since_build += count

    def invalidate(self) -> None:
        self.interactions = None

    def current(self, now: datetime) -> InteractionIndex:
        """The interaction snapshot, rebuilt first if it is missing or stale."""
        stale = (
            self.interactions is None
            or self._events_since_build >= REBUILD_AFTER_EVENTS
            or abs((now - self.interactions.built_at).total_seconds()) > REBUILD_AFTER_DAYS * 86400
        )
        if stale:
            self.rebuild(now)
        assert self.interactions is not None
        return self.interactions

    def rebuild(self, now: datetime) -> None:
        self.interactions = InteractionIndex.build(
            self._records.event_columns(),
            self.catalog,
            now=now,
            policy=self._policy,
            countries=self._records.shopper_countries(),
            excluded_event_ids=self._excluded_events(),
        )
        self._events_since_build = 0
