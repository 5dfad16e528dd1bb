"""Chroma behind the vector-store port (embedded clients, fake embeddings)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings

from agent.domain import CatalogItem, FactKind, FactSource, FactStatus, PreferenceFact
from agent.embedding import content_hash
from agent.errors import StoreUnavailable
from agent.settings import Settings
from agent.stores.vectors import (
    FACT_VECTORS,
    ITEMS,
    LEGACY_FACTS,
    LEGACY_TASTES,
    TASTE_VECTORS,
    ChromaVectorStore,
    make_chroma_client,
)
from tests.fakes import HashingEmbedder
from tests.scan import files_mentioning

EMBED = HashingEmbedder()


@pytest.fixture
def client() -> ClientAPI:
    # Ephemeral clients in one process share their data, so start from empty collections.
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    for name in (ITEMS, FACT_VECTORS, TASTE_VECTORS, LEGACY_FACTS, LEGACY_TASTES):
        if name in {c.name for c in client.list_collections()}:
            client.delete_collection(name)
    return client


@pytest.fixture
def store(client: ClientAPI) -> ChromaVectorStore:
    return ChromaVectorStore(client)


def items(n: int) -> list[CatalogItem]:
    return [
        CatalogItem(
            item_id=f"i{k}",
            title=f"Candle holder {k}",
            description="glass" if k % 2 else "",
            category="home" if k % 3 else None,
            price=float(k) if k % 4 else None,
        )
        for k in range(n)
    ]


def put(store: ChromaVectorStore, catalog: list[CatalogItem]) -> list[str]:
    texts = [item.embedding_text() for item in catalog]
    hashes = [content_hash(text) for text in texts]
    store.upsert_items(catalog, EMBED.embed(texts), hashes)
    return hashes


def fact(fact_id: str, shopper_id: str = "s1", **changes: object) -> PreferenceFact:
    base = PreferenceFact(
        fact_id=fact_id,
        shopper_id=shopper_id,
        text="prefers vegan leather",
        subject="leather",
        polarity=-1,
        source=FactSource.STATED,
        confidence=0.9,
        created_at=datetime(2024, 1, 2, 3, 4, 5),
        reinforced_at=datetime(2024, 2, 1),
        evidence=["e1", "e2"],
    )
    return base.model_copy(update=changes)


def test_reingesting_unchanged_items_reports_same_hashes(store: ChromaVectorStore) -> None:
    catalog = items(5)
    hashes = put(store, catalog)

    stored = store.item_hashes([item.item_id for item in catalog] + ["unknown"])

    assert stored == {item.item_id: h for item, h in zip(catalog, hashes, strict=True)}


def test_items_round_trip_with_their_vectors_and_no_none_fields(
    store: ChromaVectorStore,
) -> None:
    catalog = items(7)
    put(store, catalog)

    pages = list(store.iter_items(batch=3))

    assert [len(page) for page, _ in pages] == [3, 3, 1]
    got = {
        item.item_id: (item, vec)
        for page, vecs in pages
        for item, vec in zip(page, vecs, strict=True)
    }
    assert set(got) == {item.item_id for item in catalog}
    for item in catalog:
        back, vector = got[item.item_id]
        assert back == item
        assert vector.dtype == np.float32
        np.testing.assert_allclose(vector, EMBED.embed([item.embedding_text()])[0], atol=1e-6)


def test_upserting_more_items_than_one_chroma_batch_stores_them_all(
    store: ChromaVectorStore,
) -> None:
    store._max_batch = 4  # force several Chroma batches without thousands of rows
    catalog = items(11)

    put(store, catalog)

    assert store.count_items() == 11
    assert len(store.item_hashes([item.item_id for item in catalog])) == 11
    assert sum(len(page) for page, _ in store.iter_items()) == 11


def test_changed_items_replace_the_old_version(store: ChromaVectorStore) -> None:
    put(store, items(3))
    renamed = items(3)[1].model_copy(update={"title": "Tea light holder", "price": None})

    new_hash = put(store, [renamed])[0]

    assert store.count_items() == 3
    assert store.item_hashes(["i1"]) == {"i1": new_hash}
    stored = {i.item_id: i for page, _ in store.iter_items() for i in page}
    assert stored["i1"] == renamed


def test_deleted_items_are_gone(store: ChromaVectorStore) -> None:
    put(store, items(4))

    store.delete_items(["i0", "i2", "nope"])

    assert store.count_items() == 2
    assert set(store.item_hashes(["i0", "i1", "i2", "i3"])) == {"i1", "i3"}


def test_empty_store_iterates_nothing(store: ChromaVectorStore) -> None:
    assert list(store.iter_items()) == []
    assert store.item_hashes([]) == {}


def test_mismatched_embeddings_are_rejected(store: ChromaVectorStore) -> None:
    with pytest.raises(ValueError):
        store.upsert_items(items(2), EMBED.embed(["only one"]), ["h1", "h2"])


def put_facts(store: ChromaVectorStore, facts: list[PreferenceFact], owner: str) -> None:
    store.upsert_facts(facts, EMBED.embed([f.subject for f in facts]), [owner] * len(facts))


def test_a_facts_record_holds_its_vector_and_provenance_under_the_owners_key_and_no_words(
    client: ClientAPI, store: ChromaVectorStore
) -> None:
    leather = fact("f1", recipient="niece", amount=25.0)

    put_facts(store, [leather], "v-1")

    vectors = store.fact_vectors(["f1", "f-unknown"])
    assert list(vectors) == ["f1"]
    np.testing.assert_allclose(vectors["f1"], EMBED.embed(["leather"])[0], atol=1e-6)
    raw = client.get_collection(FACT_VECTORS).get(include=["metadatas", "documents"])
    assert raw["documents"] == [None]
    assert raw["metadatas"] == [
        {
            "owner": "v-1",
            "kind": "preference",
            "polarity": -1,
            "source": "stated",
            "status": "active",
            "confidence": 0.9,
            "created_at": "2024-01-02T03:04:05",
            "reinforced_at": "2024-02-01T00:00:00",
        }
    ]


def test_an_update_changes_a_facts_status_and_never_brings_back_a_deleted_one(
    store: ChromaVectorStore,
) -> None:
    put_facts(store, [fact("f1"), fact("f2")], "v-1")
    store.delete_owner("v-1")
    put_facts(store, [fact("f1")], "v-1")
    leather = EMBED.embed(["leather"])[0]

    store.update_facts([fact("f1", status=FactStatus.RETRACTED), fact("f2")])

    assert store.nearest_facts("v-1", leather, k=5) == []
    assert store.fact_vectors(["f2"]) == {}


def test_nearest_facts_are_the_owners_active_ones_closest_first(store: ChromaVectorStore) -> None:
    mine = [
        fact("f1", subject="owls"),
        fact("f2", subject="scented candles"),
        fact("f3", subject="owls and candles", status=FactStatus.RETRACTED),
    ]
    put_facts(store, mine, "v-1")
    put_facts(store, [fact("f4", shopper_id="s2", subject="owls")], "v-2")

    nearest = store.nearest_facts("v-1", EMBED.embed(["owls"])[0], k=5)

    assert nearest == ["f1", "f2"]
    assert store.nearest_facts("v-1", EMBED.embed(["owls"])[0], k=1) == ["f1"]
    assert store.nearest_facts("v-unknown", EMBED.embed(["owls"])[0], k=5) == []


def test_facts_beyond_one_chroma_batch_are_written_and_read_whole(
    store: ChromaVectorStore,
) -> None:
    store._max_batch = 4
    many = [fact(f"f{k}") for k in range(11)]

    put_facts(store, many, "v-1")

    assert len(store.fact_vectors([f.fact_id for f in many])) == 11


def test_a_taste_vector_is_saved_replaced_and_deleted_by_a_zero_vector(
    store: ChromaVectorStore,
) -> None:
    assert store.taste("v-1") is None
    store.save_taste("v-1", EMBED.embed(["candles"])[0], 3, datetime(2024, 3, 1))
    vector = EMBED.embed(["candles and tea lights"])[0]

    store.save_taste("v-1", vector, 5, datetime(2024, 3, 2))

    snapshot = store.taste("v-1")
    assert snapshot is not None
    assert (snapshot.items, snapshot.updated_at) == (5, datetime(2024, 3, 2))
    np.testing.assert_allclose(snapshot.vector, vector, atol=1e-6)
    store.save_taste("v-1", np.zeros_like(vector), 0, datetime(2024, 3, 3))
    assert store.taste("v-1") is None


def test_deleting_an_owner_takes_their_fact_and_taste_vectors_and_nobody_elses(
    store: ChromaVectorStore,
) -> None:
    put_facts(store, [fact("f1"), fact("f2")], "v-1")
    put_facts(store, [fact("f3", shopper_id="s2")], "v-2")
    for owner in ("v-1", "v-2"):
        store.save_taste(owner, EMBED.embed(["candles"])[0], 3, datetime(2024, 3, 1))

    store.delete_owner("v-1")

    assert store.fact_vectors(["f1", "f2"]) == {}
    assert store.taste("v-1") is None
    assert list(store.fact_vectors(["f3"])) == ["f3"]
    assert store.taste("v-2") is not None


def put_legacy_fact(client: ClientAPI, item: PreferenceFact) -> None:
    """A fact as older versions stored it: its words as the document, the rest as metadata."""
    metadata = item.model_dump(mode="json", exclude={"text", "amount", "recipient"})
    metadata["evidence"] = json.dumps(item.evidence)
    if item.amount is not None:
        metadata["amount"] = item.amount
    collection = client.get_or_create_collection(LEGACY_FACTS, embedding_function=None)
    collection.upsert(
        ids=[item.fact_id],
        embeddings=EMBED.embed([item.subject]),
        documents=[item.text],
        metadatas=[metadata],
    )


def test_a_store_without_an_older_versions_collections_has_no_legacy_facts(
    store: ChromaVectorStore,
) -> None:
    assert store.legacy_facts() is None


def test_facts_an_older_version_kept_come_back_whole(
    client: ClientAPI, store: ChromaVectorStore
) -> None:
    budget = fact("f2", kind=FactKind.BUDGET, amount=25.0, evidence=[], status=FactStatus.RETRACTED)
    put_legacy_fact(client, fact("f1"))
    put_legacy_fact(client, budget)

    got = {f.fact_id: (f, v) for f, v in store.legacy_facts() or []}

    assert got["f1"][0] == fact("f1") and got["f2"][0] == budget
    np.testing.assert_allclose(got["f1"][1], EMBED.embed(["leather"])[0], atol=1e-6)


def test_dropping_an_older_versions_collections_leaves_no_trace_on_disk(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    client = make_chroma_client(settings)
    store = ChromaVectorStore(client)
    put(store, items(50))
    put_facts(store, [fact("f-kept")], "v-1")
    put_legacy_fact(client, fact("f-zq81", shopper_id="shopper-zq81x", text="zanzibarwood"))
    client.get_or_create_collection(LEGACY_TASTES, embedding_function=None).upsert(
        ids=["shopper-zq81x"], embeddings=EMBED.embed(["teapots"])
    )
    secrets = ["shopper-zq81x", "zanzibarwood", "f-zq81"]
    assert files_mentioning(settings.chroma_path, secrets)

    store.drop_legacy()

    assert files_mentioning(settings.chroma_path, secrets) == []
    assert store.legacy_facts() is None
    assert store.count_items() == 50  # the catalog and the new collections are untouched
    assert list(store.fact_vectors(["f-kept"])) == ["f-kept"]
    put(store, items(60))
    assert store.count_items() == 60


def test_persistent_store_keeps_data_between_clients(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    first = ChromaVectorStore(make_chroma_client(settings))
    put(first, items(2))

    again = ChromaVectorStore(make_chroma_client(settings))

    assert again.count_items() == 2
    assert (tmp_path / "home" / "chroma").is_dir()


def test_unreachable_chroma_server_raises_store_unavailable_with_the_url() -> None:
    settings = Settings(chroma_url="http://127.0.0.1:9")  # discard port: nothing listens

    with pytest.raises(StoreUnavailable, match=r"http://127\.0\.0\.1:9"):
        make_chroma_client(settings)
