"""The shop-wide, in-memory side of scoring: the catalog matrix and the interaction snapshot.

Loaded from the stores once, kept current as items arrive, and the interaction
snapshot rebuilt when it has gone stale (after ingestion, or when enough new events
have come in), never on every request.

With :class:`~agent.snapshot.shop.ShopSnapshots`, both are also saved under the home
when built and loaded from there at the next start while they are still current, so
a process that starts finds them ready instead of reading every item and every event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from agent.memory import release_freed_memory
from agent.snapshot.shop import ShopSnapshots
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
        snapshots: ShopSnapshots | None = None,
        *,
        fit_latent: bool = True,
    ) -> None:
        self._records = records
        #: Whether a rebuild fits the latent factors at once (the ranking weighs them)
        #: rather than on first use.
        self._fit_latent = fit_latent
        self._vectors = vectors
        self._policy = policy
        self._excluded_events = excluded_events
        self._snapshots = snapshots
        self.catalog = CatalogIndex.empty(dim)
        self.interactions: InteractionIndex | None = None
        self._events_since_build = 0
        # Set by every load of the catalog: the first ranking after it looks for a saved
        # interaction index before building one.
        self._look_for_saved_interactions = False

    def load_catalog(self) -> None:
        """The catalog as saved, when that is current; else read from the vector store
        (and saved for the next start)."""
        self.interactions = None
        self._look_for_saved_interactions = True
        saved = self._snapshots.catalog() if self._snapshots is not None else None
        if saved is not None:
            self.catalog = saved
            return
        # Read first: a change made while the items are read is then seen again, not missed.
        position = self._records.changes.latest()
        items: list[CatalogItem] = []
        chunks: list[np.ndarray] = []
        for batch_items, batch_vectors in self._vectors.iter_items():
            items.extend(batch_items)
            chunks.append(batch_vectors)
        if items:
            self.catalog = CatalogIndex(items, np.vstack(chunks))
        del items, chunks
        if self._snapshots is not None:
            self._snapshots.save_catalog(self.catalog, position)
        release_freed_memory()  # the pages Chroma handed over, copied into one matrix

    def add_items(self, items: Sequence[CatalogItem], vectors: np.ndarray) -> None:
        self.catalog.upsert(items, vectors)
        self.interactions = None  # item columns changed
        self._look_for_saved_interactions = False

    def held(self, item: CatalogItem) -> CatalogItem | None:
        """The item with this id as the catalog holds it now, if it does."""
        row = self.catalog.row(item.item_id)
        return None if row is None else self.catalog.items[row]

    def note_events(self, count: int) -> None:
        self._events_since_build += count

    def invalidate(self) -> None:
        self.interactions = None
        self._look_for_saved_interactions = False

    def forget_saved_interactions(self) -> None:
        """Drop the interaction snapshot here and on disk (someone was erased)."""
        self.invalidate()
        if self._snapshots is not None:
            self._snapshots.forget_interactions()

    def current(self, now: datetime) -> InteractionIndex:
        """The interaction snapshot, rebuilt first if it is missing or stale."""
        if self.interactions is None and self._look_for_saved_interactions:
            self._look_for_saved_interactions = False
            self._load_saved_interactions(now)
        stale = (
            self.interactions is None
            or self._events_since_build >= REBUILD_AFTER_EVENTS
            or abs((now - self.interactions.built_at).total_seconds()) > REBUILD_AFTER_DAYS * 86400
        )
        if stale:
            self.rebuild(now)
        assert self.interactions is not None
        return self.interactions

    def _load_saved_interactions(self, now: datetime) -> None:
        if self._snapshots is None:
            return
        saved = self._snapshots.interactions(
            self.catalog,
            self._excluded_events(),
            now=now,
            max_new_events=REBUILD_AFTER_EVENTS,
            max_age_days=REBUILD_AFTER_DAYS,
        )
        if saved is not None:
            self.interactions = saved.index
            self._events_since_build = saved.new_events

    def rebuild(self, now: datetime) -> None:
        # Let the old index go first: at 100k items two at once would not fit in 1 GB.
        self.interactions = None
        start = self._snapshots.start_build() if self._snapshots is not None else None
        events = self._records.event_columns()
        release_freed_memory()  # the pages of rows the columns were read from
        held = self._excluded_events()
        self.interactions = InteractionIndex.build(
            events,
            self.catalog,
            now=now,
            policy=self._policy,
            countries=self._records.shopper_countries(),
            excluded_event_ids=held,
            fit_latent=self._fit_latent,
        )
        self._events_since_build = 0
        self._look_for_saved_interactions = False
        count = len(events)
        del events
        release_freed_memory()  # every event's columns, and the build's working arrays
        if self._snapshots is not None and start is not None:
            self._snapshots.save_interactions(
                self.interactions, start=start, events=count, held=held, catalog=self.catalog
            )
