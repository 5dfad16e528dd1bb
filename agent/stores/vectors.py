"""Chroma behind a small port: the catalog's item vectors, and each shopper's fact and taste
vectors, always with our own embeddings.

Chroma never embeds anything here: collections are created with ``embedding_function=None``
and every write passes vectors, so nothing tries to download a model. Telemetry is off.

A shopper's vectors are filed under their *vector key*, a random token that only SQL ties
to them (:mod:`agent.stores.sql.facts`). A fact's record is its random ``fact_id``, its
vector and how it came about (``owner``: the key; kind, polarity, source, status,
confidence and times); a taste record is the key, the taste vector, how many items it was
built from and when. No shopper id and no word of theirs is ever written here: Chroma
keeps deleted records in its write-ahead queue and its database's free pages, and a Chroma
server's files are out of reach, so an erasure cannot count on anything here going away.
It need not: erasing deletes the row that tied the key to the shopper, byte for byte, and
what Chroma keeps afterwards leads to no one. (A vector still hints at what a fact was
about, to anyone holding the model; it no longer says whose.)

Older versions kept facts, with their words and the shopper's id, in ``tactful_facts`` and
taste vectors in ``tactful_tastes``; on open they are handed over once
(:mod:`agent.stores.migration`), and the collections deleted and scrubbed.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import shutil
import sqlite3
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

import numpy as np
from pydantic import BaseModel

from agent.domain import CatalogItem, FactStatus, PreferenceFact
from agent.errors import InvalidInput, StoreUnavailable
from agent.settings import Settings
from agent.stores.sql.base import utc
from tools.types import TAG_SEPARATOR

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    # chromadb takes over half a second to import: only a process that reaches Chroma
    # pays for it (see ChromaVectorStore.on_first_use).
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

ITEMS = "tactful_items"
FACT_VECTORS = "tactful_fact_vectors"
TASTE_VECTORS = "tactful_taste_vectors"
#: The metadata key of a fact's record that holds its shopper's vector key.
OWNER = "owner"
#: Where older versions kept shoppers' facts (with their words) and taste vectors.
LEGACY_FACTS = "tactful_facts"
LEGACY_TASTES = "tactful_tastes"
#: Vectors are unit length, so cosine is the natural distance.
COLLECTION_CONFIGURATION: dict[str, Any] = {"hnsw": {"space": "cosine"}}
#: Seconds a handed-over fact vector waits for others before the background thread files
#: them (anything that reads the collection files them at once).
FACT_WRITE_DELAY = 2.0
HASH_KEY = "content_hash"

MetadataValue = str | int | float | bool
# On upsert Chroma merges metadata into the stored record and drops keys whose value is
# None, so a field that became None must be sent as None or its old value would linger.
WriteMetadata = dict[str, MetadataValue | None]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def make_chroma_client(settings: Settings) -> ClientAPI:
    """A Chroma client: HTTP when ``settings.chroma_url`` is set, else embedded on disk.

    Raises :class:`StoreUnavailable` naming the URL or path when Chroma cannot be reached.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = settings.chroma_url
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise InvalidInput(f"TACTFUL_CHROMA_URL is not an http(s) URL: {url}")
        ssl = parts.scheme == "https"
        try:
            port = parts.port or (443 if ssl else 8000)
            return chromadb.HttpClient(
                host=parts.hostname, port=port, ssl=ssl, settings=chroma_settings
            )
        except Exception as exc:  # chromadb reports a refused connection as ValueError
            raise StoreUnavailable(f"Cannot reach the Chroma server at {url}: {exc}") from exc
    path = settings.chroma_path
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # disk full, permissions, a locked or corrupt database…
        damaged = index_failure(exc, f"Cannot open the Chroma store at {path}")
        if damaged is not None:
            raise damaged from exc
        raise StoreUnavailable(f"Cannot open the Chroma store at {path}: {exc}") from exc


#: What every failure of the index that a rebuild repairs ends with.
REINDEX_HINT = (
    "What was stored before this is kept: the database holds every item and fact; "
    "run `tactful reindex` to rebuild the index from it."
)


def index_failure(
    exc: BaseException, what: str = "Chroma's index failed"
) -> StoreUnavailable | None:
    """The one line for a failure inside Chroma that rebuilding it repairs, or None.

    Those are chromadb's ``InternalError`` (a damaged or half-written index: "Failed to
    apply logs to the hnsw segment writer", "Error finding id", a database that is not
    one) and a panic in its Rust core. A dropped connection or a full disk is not among
    them: a rebuild would meet it again.
    """
    errors = sys.modules.get("chromadb.errors")
    internal = errors is not None and isinstance(exc, errors.InternalError)
    if not internal and type(exc).__name__ != "PanicException":
        return None
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return StoreUnavailable(f"{what} ({reason}). {REINDEX_HINT}")


def _describe(client: ClientAPI) -> str:
    """Where a client points, for error messages."""
    try:
        config = client.get_settings()
    except Exception:
        return "Chroma"
    if config.chroma_server_host:
        scheme = "https" if config.chroma_server_ssl_enabled else "http"
        return f"{scheme}://{config.chroma_server_host}:{config.chroma_server_http_port}"
    return config.persist_directory if config.is_persistent else "in-memory Chroma"


def chroma_location(settings: Settings) -> str:
    """Where the settings put Chroma: the server's URL, or the embedded store's folder."""
    return settings.chroma_url or str(settings.chroma_path)


def _disconnections() -> tuple[type[BaseException], ...]:
    """What a dropped connection to Chroma raises (evaluated only when something did)."""
    import httpx

    return (httpx.TransportError, ConnectionError)


def _unavailable_on_disconnect(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn a dropped connection inside a store method into :class:`StoreUnavailable`."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except _disconnections() as exc:
            where = cast("ChromaVectorStore", args[0]).location
            raise StoreUnavailable(f"Lost the connection to Chroma at {where}: {exc}") from exc

    return wrapper


def _chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _as_matrix(vectors: np.ndarray, rows: int) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != rows:
        raise ValueError(f"expected {rows} embeddings as a 2-D array, got shape {matrix.shape}")
    return matrix


def _item_metadata(item: CatalogItem, content_hash: str) -> WriteMetadata:
    # None values are not stored (Chroma metadata cannot hold None); see WriteMetadata.
    # Nor can it hold a list: tags are kept joined, and no tags as None so an old tag
    # list does not linger.
    fields: WriteMetadata = item.model_dump(mode="json", exclude={"tags"})
    fields["tags"] = TAG_SEPARATOR.join(item.tags) or None
    return {**fields, HASH_KEY: content_hash}


def _item_from_metadata(item_id: str, metadata: Mapping[str, Any]) -> CatalogItem:
    fields = {k: v for k, v in metadata.items() if k in CatalogItem.model_fields}
    tags = fields.pop("tags", None)
    fields["tags"] = str(tags).split(TAG_SEPARATOR) if tags else []
    return CatalogItem.model_validate({**fields, "item_id": item_id})


def _provenance(fact: PreferenceFact) -> dict[str, MetadataValue]:
    """How a fact came about, as Chroma keeps it beside the vector (with its owner's key)."""
    return {
        "kind": fact.kind.value,
        "polarity": fact.polarity,
        "source": fact.source.value,
        "status": fact.status.value,
        "confidence": fact.confidence,
        # Naive UTC, the form every time takes in SQL.
        "created_at": utc(fact.created_at).isoformat(),
        "reinforced_at": utc(fact.reinforced_at).isoformat(),
    }


class TasteSnapshot(BaseModel):
    """A shopper's behavioural taste vector as last saved."""

    vector: list[float]
    items: int
    updated_at: datetime


@dataclass(frozen=True)
class _FactWrite:
    """One fact's record as :meth:`ChromaVectorStore.upsert_facts` was asked to file it."""

    fact_id: str
    vector: np.ndarray
    metadata: dict[str, MetadataValue]

    @property
    def owner(self) -> str:
        return str(self.metadata[OWNER])


class _FactWrites:
    """Fact-vector upserts filed by a background thread a moment later, together.

    Filing in embedded Chroma waits for its database to reach the disk (tens of
    milliseconds on a busy machine) while holding the interpreter, whichever thread asks,
    and nothing in a chat turn reads a fact's vector back from Chroma: the process holds
    every fact's vector in memory. So a turn only hands the write over; the thread files
    what gathered after :data:`FACT_WRITE_DELAY`, in one upsert, in the order handed
    over. Every other use of the store first files what is queued itself
    (:meth:`flush`), so no read, update or delete ever sees the collection without it.
    A write that fails stays queued: the next flush tries it again and raises if it
    fails again. If the process stops first, the fact is in SQL without a vector, which
    the next load of that fact embeds and files (see :mod:`agent.profile`).
    """

    def __init__(self, collection: Collection, max_batch: int) -> None:
        self._collection = collection
        self._max_batch = max_batch
        self._pending: list[_FactWrite] = []
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()  # guards _pending and _worker
        self._filing = threading.Lock()  # held while a batch is on its way to Chroma

    def add(self, writes: Sequence[_FactWrite]) -> None:
        with self._lock:
            self._pending.extend(writes)
            if self._worker is None:
                # A thread only while there is something to file: an idle store holds none.
                self._worker = threading.Thread(
                    target=self._work, name="tactful-fact-vectors", daemon=True
                )
                self._worker.start()

    def flush(self) -> None:
        """Return once everything handed over is filed; raise if filing it fails."""
        self._file()

    def drop_owner(self, owner: str) -> None:
        """Forget what is queued for ``owner`` (being erased), after any batch on its way."""
        with self._filing, self._lock:
            self._pending = [w for w in self._pending if w.owner != owner]

    def _work(self) -> None:
        while True:
            time.sleep(FACT_WRITE_DELAY)  # let a few gather: one upsert costs about as much
            with self._lock:
                if not self._pending:
                    self._worker = None
                    return
            try:
                self._file()
            except Exception:
                # Kept queued by _file: the next flush retries it, and reports it if it
                # fails again, in the thread that needs it.
                with self._lock:
                    self._worker = None
                return

    def _file(self) -> None:
        with self._filing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            # Chroma refuses an id twice in one upsert; the last write of a fact is the one
            # a write at a time would have left.
            latest = list({w.fact_id: w for w in batch}.values())
            try:
                for chunk in _chunks(latest, self._max_batch):
                    self._collection.upsert(
                        ids=[w.fact_id for w in chunk],
                        embeddings=np.stack([w.vector for w in chunk]),
                        metadatas=[w.metadata for w in chunk],
                    )
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                raise


#: One queue per fact collection, shared by every store in the process open on it, so
#: what one of them handed over is filed before another one reads. Known by where the
#: store is as well as by the collection's id: a copied data folder keeps the ids.
_FACT_WRITES: weakref.WeakValueDictionary[tuple[str, uuid.UUID], _FactWrites] = (
    weakref.WeakValueDictionary()
)
_FACT_WRITES_LOCK = threading.Lock()


def _fact_writes(location: str, collection: Collection, max_batch: int) -> _FactWrites:
    with _FACT_WRITES_LOCK:
        writes = _FACT_WRITES.get((location, collection.id))
        if writes is None:
            writes = _FactWrites(collection, max_batch)
            _FACT_WRITES[(location, collection.id)] = writes
        return writes


def _flush_quietly(writes: _FactWrites) -> None:
    # At exit or once the store is gone there is no caller left to tell; what is not
    # filed is filed by the next load of the fact.
    with contextlib.suppress(Exception):
        writes.flush()


def _fact_from_metadata(text: str, metadata: Mapping[str, Any]) -> PreferenceFact:
    fields = dict(metadata)
    fields["evidence"] = json.loads(str(fields.get("evidence", "[]")))
    fields["created_at"] = datetime.fromisoformat(str(fields["created_at"]))
    fields["reinforced_at"] = datetime.fromisoformat(str(fields["reinforced_at"]))
    return PreferenceFact.model_validate({**fields, "text": text})


@dataclass(frozen=True)
class _Connection:
    """A client with the three collections open on it."""

    client: ClientAPI
    max_batch: int
    items: Collection
    facts: Collection
    tastes: Collection
    fact_writes: _FactWrites


class ChromaVectorStore:
    """Catalog items, facts' vectors and taste vectors in three Chroma collections.

    Every write and id-list read is split under Chroma's maximum batch size.
    """

    def __init__(
        self, client: ClientAPI | Callable[[], ClientAPI], *, location: str | None = None
    ) -> None:
        """Open (creating if needed) the three collections on ``client``.

        Given a function that makes the client instead, connect only when the store is
        first used, and name it ``location`` till then: a command that finds everything
        it needs in the catalog snapshot never imports chromadb at all.
        """
        self._lock = threading.Lock()
        self._connection: _Connection | None = None
        #: The embedded store's folder, when it is one and known before connecting.
        self._embedded: Path | None = None
        if callable(client):
            self._connect = client
            self.location = location or "Chroma"
        else:
            self._connect = lambda: client
            self.location = _describe(client)
            self._connected()

    @classmethod
    def on_first_use(cls, settings: Settings) -> ChromaVectorStore:
        """The store the settings name, connected by the first read or write."""
        store = cls(lambda: make_chroma_client(settings), location=chroma_location(settings))
        store._embedded = None if settings.chroma_url else settings.chroma_path
        return store

    def _connected(self) -> _Connection:
        with self._lock:
            if self._connection is None:
                self._connection = self._open(self._connect())
            return self._connection

    def _open(self, client: ClientAPI) -> _Connection:
        try:
            max_batch = client.get_max_batch_size()
            items, facts, tastes = (
                client.get_or_create_collection(
                    name=name,
                    configuration=cast(Any, COLLECTION_CONFIGURATION),
                    embedding_function=None,
                )
                for name in (ITEMS, FACT_VECTORS, TASTE_VECTORS)
            )
        except _disconnections() as exc:
            raise StoreUnavailable(f"Cannot reach Chroma at {self.location}: {exc}") from exc
        fact_writes = _fact_writes(self.location, facts, max_batch)
        # Filed at the latest when this store is dropped or the interpreter exits.
        weakref.finalize(self, _flush_quietly, fact_writes)
        return _Connection(client, max_batch, items, facts, tastes, fact_writes)

    @property
    def _client(self) -> ClientAPI:
        return self._connected().client

    @property
    def _max_batch(self) -> int:
        return self._connected().max_batch

    @_max_batch.setter
    def _max_batch(self, size: int) -> None:  # tests force several batches with a few rows
        self._connection = replace(self._connected(), max_batch=size)

    @property
    def _items(self) -> Collection:
        return self._connected().items

    @property
    def _facts(self) -> Collection:
        return self._connected().facts

    @property
    def _tastes(self) -> Collection:
        return self._connected().tastes

    @property
    def _fact_writes(self) -> _FactWrites:
        return self._connected().fact_writes

    # -- items ------------------------------------------------------------------------------

    @_unavailable_on_disconnect
    def item_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """The stored ``content_hash`` of each of ``ids`` that is present."""
        self._fact_writes.flush()
        hashes: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), self._max_batch):
            got = self._items.get(ids=list(chunk), include=["metadatas"])
            for item_id, metadata in zip(got["ids"], got["metadatas"] or [], strict=True):
                if metadata and HASH_KEY in metadata:
                    hashes[item_id] = str(metadata[HASH_KEY])
        return hashes

    @_unavailable_on_disconnect
    def upsert_items(
        self, items: Sequence[CatalogItem], embeddings: np.ndarray, hashes: Sequence[str]
    ) -> None:
        """Insert or replace ``items`` with their vectors and content hashes (same order)."""
        self._fact_writes.flush()
        if len(hashes) != len(items):
            raise ValueError(f"{len(items)} items but {len(hashes)} hashes")
        matrix = _as_matrix(embeddings, len(items))
        for start in range(0, len(items), self._max_batch):
            end = start + self._max_batch
            batch = items[start:end]
            self._items.upsert(
                ids=[item.item_id for item in batch],
                embeddings=matrix[start:end],
                documents=[item.embedding_text() for item in batch],
                metadatas=[
                    _item_metadata(item, h)
                    for item, h in zip(batch, hashes[start:end], strict=True)
                ],
            )

    def iter_items(self, batch: int = 5000) -> Iterator[tuple[list[CatalogItem], np.ndarray]]:
        """Every stored item with its vector, a page at a time (float32, one row per item)."""
        size = max(1, min(batch, self._max_batch))
        offset = 0
        while True:
            # Not decorated: a decorator would only guard creating the generator.
            try:
                self._fact_writes.flush()
                got = self._items.get(
                    limit=size, offset=offset, include=["embeddings", "metadatas"]
                )
            except _disconnections() as exc:
                raise StoreUnavailable(
                    f"Lost the connection to Chroma at {self.location}: {exc}"
                ) from exc
            ids = got["ids"]
            if not ids:
                return
            metadatas = got["metadatas"] or []
            items = [_item_from_metadata(i, m or {}) for i, m in zip(ids, metadatas, strict=True)]
            yield items, np.asarray(got["embeddings"], dtype=np.float32).reshape(len(ids), -1)
            if len(ids) < size:
                return
            offset += len(ids)

    def item_records(self, batch: int = 1000) -> Iterator[list[tuple[CatalogItem, str, str]]]:
        """Every stored item with the text its vector was made from and its content hash,
        a page at a time in the order they were first filed (not the vectors)."""
        size = max(1, min(batch, self._max_batch))
        include: Any = ["metadatas", "documents"]
        for offset in itertools.count(0, size):
            # Not decorated: a decorator would only guard creating the generator.
            try:
                self._fact_writes.flush()
                got = self._items.get(limit=size, offset=offset, include=include)
            except _disconnections() as exc:
                raise StoreUnavailable(
                    f"Lost the connection to Chroma at {self.location}: {exc}"
                ) from exc
            if not got["ids"]:
                return
            metadatas, documents = got["metadatas"] or [], got["documents"] or []
            yield [
                (_item_from_metadata(i, m or {}), text or "", str((m or {}).get(HASH_KEY, "")))
                for i, m, text in zip(got["ids"], metadatas, documents, strict=True)
            ]
            if len(got["ids"]) < size:
                return

    @_unavailable_on_disconnect
    def count_items(self) -> int:
        """How many items are stored."""
        self._fact_writes.flush()
        return self._items.count()

    @_unavailable_on_disconnect
    def delete_items(self, ids: Sequence[str]) -> None:
        """Remove the given items; unknown ids are ignored."""
        self._fact_writes.flush()
        for chunk in _chunks(list(ids), self._max_batch):
            self._items.delete(ids=list(chunk))

    def surely_without_items(self) -> bool:
        """Whether the store surely holds no item, told without connecting: an embedded
        store not opened yet whose database is missing or names no item collection."""
        if self._connection is not None or self._embedded is None:
            return False
        return not _names_collections(self._embedded / "chroma.sqlite3", (ITEMS,))

    # -- shoppers' facts and tastes ---------------------------------------------------------

    def upsert_facts(
        self, facts: Sequence[PreferenceFact], vectors: np.ndarray, owners: Sequence[str]
    ) -> None:
        """Insert or replace facts' vectors, each filed under its owner's vector key (same
        order), with how the fact came about but never its words.

        Filed by a background thread (see :class:`_FactWrites`); every other method of
        the store, and :meth:`flush`, waits for it first.
        """
        if len(owners) != len(facts):
            raise ValueError(f"{len(facts)} facts but {len(owners)} owners")
        matrix = _as_matrix(vectors, len(facts))
        self._fact_writes.add(
            [
                _FactWrite(fact.fact_id, row.copy(), {OWNER: owner, **_provenance(fact)})
                for fact, row, owner in zip(facts, matrix, owners, strict=True)
            ]
        )

    @_unavailable_on_disconnect
    def flush(self) -> None:
        """Wait until every fact vector handed to :meth:`upsert_facts` is filed; raises
        :class:`StoreUnavailable` if Chroma cannot take them (they stay queued)."""
        if self._connection is not None:  # never used: nothing was handed over
            self._fact_writes.flush()

    def close(self) -> None:
        """File what is still queued; the store can be used again afterwards."""
        self.flush()

    @_unavailable_on_disconnect
    def update_facts(self, facts: Sequence[PreferenceFact]) -> None:
        """Bring stored facts' records up to date with their status, confidence and times;
        a fact with no record is skipped, so an erased one never comes back."""
        self._fact_writes.flush()
        for chunk in _chunks(list(facts), self._max_batch):
            self._facts.update(
                ids=[fact.fact_id for fact in chunk],
                metadatas=[_provenance(fact) for fact in chunk],
            )

    @_unavailable_on_disconnect
    def fact_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vector of each of ``ids`` that has a record, as far as it can be read.

        A Chroma server asked for records that another process is upserting at that very
        moment can fail the read ("Error finding id"). Those vectors are then left out, as
        if not filed yet: a fact's vector is its text's embedding, which the caller can
        make again."""
        from chromadb.errors import InternalError

        if not ids:
            return {}  # nothing to read, so nothing queued needs filing first
        self._fact_writes.flush()
        found: dict[str, np.ndarray] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), self._max_batch):
            try:
                got = self._facts.get(ids=list(chunk), include=["embeddings"])
            except InternalError as exc:
                log.warning(
                    "%d fact vectors unread at %s (%s): embedded again",
                    len(chunk),
                    self.location,
                    exc,
                )
                continue
            embeddings = [] if got["embeddings"] is None else got["embeddings"]
            for fact_id, vector in zip(got["ids"], embeddings, strict=True):
                found[fact_id] = np.asarray(vector, dtype=np.float32)
        return found

    @_unavailable_on_disconnect
    def nearest_facts(self, owner: str, query: np.ndarray, k: int) -> list[str]:
        """The ids of up to ``k`` active facts filed under ``owner``, nearest to ``query``
        first."""
        self._fact_writes.flush()
        got = self._facts.query(
            query_embeddings=_as_matrix(np.reshape(query, (1, -1)), 1),
            n_results=k,
            where={"$and": [{OWNER: owner}, {"status": FactStatus.ACTIVE.value}]},
            include=[],
        )
        return list(got["ids"][0]) if got["ids"] else []

    @_unavailable_on_disconnect
    def save_taste(self, owner: str, vector: np.ndarray, items: int, at: datetime) -> None:
        """Replace the taste vector filed under ``owner``; an all-zero vector deletes it
        instead (it has no direction, so cosine search would give NaN distances)."""
        self._fact_writes.flush()
        flat = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        if not np.any(flat):
            self.delete_taste(owner)
            return
        self._tastes.upsert(
            ids=[owner],
            embeddings=flat,
            metadatas=[{"items": items, "updated_at": utc(at).isoformat()}],
        )

    @_unavailable_on_disconnect
    def taste(self, owner: str) -> TasteSnapshot | None:
        """The taste vector filed under ``owner``, or None."""
        self._fact_writes.flush()
        got = self._tastes.get(ids=[owner], include=["embeddings", "metadatas"])
        if not got["ids"]:
            return None
        vector = np.asarray(got["embeddings"], dtype=np.float32).reshape(-1).tolist()
        metadata = got["metadatas"][0] if got["metadatas"] else {}
        return TasteSnapshot.model_validate({**metadata, "vector": vector})

    @_unavailable_on_disconnect
    def delete_taste(self, owner: str) -> None:
        """Delete the taste vector filed under ``owner``, if any."""
        self._fact_writes.flush()
        self._tastes.delete(ids=[owner])

    @_unavailable_on_disconnect
    def delete_owner(self, owner: str) -> None:
        """Delete every fact vector and the taste vector filed under ``owner``."""
        # What is still queued for them is never filed: nothing may be filed for someone
        # being erased.
        self._fact_writes.drop_owner(owner)
        self._fact_writes.flush()
        self._facts.delete(where={OWNER: owner})
        self.delete_taste(owner)

    # -- rebuilding -------------------------------------------------------------------------

    @_unavailable_on_disconnect
    def reset(self) -> None:
        """Delete the item, fact and taste collections and make them again, empty.

        Whatever was queued for filing is dropped: a rebuild files every fact again.
        """
        client = self._client
        present = {c.name for c in client.list_collections()}
        for name in (ITEMS, FACT_VECTORS, TASTE_VECTORS):
            if name in present:
                client.delete_collection(name)
        with self._lock:
            self._connection = self._open(client)
        config = client.get_settings()
        if config.is_persistent and not config.chroma_server_host and config.persist_directory:
            # The deleted collections' segment folders and free pages go too.
            _scrub_embedded(Path(config.persist_directory))

    @_unavailable_on_disconnect
    def check(self) -> None:
        """Read every collection as a search does (a count, a stored vector, a nearest
        neighbour); raises what Chroma raises when its files are damaged."""
        for collection in (self._items, self._facts, self._tastes):
            if not collection.count():
                continue
            got = collection.get(limit=1, include=["embeddings"])
            vector = _as_matrix(np.asarray(got["embeddings"], dtype=np.float32), 1)
            collection.query(query_embeddings=vector, n_results=1, include=[])

    @_unavailable_on_disconnect
    def probe(self, dim: int) -> None:
        """Write, find and delete one vector in each collection; raises what Chroma raises
        when it cannot (see :func:`index_failure`)."""
        vector = np.full((1, dim), 1.0 / np.sqrt(dim), dtype=np.float32)
        probe_id = f"probe-{uuid.uuid4().hex}"
        for collection in (self._items, self._facts, self._tastes):
            collection.upsert(ids=[probe_id], embeddings=vector)
            found = collection.query(query_embeddings=vector, n_results=1, include=[])
            collection.delete(ids=[probe_id])
            if not found["ids"] or found["ids"][0] != [probe_id]:
                raise StoreUnavailable(
                    f"Chroma at {self.location} did not find a vector just written to "
                    f"{collection.name}."
                )

    def close_client(self) -> None:
        """Let go of the client, so an embedded store's folder can be moved away; the
        store connects again when used next."""
        with self._lock:
            connection, self._connection = self._connection, None
        # chromadb's clients can close; the interface they are typed by does not say so.
        close = getattr(connection.client, "close", None) if connection is not None else None
        if close is not None:
            with contextlib.suppress(Exception):
                close()
        if self._embedded is not None:
            release_embedded(self._embedded)

    # -- what older versions kept here ------------------------------------------------------

    def may_hold_legacy(self) -> bool:
        """Whether an older version's collections may be here. False only when that is
        sure without connecting: an embedded store not opened yet whose database names
        neither of them, or has not been created."""
        if self._connection is not None or self._embedded is None:
            return True
        return _names_collections(self._embedded / "chroma.sqlite3", (LEGACY_FACTS, LEGACY_TASTES))

    @_unavailable_on_disconnect
    def legacy_facts(self) -> list[tuple[PreferenceFact, np.ndarray]] | None:
        """The facts an older version kept here, with their vectors; None if it kept none."""
        self._fact_writes.flush()
        if LEGACY_FACTS not in {c.name for c in self._client.list_collections()}:
            return None
        facts = self._client.get_collection(LEGACY_FACTS, embedding_function=None)
        got = facts.get(include=["embeddings", "metadatas", "documents"])
        if not got["ids"]:
            return []
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
        return [
            (_fact_from_metadata(doc or "", meta or {}), vectors[row])
            for row, (doc, meta) in enumerate(
                zip(got["documents"] or [], got["metadatas"] or [], strict=True)
            )
        ]

    @_unavailable_on_disconnect
    def drop_legacy(self) -> None:
        """Delete an older version's fact and taste collections, and on an embedded store
        scrub what Chroma would keep of them on disk."""
        self._fact_writes.flush()
        present = {c.name for c in self._client.list_collections()}
        for name in (LEGACY_FACTS, LEGACY_TASTES):
            if name in present:
                self._client.delete_collection(name)
        config = self._client.get_settings()
        if config.is_persistent and not config.chroma_server_host and config.persist_directory:
            _scrub_embedded(Path(config.persist_directory))


def release_embedded(path: Path) -> None:
    """Make the next client for the embedded store at ``path`` open its folder afresh.

    chromadb keeps one running store per folder for the whole process, and keeps it
    even when it failed to start, so every later client there fails the same way. This
    reaches into chromadb's client cache, one more reason chromadb is pinned below 1.6.
    """
    if "chromadb" not in sys.modules:
        return  # nothing was opened in this process
    from chromadb.api.shared_system_client import SharedSystemClient

    key = str(path)
    with SharedSystemClient._refcount_lock:
        system = SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
    if system is not None:
        with contextlib.suppress(Exception):  # it may never have started
            system.stop()


def _scrub_embedded(root: Path) -> None:
    """Remove every trace of deleted collections from an embedded Chroma 1.5 folder.

    Deleting a collection leaves its documents' words in the full-text index (until a
    merge), its rows in free pages of ``chroma.sqlite3`` and its vector segment folder on
    disk. Chroma's own ``chroma utils vacuum`` does the VACUUM, not the rest. This reaches
    into Chroma's schema, which is why chromadb is pinned below 1.6.
    """
    with contextlib.closing(sqlite3.connect(root / "chroma.sqlite3", timeout=30)) as conn:
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute(
            "INSERT INTO embedding_fulltext_search(embedding_fulltext_search) VALUES('optimize')"
        )
        conn.commit()
        conn.execute("VACUUM")
        live = {str(row[0]) for row in conn.execute("SELECT id FROM segments")}
    for folder in root.iterdir():
        if folder.is_dir() and _is_uuid(folder.name) and folder.name not in live:
            shutil.rmtree(folder)


def _names_collections(database: Path, names: Sequence[str]) -> bool:
    """Whether an embedded Chroma database may hold any of the collections ``names``,
    read straight from its file (True when the file cannot be read that way)."""
    if not database.exists():
        return False
    marks = ", ".join("?" for _ in names)
    try:
        uri = f"{database.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
            found = conn.execute(f"SELECT 1 FROM collections WHERE name IN ({marks})", names)
            return found.fetchone() is not None
    except sqlite3.Error:
        return True


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True
