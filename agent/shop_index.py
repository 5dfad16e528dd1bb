"""The shop-wide, in-memory side of scoring: the catalog matrix and the interaction snapshot.

Loaded from the stores once, kept current as items arrive, and the interaction
snapshot rebuilt when it has gone stale (after ingestion, or when enough new events
have come in), never on every request.

With :class:`~agent.snapshot.shop.ShopSnapshots`, both are also saved under the home
when built and loaded from there at the next start while they are still current, so
a process that starts finds them ready instead of reading every item and every event.

Several processes on one snapshot folder (``tactful serve --workers N``, on one machine
or several) share the interaction snapshot. At most one load or build runs beside the
answers in each process; the index it made is swapped in, whole, between two answers,
unless something since (an erasure, a catalog change) ruled it out or the one in hand is
newer. No answer waits for it, and none sees two indexes.

- **Taking up a newer one.** Before each answer a process checks, at most every
  ``poll_seconds`` and with one ``stat``, whether the saved index file changed. When it
  did, it loads and checks the saved index in the background.
- **Building once.** A build holds the snapshot folder's build lock. A process with no
  index it may use (at a start with nothing current saved, or after a catalog change)
  waits for the lock, then takes what the holder saved if that fits, and builds only if
  not. A process whose index went stale (5,000 new events or a day) rebuilds it in the
  background, unless another process holds the lock: then it keeps answering with its
  own until the new one is saved. One two days older than the clock (a process idle
  that long, a clock moved on) is rebuilt before the answer instead.
- **Erasures.** The change feed names nobody, so before its next answer a process takes
  whoever has no events left out of the index in hand, and then rebuilds in the
  background as for a stale one: until then the shop-wide sums (co-engagement,
  popularity, trends) still hold the erased shopper's share, in memory only.
- **Refresh as a job.** With ``refresh="job"`` a stale index is never rebuilt by a
  running process: ``tactful refresh`` rebuilds and saves it, and every process takes it
  up as above. A process still builds one when it has none it may use, or after an
  erasure.
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

from agent.memory import map_large_blocks_apart, release_freed_memory
from agent.snapshot.config import RefreshMode
from agent.snapshot.files import Stamp
from agent.snapshot.shop import BuildStart, SavedInteractions, ShopSnapshots
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
#: An index this many days older than the clock is rebuilt before the answer, not beside it.
OUTDATED_AFTER_DAYS = 2 * REBUILD_AFTER_DAYS

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


@dataclass(frozen=True)
class _Candidate:
    """An interaction index to swap in for the one in hand, and where it stands."""

    index: InteractionIndex
    #: The change feed's position just before its events were read (None: not known,
    #: as without snapshots).
    position: int | None
    version: int | None  # its saved version (None: not saved)
    stamp: Stamp | None  # its saved file's stamp
    #: Events stored since it was built (None: those noted here since ``noted``).
    new_events: int | None
    noted: int  # the process's count of noted events when the work on it began
    generation: int  # the index's generation when the work on it began
    how: str


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
        map_large_blocks_apart()  # or each rebuild leaves the process a little larger
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
        #: Every event noted by this process, to count those noted while a background
        #: build read the stores.
        self._noted = 0
        # Set by every load of the catalog: the first ranking after it looks for a saved
        # interaction index before building one.
        self._look_for_saved_interactions = False
        #: Loads and rebuilds under way that answers wait for; read from other threads
        #: by the readiness probe.
        self._builds = 0
        #: Where the index in hand stands: the change feed's position before its events
        #: were read, and when it was built. Another replaces it only when newer.
        self._stands: tuple[int, datetime] | None = None
        #: At most one load or build at a time runs beside the answers; what it made
        #: waits in ``_candidate`` for the swap between two answers.
        self._background: threading.Thread | None = None
        self._candidate: _Candidate | None = None
        #: Bumped by whatever rules out an index begun before it (an erasure, a drop):
        #: background work begun before is then thrown away.
        self._generation = 0
        #: Someone was erased since the index in hand was built: their rows are out of
        #: it, but the shop-wide sums built from everyone keep their share until rebuilt.
        self._owes_rebuild = False
        self._next_look = 0.0
        self._next_build = 0.0
        #: The saved index file last taken up, saved here, or loaded in the background.
        self._seen: Stamp | None = None
        #: The saved index file last taken up, saved here, or judged while answering.
        self._judged: Stamp | None = None
        #: The saved version of the index in hand (None: none yet, or built here and
        #: not saved).
        self.version: int | None = None

    @property
    def building(self) -> bool:
        """Whether the catalog or the interaction snapshot is being loaded or rebuilt while
        answers wait for it."""
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
        self._noted += count

    def invalidate(self) -> None:
        self._drop()
        self._look_for_saved_interactions = False

    def _drop(self) -> None:
        self.interactions = None
        self._stands = None
        self.version = None
        self._generation += 1

    def shoppers_erased(self) -> None:
        """Someone was erased, here or in another process (the change feed names nobody).

        Whoever has no event stored any more is taken out of the index in hand at once, so
        the next answer neither finds them as a similar shopper nor counts them; the
        next ranking starts a rebuild in the background, which takes their share out of
        the shop-wide sums too. Nothing begun before now is swapped in.
        """
        self._generation += 1
        self._owes_rebuild = True
        if self.interactions is None:
            return
        remaining = self._records.shoppers_with_events()
        gone = [s for s in self.interactions.shopper_ids if s not in remaining]
        if gone:
            self.interactions = self.interactions.without(gone)
            self.version = None  # no longer the saved version it came from

    def forget_saved_interactions(self) -> None:
        """Someone was erased here: delete the saved index too (it may hold them)."""
        if self._snapshots is not None:
            self._snapshots.forget_interactions()
        self.shoppers_erased()

    def current(self, now: datetime) -> InteractionIndex:
        """The interaction snapshot: built (or taken from another process) first if there
        is none; when it is stale and this process rebuilds, or holds an erased shopper's
        share, a rebuild starts in the background and this one serves meanwhile."""
        if self.interactions is None and self._look_for_saved_interactions:
            self._look_for_saved_interactions = False
            self._load_saved_interactions(now, at_start=True)
        if self.interactions is None:
            self._build(now, wait=True)
        elif self._refresh == "auto" and self._outdated(now):
            self._build(now, wait=False)
        elif self._owes_rebuild or (self._refresh == "auto" and self._stale(now)):
            self._build_in_background(now)
        assert self.interactions is not None
        return self.interactions

    def _stale(self, now: datetime) -> bool:
        return (
            self._events_since_build >= REBUILD_AFTER_EVENTS
            or self._age_days(now) > REBUILD_AFTER_DAYS
        )

    def _outdated(self, now: datetime) -> bool:
        """Too old to answer with even while a rebuild runs (a process idle for days, a
        clock moved on): its ages of what shoppers chose and its trends are a day off."""
        return self._age_days(now) > OUTDATED_AFTER_DAYS

    def _age_days(self, now: datetime) -> float:
        assert self.interactions is not None
        return abs((now - self.interactions.built_at).total_seconds()) / 86400

    @_building
    def _build(self, now: datetime, *, wait: bool) -> None:
        """Build the index under the build lock, unless another process saved one that
        fits while this one waited for it. Without ``wait``, when another holds the lock,
        keep the index in hand: the one being built is taken up when saved."""
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
        found = self._saved_since_judged(now, held_now=at_start)
        if found is None:
            return False
        saved, stamp = found
        how = "at the start" if at_start else "saved by another process"
        candidate = _saved_candidate(saved, stamp, how, self._generation, self._noted)
        if not self._newer(candidate):
            return False
        self._take(candidate)
        return True

    def _saved_since_judged(
        self, now: datetime, *, held_now: bool
    ) -> tuple[SavedInteractions, Stamp] | None:
        """The saved index, unless it is the one last judged or may not be used now."""
        if self._snapshots is None:
            return None
        stamp = self._snapshots.interactions_stamp()
        if stamp is None or stamp == self._judged:
            return None
        self._judged = stamp
        job = self._refresh == "job"
        saved = self._snapshots.interactions(
            self.catalog,
            self._excluded_events() if held_now and not job else None,
            now=now,
            max_new_events=float("inf") if job else REBUILD_AFTER_EVENTS,
            max_age_days=float("inf") if job else REBUILD_AFTER_DAYS,
        )
        return None if saved is None else (saved, stamp)

    def _newer(self, candidate: _Candidate) -> bool:
        if self._stands is None or candidate.position is None:
            return True
        return (candidate.position, candidate.index.built_at) > self._stands

    def _take(self, candidate: _Candidate) -> None:
        log.info(
            "Took up shop-wide snapshot %s (%s)",
            "built here" if candidate.version is None else f"version {candidate.version}",
            candidate.how,
        )
        self.interactions = candidate.index
        self._events_since_build = (
            self._noted - candidate.noted if candidate.new_events is None else candidate.new_events
        )
        self._stands = (
            None if candidate.position is None else (candidate.position, candidate.index.built_at)
        )
        if candidate.stamp is not None:
            self._seen = self._judged = candidate.stamp
        self.version = candidate.version
        self._owes_rebuild = False
        # The index let go of, here or at the drop before: without this a worker kept
        # some 25 MB more after each one it took up at the full Online Retail catalog (in
        # the soak, 10 minutes). It takes 2 to 3 ms there.
        release_freed_memory()

    def take_newer(self, now: datetime) -> None:
        """Swap in the index a background load or build finished; and look for a newer
        one another process saved, at most every ``poll_seconds``, loading it in the
        background.

        Called before every answer, so a swap happens between answers, never during one.
        Costs a clock reading, and one ``stat`` when it is time to look.
        """
        self._swap_finished()
        if self._snapshots is None or self.interactions is None or self._background is not None:
            return  # with none in hand, the next ranking takes up or builds one itself
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
        self._start("load", self._load_in_background, found, self.catalog, now)

    def _swap_finished(self) -> None:
        if self._background is None or self._background.is_alive():
            return
        self._background = None
        candidate, self._candidate = self._candidate, None
        # Not one begun before an erasure or a drop, nor one older than the index in hand.
        if (
            candidate is not None
            and candidate.generation == self._generation
            and self._newer(candidate)
        ):
            self._take(candidate)

    def _build_in_background(self, now: datetime) -> None:
        """Start a rebuild beside the answers, unless one (or a load) is under way; tried
        at most every ``poll_seconds`` while another process holds the build lock."""
        moment = time.monotonic()
        if self._background is not None or moment < self._next_build:
            return
        self._next_build = moment + self._poll_seconds
        self._start("build", self._build_beside, self.catalog, now)

    def _start(self, what: str, work: Callable[..., None], *args: object) -> None:
        self._background = threading.Thread(
            target=work,
            args=(*args, self._generation, self._noted),
            name=f"tactful-snapshot-{what}",
            daemon=True,
        )
        self._background.start()

    def _load_in_background(
        self, stamp: Stamp, catalog: CatalogIndex, now: datetime, generation: int, noted: int
    ) -> None:
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
            how = "loaded in the background"
            self._candidate = _saved_candidate(saved, stamp, how, generation, noted)

    def _build_beside(
        self, catalog: CatalogIndex, now: datetime, generation: int, noted: int
    ) -> None:
        """Build an index for the swap, under the build lock: unless another process holds
        it (its index is taken up once saved), or saved one this may use meanwhile."""
        how = "built in the background"
        try:
            if self._snapshots is None:
                index, _, _, _ = self._fresh(now, catalog)
                self._candidate = _Candidate(index, None, None, None, None, noted, generation, how)
                return
            with self._snapshots.building(wait=False) as ours:
                if not ours:
                    return
                found = self._saved_since_judged(now, held_now=False)
                if found is not None:
                    saved, stamp = found
                    how = "saved by another process"
                    self._candidate = _saved_candidate(saved, stamp, how, generation, noted)
                    return
                index, start, _, version = self._fresh(now, catalog)
                saved_as = self._snapshots.interactions_stamp() if version is not None else None
                position = None if start is None else start.position
                self._candidate = _Candidate(
                    index, position, version, saved_as, None, noted, generation, how
                )
        except Exception:  # the index in hand serves on; the next ranking tries again
            log.warning("Could not rebuild the shop-wide snapshot", exc_info=True)

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
        index, start, count, version = self._fresh(now, self.catalog)
        self.interactions = index
        self._events_since_build = 0
        self._look_for_saved_interactions = False
        self._owes_rebuild = False
        self.version = version
        if self._snapshots is not None and start is not None:
            self._stands = (start.position, index.built_at)
            # This process's own save is no news to it.
            self._seen = self._judged = self._snapshots.interactions_stamp()
        return Rebuilt(count, version)

    def _fresh(
        self, now: datetime, catalog: CatalogIndex
    ) -> tuple[InteractionIndex, BuildStart | None, int, int | None]:
        """An index built from the stores now for ``catalog``, and saved when there are
        snapshots (the caller holds the build lock): it, where its build started, how
        many events it was built from, and the version saved (None: not saved)."""
        start = self._snapshots.start_build() if self._snapshots is not None else None
        events = self._records.event_columns()
        release_freed_memory()  # the pages of rows the columns were read from
        held = self._excluded_events()
        index = InteractionIndex.build(
            events,
            catalog,
            now=now,
            policy=self._policy,
            countries=self._records.shopper_countries(),
            excluded_event_ids=held,
            fit_latent=self._fit_latent,
        )
        count = len(events)
        del events
        release_freed_memory()  # every event's columns, and the build's working arrays
        if self._snapshots is None or start is None:
            return index, start, count, None
        # Under the build lock, so no other process saves meanwhile: waiting for the
        # folder's lock (an erasure's, or a catalog save's) costs little.
        version = self._snapshots.save_interactions(
            index, start=start, events=count, held=held, catalog=catalog, wait=True
        )
        release_freed_memory()  # the buffers the arrays were written through
        return index, start, count, version

    def close(self) -> None:
        """Wait for a load or build under way beside the answers (a build holds the build
        lock and may be writing the snapshot folder)."""
        if self._background is not None:
            self._background.join()


def _saved_candidate(
    saved: SavedInteractions, stamp: Stamp, how: str, generation: int, noted: int
) -> _Candidate:
    return _Candidate(
        saved.index,
        saved.position,
        saved.version,
        stamp,
        saved.new_events,
        noted,
        generation,
        how,
    )
