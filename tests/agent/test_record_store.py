"""The SQL record store on SQLite and PostgreSQL: idempotent ingestion, conversations,
facts and the change feed, erasure."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event as sa_event

from agent.domain import (
    AnswerKind,
    BehaviourEvent,
    ClarifyingQuestion,
    ConversationStatus,
    Escalation,
    EscalationCause,
    EscalationStatus,
    EventKind,
    FactKind,
    FactSource,
    FactStatus,
    FeedbackValue,
    PreferenceFact,
    QuestionStatus,
    Shopper,
    ShopperMode,
)
from agent.errors import StoreUnavailable, UnknownShopper
from agent.experiments.model import Arm, Experiment, ExposedItem, Exposure, Source
from agent.stores.records import RecordStore
from agent.stores.sql.changes import ChangeKind
from agent.stores.sql.experiments import ExperimentStore
from tests.helpers import values_mentioning
from tests.pg import postgres_server, postgres_url  # noqa: F401
from tests.scan import files_mentioning

T0 = datetime(2024, 3, 1, 12, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    """The same behaviours on both backends; PostgreSQL is a real throwaway server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'nested' / 'tactful.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    records = RecordStore(url)
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


def add_fact(store: RecordStore, item: PreferenceFact) -> str:
    return store.facts.add(item, actor="shopper", at=T0)


def fill_shopper(store: RecordStore, shopper: str, offset: int = 0) -> str:
    """Give a shopper one row in every table; returns their conversation id."""
    store.upsert_shoppers([Shopper(shopper_id=shopper, country="UK", created_at=T0)])
    store.add_events([event(offset + k, shopper) for k in range(3)])
    store.add_question(question(f"q-{shopper}", shopper, f"e{offset}"))
    add_fact(store, fact(f"f{offset}", shopper))
    store.set_personalized(shopper, True, at=T0)
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
    store.audit("staff:ann", shopper, "note", shopper, {"shopper": shopper, "n": 1}, T0)
    shown_in_experiment(store, shopper, conversation)
    return conversation


def shown_in_experiment(store: RecordStore, shopper: str, conversation: str) -> None:
    """An arm and a list shown, as a running experiment records them."""
    experiments = ExperimentStore(store.engine)
    experiment = experiments.get_experiment("exp") or Experiment(key="exp", created_at=T0)
    experiments.save_experiment(experiment, new=experiments.get_experiment("exp") is None, at=T0)
    experiments.assign(experiment, shopper, Arm.AI, T0)
    experiments.add_exposure(
        Exposure(
            exposure_id=f"ex-{shopper}",
            experiment_key="exp",
            bucket_version=1,
            shopper_id=shopper,
            arm=Arm.AI.value,
            at=T0,
            shown_at=T0,
            conversation_id=conversation,
            items=[ExposedItem(item_id="i1", position=1, source=Source.AI)],
        )
    )


def test_the_database_file_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "t.db"

    RecordStore(f"sqlite:///{path}").close()

    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_adding_the_same_events_twice_adds_them_once(store: RecordStore) -> None:
    batch = [event(n) for n in range(10)]

    assert store.add_events(batch) == 10
    assert store.add_events(batch) == 0
    assert store.add_events([*batch, event(10), event(10)]) == 1
    assert store.count_events() == 11


def test_events_round_trip_unchanged(store: RecordStore) -> None:
    rated = event(1, kind=EventKind.RATING, rating=4.5, session_id="w1", context="widget")
    store.add_events([rated])

    assert store.get_event("e1") == rated
    assert store.get_event("nope") is None
    [read] = store.events_for(rated.shopper_id)
    assert read == rated
    assert read.model_dump_json() == rated.model_dump_json()


def test_aware_times_are_stored_as_naive_utc(store: RecordStore) -> None:
    paris = timezone(timedelta(hours=1))
    store.add_events([event(1, at=datetime(2024, 3, 1, 13, 0, tzinfo=paris))])

    stored = store.get_event("e1")

    assert stored is not None and stored.at == datetime(2024, 3, 1, 12, 0)


def test_a_shoppers_events_come_oldest_first(store: RecordStore) -> None:
    store.add_events([event(1, minutes=30), event(2, minutes=10), event(3, "s2", minutes=20)])

    assert [e.event_id for e in store.events_for("s1")] == ["e2", "e1"]
    assert store.events_for("nobody") == []


def test_iterating_events_pages_through_all_in_time_order(store: RecordStore) -> None:
    # Several events share a timestamp, so paging must break ties by id.
    store.add_events([event(n, f"s{n % 3}", minutes=n // 4) for n in range(23)])

    pages = list(store.iter_events(batch=5))

    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    flat = [e for page in pages for e in page]
    assert len({e.event_id for e in flat}) == 23
    assert [e.at for e in flat] == sorted(e.at for e in flat)


def test_event_recipient_can_be_set_and_cleared(store: RecordStore) -> None:
    store.add_events([event(1)])

    store.set_events_recipient("s1", ["e1"], "niece")
    assert store.get_event("e1").recipient == "niece"  # type: ignore[union-attr]
    store.set_events_recipient("s1", ["e1"], None)
    assert store.get_event("e1").recipient is None  # type: ignore[union-attr]
    # Another shopper's event is never changed.
    store.set_events_recipient("someone-else", ["e1"], "friend")
    assert store.get_event("e1").recipient is None  # type: ignore[union-attr]


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
    assert store.get_shopper("nobody") is None


def test_personalizing_an_unknown_shopper_raises(store: RecordStore) -> None:
    with pytest.raises(UnknownShopper):
        store.set_personalized("nobody", True)


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
    assert store.open_question_event_ids() == {"e1"}  # s2's question is still pending


def test_conversations_keep_their_turns_mode_and_payloads(store: RecordStore) -> None:
    conversation = store.create_conversation("s1", T0)
    store.add_turn(conversation, "shopper", "hi", None, T0)
    store.add_turn(conversation, "agent", "hello", {"suggestions": [{"item_id": "i1"}]}, T0)

    record = store.get_conversation(conversation)
    assert record is not None and record.status is ConversationStatus.ACTIVE
    record.mode = ShopperMode.GIFT
    record.mode_locked = True
    record.updated_at = T0 + timedelta(minutes=5)
    store.update_conversation(record)

    assert store.get_conversation(conversation) == record
    assert store.conversations_for("s1") == [record]
    turns = store.turns(conversation)
    assert [(t.role, t.text) for t in turns] == [("shopper", "hi"), ("agent", "hello")]
    assert turns[0].payload is None
    assert turns[1].payload == {"suggestions": [{"item_id": "i1"}]}
    assert store.get_conversation("missing") is None


def test_escalations_stay_open_until_resolved(store: RecordStore) -> None:
    conversation = fill_shopper(store, "s1")

    [escalation] = store.escalations_for("s1")
    assert escalation.conversation_id == conversation
    assert store.open_escalations() == [escalation]

    store.save_escalation(escalation.model_copy(update={"status": EscalationStatus.RESOLVED}))
    assert store.open_escalations() == []


def test_feedback_is_listed_in_the_order_given(store: RecordStore) -> None:
    conversation = store.create_conversation("s1", T0)
    for value in (FeedbackValue.UP, FeedbackValue.DOWN, FeedbackValue.NOT_FOR_ME):
        store.add_feedback("s1", conversation, None, value, T0)

    assert store.feedback_for_conversation(conversation) == [
        FeedbackValue.UP,
        FeedbackValue.DOWN,
        FeedbackValue.NOT_FOR_ME,
    ]


def test_erasing_a_shopper_leaves_no_row_mentioning_them(store: RecordStore) -> None:
    fill_shopper(store, "s1")
    other_conversation = fill_shopper(store, "s2", offset=100)
    assert values_mentioning(store.engine, "s1")

    report = store.erase_shopper("s1", actor="staff:ann", at=T0)

    assert values_mentioning(store.engine, "s1") == []
    assert report.counts() == {
        "conversations": 1,
        "messages": 2,
        "facts": 1,
        "purchase": 3,
        "questions": 1,
        "feedback": 1,
        "satisfaction": 0,
        "escalations": 1,
        "exposures": 1,
        "assignments": 1,
        "exports": 0,
    }
    # The other shopper is untouched.
    assert len(store.events_for("s2")) == 3
    assert len(store.turns(other_conversation)) == 2
    assert store.get_shopper("s2") is not None
    assert [f.fact_id for f in store.facts.for_shopper("s2")] == ["f100"]
    assert store.facts.vector_key("s2") is not None


def test_what_is_held_is_counted_as_an_erasure_would_remove_it(store: RecordStore) -> None:
    fill_shopper(store, "s1")
    store.add_events([event(50, kind=EventKind.VIEW), event(51, kind=EventKind.VIEW)])

    held = store.held_counts("s1")

    assert held.events == {"purchase": 3, "view": 2}
    assert store.erase_shopper("s1").counts() == held.counts()
    assert sum(store.held_counts("s1").counts().values()) == 0


def test_an_erased_shoppers_audit_rows_stay_under_a_random_token_without_their_detail(
    store: RecordStore,
) -> None:
    fill_shopper(store, "s1")

    report = store.erase_shopper("s1", at=T0)

    token = str(report.audit_token)
    assert token.startswith("erased-") and store.audit_for("s1") == []
    audit = store.audit_for(token)
    assert [(a.action, a.target) for a in audit] == [
        ("fact.add", "f0"),
        ("note", token),
        ("erase", None),
    ]
    assert audit[0].detail == {"source": "stated", "status": "active"}
    assert audit[1].detail == {}
    assert audit[2].detail["purchase"] == 3
    # Nothing links the token to the id: the next erasure of the same id gets another.
    fill_shopper(store, "s1")
    assert store.erase_shopper("s1", at=T0).audit_token != token


def test_erasing_an_unknown_shopper_removes_nothing(store: RecordStore) -> None:
    fill_shopper(store, "s2")

    report = store.erase_shopper("nobody")

    assert sum(report.counts().values()) == 0
    assert store.count_events() == 3


def test_erasure_removes_the_shopper_from_other_shoppers_suggestions_citing_them(
    store: RecordStore,
) -> None:
    fill_shopper(store, "s1")
    conversation = store.create_conversation("s2", T0)
    cited = {"kind": "shopper", "ref": "s1", "label": "a shopper in UK", "weight": 0.4}
    suggestion = {
        "item": {"item_id": "s1"},
        "factors": [{"name": "community", "evidence": [cited]}],
    }
    store.add_turn(conversation, "agent", "How about…", {"suggestions": [suggestion]}, T0)

    store.erase_shopper("s1")

    [turn] = store.turns(conversation)
    assert turn.payload is not None
    [kept] = turn.payload["suggestions"]
    assert kept["factors"][0]["evidence"][0] == {**cited, "ref": "erased"}
    assert kept["item"] == {"item_id": "s1"}  # an item that happens to share the id stays


def test_on_sqlite_no_byte_of_an_erased_shopper_stays_in_the_database_files(
    tmp_path: Path,
) -> None:
    store = RecordStore(f"sqlite:///{tmp_path / 'tactful.db'}")
    for n in range(30):  # enough rows that the shopper's share several pages with others
        fill_shopper(store, f"other-{n}", offset=1000 + 10 * n)
    fill_shopper(store, "shopper-qx7")
    add_fact(store, fact("f-z", "shopper-qx7", text="allergic to zanzibarwood"))
    assert files_mentioning(tmp_path, ["shopper-qx7", "zanzibarwood"])

    store.erase_shopper("shopper-qx7")

    # Still open: the write-ahead log has been emptied, not merely left for the next open.
    assert (tmp_path / "tactful.db-wal").stat().st_size == 0
    assert files_mentioning(tmp_path, ["shopper-qx7", "zanzibarwood"]) == []
    store.close()


def test_unreachable_database_raises_store_unavailable_with_password_masked(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    with pytest.raises(StoreUnavailable, match="Cannot open the database"):
        RecordStore(f"sqlite:///{blocker}/db.sqlite")  # a file where a folder should be

    with pytest.raises(StoreUnavailable) as caught:
        RecordStore("postgresql+psycopg://ann:secret@127.0.0.1:9/tactful")
    assert "secret" not in str(caught.value)


def test_now_default_for_erasure_is_naive_utc(store: RecordStore) -> None:
    report = store.erase_shopper("s9")

    [row] = store.audit_for(str(report.audit_token))

    assert row.at.tzinfo is None
    assert abs(row.at - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)


def test_event_columns_read_a_page_at_a_time_hold_every_event_once(store: RecordStore) -> None:
    store.add_events([event(n, f"s{n % 2}", minutes=n) for n in range(7)])

    whole, paged = store.event_columns(), store.event_columns(page=3)

    assert sorted(paged.event_ids) == sorted(whole.event_ids) == [f"e{n}" for n in range(7)]
    order = np.argsort(paged.event_ids)
    assert list(paged.shopper_ids[order]) == [f"s{n % 2}" for n in range(7)]
    times = [np.datetime64(T0 + timedelta(minutes=n), "s") for n in range(7)]
    assert list(paged.at[order]) == times
    # One plain string per shopper, however many events and pages name them.
    assert {type(s) for s in paged.shopper_ids} == {str}
    assert len({id(s) for s in paged.shopper_ids}) == 2


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


def test_audit_rows_come_back_oldest_first_with_their_detail(store: RecordStore) -> None:
    store.audit("shopper", "s1", "fact.add", "f1", {"source": "stated", "n": 1}, T0)
    store.audit("staff:ann", "s1", "fact.forgotten", "f1", {}, T0 + timedelta(minutes=1))
    store.audit("system", "s2", "fact.add", None, {"source": "staff"}, T0)

    rows = store.audit_for("s1")

    assert [(a.actor, a.action, a.target) for a in rows] == [
        ("shopper", "fact.add", "f1"),
        ("staff:ann", "fact.forgotten", "f1"),
    ]
    assert rows[0].detail == {"source": "stated", "n": 1} and rows[1].detail == {}
    assert rows[0].at == T0


def test_erasing_an_id_with_like_wildcards_spares_ids_it_would_match_as_a_pattern(
    store: RecordStore,
) -> None:
    store.audit("system", None, "note", None, {"who": "a_1%"}, T0)
    store.audit("system", None, "note", None, {"who": "ab1xyz"}, T0)
    store.audit("system", None, "note", None, {"who": "a\\1"}, T0)

    store.erase_shopper("a_1%", at=T0)

    assert values_mentioning(store.engine, "a_1%") == []
    assert len(values_mentioning(store.engine, "ab1xyz")) == 1
    assert len(values_mentioning(store.engine, "a\\1")) == 1


# -- facts, taste snapshots and the change feed -----------------------------------------


def test_facts_round_trip_with_dates_evidence_and_optional_fields(store: RecordStore) -> None:
    budget = fact("f2", kind=FactKind.BUDGET, subject="budget", amount=25.0, evidence=[])
    add_fact(store, fact("f1"))
    add_fact(store, budget)
    add_fact(store, fact("f3", shopper_id="s2"))

    got = {f.fact_id: f for f in store.facts.for_shopper("s1")}

    assert got == {"f1": fact("f1"), "f2": budget}
    assert {f.fact_id for f in store.facts.all()} == {"f1", "f2", "f3"}
    assert store.facts.shoppers() == {"s1", "s2"}


def test_a_retracted_fact_can_be_neither_reinforced_nor_retracted_again(
    store: RecordStore,
) -> None:
    add_fact(store, fact("f1"))
    reinforced = fact("f1", confidence=1.0, reinforced_at=T0)

    assert store.facts.reinforce(reinforced, actor="shopper", at=T0)
    assert store.facts.retract(reinforced, actor="shopper", reason="forgotten", at=T0)
    assert not store.facts.retract(reinforced, actor="shopper", reason="forgotten", at=T0)
    assert not store.facts.reinforce(reinforced, actor="shopper", at=T0)

    [stored] = store.facts.for_shopper("s1")
    assert (stored.status, stored.confidence) == (FactStatus.RETRACTED, 1.0)


def test_an_erased_fact_is_never_written_back_by_a_reinforcement(store: RecordStore) -> None:
    fill_shopper(store, "s1")
    [held] = store.facts.for_shopper("s1")
    store.erase_shopper("s1")

    assert not store.facts.reinforce(held, actor="shopper", at=T0)
    assert not store.facts.retract(held, actor="shopper", reason="forgotten", at=T0)
    assert store.facts.for_shopper("s1") == []


def test_fact_changes_are_audited_without_the_facts_words(store: RecordStore) -> None:
    add_fact(store, fact("f1"))
    store.facts.retract(fact("f1"), actor="staff:ann", reason="forgotten", at=T0)

    rows = store.audit_for("s1")

    assert [(a.actor, a.action, a.target) for a in rows] == [
        ("shopper", "fact.add", "f1"),
        ("staff:ann", "fact.forgotten", "f1"),
    ]
    assert rows[1].detail == {"source": "stated", "status": "retracted"}
    holding = [table for table, _ in values_mentioning(store.engine, "prefers vegan leather")]
    assert holding == ["facts"]


def test_the_change_feed_names_whose_facts_or_personalization_changed_in_order(
    store: RecordStore,
) -> None:
    store.upsert_shoppers([Shopper(shopper_id="s2", created_at=T0)])
    start = store.changes.latest()
    add_fact(store, fact("f1"))
    store.set_personalized("s2", False, at=T0)
    store.facts.retract(fact("f1"), actor="shopper", reason="forgotten", at=T0)

    feed = store.changes.since(start)

    assert [(c.shopper_id, c.kind) for c in feed] == [
        ("s1", ChangeKind.FACTS),
        ("s2", ChangeKind.PERSONALIZATION),
        ("s1", ChangeKind.FACTS),
    ]
    assert [c.seq for c in feed] == [start + 1, start + 2, start + 3]
    assert store.changes.latest() == start + 3
    assert store.changes.since(start + 3) == []
    assert [c.seq for c in store.changes.since(start, limit=2)] == [start + 1, start + 2]


def test_the_change_feed_read_again_and_again_finds_what_another_process_wrote(
    store: RecordStore,
) -> None:
    other = RecordStore(store.engine.url.render_as_string(hide_password=False))
    reads: list[str] = []
    sa_event.listen(store.engine, "before_cursor_execute", lambda *args: reads.append(args[2]))
    try:
        start = store.changes.latest()
        for _ in range(3):
            assert store.changes.since(start) == []
        quiet = [sql for sql in reads if "FROM changes" in sql]
        add_fact(other, fact("f1"))
        assert [c.seq for c in store.changes.since(start)] == [start + 1]
        assert store.changes.since(start + 1) == []
        add_fact(other, fact("f2", shopper_id="s2"))
        found = store.changes.since(start + 1)
        # An earlier place in the feed still reads what lies after it.
        assert [c.seq for c in store.changes.since(start)] == [start + 1, start + 2]
    finally:
        other.close()
    assert [(c.seq, c.shopper_id) for c in found] == [(start + 2, "s2")]
    if store.engine.url.get_backend_name() == "sqlite":
        # With no commit in between, SQLite tells so without reading the feed again.
        assert len(quiet) == 1


def test_an_erasure_enters_the_change_feed_naming_nobody_and_takes_their_rows_with_it(
    store: RecordStore,
) -> None:
    fill_shopper(store, "s1")
    fill_shopper(store, "s2", offset=100)

    store.erase_shopper("s1", at=T0)

    feed = store.changes.since(0)
    assert {c.shopper_id for c in feed} == {"s2", None}
    assert (feed[-1].shopper_id, feed[-1].kind) == (None, ChangeKind.ERASE)


def test_a_shopper_gets_one_random_vector_key_on_first_need_and_a_new_one_after_erasure(
    store: RecordStore,
) -> None:
    assert store.facts.vector_key("s1") is None

    key = add_fact(store, fact("f1"))

    assert re.fullmatch(r"v-[0-9a-f]{16}", key)
    assert add_fact(store, fact("f2")) == key == store.facts.ensure_vector_key("s1")
    assert store.facts.vector_key("s1") == key
    assert store.facts.ensure_vector_key("s2") not in {key, None}
    store.erase_shopper("s1", at=T0)
    assert store.facts.vector_key("s1") is None
    assert values_mentioning(store.engine, key) == []
    assert add_fact(store, fact("f3")) != key


def test_a_shoppers_feedback_comes_back_with_item_and_time(store: RecordStore) -> None:
    conversation = store.create_conversation("s1", T0)
    store.add_feedback("s1", conversation, "i1", FeedbackValue.NOT_FOR_ME, T0)
    store.add_feedback("s1", None, None, FeedbackValue.UP, T0 + timedelta(minutes=1))
    store.add_feedback("s2", None, "i2", FeedbackValue.DOWN, T0)

    given = store.feedback_for("s1")

    assert [(f.value, f.item_id, f.conversation_id, f.at) for f in given] == [
        (FeedbackValue.NOT_FOR_ME, "i1", conversation, T0),
        (FeedbackValue.UP, None, None, T0 + timedelta(minutes=1)),
    ]
