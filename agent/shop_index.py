"""The shop-wide, in-memory side of scoring: the catalog matrix and the interaction snapshot.

Loaded from the stores once, kept current as items arrive, and the interaction
snapshot rebuilt when it has gone stale (after ingestion, or when enough new events
have come in), never on every request.

With :class:`~agent.snapshot.shop.ShopSnapshots`, both are also saved under the home
when built and loaded from there at the next start while they are still current, so
a process that starts finds them ready instead of reading every item and every event.

Several processes on one snapshot folder (``tactful serve --workers N``, on one machine
or several) share the interaction snapshot:

- **Taking up a newer one.** Before each answer a process checks, at most every
  ``poll_seconds`` and with one ``stat``, whether the saved index file changed. When it
  did, a background thread loads and checks the saved index while answers go on with
  the one in hand; the answer after it finished swaps it in, whole, if it is newer than
  the one in hand and nothing since (an erasure, a catalog change) ruled it out. No
  answer waits for the load, and none sees two indexes.
- **Building once.** A build holds the snapshot folder's build lock. A process with no
  index it may use (at a start with nothing current saved, after an erasure or a catalog
  change) waits for the lock, then takes what the holder saved if that fits, and builds
  only if not. A process whose index merely went stale (5,000 new events or a day) and
  finds the lock taken keeps answering with its own until the new one is saved.
- **Refresh as a job.** With ``refresh="job"`` a stale index is never rebuilt by a
  running process: ``tactful refresh`` rebuilds and saves it, and every process takes it
  up as above. A process still builds one when it has none it may use.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar

import numpy as np

from agent.memory import release_freed_memory
from agent.snapshot.config import RefreshMode
from agent.snapshot.files import Stamp
from agent.snapshot.shop import SavedInteractions, ShopSnapshots
from agent.stores.records import RecordStore
from agent.stores.vectors import ChromaVectorStore
from tools.catalog_index import CatalogIndex
from tools.interactions import InteractionIndex
from tools.signals import DecayPolicy
from tools.types import CatalogItem

log = logging.getLogger(__name__)

#: Rebuild the shop-wide snapshot after this many new events…
REBUILD_AFTER_EVENTS = 5000
#: …or when it is this many days older than the clock.
REBUILD_AFTER_DAYS = 1.0

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _building(
    method: Callable[Concatenate[ShopIndex, _P], _R],
) -> Callable[Concatenate[ShopIndex, _P], _R]:
    """Mark the index as building while ``method`` loads or rebuilds it."""

    @functools.wraps(method)
    def marked(self: ShopIndex, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        self._builds += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            self._builds -= 1

    return marked


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild of the interaction snapshot did."""

    events: int  # how many events it was built from
    version: int | None  # the version saved, or None when none was


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
        refresh: RefreshMode = "auto",
        poll_seconds: float = 5.0,
    ) -> None:
        self._records = records
        #: Whether a rebuild fits the latent factors at once (the ranking weighs them)
        #: rather than on first use.
        self._fit_latent = fit_latent
        self._vectors = vectors
        self._policy = policy
        self._excluded_events = excluded_events
        self._snapshots = snapshots
        self._refresh = refresh
        self._poll_seconds = poll_seconds
        self.catalog = CatalogIndex.empty(dim)
        self.interactions: InteractionIndex | None = None
        self._events_since_build = 0
        # Set by every load of the catalog: the first ranking after it looks for a saved
        # interaction index before building one.
        self._look_for_saved_interactions = False
        #: Loads and rebuilds under way; read from other threads by the readiness probe.
        self._builds = 0
        #: Where the index in hand stands: the change feed's position before its events
        #: were read, and when it was built. A saved one replaces it only when newer.
        self._stands: tuple[int, datetime] | None = None
        self._loader: threading.Thread | None = None
        self._loaded: tuple[SavedInteractions, Stamp] | None = None
        self._next_look = 0.0
        #: The saved index file last taken up, saved here, or loaded in the background.
        self._seen: Stamp | None = None
        #: The saved index file last taken up, saved here, or judged while answering.
        self._judged: Stamp | None = None
        #: The saved version of the index in hand (None: none yet, or built here and
        #: not saved).
        self.version: int | None = None

    @property
    def building(self) -> bool:
        """Whether the catalog or the interaction snapshot is being loaded or rebuilt now."""
        return self._builds > 0

    @_building
    def load_catalog(self) -> None:
        """The catalog as saved, when that is current; else read from the vector store
        (and saved for the next start)."""
        self._drop()
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
        self._drop()  # item columns changed
        self._look_for_saved_interactions = False

    def held(self, item: CatalogItem) -> CatalogItem | None:
        """The item with this id as the catalog holds it now, if it does."""
        row = self.catalog.row(item.item_id)
        return None if row is None else self.catalog.items[row]

    def note_events(self, count: int) -> None:
        self._events_since_build += count

    def invalidate(self) -> None:
        self._drop()
        self._look_for_saved_interactions = False

    def _drop(self) -> None:
        self.interactions = None
        self._stands = None
        self.version = None

    def forget_saved_interactions(self) -> None:
        """Drop the interaction snapshot here and on disk (someone was erased)."""
        self.invalidate()
        if self._snapshots is not None:
            self._snapshots.forget_interactions()

    def current(self, now: datetime) -> InteractionIndex:
        """The interaction snapshot, built (or taken from another process) first if there
        is none, and rebuilt first if it is stale and this process rebuilds."""
        if self.interactions is None and self._look_for_saved_interactions:
            self._look_for_saved_interactions = False
            self._load_saved_interactions(now, at_start=True)
        if self.interactions is None:
            self._build(now, wait=True)
        elif self._refresh == "auto" and self._stale(now):
            self._build(now, wait=False)
        assert self.interactions is not None
        return self.interactions

    def _stale(self, now: datetime) -> bool:
        assert self.interactions is not None
        age = abs((now - self.interactions.built_at).total_seconds())
        return self._events_since_build >= REBUILD_AFTER_EVENTS or age > REBUILD_AFTER_DAYS * 86400

    @_building
    def _build(self, now: datetime, *, wait: bool) -> None:
        """Build the index under the build lock, unless another process saved one that
        fits while this one waited for it. Without ``wait``, when another process holds
        the lock, keep the index in hand: the one being built is taken up when saved."""
        if self._snapshots is None:
            self._rebuild(now)
            return
        with self._snapshots.building(wait=wait) as ours:
            if ours and not self._load_saved_interactions(now, at_start=False):
                self._rebuild(now)

    @_building
    def _load_saved_interactions(self, now: datetime, *, at_start: bool) -> bool:
        """Take the saved index if it may be used now and is newer than the one in hand;
        whether it did.

        At a start it stands for a build from the stores, so it must have been built with
        the events held now (unless refreshing is a job: then the job's snapshot serves
        every process until the job saves the next, whatever came since). Later, only one
        saved since this process last looked is considered: one saved by another process,
        whose build took the place of this one's (the held events are those of when it was
        built, as this process's own rebuild would have had them).
        """
        if self._snapshots is None:
            return False
        stamp = self._snapshots.interactions_stamp()
        if stamp is None or (not at_start and stamp == self._judged):
            return False
        self._judged = stamp
        job = self._refresh == "job"
        saved = self._snapshots.interactions(
            self.catalog,
            self._excluded_events() if at_start and not job else None,
            now=now,
            max_new_events=float("inf") if job else REBUILD_AFTER_EVENTS,
            max_age_days=float("inf") if job else REBUILD_AFTER_DAYS,
        )
        if saved is None or not self._newer(saved):
            return False
        self._take(saved, stamp, "at the start" if at_start else "saved by another process")
        return True

    def _newer(self, saved: SavedInteractions) -> bool:
        return self._stands is None or (saved.position, saved.index.built_at) > self._stands

    def _take(self, saved: SavedInteractions, stamp: Stamp, how: str) -> None:
        log.info("Took up shop-wide snapshot version %d (%s)", saved.version, how)
        self.interactions = saved.index
        self._events_since_build = saved.new_events
        self._stands = (saved.position, saved.index.built_at)
        self._seen = self._judged = stamp
        self.version = saved.version
        # The index let go of, here or at the drop before: without this a worker kept
        # some 25 MB more after each one it took up at the full Online Retail catalog (in
        # the soak, 10 minutes). It takes 2 to 3 ms there.
        release_freed_memory()

    def take_newer(self, now: datetime) -> None:
        """Swap in a newer interaction snapshot that another process saved, once a
        background thread has loaded it; and look for one, at most every ``poll_seconds``.

        Called before every answer, so a swap happens between answers, never during one.
        Costs a clock reading, and one ``stat`` when it is time to look.
        """
        if self._snapshots is None:
            return
        if self._loader is not None:
            if self._loader.is_alive():
                return
            self._loader = None
            loaded, self._loaded = self._loaded, None
            if loaded is not None:
                saved, stamp = loaded
                # Not after a drop (an erasure, a catalog change): the next ranking takes
                # up or builds one made since. Nor when one newer was built or taken.
                if self.interactions is not None and self._newer(saved):
                    self._take(saved, stamp, "loaded in the background")
        if self.interactions is None:
            return  # the next ranking takes up or builds one itself
        moment = time.monotonic()
        if moment < self._next_look:
            return
        self._next_look = moment + self._poll_seconds
        found = self._snapshots.interactions_stamp()
        if found is None or found == self._seen:
            return
        # Looked at once, whatever the load finds: one that cannot be used is not loaded
        # again and again.
        self._seen = found
        self._loader = threading.Thread(
            target=self._load_in_background,
            args=(found, self.catalog, now),
            name="tactful-snapshot-load",
            daemon=True,
        )
        self._loader.start()

    def _load_in_background(self, stamp: Stamp, catalog: CatalogIndex, now: datetime) -> None:
        assert self._snapshots is not None
        try:
            saved = self._snapshots.interactions(
                catalog, None, now=now, max_new_events=float("inf"), max_age_days=float("inf")
            )
        except Exception:  # the index in hand serves on; the stores still hold the truth
            log.warning(
                "Could not load the shop-wide snapshot saved by another process", exc_info=True
            )
            return
        if saved is not None:
            self._loaded = (saved, stamp)

    @_building
    def rebuild(self, now: datetime) -> Rebuilt:
        """Build the interaction snapshot from the stores now, under the build lock (after
        any build under way elsewhere), and save it."""
        if self._snapshots is None:
            return self._rebuild(now)
        with self._snapshots.building(wait=True):
            return self._rebuild(now)

    def _rebuild(self, now: datetime) -> Rebuilt:
        # Let the old index go first: at 100k items two at once would not fit in 1 GB.
        self._drop()
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
        if self._snapshots is None or start is None:
            return Rebuilt(count, None)
        self._stands = (start.position, self.interactions.built_at)
        # Under the build lock, so no other process saves meanwhile: waiting for the
        # folder's lock (an erasure's, or a catalog save's) costs little.
        version = self._snapshots.save_interactions(
            self.interactions,
            start=start,
            events=count,
            held=held,
            catalog=self.catalog,
            wait=True,
        )
        release_freed_memory()  # the buffers the arrays were written through
        # This process's own save is no news to it.
        self._seen = self._judged = self._snapshots.interactions_stamp()
        self.version = version
        return Rebuilt(count, version)
