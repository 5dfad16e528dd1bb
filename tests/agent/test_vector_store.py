"""Chroma behind the vector-store port (embedded clients, fake embeddings)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings

from agent.domain import CatalogItem, FactKind, FactSource, FactStatus, PreferenceFact
from agent.embedding import content_hash
from agent.errors import StoreUnavailable
from agent.settings import Settings
from agent.stores.vectors import FACTS, ITEMS, TASTES, ChromaVectorStore, make_chroma_client
from tests.fakes import HashingEmbedder

EMBED = HashingEmbedder()


@pytest.fixture
def store() -> ChromaVectorStore:
    # Ephemeral clients in one process share their data, so start from empty collections.
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    for name in (ITEMS, FACTS, TASTES):
        if name in {c.name for c in client.list_collections()}:
            client.delete_collection(name)
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


def test_facts_round_trip_with_dates_evidence_and_optional_fields(
    store: ChromaVectorStore,
) -> None:
    budget = fact("f2", kind=FactKind.BUDGET, amount=25.0, evidence=[], status=FactStatus.RETRACTED)
    store.upsert_fact(fact("f1"), EMBED.embed(["leather"])[0])
    store.upsert_fact(budget, EMBED.embed(["budget"])[0])
    store.upsert_fact(fact("f3", shopper_id="s2"), EMBED.embed(["other"])[0])

    got = dict((f.fact_id, (f, v)) for f, v in store.get_facts("s1"))

    assert set(got) == {"f1", "f2"}
    assert got["f1"][0] == fact("f1")
    assert got["f2"][0] == budget
    np.testing.assert_allclose(got["f1"][1], EMBED.embed(["leather"])[0], atol=1e-6)


def test_updating_a_fact_keeps_one_record(store: ChromaVectorStore) -> None:
    store.upsert_fact(fact("f1"), EMBED.embed(["leather"])[0])

    store.upsert_fact(fact("f1", confidence=0.5), EMBED.embed(["leather"])[0])

    [(stored, _)] = store.get_facts("s1")
    assert stored.confidence == 0.5


def test_taste_vectors_are_stored_replaced_and_deleted(store: ChromaVectorStore) -> None:
    vector = EMBED.embed(["candles and tea lights"])[0]
    assert store.get_taste("s1") is None

    store.upsert_taste("s1", vector, {"items": 3, "updated_at": "2024-01-01T00:00:00"})
    np.testing.assert_allclose(store.get_taste("s1"), vector, atol=1e-6)  # type: ignore[arg-type]

    store.delete_taste("s1")
    assert store.get_taste("s1") is None


def test_a_zero_taste_vector_deletes_the_stored_one(store: ChromaVectorStore) -> None:
    store.upsert_taste("s1", EMBED.embed(["candles"])[0], {})

    store.upsert_taste("s1", np.zeros(EMBED.dim, dtype=np.float32), {})

    assert store.get_taste("s1") is None


def test_erasing_a_shoppers_facts_and_taste_leaves_nothing_about_them(
    store: ChromaVectorStore,
) -> None:
    for k in range(3):
        store.upsert_fact(fact(f"f{k}"), EMBED.embed([f"fact {k}"])[0])
    store.upsert_fact(fact("other", shopper_id="s2"), EMBED.embed(["x"])[0])
    store.upsert_taste("s1", EMBED.embed(["candles"])[0], {"items": 3})
    assert store.count_for_shopper("s1") == 4

    removed = store.delete_facts("s1")
    store.delete_taste("s1")

    assert removed == 3
    assert store.count_for_shopper("s1") == 0
    assert store.count_for_shopper("s2") == 1


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
