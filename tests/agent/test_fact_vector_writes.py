"""Facts' vectors are filed in Chroma after the turn that stated them, a few together:
whatever reads, updates or deletes them files what is queued first, an erasure drops
what is queued for the shopper, and a failed filing is kept and reported."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import chromadb
import pytest
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from agent.domain import FactSource, FactStatus, PreferenceFact
from agent.errors import StoreUnavailable
from agent.settings import Settings
from agent.stores import vectors as vector_module
from agent.stores.vectors import FACT_VECTORS, ChromaVectorStore, make_chroma_client
from tests.fakes import HashingEmbedder

EMBED = HashingEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def store(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChromaVectorStore]:
    # Long enough that nothing is filed in the background while a test looks.
    monkeypatch.setattr(vector_module, "FACT_WRITE_DELAY", 60.0)
    store = ChromaVectorStore(make_chroma_client(settings))
    yield store
    store.close()


def fact(fact_id: str, subject: str = "owls", **changes: Any) -> PreferenceFact:
    base = PreferenceFact(
        fact_id=fact_id,
        shopper_id="s1",
        text=f"loves {subject}",
        subject=subject,
        source=FactSource.STATED,
        confidence=0.9,
        created_at=datetime(2024, 3, 1),
        reinforced_at=datetime(2024, 3, 1),
    )
    return base.model_copy(update=changes)


def hand_over(store: ChromaVectorStore, facts: list[PreferenceFact], owner: str) -> None:
    store.upsert_facts(facts, EMBED.embed([f.subject for f in facts]), [owner] * len(facts))


def filed(settings: Settings, owner: str) -> list[str]:
    """The ids Chroma's files hold under ``owner``, read by a client of its own."""
    client = chromadb.PersistentClient(
        path=str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    got = client.get_collection(FACT_VECTORS).get(where={"owner": owner}, include=[])
    return sorted(got["ids"])


def test_a_handed_over_vector_is_read_back_at_once(store: ChromaVectorStore) -> None:
    hand_over(store, [fact("f1"), fact("f2", "mugs")], "v-1")

    assert sorted(store.fact_vectors(["f1", "f2"])) == ["f1", "f2"]
    assert store.nearest_facts("v-1", EMBED.embed(["owls"])[0], k=1) == ["f1"]


def test_a_retraction_right_after_the_statement_is_what_chroma_keeps(
    store: ChromaVectorStore, settings: Settings
) -> None:
    owls = fact("f1")
    hand_over(store, [owls], "v-1")

    store.update_facts([owls.model_copy(update={"status": FactStatus.RETRACTED})])

    assert filed(settings, "v-1") == ["f1"]
    assert store.nearest_facts("v-1", EMBED.embed(["owls"])[0], k=5) == []


def test_an_erasure_files_nothing_that_was_queued_for_the_shopper(
    store: ChromaVectorStore, settings: Settings
) -> None:
    hand_over(store, [fact("f1")], "v-erased")
    hand_over(store, [fact("f2", "mugs")], "v-kept")

    store.delete_owner("v-erased")
    store.close()

    assert filed(settings, "v-erased") == []
    assert filed(settings, "v-kept") == ["f2"]


def test_closing_the_store_files_what_is_queued(
    store: ChromaVectorStore, settings: Settings
) -> None:
    hand_over(store, [fact("f1")], "v-1")
    assert filed(settings, "v-1") == []  # still queued: nothing read the collection

    store.close()

    assert filed(settings, "v-1") == ["f1"]


def test_another_store_on_the_same_folder_reads_what_this_one_queued(
    store: ChromaVectorStore, settings: Settings
) -> None:
    hand_over(store, [fact("f1")], "v-1")

    other = ChromaVectorStore(make_chroma_client(settings))

    assert list(other.fact_vectors(["f1"])) == ["f1"]


def test_the_same_fact_handed_over_twice_is_filed_once_as_last_written(
    store: ChromaVectorStore, settings: Settings
) -> None:
    hand_over(store, [fact("f1")], "v-1")
    hand_over(store, [fact("f1", confidence=0.5)], "v-1")

    store.flush()

    client = chromadb.PersistentClient(
        path=str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    got = client.get_collection(FACT_VECTORS).get(ids=["f1"], include=["metadatas"])
    assert [m["confidence"] for m in got["metadatas"] or []] == [0.5]


def test_the_background_thread_files_queued_vectors_on_its_own(
    store: ChromaVectorStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vector_module, "FACT_WRITE_DELAY", 0.01)
    hand_over(store, [fact("f1")], "v-1")

    deadline = time.monotonic() + 30
    while not filed(settings, "v-1") and time.monotonic() < deadline:
        time.sleep(0.05)

    assert filed(settings, "v-1") == ["f1"]


def test_a_filing_that_fails_is_kept_and_reported_by_the_next_read(
    store: ChromaVectorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    hand_over(store, [fact("f1")], "v-1")

    def lost_connection(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("Chroma went away")

    with monkeypatch.context() as patched:
        patched.setattr(Collection, "upsert", lost_connection)
        with pytest.raises(StoreUnavailable):
            store.fact_vectors(["f1"])

    assert list(store.fact_vectors(["f1"])) == ["f1"]
