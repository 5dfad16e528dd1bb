"""Facts' vectors in Chroma: retrieval by meaning, another process's facts read rather than
embedded again, and a stop between the SQL write and Chroma's made up for."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from agent.clock import FixedClock
from agent.domain import BehaviourEvent, EventKind, FactKind, FactSource, PreferenceFact, Shopper
from agent.embedding import Embedder
from agent.errors import StoreUnavailable
from agent.profile import ProfileService
from agent.settings import Settings
from agent.stores.records import RecordStore
from agent.stores.vectors import ChromaVectorStore, make_chroma_client

SHOPPER = "s1"
Start = Callable[[Embedder], ProfileService]


class CountingEmbedder:
    """The real model, keeping the texts it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += texts
        return self._inner.embed(texts)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def records(settings: Settings) -> Iterator[RecordStore]:
    with RecordStore(settings.sql_url) as store:
        yield store


@pytest.fixture
def vectors(settings: Settings) -> ChromaVectorStore:
    return ChromaVectorStore(make_chroma_client(settings))


@pytest.fixture
def start(records: RecordStore, vectors: ChromaVectorStore) -> Start:
    """Start a process's profile service on the shared stores; each call is a new start."""
    clock = FixedClock(datetime(2024, 3, 1, 12))
    return lambda embedder: ProfileService(records, vectors, embedder, clock, Settings().decay)


def state(profiles: ProfileService, text: str, polarity: int = 1) -> PreferenceFact:
    return profiles.add_fact(
        SHOPPER, text, subject=text, polarity=polarity, source=FactSource.STATED, actor="shopper"
    )


def test_the_facts_nearest_in_meaning_to_the_request_come_first(
    start: Start, embedder: Embedder
) -> None:
    profiles = start(embedder)
    owls = state(profiles, "loves owls")
    candles = state(profiles, "not into candles", polarity=-1)
    budget = profiles.add_fact(
        SHOPPER,
        "budget around £30",
        kind=FactKind.BUDGET,
        subject="budget",
        amount=30.0,
        source=FactSource.STATED,
        actor="shopper",
    )
    profiles.add_fact("s2", "owl mugs", source=FactSource.STATED, actor="shopper")
    owl_mug = embedder.embed(["owl mug"])[0]

    relevant = profiles.relevant_facts(SHOPPER, owl_mug, k=3)

    assert relevant[0] == owls
    assert {f.fact_id for f in relevant} == {owls.fact_id, candles.fact_id, budget.fact_id}
    assert [f.fact_id for f in profiles.relevant_facts(SHOPPER, owl_mug, k=1)] == [owls.fact_id]
    profiles.retract(SHOPPER, owls.fact_id, actor="shopper")
    assert owls.fact_id not in {f.fact_id for f in profiles.relevant_facts(SHOPPER, owl_mug)}
    assert profiles.relevant_facts("nobody", owl_mug) == []


def test_a_fact_another_process_wrote_is_read_from_chroma_not_embedded_again(
    start: Start, embedder: Embedder
) -> None:
    writer = start(embedder)
    reader_model = CountingEmbedder(embedder)
    reader = start(reader_model)
    owls = state(writer, "loves owls")

    assert reader.sync() is False

    [(held, vector)] = reader.facts(SHOPPER)
    assert held == owls
    np.testing.assert_allclose(vector, writer.facts(SHOPPER)[0][1], atol=1e-6)
    assert reader_model.texts == []
    assert [f.fact_id for f in reader.relevant_facts(SHOPPER, vector)] == [owls.fact_id]


def test_a_fact_whose_chroma_write_never_happened_is_embedded_and_filed_at_the_next_load(
    start: Start, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    halfway = CountingEmbedder(embedder)
    profiles = start(halfway)
    with monkeypatch.context() as patched:
        patched.setattr(ChromaVectorStore, "upsert_facts", _lost_connection)
        with pytest.raises(StoreUnavailable):
            state(profiles, "loves owls")
    model = CountingEmbedder(embedder)

    again = start(model)

    [(owls, vector)] = again.facts(SHOPPER)
    assert model.texts == ["loves owls"]
    np.testing.assert_allclose(vector, embedder.embed(["loves owls"])[0], atol=1e-6)
    assert again.relevant_facts(SHOPPER, vector) == [owls]
    profiles.sync()  # the process that stopped halfway catches up, reading what was filed
    assert [f for f, _ in profiles.facts(SHOPPER)] == [owls]
    assert halfway.texts == ["loves owls"]


def test_a_fact_another_process_has_not_filed_yet_is_embedded_but_left_to_it_to_file(
    start: Start, embedder: Embedder, vectors: ChromaVectorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = start(embedder)
    reader_model = CountingEmbedder(embedder)
    reader = start(reader_model)
    filings: list[list[str]] = []

    def hand_over(_store: object, facts: list[PreferenceFact], *_args: object) -> None:
        filings.append([f.fact_id for f in facts])  # to be filed a moment later; here, never

    with monkeypatch.context() as patched:
        patched.setattr(ChromaVectorStore, "upsert_facts", hand_over)
        owls = state(writer, "loves owls")
        reader.sync()
        [(held, vector)] = reader.facts(SHOPPER)

    assert held == owls and reader_model.texts == ["loves owls"]
    np.testing.assert_allclose(vector, embedder.embed(["loves owls"])[0], atol=1e-6)
    assert filings == [[owls.fact_id]], "only the writer files its fact"
    assert vectors.fact_vectors([owls.fact_id]) == {}


def test_a_failed_read_of_fact_vectors_is_made_up_for_by_embedding_them(
    start: Start, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    owls = state(start(embedder), "loves owls")
    model = CountingEmbedder(embedder)
    again = start(model)

    def racing(*_args: object, **_kwargs: object) -> None:
        raise InternalError("Error executing plan: Internal error: Error finding id")

    with monkeypatch.context() as patched:
        patched.setattr(Collection, "get", racing)
        [(held, vector)] = again.facts(SHOPPER)

    assert held == owls and model.texts == ["loves owls"]
    np.testing.assert_allclose(vector, embedder.embed(["loves owls"])[0], atol=1e-6)


def test_a_retraction_chroma_missed_never_takes_a_place_among_the_relevant_facts(
    start: Start, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = start(embedder)
    owls = state(profiles, "loves owls")
    mugs = state(profiles, "likes big mugs")
    with monkeypatch.context() as patched:
        patched.setattr(ChromaVectorStore, "update_facts", _lost_connection)
        with pytest.raises(StoreUnavailable):
            profiles.retract(SHOPPER, owls.fact_id, actor="shopper")

    relevant = start(embedder).relevant_facts(SHOPPER, embedder.embed(["owls"])[0], k=1)

    assert relevant == [mugs]


def _lost_connection(*_args: object) -> None:
    raise StoreUnavailable("Lost the connection to Chroma")


def test_another_process_s_fact_keeps_the_cached_history_and_its_events_replace_it(
    start: Start, embedder: Embedder, records: RecordStore
) -> None:
    records.upsert_shoppers([Shopper(shopper_id=SHOPPER, created_at=datetime(2024, 1, 1))])

    def bought(event_id: str) -> BehaviourEvent:
        at = datetime(2024, 2, 1)
        return BehaviourEvent(
            event_id=event_id, shopper_id=SHOPPER, item_id="i1", kind=EventKind.PURCHASE, at=at
        )

    records.add_events([bought("e1")])
    reader, writer = start(embedder), start(embedder)
    history = reader.events(SHOPPER)

    state(writer, "loves owls")
    reader.sync()
    assert reader.events(SHOPPER) is history  # a fact says nothing about the history
    assert [f.text for f, _ in reader.facts(SHOPPER)] == ["loves owls"]

    records.add_events([bought("e2")])
    reader.sync()
    assert [e.event_id for e in reader.events(SHOPPER)] == ["e1", "e2"]


def test_a_start_reads_a_shopper_s_fact_vectors_only_when_their_facts_are_used(
    start: Start, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    owls = state(start(embedder), "loves owls")
    read: list[list[str]] = []
    fact_vectors = ChromaVectorStore.fact_vectors

    def counted(store: ChromaVectorStore, ids: Sequence[str]) -> dict[str, np.ndarray]:
        read.append(list(ids))
        return fact_vectors(store, ids)

    monkeypatch.setattr(ChromaVectorStore, "fact_vectors", counted)

    again = start(embedder)
    assert read == [] and again.facts("s2") == []

    [(held, _)] = again.facts(SHOPPER)
    assert held == owls and read == [[owls.fact_id]]
