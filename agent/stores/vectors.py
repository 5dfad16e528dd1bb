"""Chroma behind a small port: item, fact and taste vectors, always with our own embeddings.

Chroma never embeds anything here: collections are created with ``embedding_function=None``
and every write passes vectors, so nothing tries to download a model. Telemetry is off.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

import chromadb
import httpx
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from agent.domain import CatalogItem, PreferenceFact
from agent.errors import InvalidInput, StoreUnavailable
from agent.settings import Settings

ITEMS = "tactful_items"
FACTS = "tactful_facts"
TASTES = "tactful_tastes"
#: Vectors are unit length, so cosine is the natural distance.
COLLECTION_CONFIGURATION: dict[str, Any] = {"hnsw": {"space": "cosine"}}
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
        raise StoreUnavailable(f"Cannot open the Chroma store at {path}: {exc}") from exc


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


def _unavailable_on_disconnect(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn a dropped connection inside a store method into :class:`StoreUnavailable`."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except (httpx.TransportError, ConnectionError) as exc:
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
    return {**item.model_dump(), HASH_KEY: content_hash}


def _item_from_metadata(item_id: str, metadata: Mapping[str, Any]) -> CatalogItem:
    fields = {k: v for k, v in metadata.items() if k in CatalogItem.model_fields}
    return CatalogItem.model_validate({**fields, "item_id": item_id})


def _fact_metadata(fact: PreferenceFact) -> WriteMetadata:
    # None values are not stored (Chroma metadata cannot hold None); see WriteMetadata.
    fields = fact.model_dump(mode="json", exclude={"text"})
    fields["evidence"] = json.dumps(fact.evidence)
    fields["created_at"] = fact.created_at.isoformat()
    fields["reinforced_at"] = fact.reinforced_at.isoformat()
    return fields


def _fact_from_metadata(text: str, metadata: Mapping[str, Any]) -> PreferenceFact:
    fields = dict(metadata)
    fields["evidence"] = json.loads(str(fields.get("evidence", "[]")))
    fields["created_at"] = datetime.fromisoformat(str(fields["created_at"]))
    fields["reinforced_at"] = datetime.fromisoformat(str(fields["reinforced_at"]))
    return PreferenceFact.model_validate({**fields, "text": text})


class ChromaVectorStore:
    """Items, preference facts and taste vectors in three Chroma collections.

    Every write and id-list read is split under Chroma's maximum batch size.
    """

    def __init__(self, client: ClientAPI) -> None:
        """Open (creating if needed) the three collections on ``client``."""
        self._client = client
        self.location = _describe(client)
        try:
            self._max_batch = client.get_max_batch_size()
            self._items = self._collection(ITEMS)
            self._facts = self._collection(FACTS)
            self._tastes = self._collection(TASTES)
        except (httpx.TransportError, ConnectionError) as exc:
            raise StoreUnavailable(f"Cannot reach Chroma at {self.location}: {exc}") from exc

    def _collection(self, name: str) -> Collection:
        return self._client.get_or_create_collection(
            name=name,
            configuration=cast(Any, COLLECTION_CONFIGURATION),
            embedding_function=None,
        )

    # -- items ------------------------------------------------------------------------------

    @_unavailable_on_disconnect
    def item_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """The stored ``content_hash`` of each of ``ids`` that is present."""
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
                got = self._items.get(
                    limit=size, offset=offset, include=["embeddings", "metadatas"]
                )
            except (httpx.TransportError, ConnectionError) as exc:
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

    @_unavailable_on_disconnect
    def count_items(self) -> int:
        """How many items are stored."""
        return self._items.count()

    @_unavailable_on_disconnect
    def delete_items(self, ids: Sequence[str]) -> None:
        """Remove the given items; unknown ids are ignored."""
        for chunk in _chunks(list(ids), self._max_batch):
            self._items.delete(ids=list(chunk))

    # -- facts ------------------------------------------------------------------------------

    @_unavailable_on_disconnect
    def upsert_fact(self, fact: PreferenceFact, embedding: np.ndarray) -> None:
        """Insert or replace one fact, keyed by its ``fact_id``."""
        self._facts.upsert(
            ids=[fact.fact_id],
            embeddings=_as_matrix(np.reshape(embedding, (1, -1)), 1),
            documents=[fact.text],
            metadatas=[_fact_metadata(fact)],
        )

    @_unavailable_on_disconnect
    def get_facts(self, shopper_id: str) -> list[tuple[PreferenceFact, np.ndarray]]:
        """All of a shopper's facts (any status) with their vectors."""
        got = self._facts.get(
            where={"shopper_id": shopper_id}, include=["embeddings", "metadatas", "documents"]
        )
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
    def iter_facts(self, batch: int = 5000) -> Iterator[tuple[PreferenceFact, np.ndarray]]:
        """Every fact of every shopper, paged (loaded once at start-up)."""
        offset = 0
        while True:
            got = self._facts.get(
                limit=batch, offset=offset, include=["embeddings", "metadatas", "documents"]
            )
            if not got["ids"]:
                return
            vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
            for row, (doc, meta) in enumerate(
                zip(got["documents"] or [], got["metadatas"] or [], strict=True)
            ):
                yield _fact_from_metadata(doc or "", meta or {}), vectors[row]
            offset += len(got["ids"])

    @_unavailable_on_disconnect
    def delete_facts(self, shopper_id: str) -> int:
        """Remove every fact of a shopper; returns how many there were."""
        ids = self._facts.get(where={"shopper_id": shopper_id}, include=[])["ids"]
        for chunk in _chunks(ids, self._max_batch):
            self._facts.delete(ids=list(chunk))
        return len(ids)

    # -- tastes -----------------------------------------------------------------------------

    @_unavailable_on_disconnect
    def upsert_taste(
        self, shopper_id: str, vector: np.ndarray, metadata: Mapping[str, MetadataValue]
    ) -> None:
        """Store a shopper's taste vector; an all-zero vector deletes it instead.

        A zero vector has no direction, so cosine search would give NaN distances.
        """
        flat = np.asarray(vector, dtype=np.float32).reshape(-1)
        if not np.any(flat):
            self.delete_taste(shopper_id)
            return
        old = self._tastes.get(ids=[shopper_id], include=["metadatas"])["metadatas"] or []
        stale: WriteMetadata = {key: None for record in old for key in record or {}}
        self._tastes.upsert(
            ids=[shopper_id],
            embeddings=flat.reshape(1, -1),
            metadatas=[{**stale, **metadata, "shopper_id": shopper_id}],
        )

    @_unavailable_on_disconnect
    def get_taste(self, shopper_id: str) -> np.ndarray | None:
        """A shopper's taste vector, or None if none is stored."""
        got = self._tastes.get(ids=[shopper_id], include=["embeddings"])
        if not got["ids"]:
            return None
        return np.asarray(got["embeddings"], dtype=np.float32).reshape(-1)

    @_unavailable_on_disconnect
    def delete_taste(self, shopper_id: str) -> None:
        """Remove a shopper's taste vector, if any."""
        self._tastes.delete(ids=[shopper_id])

    # -- erasure ----------------------------------------------------------------------------

    @_unavailable_on_disconnect
    def count_for_shopper(self, shopper_id: str) -> int:
        """How many records (facts and taste vectors) are about a shopper."""
        where: Any = {"shopper_id": shopper_id}
        facts = self._facts.get(where=where, include=[])["ids"]
        tastes = self._tastes.get(where=where, include=[])["ids"]
        return len(facts) + len(tastes)
