"""The shop index's two snapshots, and how each one knows whether it is still current.

Each is saved with a key: what it was built from. It is used only when every part of
the key still holds; anything else (another key, a file that cannot be read) means the
stores are read as before and the snapshot saved anew.

- **Catalog** (item records and vectors), saved exactly as read from the vector store
  (never after a change in memory: Chroma hands back its own normalised copy of each
  vector, and a start must rank with what a start reads). Its key: the format, the
  embedding model and its dimension, where the items live (an embedded store inside
  this home, or a server's URL), the change feed's era, and the feed position read just
  before the items were. Every process that writes an item announces it in the feed
  (:meth:`Tactful.ingest_items`), so one catalog change after that position makes the
  snapshot stale.
- **Interactions** (the shop-wide :class:`InteractionIndex`): the format, a digest of
  the code that builds it, the decay policy, a digest of the catalog's item ids in row
  order (its columns), the feed's era and position when it was built, how many events
  it was built from, a digest of the events held back for a question, and when it was
  built. An erasure after that position makes it unusable (it may hold the erased
  shopper); so does a different held set at a start. New events count towards the usual
  rebuild after :data:`~agent.shop_index.REBUILD_AFTER_EVENTS` of them, and its age
  towards the rebuild after a day, exactly as for an index built in this process (which
  does not watch shoppers' countries either: those are read when it is built).

  A running process may also replace the index it holds with a newer one another process
  saved (``tactful refresh``, or another worker). Then the held set is not compared: the
  index in hand was built with the events held when it was built, and a newer one with
  those held later, as this process's own rebuild at that time would have held them.
  Each save keeps the version before it on disk (see :mod:`agent.snapshot.files`).
"""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from agent.snapshot.catalog import catalog_parts, read_catalog
from agent.snapshot.files import Saved, SnapshotFiles, Stamp
from agent.snapshot.interactions import interaction_parts, read_interactions
from agent.stores.records import RecordStore
from agent.stores.sql.changes import ChangeKind
from tools.catalog_index import CatalogIndex
from tools.interactions import InteractionIndex
from tools.signals import DecayPolicy

#: Bump when what a snapshot's files hold changes.
FORMAT = 2
CATALOG = "catalog"
INTERACTIONS = "interactions"
#: Versions of the interaction snapshot kept on disk: the newest, and the one before it
#: for a process that read the index file just before the newest replaced it.
KEEP_INTERACTIONS = 2
#: The modules whose code decides what a rebuilt interaction index holds.
_BUILDERS = (
    "tools.interactions",
    "tools.buy_again",
    "tools.sequence",
    "tools.latent",
    "tools.signals",
    "agent.stores.records",
)


class CatalogKey(BaseModel):
    """What a catalog snapshot was built from."""

    format: int = FORMAT
    model_id: str
    dim: int
    items_in: str  # "embedded" (this home's Chroma folder) or the Chroma server's URL
    era: str  # the change feed's era
    position: int  # every catalog change up to here in the change feed is in it


class InteractionsKey(BaseModel):
    """What an interactions snapshot was built from."""

    format: int = FORMAT
    code: str
    policy: DecayPolicy
    items: str  # digest of the catalog's item ids in row order: the columns it was built for
    era: str
    position: int  # the change feed's position just before its events were read
    events: int  # how many events it was built from
    held: str  # digest of the events held back for a question
    built_at: datetime


Key = TypeVar("Key", CatalogKey, InteractionsKey)


@dataclass(frozen=True)
class SavedInteractions:
    index: InteractionIndex
    new_events: int  # events stored since it was built
    position: int  # the change feed's position just before its events were read
    version: int  # counts the saves in its folder (see agent.snapshot.files)


@dataclass(frozen=True)
class BuildStart:
    """Where the stores stood just before an interaction index read its events."""

    era: str
    position: int


class ShopSnapshots:
    """The catalog and interaction snapshots of one home's stores."""

    def __init__(
        self,
        folder: Path,
        *,
        records: RecordStore,
        items_in: str,
        model_id: str,
        dim: int,
        policy: DecayPolicy,
    ) -> None:
        self._files = SnapshotFiles(folder)
        self._records = records
        self._items_in = items_in
        self._model_id = model_id
        self._dim = dim
        self._policy = policy

    # -- catalog --------------------------------------------------------------------------
    def catalog(self) -> CatalogIndex | None:
        """The saved catalog, if it holds every catalog change made since it was saved."""
        found = self._read(CATALOG, CatalogKey)
        if found is None:
            return None
        saved, key = found
        feed = self._records.changes
        expected = self._catalog_key(key.position)
        if key != expected or key.position > feed.latest():
            return None
        if ChangeKind.CATALOG in feed.kinds_since(key.position):
            return None
        try:
            return read_catalog(saved, self._dim)
        except Exception:  # whatever fails in reading it, the stores still hold the truth
            return None

    def save_catalog(self, catalog: CatalogIndex, position: int) -> None:
        """Save ``catalog`` as just read from the vector store, after reading the change
        feed's ``position``."""
        key = self._catalog_key(position)
        self._files.write(CATALOG, key.model_dump(mode="json"), catalog_parts(catalog))

    def _catalog_key(self, position: int) -> CatalogKey:
        return CatalogKey(
            model_id=self._model_id,
            dim=self._dim,
            items_in=self._items_in,
            era=self._records.changes.era,
            position=position,
        )

    # -- interactions ---------------------------------------------------------------------
    def start_build(self) -> BuildStart:
        """Read before the events an index is built from: see :meth:`save_interactions`."""
        return BuildStart(self._records.changes.era, self._records.changes.latest())

    def interactions(
        self,
        catalog: CatalogIndex,
        held: frozenset[str] | None,
        *,
        now: datetime,
        max_new_events: float,
        max_age_days: float,
    ) -> SavedInteractions | None:
        """The saved index, if it was built for ``catalog``'s rows under this policy, with the
        same events held (not compared when ``held`` is None), nobody erased since, fewer
        than ``max_new_events`` events stored since and at most ``max_age_days`` from
        ``now``."""
        found = self._read(INTERACTIONS, InteractionsKey)
        if found is None:
            return None
        saved, key = found
        feed = self._records.changes
        fits = (
            key.format == FORMAT
            and key.code == _builders_digest()
            and key.policy == self._policy
            and key.items == _rows_digest(catalog)
            and key.era == feed.era
            and (held is None or key.held == _digest(held))
            and abs((now - key.built_at).total_seconds()) <= max_age_days * 86400
            and key.position <= feed.latest()
        )
        if not fits or ChangeKind.ERASE in feed.kinds_since(key.position):
            return None
        new_events = self._records.count_events() - key.events
        if not 0 <= new_events < max_new_events:
            return None
        try:
            index = read_interactions(saved, key.built_at, len(catalog))
        except Exception:  # whatever fails in reading it, the stores still hold the truth
            return None
        return SavedInteractions(index, new_events, key.position, saved.version)

    def save_interactions(
        self,
        index: InteractionIndex,
        *,
        start: BuildStart,
        events: int,
        held: frozenset[str],
        catalog: CatalogIndex,
        wait: bool = False,
    ) -> int | None:
        """Save ``index``, built for ``catalog`` from ``events`` events read after
        ``start`` with ``held`` held back; the version saved, or None when it was not.

        Not when someone was erased since ``start``: the index may hold them, and
        nothing of an erased shopper may be written anywhere. Nor when another process
        is saving one at the moment, unless ``wait``.
        """
        key = InteractionsKey(
            code=_builders_digest(),
            policy=self._policy,
            items=_rows_digest(catalog),
            era=start.era,
            position=start.position,
            events=events,
            held=_digest(held),
            built_at=index.built_at,
        )

        # Asked under the folder's lock, which an erasure takes to delete the file after
        # its own commit: either this sees the erasure, or the erasure sees this file.
        def nobody_erased() -> bool:
            return ChangeKind.ERASE not in self._records.changes.kinds_since(start.position)

        return self._files.write(
            INTERACTIONS,
            key.model_dump(mode="json"),
            interaction_parts(index),
            allowed=nobody_erased,
            wait=wait,
            keep=KEEP_INTERACTIONS,
        )

    def interactions_stamp(self) -> Stamp | None:
        """What tells the saved interaction index from any other saved later (one stat)."""
        return self._files.stamp(INTERACTIONS)

    def building(self, *, wait: bool) -> AbstractContextManager[bool]:
        """The interaction index's build lock, held for a block: whether this process
        got it (see :meth:`SnapshotFiles.building`)."""
        return self._files.building(INTERACTIONS, wait=wait)

    def _read(self, name: str, kind: type[Key]) -> tuple[Saved, Key] | None:
        """The snapshot ``name`` with its key, if both can be read."""
        saved = self._files.read(name)
        if saved is None:
            return None
        try:
            return saved, kind.model_validate(saved.key)
        except ValidationError:
            return None

    def forget_interactions(self) -> None:
        """Delete the saved index (after an erasure: it may hold the erased shopper)."""
        self._files.remove(INTERACTIONS)


def _digest(ids: frozenset[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


def _rows_digest(catalog: CatalogIndex) -> str:
    ids = "\n".join(item.item_id for item in catalog.items)
    return hashlib.sha256(ids.encode("utf-8")).hexdigest()


@cache
def _builders_digest() -> str:
    """A digest of the code that builds the interaction index: a snapshot saved by other
    code is built again rather than trusted."""
    import importlib

    digest = hashlib.sha256()
    for name in _BUILDERS:
        module = importlib.import_module(name)
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]
