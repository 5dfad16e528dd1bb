"""Rebuilding Chroma from SQL, as ``tactful reindex`` does.

Chroma is an index: SQL holds every item's record and the text its vector is made from
(:mod:`agent.stores.sql.items`) and every fact's words (:mod:`agent.stores.sql.facts`).
A rebuild empties Chroma's collections and files every item and every fact, active or
retracted, again, embedded anew from those texts: the same model on the same text gives
the same vector, so the rebuilt catalog ranks as before. Taste vectors are recomputed
from events whenever they are saved next; the rebuild leaves their collection empty.

Safe to interrupt, and to run again: every item is marked unfiled before Chroma is
emptied and filed again one batch at a time, so an interrupted rebuild leaves unfiled
items, which the next start (or the next rebuild) files; a fact without a vector is
embedded again when it is loaded.

An embedded store that cannot be read (a database that is no longer one, a segment
that no longer loads) is moved aside as it is, never deleted, and a new one is made in
its place; a sound one is emptied in place. A server's files are out of reach: it is
emptied through its API, and a server that fails is reported.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agent.embedding import Embedder
from agent.errors import StoreUnavailable
from agent.profile import _embedding_text
from agent.settings import Settings
from agent.stores.records import RecordStore
from agent.stores.sql.base import chunks
from agent.stores.sql.items import ItemStore
from agent.stores.vectors import ChromaVectorStore, index_failure, release_embedded

#: Texts embedded and filed at a time, as ``tactful import`` does.
BATCH = 256

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild filed."""

    items: int
    facts: int


def open_empty(
    settings: Settings, records: RecordStore, dim: int
) -> tuple[ChromaVectorStore, Path | None]:
    """The store the settings name with its collections emptied and checked by a write;
    with the folder an embedded store was moved to when it could not be (else None).

    Every item is marked unfiled first: stopped anywhere after that, the next start
    files what is still unfiled rather than trusting a store that was emptied.
    """
    ItemStore(records.engine).unfile_all()
    store = ChromaVectorStore.on_first_use(settings)
    if settings.chroma_url:
        _empty(store, dim)
        return store, None
    path = settings.chroma_path
    # Whatever this process opened there before is let go: the folder is read afresh.
    release_embedded(path)
    try:
        # Read before anything is changed, so a damaged store is moved aside as it was.
        store.check()
        _empty(store, dim)
        return store, None
    except BaseException as exc:
        if not _damaged(exc):
            raise
    store.close_client()
    moved = move_aside(path)
    store = ChromaVectorStore.on_first_use(settings)
    _empty(store, dim)
    return store, moved


def _empty(store: ChromaVectorStore, dim: int) -> None:
    store.reset()
    store.probe(dim)


def _damaged(exc: BaseException) -> bool:
    """Whether a failure says the embedded store's files are damaged (rather than, say,
    the disk being full, which a new store would meet too)."""
    if index_failure(exc) is not None:
        return True
    errors = sys.modules.get("chromadb.errors")
    if errors is not None and isinstance(exc, errors.ChromaError):
        return True
    cause = exc.__cause__
    return isinstance(exc, StoreUnavailable) and cause is not None and _damaged(cause)


def move_aside(path: Path) -> Path | None:
    """Rename the folder at ``path`` to ``<name>.broken-<UTC time>`` beside it; the new
    name, or None when there was no folder."""
    if not path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.broken-{stamp}-{n}")
    try:
        path.rename(target)
    except OSError as exc:
        raise StoreUnavailable(
            f"The Chroma store at {path} is damaged and could not be moved aside to "
            f"{target.name} ({exc.strerror or exc}); move or delete it, then run "
            "`tactful reindex` again."
        ) from exc
    return target


def rebuild(
    records: RecordStore,
    store: ChromaVectorStore,
    embedder: Embedder,
    *,
    on_items: Progress | None = None,
    on_facts: Progress | None = None,
) -> Rebuilt:
    """File every item and every fact in ``store`` (emptied by :func:`open_empty`), in
    batches, embedded again from the texts SQL holds."""
    items = ItemStore(records.engine)
    filed_items = 0
    for page in items.pages(BATCH):
        vectors = embedder.embed([stored.text for stored in page])
        store.upsert_items(
            [stored.item for stored in page], vectors, [stored.content_hash for stored in page]
        )
        # Not announced one by one: no item changed, and one note below covers them all.
        filed = [(stored.item.item_id, stored.content_hash) for stored in page]
        items.mark_filed(filed, at=datetime.now(UTC), announce=False)
        filed_items += len(page)
        if on_items:
            on_items(len(page))
    facts = records.facts.all()
    # Every fact's shopper has a key (given with their first fact). One with none was
    # erased since the facts were read: nothing may be filed for them, nor a key given.
    keys = {shopper: records.facts.vector_key(shopper) for shopper in {f.shopper_id for f in facts}}
    facts = [fact for fact in facts if keys[fact.shopper_id] is not None]
    for chunk in chunks(facts, BATCH):
        vectors = embedder.embed([_embedding_text(fact) for fact in chunk])
        store.upsert_facts(chunk, vectors, [str(keys[fact.shopper_id]) for fact in chunk])
        store.flush()
        if on_facts:
            on_facts(len(chunk))
    # A process that started meanwhile may have saved a catalog snapshot of a half-built
    # store: this note makes every snapshot saved before now stale.
    items.announce_rebuild(datetime.now(UTC))
    return Rebuilt(items=filed_items, facts=len(facts))
