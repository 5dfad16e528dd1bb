"""The SQL record store and the whole agent on a real PostgreSQL server.

A throwaway cluster is started once for the session (see :mod:`tests.pg`); every test gets
a database of its own. The demo shop is loaded into PostgreSQL once for this module and
each agent test works on a copy of it (``CREATE DATABASE … TEMPLATE``), with Chroma copied
from the session's demo template, so the embeddings are computed only once.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from agent.clock import FixedClock
from agent.domain import (
    AnswerKind,
    BehaviourEvent,
    ClarifyingQuestion,
    ConversationStatus,
    Escalation,
    EscalationCause,
    EventKind,
    FeedbackValue,
    QuestionStatus,
    Shopper,
    ShopperMode,
)
from agent.embedding import Embedder
from agent.errors import StoreUnavailable, UnknownShopper
from agent.facade import Tactful
from agent.ingest.online_retail import OnlineRetailData
from agent.settings import Settings
from agent.stores.records import RecordStore, metadata, pseudonym
from tests.conftest import load
from tests.helpers import purchase
from tests.pg import PostgresServer, postgres_server, postgres_url  # noqa: F401

T0 = datetime(2024, 3, 1, 12, 0, 0)


@pytest.fixture
def store(postgres_url: str) -> Iterator[RecordStore]:  # noqa: F811
    records = RecordStore(postgres_url)
    yield records
    records.close()


def event(
    n: int, shopper: str = "s1", minutes: int | None = None, **extra: object
) -> BehaviourEvent:
    return BehaviourEvent.model_validate(
        {
            "event_id": f"e{n}",
            "shopper_id": shopper,
            "item_id": f"i{n % 7}",
            "kind": EventKind.PURCHASE,
            "at": T0 + timedelta(minutes=n if minutes is None else minutes),
            **extra,
        }
    )


def question(qid: str, shopper: str = "s1", event_id: str = "e1") -> ClarifyingQuestion:
    return ClarifyingQuestion(
        question_id=qid,
        shopper_id=shopper,
        event_id=event_id,
        item_id="i1",
        item_title="Pink pony lunch box",
        text="Was the lunch box for you?",
        status=QuestionStatus.PENDING,
        created_at=T0,
    )


def fill_shopper(store: RecordStore, shopper: str, offset: int = 0) -> str:
    """Give a shopper one row in every table; returns their conversation id."""
    store.upsert_shoppers([Shopper(shopper_id=shopper, country="UK", created_at=T0)])
    store.add_events([event(offset + k, shopper) for k in range(3)])
    store.add_question(question(f"q-{shopper}", shopper, f"e{offset}"))
    conversation = store.create_conversation(shopper, T0)
    store.add_turn(conversation, "shopper", "a gift for my niece", None, T0)
    store.add_turn(conversation, "agent", "How about…", {"shopper": shopper}, T0)
    store.add_escalation(
        Escalation(
            escalation_id=f"x-{shopper}",
            conversation_id=conversation,
            shopper_id=shopper,
            cause=EscalationCause.REQUESTED,
            detail="wants a human",
            at=T0,
        )
    )
    store.add_feedback(shopper, conversation, "i1", FeedbackValue.DOWN, T0)
    store.audit("staff:ann", shopper, "fact.add", shopper, {"shopper": shopper, "n": 1}, T0)
    return conversation


def values_mentioning(engine: sa.Engine, shopper_id: str) -> list[tuple[str, tuple[object, ...]]]:
    """Every row, in any table, holding the id as a value or as a JSON string."""
    quoted = json.dumps(shopper_id)  # how the id appears inside a stored JSON text
    found = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                if any(v == shopper_id or (isinstance(v, str) and quoted in v) for v in row):
                    found.append((table.name, tuple(row)))
    return found


# -- the record store ----------------------------------------------------------------------


def test_upserting_shoppers_adds_new_ones_and_updates_known_countries(store: RecordStore) -> None:
    store.upsert_shoppers([Shopper(shopper_id="s1", country="UK", created_at=T0)])
    store.set_personalized("s1", False)

    new = store.upsert_shoppers(
        [
            Shopper(shopper_id="s1", country="France", created_at=T0 + timedelta(days=1)),
            Shopper(shopper_id="s2", created_at=T0),
            Shopper(shopper_id="s2", created_at=T0),
        ]
    )
    store.upsert_shoppers([Shopper(shopper_id="s1", country=None, created_at=T0)])

    assert new == 1
    assert store.get_shopper("s1") == Shopper(
        shopper_id="s1", country="France", personalized=False, created_at=T0
    )
    assert store.shopper_ids() == ["s1", "s2"]
    assert store.shopper_countries() == {"s1": "France", "s2": None}
    with pytest.raises(UnknownShopper):
        store.set_personalized("nobody", True)


def test_adding_thousands_of_events_twice_adds_them_once(store: RecordStore) -> None:
    # More than IN_CHUNK ids, so the "already stored?" look-up runs in several chunks.
    batch = [event(n, f"s{n % 40}") for n in range(3000)]

    assert store.add_events(batch) == 3000
    assert store.add_events(batch) == 0
    assert store.add_events([*batch[::-1], event(3000), event(3000)]) == 1
    assert store.count_events() == 3001


def test_events_round_trip_unchanged_with_aware_times_stored_as_naive_utc(
    store: RecordStore,
) -> None:
    paris = timezone(timedelta(hours=1))
    rated = event(
        1,
        kind=EventKind.RATING,
        rating=4.5,
        quantity=2.25,
        session_id="w1",
        recipient="niece",
        context="widget «gift»",
        at=datetime(2024, 3, 1, 13, 0, 0, 123456, tzinfo=paris),
    )
    store.add_events([rated])

    stored = store.get_event("e1")

    assert stored == rated
    assert stored is not None and stored.at == datetime(2024, 3, 1, 12, 0, 0, 123456)
    assert stored.at.tzinfo is None
    assert store.get_event("nope") is None


def test_a_shoppers_events_come_oldest_first_with_ties_broken_by_id(store: RecordStore) -> None:
    store.add_events(
        [
            event(1, minutes=30),
            event(2, minutes=10),
            event(3, "s2", minutes=20),
            event(5, minutes=10),
            event(4, minutes=10),
        ]
    )

    assert [e.event_id for e in store.events_for("s1")] == ["e2", "e4", "e5", "e1"]
    assert store.events_for("nobody") == []


def test_iterating_events_pages_through_all_in_time_order(store: RecordStore) -> None:
    store.add_events([event(n, f"s{n % 3}", minutes=n // 4) for n in range(23)])

    pages = list(store.iter_events(batch=5))

    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    flat = [e for page in pages for e in page]
    assert len({e.event_id for e in flat}) == 23
    assert [(e.at, e.event_id) for e in flat] == sorted((e.at, e.event_id) for e in flat)


def test_event_columns_hold_every_event_as_parallel_arrays(store: RecordStore) -> None:
    assert len(store.event_columns().event_ids) == 0

    store.add_events(
        [
            event(1, "s1", minutes=0),
            event(2, "s2", minutes=90, kind=EventKind.RATING, rating=3.5, quantity=4),
            event(3, "s1", minutes=5, recipient="friend"),
        ]
    )
    columns = store.event_columns()

    order = np.argsort(columns.event_ids)
    assert list(columns.event_ids[order]) == ["e1", "e2", "e3"]
    assert list(columns.shopper_ids[order]) == ["s1", "s2", "s1"]
    assert list(columns.item_ids[order]) == ["i1", "i2", "i3"]
    assert list(columns.kinds[order]) == ["purchase", "rating", "purchase"]
    assert list(columns.at[order]) == [
        np.datetime64(T0, "s"),
        np.datetime64(T0 + timedelta(minutes=90), "s"),
        np.datetime64(T0 + timedelta(minutes=5), "s"),
    ]
    assert columns.quantity[order].tolist() == [1.0, 4.0, 1.0]
    assert np.isnan(columns.rating[order][0]) and columns.rating[order][1] == 3.5
    assert columns.for_someone_else[order].tolist() == [False, False, True]


def test_questions_are_added_updated_and_listed(store: RecordStore) -> None:
    q = question("q1")
    store.add_question(q)
    store.add_question(question("q2", shopper="s2"))

    answered = q.model_copy(
        update={
            "status": QuestionStatus.ANSWERED,
            "asked_at": T0 + timedelta(minutes=1),
            "answer": AnswerKind.FOR_SOMEONE_ELSE,
            "recipient": "niece",
        }
    )
    store.update_question(answered)

    assert store.questions_for("s1") == [answered]
    assert store.open_question_event_ids() == {"e1"}
    with pytest.raises(KeyError):
        store.update_question(question("missing"))


def test_conversations_keep_their_turns_mode_and_json_payloads(store: RecordStore) -> None:
    payload = {
        "suggestions": [{"item_id": "i1", "score": 0.125, "reason": "you bought “owls” ☕"}],
        "question": None,
        "nested": {"flags": [True, False], "n": 3},
    }
    conversation = store.create_conversation("s1", T0)
    store.add_turn(conversation, "shopper", "hi", None, T0)
    store.add_turn(conversation, "agent", "hello", payload, T0)
    store.add_turn(conversation, "staff", "Ann here", {}, T0 + timedelta(seconds=1))

    record = store.get_conversation(conversation)
    assert record is not None and record.status is ConversationStatus.ACTIVE
    record.mode = ShopperMode.GIFT
    record.mode_locked = True
    record.status = ConversationStatus.ESCALATED
    record.updated_at = T0 + timedelta(minutes=5)
    store.update_conversation(record)

    assert store.get_conversation(conversation) == record
    assert store.conversations_for("s1") == [record]
    turns = store.turns(conversation)
    assert [(t.role, t.text) for t in turns] == [
        ("shopper", "hi"),
        ("agent", "hello"),
        ("staff", "Ann here"),
    ]
    assert [t.payload for t in turns] == [None, payload, {}]
    assert store.get_conversation("missing") is None


def test_escalations_stay_open_until_resolved(store: RecordStore) -> None:
    conversation = fill_shopper(store, "s1")

    [escalation] = store.escalations_for("s1")
    assert escalation.conversation_id == conversation
    assert store.open_escalations() == [escalation]

    assert store.set_escalation_status(escalation.escalation_id, "resolved")
    assert store.open_escalations() == []
    assert not store.set_escalation_status("missing", "resolved")


def test_feedback_is_listed_in_the_order_given(store: RecordStore) -> None:
    conversation = store.create_conversation("s1", T0)
    for value in (FeedbackValue.UP, FeedbackValue.DOWN, FeedbackValue.NOT_FOR_ME):
        store.add_feedback("s1", conversation, None, value, T0)

    assert store.feedback_for_conversation(conversation) == [
        FeedbackValue.UP,
        FeedbackValue.DOWN,
        FeedbackValue.NOT_FOR_ME,
    ]


def test_audit_rows_come_back_oldest_first_with_their_detail(store: RecordStore) -> None:
    store.audit("shopper", "s1", "fact.add", "f1", {"text": "likes owls", "n": 1}, T0)
    store.audit("staff:ann", "s1", "fact.forgotten", "f1", {}, T0 + timedelta(minutes=1))
    store.audit("system", "s2", "fact.add", None, {"text": "x"}, T0)

    rows = store.audit_for("s1")

    assert [(a.actor, a.action, a.target) for a in rows] == [
        ("shopper", "fact.add", "f1"),
        ("staff:ann", "fact.forgotten", "f1"),
    ]
    assert rows[0].detail == {"text": "likes owls", "n": 1} and rows[1].detail == {}
    assert rows[0].at == T0


def test_erasing_a_shopper_leaves_no_row_mentioning_them_but_a_pseudonymised_audit(
    store: RecordStore,
) -> None:
    fill_shopper(store, "s1")
    other_conversation = fill_shopper(store, "s2", offset=100)
    assert store.count_rows_mentioning("s1") > 0

    counts = store.erase_shopper("s1", actor="staff:ann", at=T0)

    assert store.count_rows_mentioning("s1") == 0
    assert values_mentioning(store.engine, "s1") == []
    assert counts == {
        "turns": 2,
        "escalations": 1,
        "feedback": 1,
        "conversations": 1,
        "questions": 1,
        "events": 3,
        "shoppers": 1,
        "audit_pseudonymised": 1,
    }
    hashed = pseudonym("s1")
    audit = store.audit_for("s1")
    assert [a.action for a in audit] == ["fact.add", "erase"]
    assert all(a.shopper_id == hashed for a in audit)
    assert audit[0].target == hashed and audit[0].detail == {"shopper": hashed, "n": 1}
    assert audit[1].detail["events"] == 3
    # The other shopper is untouched.
    assert len(store.events_for("s2")) == 3
    assert len(store.turns(other_conversation)) == 2
    assert store.count_rows_mentioning("s2") > 0


def test_erasing_an_id_with_like_wildcards_spares_ids_it_would_match_as_a_pattern(
    store: RecordStore,
) -> None:
    store.audit("system", None, "note", None, {"who": "a_1%"}, T0)
    store.audit("system", None, "note", None, {"who": "ab1xyz"}, T0)
    store.audit("system", None, "note", None, {"who": "a\\1"}, T0)

    counts = store.erase_shopper("a_1%", at=T0)

    assert counts["audit_pseudonymised"] == 1
    assert values_mentioning(store.engine, "a_1%") == []
    assert len(values_mentioning(store.engine, "ab1xyz")) == 1
    assert len(values_mentioning(store.engine, "a\\1")) == 1


def test_a_database_missing_on_the_server_raises_store_unavailable(
    postgres_server: PostgresServer,  # noqa: F811
) -> None:
    with pytest.raises(StoreUnavailable, match="Cannot open the database"):
        RecordStore(postgres_server.url("no_such_database"))


# -- the whole agent -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_on_postgres(
    postgres_server: PostgresServer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Path,
    demo_data: OnlineRetailData,
    data_now: datetime,
    embedder: Embedder,
) -> Iterator[tuple[str, Path]]:
    """The demo shop loaded into a PostgreSQL database, and a home with its Chroma."""
    database = postgres_server.create_database()
    home = tmp_path_factory.mktemp("pg-demo-template")
    # Chroma comes already filled from the SQLite demo template: the items are then
    # unchanged, so loading does not embed the catalog a second time.
    shutil.copytree(demo_template / "chroma", home / "chroma")
    settings = Settings(home=home, database_url=postgres_server.url(database))
    with Tactful.open(settings, clock=FixedClock(data_now), embedder=embedder) as tactful:
        load(tactful, demo_data)
        assert tactful.records.count_events() == len({e.event_id for e in demo_data.events})
    yield database, home
    postgres_server.drop_database(database)


@pytest.fixture
def agent(
    postgres_server: PostgresServer,  # noqa: F811
    demo_on_postgres: tuple[str, Path],
    tmp_path: Path,
    clock: FixedClock,
    embedder: Embedder,
) -> Iterator[Tactful]:
    """A private copy of the demo shop on PostgreSQL, clock at the day after its data ends."""
    template, template_home = demo_on_postgres
    database = postgres_server.create_database(template=template)
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    settings = Settings(home=home, database_url=postgres_server.url(database))
    with Tactful.open(settings, clock=clock, embedder=embedder) as tactful:
        assert tactful.records.engine.dialect.name == "postgresql"
        yield tactful
    postgres_server.drop_database(database)


def test_a_correction_on_postgres_changes_the_very_next_answer(
    agent: Tactful, demo_shopper: str
) -> None:
    before = agent.chat(demo_shopper, "show me candles")
    assert any("candle" in s.item.title.lower() for s in before.suggestions)

    agent.chat(demo_shopper, "I'm not into candles", conversation_id=before.conversation_id)
    after = agent.recommend(demo_shopper, k=10)

    assert not any("candle" in s.item.title.lower() for s in after)
    turns = agent.records.turns(before.conversation_id)
    assert [t.role for t in turns] == ["shopper", "agent", "shopper", "agent"]
    assert turns[0].text == "show me candles"
    assert any(t.payload for t in turns if t.role == "agent")
    assert "fact.add" in [a.action for a in agent.records.audit_for(demo_shopper)]


def test_an_out_of_profile_purchase_on_postgres_is_asked_about_at_the_next_turn(
    agent: Tactful, demo_shopper: str, gift_item: str, clock: FixedClock
) -> None:
    report = agent.record_events([purchase(demo_shopper, gift_item, clock)])
    assert [q.item_id for q in report.questions] == [gift_item]

    reply = agent.chat(demo_shopper, "show me something")

    assert reply.question is not None and reply.question.item_id == gift_item
    assert reply.question.status is QuestionStatus.ASKED
    [stored] = agent.records.questions_for(demo_shopper)
    assert (stored.item_id, stored.status) == (gift_item, QuestionStatus.ASKED)
    assert reply.suggestions


def test_erasing_on_postgres_leaves_nothing_of_the_shopper_in_sql_or_chroma(
    agent: Tactful, demo_shopper: str, gift_item: str
) -> None:
    agent.record_events([purchase(demo_shopper, gift_item, agent.clock)])
    agent.chat(demo_shopper, "I love owls")
    agent.chat(demo_shopper, "talk to a person")
    agent.profiles.snapshot_taste(demo_shopper, agent.index.catalog, agent.clock.now())
    assert agent.records.escalations_for(demo_shopper)
    assert agent.vectors.count_for_shopper(demo_shopper) > 0

    agent.erase(demo_shopper)

    assert agent.records.count_rows_mentioning(demo_shopper) == 0
    assert values_mentioning(agent.records.engine, demo_shopper) == []
    assert agent.vectors.count_for_shopper(demo_shopper) == 0
    assert {a.shopper_id for a in agent.records.audit_for(demo_shopper)} == {
        pseudonym(demo_shopper)
    }
    with pytest.raises(UnknownShopper):
        agent.recommend(demo_shopper)
