"""Everything tactful keeps in SQL, through SQLAlchemy Core: shoppers, events, questions,
conversations, escalations and feedback here; facts, the change feed and the audit trail
in :mod:`agent.stores.sql`.

Portable by construction: only SQLAlchemy constructs, no dialect-specific SQL, so the same
code runs on the embedded SQLite file and on PostgreSQL given its URL. All datetimes are
stored naive in UTC.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from agent.domain import (
    AnswerKind,
    BehaviourEvent,
    ClarifyingQuestion,
    ConversationStatus,
    Escalation,
    EscalationCause,
    EscalationStatus,
    EventKind,
    EvidenceKind,
    FeedbackValue,
    QuestionStatus,
    Shopper,
    ShopperMode,
)
from agent.errors import InvalidInput, StoreUnavailable, UnknownShopper
from agent.stores.sql import audit, changes
from agent.stores.sql.audit import AuditRecord
from agent.stores.sql.base import ID, KIND, create_tables, metadata, sqlite_file
from agent.stores.sql.base import chunks as _chunks
from agent.stores.sql.base import dump_json as _dump_json
from agent.stores.sql.base import utc as _utc
from agent.stores.sql.changes import ChangeFeed, ChangeKind
from agent.stores.sql.erasure import ErasureReport
from agent.stores.sql.experiments import assignments, exposures
from agent.stores.sql.facts import FactStore, facts, vector_keys
from agent.stores.sql.ratings import satisfaction
from agent.stores.sql.wal import WalCheckpoints
from tools.signals import EventColumns
from tools.types import as_given

Role = Literal["shopper", "agent", "staff"]

#: Copies the write-ahead log into the database file, then empties the log file.
TRUNCATE_LOG = "PRAGMA wal_checkpoint(TRUNCATE)"

shoppers = sa.Table(
    "shoppers",
    metadata,
    sa.Column("shopper_id", ID, primary_key=True),
    sa.Column("country", sa.String(100), nullable=True),
    sa.Column("personalized", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", ID, primary_key=True),
    sa.Column("shopper_id", ID, nullable=False),
    sa.Column("item_id", ID, nullable=False, index=True),
    sa.Column("kind", KIND, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("quantity", sa.Float, nullable=False),
    sa.Column("rating", sa.Float, nullable=True),
    sa.Column("session_id", sa.String(128), nullable=True),
    sa.Column("recipient", sa.String(200), nullable=True),
    sa.Column("context", sa.Text, nullable=True),
    # (shopper, time) serves both "a shopper's events" and its time order;
    # (time, id) serves the keyset paging of iter_events.
    sa.Index("ix_events_shopper_at", "shopper_id", "at"),
    sa.Index("ix_events_at_id", "at", "event_id"),
)

questions = sa.Table(
    "questions",
    metadata,
    sa.Column("question_id", ID, primary_key=True),
    sa.Column("shopper_id", ID, nullable=False, index=True),
    sa.Column("event_id", ID, nullable=False),
    sa.Column("item_id", ID, nullable=False, index=True),
    sa.Column("item_title", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", KIND, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("asked_at", sa.DateTime, nullable=True),
    sa.Column("answer", KIND, nullable=True),
    sa.Column("recipient", sa.String(200), nullable=True),
)

# The reads every answer makes, built once: making a statement cost more than running it.
_SHOPPER_ID: sa.BindParameter[str] = sa.bindparam("shopper_id")
_SHOPPER = sa.select(shoppers).where(shoppers.c.shopper_id == _SHOPPER_ID)
_EVENTS_OF = (
    sa.select(events)
    .where(events.c.shopper_id == _SHOPPER_ID)
    .order_by(events.c.at, events.c.event_id)
)
_QUESTIONS_OF = (
    sa.select(questions)
    .where(questions.c.shopper_id == _SHOPPER_ID)
    .order_by(questions.c.created_at, questions.c.question_id)
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("conversation_id", ID, primary_key=True),
    sa.Column("shopper_id", ID, nullable=False, index=True),
    sa.Column("status", KIND, nullable=False),
    sa.Column("mode", KIND, nullable=True),
    sa.Column("mode_locked", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

turn_rows = sa.Table(
    "turns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "conversation_id",
        ID,
        sa.ForeignKey("conversations.conversation_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("role", KIND, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=True),
    sa.Column("at", sa.DateTime, nullable=False),
)

escalations = sa.Table(
    "escalations",
    metadata,
    sa.Column("escalation_id", ID, primary_key=True),
    sa.Column("conversation_id", ID, nullable=False, index=True),
    sa.Column("shopper_id", ID, nullable=False, index=True),
    sa.Column("cause", KIND, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("status", KIND, nullable=False, index=True),
    sa.Column("staff", sa.String(128), nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    sa.Column("unclaimed_notice_at", sa.DateTime, nullable=True),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("shopper_id", ID, nullable=False, index=True),
    sa.Column("conversation_id", ID, nullable=True, index=True),
    sa.Column("item_id", ID, nullable=True),
    sa.Column("value", KIND, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)


class ConversationRecord(BaseModel):
    """One conversation's row: who, how it stands, and the mode it assumed."""

    conversation_id: str
    shopper_id: str
    status: ConversationStatus = ConversationStatus.ACTIVE
    mode: ShopperMode | None = None
    mode_locked: bool = False
    created_at: datetime
    updated_at: datetime


class TurnRecord(BaseModel):
    """One stored turn of a conversation, with its structured payload if any."""

    role: Role
    text: str
    payload: dict[str, Any] | None = None
    at: datetime


class FeedbackRecord(BaseModel):
    """One thumbs up/down or 'not for me', on a reply or on one item."""

    value: FeedbackValue
    item_id: str | None
    conversation_id: str | None
    at: datetime


def _opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _event_row(event: BehaviourEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "shopper_id": event.shopper_id,
        "item_id": event.item_id,
        "kind": event.kind.value,
        "at": _utc(event.at),
        "quantity": event.quantity,
        "rating": event.rating,
        "session_id": event.session_id,
        "recipient": event.recipient,
        "context": event.context,
    }


#: Every field is given on a read: saying so spares pydantic working it out per event.
#: One set serves every event read: events are frozen, and a model copy copies the set
#: before changing it. A cached history then holds a third fewer objects for the
#: garbage collector to scan.
_EVENT_FIELDS = set(BehaviourEvent.model_fields)
_EVENT_KINDS = {kind.value: kind for kind in EventKind}


#: An event as a plain row of ``events``: every column, in table order. Strings, numbers
#: and times only, so a tuple of them is never scanned by the cyclic garbage collector.
EventRow = tuple[
    str, str, str, str, datetime, float, float | None, str | None, str | None, str | None
]


#: Where an :data:`EventRow` holds the event's time.
EVENT_ROW_AT = events.columns.keys().index("at")


def event_values(event: BehaviourEvent) -> EventRow:
    """The row :func:`event_from_row` makes ``event`` from again."""
    return (
        event.event_id,
        event.shopper_id,
        event.item_id,
        event.kind.value,
        event.at,
        event.quantity,
        event.rating,
        event.session_id,
        event.recipient,
        event.context,
    )


def event_from_row(row: sa.Row[Any] | EventRow) -> BehaviourEvent:
    """An event from a row of ``sa.select(events)`` or an :data:`EventRow`."""
    # Not validated again: rows were validated on the way in, and validating 100k+ events
    # on every read is the slow part of a full scan; one shopper's history is read on
    # every ranking for them.
    event_id, shopper_id, item_id, kind, at, quantity, rating, session_id, recipient, context = (
        tuple(row)
    )
    values = {
        "event_id": event_id,
        "shopper_id": shopper_id,
        "item_id": item_id,
        "kind": _EVENT_KINDS[kind],
        "at": at,
        "quantity": quantity,
        "rating": rating,
        "session_id": session_id,
        "recipient": recipient,
        "context": context,
    }
    return as_given(BehaviourEvent, values, _EVENT_FIELDS)


def _question_row(q: ClarifyingQuestion) -> dict[str, Any]:
    return {
        "question_id": q.question_id,
        "shopper_id": q.shopper_id,
        "event_id": q.event_id,
        "item_id": q.item_id,
        "item_title": q.item_title,
        "text": q.text,
        "status": q.status.value,
        "created_at": _utc(q.created_at),
        "asked_at": _opt_utc(q.asked_at),
        "answer": q.answer.value if q.answer else None,
        "recipient": q.recipient,
    }


def _conversation_from_row(row: sa.Row[Any]) -> ConversationRecord:
    return ConversationRecord(
        conversation_id=row.conversation_id,
        shopper_id=row.shopper_id,
        status=ConversationStatus(row.status),
        mode=ShopperMode(row.mode) if row.mode else None,
        mode_locked=bool(row.mode_locked),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


#: Statuses written before the hand-over lifecycle existed.
_LEGACY_ESCALATION_STATUS = {"open": EscalationStatus.WAITING}


def _escalation_from_row(row: sa.Row[Any]) -> Escalation:
    return Escalation(
        escalation_id=row.escalation_id,
        conversation_id=row.conversation_id,
        shopper_id=row.shopper_id,
        cause=EscalationCause(row.cause),
        detail=row.detail,
        at=row.at,
        status=_LEGACY_ESCALATION_STATUS.get(row.status) or EscalationStatus(row.status),
        staff=row.staff,
        updated_at=row.updated_at,
        unclaimed_notice_at=row.unclaimed_notice_at,
    )


def _escalation_row(escalation: Escalation) -> dict[str, Any]:
    return {
        "escalation_id": escalation.escalation_id,
        "conversation_id": escalation.conversation_id,
        "shopper_id": escalation.shopper_id,
        "cause": escalation.cause.value,
        "detail": escalation.detail,
        "at": _utc(escalation.at),
        "status": escalation.status.value,
        "staff": escalation.staff,
        "updated_at": _opt_utc(escalation.updated_at),
        "unclaimed_notice_at": _opt_utc(escalation.unclaimed_notice_at),
    }


def _shared_strings(pages: list[np.ndarray]) -> np.ndarray:
    """One column of ids as objects, each distinct id one string however many events
    name it. The strings are made here, after the read, from compact text: kept from
    the rows, each would have held in memory the block of short-lived row objects it was
    made among, and a rebuild left the process some 50 MB larger at the full Online Retail
    shop."""
    if not pages:
        return np.zeros(0, dtype=object)
    distinct, positions = np.unique(np.concatenate(pages), return_inverse=True)
    return np.array(distinct.tolist(), dtype=object)[positions.ravel()]


def _driver_pages(conn: Connection, query: sa.Select[Any], page: int) -> Iterator[Sequence[Any]]:
    """The rows of a query without parameters, as the database driver hands them over,
    ``page`` at a time: SQLAlchemy's row objects took a third of a full read of the
    events. The query is still compiled for the connection's own dialect."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(query.compile(conn)))
        while rows := cursor.fetchmany(page):
            yield rows
    finally:
        cursor.close()


def add_missing_columns(engine: Engine) -> None:
    """Add columns that newer versions define to tables an older version created.

    ``create_all`` only creates missing tables; a data folder from before a column
    existed would otherwise fail on the first read. New columns are all nullable.
    """
    inspector = sa.inspect(engine)
    existing_tables = set(inspector.get_table_names())
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name not in existing_tables:
                continue
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present or not column.nullable:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


def _make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"Not a database URL: {url!r}") from exc
    shown = parsed.render_as_string(hide_password=True)
    is_sqlite, in_file = parsed.get_backend_name() == "sqlite", sqlite_file(parsed) is not None
    in_memory = is_sqlite and not in_file
    if in_file and parsed.database:
        try:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"Cannot open the database at {shown}: {exc}") from exc
    try:
        engine = sa.create_engine(parsed)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreUnavailable(f"No database driver for {shown}: {exc}") from exc
    if is_sqlite:

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if not in_memory:
                # WAL lets readers and the writer work at once; NORMAL sync is safe with WAL.
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                # Checkpoints run in the background instead of inside a commit (see wal).
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted rows and freed pages are overwritten with zeros, so an erased
            # shopper's bytes do not linger in the file (see RecordStore.erase_shopper).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

    return engine


class RecordStore:
    """Everything tactful keeps in SQL; one instance per database URL.

    Tables are created on construction. A database that cannot be reached raises
    :class:`StoreUnavailable` naming the URL with its password masked.
    """

    def __init__(self, url: str) -> None:
        """Connect to ``url`` (any SQLAlchemy URL) and create missing tables."""
        self.engine = _make_engine(url)
        self.url = self.engine.url.render_as_string(hide_password=True)
        try:
            create_tables(metadata, self.engine)
            add_missing_columns(self.engine)
            self.changes = ChangeFeed(self.engine)
        except OperationalError as exc:
            self.engine.dispose()
            raise StoreUnavailable(f"Cannot open the database at {self.url}: {exc.orig}") from exc
        self.facts = FactStore(self.engine)
        self._checkpoints = WalCheckpoints(self.engine) if sqlite_file(self.engine.url) else None

    def close(self) -> None:
        """Release every pooled connection."""
        if self._checkpoints is not None:
            self._checkpoints.stop()
        self.changes.close()
        self.engine.dispose()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _existing(self, conn: Connection, column: sa.Column[Any], ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(ids)):
            found.update(conn.scalars(sa.select(column).where(column.in_(chunk))))
        return found

    # -- shoppers ---------------------------------------------------------------------------

    def upsert_shoppers(self, items: Sequence[Shopper]) -> int:
        """Insert new shoppers and update the country of known ones; returns how many were new.

        A known shopper keeps its ``personalized`` flag and ``created_at``; its country
        changes only when the incoming one is set.
        """
        latest = {s.shopper_id: s for s in items}  # the last mention of an id wins
        with self.engine.begin() as conn:
            known = self._existing(conn, shoppers.c.shopper_id, latest)
            new = [
                {
                    "shopper_id": s.shopper_id,
                    "country": s.country,
                    "personalized": s.personalized,
                    "created_at": _utc(s.created_at),
                }
                for s in latest.values()
                if s.shopper_id not in known
            ]
            if new:
                conn.execute(sa.insert(shoppers), new)
            changed = [
                {"sid": s.shopper_id, "country": s.country}
                for s in latest.values()
                if s.shopper_id in known and s.country is not None
            ]
            if changed:
                conn.execute(
                    sa.update(shoppers)
                    .where(shoppers.c.shopper_id == sa.bindparam("sid"))
                    .values(country=sa.bindparam("country")),
                    changed,
                )
        return len(new)

    def get_shopper(self, shopper_id: str) -> Shopper | None:
        """One shopper, or None if unknown."""
        with self.engine.connect() as conn:
            row = conn.execute(_SHOPPER, {"shopper_id": shopper_id}).first()
        if row is None:
            return None
        return Shopper(
            shopper_id=row.shopper_id,
            country=row.country,
            personalized=bool(row.personalized),
            created_at=row.created_at,
        )

    def shopper_ids_starting(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` shopper ids that begin with ``prefix``, in order (support staff
        look a shopper up by the id a customer gives them)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (
            sa.select(shoppers.c.shopper_id)
            .where(shoppers.c.shopper_id.like(f"{escaped}%", escape="\\"))
            .order_by(shoppers.c.shopper_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.scalars(query))

    def set_personalized(
        self, shopper_id: str, personalized: bool, at: datetime | None = None
    ) -> None:
        """Turn personalization on or off; raises :class:`UnknownShopper` if unknown."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(shoppers)
                .where(shoppers.c.shopper_id == shopper_id)
                .values(personalized=personalized)
            )
            if result.rowcount == 0:
                raise UnknownShopper(f"No shopper with id {shopper_id!r}.")
            when = at or datetime.now(UTC)
            changes.append(conn, shopper_id, ChangeKind.PERSONALIZATION, when)

    def shopper_ids(self) -> list[str]:
        """Every shopper id, sorted."""
        with self.engine.connect() as conn:
            return list(
                conn.scalars(sa.select(shoppers.c.shopper_id).order_by(shoppers.c.shopper_id))
            )

    def shoppers_with_events(self) -> set[str]:
        """Every shopper who has an event stored (one pass over the shopper index)."""
        with self.engine.connect() as conn:
            return set(conn.scalars(sa.select(events.c.shopper_id).distinct()))

    def shopper_countries(self) -> dict[str, str | None]:
        """Each shopper's country (None where unknown)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(shoppers.c.shopper_id, shoppers.c.country))
            return {row.shopper_id: row.country for row in rows}

    # -- events -----------------------------------------------------------------------------

    def add_events(self, items: Sequence[BehaviourEvent]) -> int:
        """Store events whose ids are not stored yet; returns how many were new.

        Idempotent: re-adding the same events adds nothing. One transaction per call.
        """
        rows: dict[str, dict[str, Any]] = {}
        for event in items:
            rows.setdefault(event.event_id, _event_row(event))  # first mention wins
        if not rows:
            return 0
        with self.engine.begin() as conn:
            known = self._existing(conn, events.c.event_id, rows)
            new = [row for event_id, row in rows.items() if event_id not in known]
            if new:
                conn.execute(sa.insert(events), new)
                # Other processes holding these shoppers' histories drop them.
                named = sorted({row["shopper_id"] for row in new})
                changes.append_many(
                    conn, [(s, None) for s in named], ChangeKind.EVENTS, datetime.now(UTC)
                )
        return len(new)

    def events_for(self, shopper_id: str) -> list[BehaviourEvent]:
        """A shopper's events, oldest first."""
        return [event_from_row(row) for row in self.event_rows_for(shopper_id)]

    def event_rows_for(self, shopper_id: str) -> list[EventRow]:
        """A shopper's events as plain rows (see :func:`event_from_row`), oldest first."""
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(_EVENTS_OF, {"shopper_id": shopper_id})]

    def iter_events(self, batch: int = 50_000) -> Iterator[list[BehaviourEvent]]:
        """Every event, oldest first, in lists of up to ``batch``.

        Pages by (time, id) rather than holding one cursor open, so no transaction stays
        open while the caller works on a page.
        """
        if batch < 1:
            raise ValueError("batch must be at least 1")
        order = (events.c.at, events.c.event_id)
        last: tuple[datetime, str] | None = None
        while True:
            query = sa.select(events).order_by(*order).limit(batch)
            if last is not None:
                at, event_id = last
                query = query.where(
                    sa.or_(
                        events.c.at > at, sa.and_(events.c.at == at, events.c.event_id > event_id)
                    )
                )
            with self.engine.connect() as conn:
                page = [event_from_row(row) for row in conn.execute(query)]
            if not page:
                return
            yield page
            if len(page) < batch:
                return
            last = (page[-1].at, page[-1].event_id)

    def event_columns(self, page: int = 5_000) -> EventColumns:
        """Every event as parallel numpy columns: the fast path for shop-wide statistics.

        Read a page at a time into compact columns: an id that many events share (a
        shopper's, an item's, a kind) is one string however many events name it, and
        times are parsed by numpy a page at once, not into one datetime per event. A
        million events then take about a hundred megabytes, not six hundred. Pages are
        small because each page's row objects are all alive at once: while a worker
        answers beside a rebuild, the objects its answers keep land among them and hold
        their memory after the read. At 50,000 rows a page, a worker stayed some 35 MB
        larger after its first rebuild at the full Online Retail shop than at 5,000, which
        read as fast.
        """
        query = sa.select(
            events.c.event_id,
            events.c.shopper_id,
            events.c.item_id,
            events.c.kind,
            # SQLite keeps times as ISO text, which numpy parses; other drivers hand back
            # datetimes, which it takes as they are.
            sa.type_coerce(events.c.at, sa.String),
            events.c.quantity,
            events.c.rating,
            events.c.recipient.is_not(None),
        )
        ids: list[np.ndarray] = []
        shoppers: list[np.ndarray] = []
        items: list[np.ndarray] = []
        kinds: list[np.ndarray] = []
        at: list[np.ndarray] = []
        numbers: list[np.ndarray] = []
        for_others: list[np.ndarray] = []
        with self.engine.connect() as conn:
            for rows in _driver_pages(conn, query, page):
                columns = list(zip(*rows, strict=True))
                # Text in one array, not a string object per event: each is read once, and
                # a million small objects left the process that much larger afterwards.
                ids.append(np.array(columns[0], dtype=str))
                for column, into in zip(columns[1:4], (shoppers, items, kinds), strict=True):
                    into.append(np.array(column, dtype=str))
                at.append(np.array(columns[4], dtype="datetime64[us]").astype("datetime64[s]"))
                numbers.append(np.array(columns[5:7], dtype=np.float64))  # a None rating: NaN
                for_others.append(np.array(columns[7], dtype=bool))
        both = np.concatenate(numbers, axis=1) if numbers else np.zeros((2, 0))
        return EventColumns(
            event_ids=np.concatenate(ids) if ids else np.zeros(0, dtype=str),
            shopper_ids=_shared_strings(shoppers),
            item_ids=_shared_strings(items),
            kinds=_shared_strings(kinds),
            at=np.concatenate(at) if at else np.zeros(0, dtype="datetime64[s]"),
            quantity=both[0].copy(),
            rating=both[1].copy(),
            for_someone_else=np.concatenate(for_others) if for_others else np.zeros(0, bool),
        )

    def get_event(self, event_id: str) -> BehaviourEvent | None:
        """One event, or None if unknown."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(events).where(events.c.event_id == event_id)).first()
        return None if row is None else event_from_row(row)

    def set_events_recipient(
        self, shopper_id: str, event_ids: Sequence[str], recipient: str | None
    ) -> None:
        """Record who some of a shopper's events were for (None: the shopper), in one
        commit; event ids that are not the shopper's are left alone."""
        with self.engine.begin() as conn:
            for chunk in _chunks(list(event_ids)):
                conn.execute(
                    sa.update(events)
                    .where(events.c.shopper_id == shopper_id, events.c.event_id.in_(chunk))
                    .values(recipient=recipient)
                )
            changes.append(conn, shopper_id, ChangeKind.EVENTS, datetime.now(UTC))

    def count_events(self) -> int:
        """How many events are stored."""
        with self.engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(events)) or 0)

    # -- clarifying questions ---------------------------------------------------------------

    def add_question(self, question: ClarifyingQuestion) -> None:
        """Store a new clarifying question."""
        with self.engine.begin() as conn:
            conn.execute(sa.insert(questions), [_question_row(question)])
            changes.append(conn, question.shopper_id, ChangeKind.EVENTS, datetime.now(UTC))

    def update_question(self, question: ClarifyingQuestion) -> None:
        """Overwrite a stored question (matched by ``question_id``)."""
        row = _question_row(question)
        question_id = row.pop("question_id")
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(questions).where(questions.c.question_id == question_id).values(**row)
            )
            if result.rowcount:
                changes.append(conn, question.shopper_id, ChangeKind.EVENTS, datetime.now(UTC))
        if result.rowcount == 0:
            raise KeyError(f"no question with id {question_id!r}")

    def questions_for(self, shopper_id: str) -> list[ClarifyingQuestion]:
        """A shopper's questions, oldest first."""
        with self.engine.connect() as conn:
            return [
                ClarifyingQuestion(
                    question_id=row.question_id,
                    shopper_id=row.shopper_id,
                    event_id=row.event_id,
                    item_id=row.item_id,
                    item_title=row.item_title,
                    text=row.text,
                    status=row.status,
                    created_at=row.created_at,
                    asked_at=row.asked_at,
                    answer=AnswerKind(row.answer) if row.answer else None,
                    recipient=row.recipient,
                )
                for row in conn.execute(_QUESTIONS_OF, {"shopper_id": shopper_id})
            ]

    def open_question_event_ids(self) -> set[str]:
        """Ids of the events whose question is still open (pending or asked), shop-wide."""
        open_statuses = [QuestionStatus.PENDING.value, QuestionStatus.ASKED.value]
        query = sa.select(questions.c.event_id).where(questions.c.status.in_(open_statuses))
        with self.engine.connect() as conn:
            return set(conn.scalars(query))

    # -- conversations ----------------------------------------------------------------------

    def create_conversation(self, shopper_id: str, now: datetime) -> str:
        """Start a conversation for a shopper; returns its new id (uuid4 hex)."""
        conversation_id = uuid.uuid4().hex
        at = _utc(now)
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(conversations).values(
                    conversation_id=conversation_id,
                    shopper_id=shopper_id,
                    status=ConversationStatus.ACTIVE.value,
                    mode=None,
                    mode_locked=False,
                    created_at=at,
                    updated_at=at,
                )
            )
        return conversation_id

    def get_conversation(self, conversation_id: str) -> ConversationRecord | None:
        """One conversation, or None if unknown."""
        query = sa.select(conversations).where(conversations.c.conversation_id == conversation_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _conversation_from_row(row)

    def update_conversation(self, record: ConversationRecord) -> None:
        """Save a conversation's status, mode, lock and ``updated_at``."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(conversations)
                .where(conversations.c.conversation_id == record.conversation_id)
                .values(
                    status=record.status.value,
                    mode=record.mode.value if record.mode else None,
                    mode_locked=record.mode_locked,
                    updated_at=_utc(record.updated_at),
                )
            )
        if result.rowcount == 0:
            raise KeyError(f"no conversation with id {record.conversation_id!r}")

    def conversations_for(self, shopper_id: str) -> list[ConversationRecord]:
        """A shopper's conversations, oldest first."""
        query = (
            sa.select(conversations)
            .where(conversations.c.shopper_id == shopper_id)
            .order_by(conversations.c.created_at, conversations.c.conversation_id)
        )
        with self.engine.connect() as conn:
            return [_conversation_from_row(row) for row in conn.execute(query)]

    def add_turn(
        self,
        conversation_id: str,
        role: Role,
        text: str,
        payload: dict[str, Any] | None,
        at: datetime,
    ) -> None:
        """Append a turn; ``payload`` must be JSON-serialisable (``model_dump(mode="json")``)."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(turn_rows).values(
                    conversation_id=conversation_id,
                    role=role,
                    text=text,
                    payload=None if payload is None else _dump_json(payload),
                    at=_utc(at),
                )
            )

    def turns(self, conversation_id: str) -> list[TurnRecord]:
        """A conversation's turns in the order they were added."""
        query = (
            sa.select(turn_rows)
            .where(turn_rows.c.conversation_id == conversation_id)
            .order_by(turn_rows.c.id)
        )
        with self.engine.connect() as conn:
            return [
                TurnRecord(
                    role=row.role,
                    text=row.text,
                    payload=json.loads(row.payload) if row.payload is not None else None,
                    at=row.at,
                )
                for row in conn.execute(query)
            ]

    def turn_counts(self, conversation_ids: Sequence[str]) -> dict[str, int]:
        """How many turns each conversation has (none: left out), in one query."""
        if not conversation_ids:
            return {}
        query = (
            sa.select(turn_rows.c.conversation_id, sa.func.count())
            .where(turn_rows.c.conversation_id.in_(list(conversation_ids)))
            .group_by(turn_rows.c.conversation_id)
        )
        with self.engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(query)}

    def last_agent_payload(self, conversation_id: str) -> dict[str, Any] | None:
        """The payload of the agent's latest turn: all a new turn needs to read, however
        long the conversation. None when the agent has not spoken yet."""
        query = (
            sa.select(turn_rows.c.payload)
            .where(turn_rows.c.conversation_id == conversation_id, turn_rows.c.role == "agent")
            .order_by(turn_rows.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return json.loads(row.payload) if row.payload is not None else {}

    # -- escalations ------------------------------------------------------------------------

    def add_escalation(self, escalation: Escalation) -> None:
        """Store an escalation to staff."""
        with self.engine.begin() as conn:
            conn.execute(sa.insert(escalations).values(**_escalation_row(escalation)))

    def save_escalation(self, escalation: Escalation) -> None:
        """Overwrite a stored escalation's status, staff and times (matched by id)."""
        row = _escalation_row(escalation)
        escalation_id = row.pop("escalation_id")
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(escalations)
                .where(escalations.c.escalation_id == escalation_id)
                .values(**row)
            )
        if result.rowcount == 0:
            raise KeyError(f"no escalation with id {escalation_id!r}")

    def get_escalation(self, escalation_id: str) -> Escalation | None:
        """One escalation, or None if unknown."""
        found = self._escalations(escalations.c.escalation_id == escalation_id)
        return found[0] if found else None

    def escalations_for(self, shopper_id: str) -> list[Escalation]:
        """A shopper's escalations, oldest first."""
        return self._escalations(escalations.c.shopper_id == shopper_id)

    def escalations_in(self, conversation_id: str) -> list[Escalation]:
        """A conversation's escalations, oldest first."""
        return self._escalations(escalations.c.conversation_id == conversation_id)

    def open_escalations(self) -> list[Escalation]:
        """Every escalation still with the team (waiting or taken), oldest first."""
        still_open = [s.value for s in EscalationStatus if s.open] + list(_LEGACY_ESCALATION_STATUS)
        return self._escalations(escalations.c.status.in_(still_open))

    def _escalations(self, condition: sa.ColumnElement[bool]) -> list[Escalation]:
        query = (
            sa.select(escalations)
            .where(condition)
            .order_by(escalations.c.at, escalations.c.escalation_id)
        )
        with self.engine.connect() as conn:
            return [_escalation_from_row(row) for row in conn.execute(query)]

    # -- feedback ---------------------------------------------------------------------------

    def add_feedback(
        self,
        shopper_id: str,
        conversation_id: str | None,
        item_id: str | None,
        value: FeedbackValue,
        at: datetime,
    ) -> None:
        """Record a thumbs up/down or 'not for me' on a reply or an item."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(feedback).values(
                    shopper_id=shopper_id,
                    conversation_id=conversation_id,
                    item_id=item_id,
                    value=FeedbackValue(value).value,
                    at=_utc(at),
                )
            )

    def feedback_for_conversation(self, conversation_id: str) -> list[FeedbackValue]:
        """The feedback given in a conversation, in the order it was given."""
        query = (
            sa.select(feedback.c.value)
            .where(feedback.c.conversation_id == conversation_id)
            .order_by(feedback.c.id)
        )
        with self.engine.connect() as conn:
            return [FeedbackValue(value) for value in conn.scalars(query)]

    def feedback_for(self, shopper_id: str) -> list[FeedbackRecord]:
        """Every piece of feedback a shopper gave, oldest first."""
        query = sa.select(feedback).where(feedback.c.shopper_id == shopper_id)
        with self.engine.connect() as conn:
            return [
                FeedbackRecord(
                    value=FeedbackValue(row.value),
                    item_id=row.item_id,
                    conversation_id=row.conversation_id,
                    at=row.at,
                )
                for row in conn.execute(query.order_by(feedback.c.id))
            ]

    # -- audit ------------------------------------------------------------------------------

    def audit(
        self,
        actor: str,
        shopper_id: str | None,
        action: str,
        target: str | None,
        detail: dict[str, Any],
        at: datetime,
    ) -> None:
        """Append a row to the audit trail; ``detail`` names kinds and ids, never anyone's words."""
        with self.engine.begin() as conn:
            audit.write(
                conn,
                actor=actor,
                shopper_id=shopper_id,
                action=action,
                target=target,
                detail=detail,
                at=at,
            )

    def audit_for(self, shopper_key: str) -> list[AuditRecord]:
        """A shopper's audit rows, oldest first; for an erased shopper, pass the
        ``audit_token`` of their :class:`ErasureReport`."""
        with self.engine.connect() as conn:
            return audit.rows_for(conn, shopper_key)

    # -- erasure ----------------------------------------------------------------------------

    @staticmethod
    def _rows_of(shopper_id: str) -> list[tuple[str | None, sa.Table, sa.ColumnElement[bool]]]:
        """Every row about the shopper, by table, children before their parents; with the
        :class:`ErasureReport` field that counts them, if any."""
        theirs = sa.select(conversations.c.conversation_id).where(
            conversations.c.shopper_id == shopper_id
        )

        def owned(table: sa.Table) -> sa.ColumnElement[bool]:
            return table.c.shopper_id == shopper_id

        def owned_or_in_theirs(table: sa.Table) -> sa.ColumnElement[bool]:
            return sa.or_(owned(table), table.c.conversation_id.in_(theirs))

        return [
            ("messages", turn_rows, turn_rows.c.conversation_id.in_(theirs)),
            ("escalations", escalations, owned_or_in_theirs(escalations)),
            ("feedback", feedback, owned_or_in_theirs(feedback)),
            ("satisfaction", satisfaction, owned_or_in_theirs(satisfaction)),
            ("conversations", conversations, owned(conversations)),
            ("questions", questions, owned(questions)),
            ("events", events, owned(events)),
            ("facts", facts, owned(facts)),
            ("exposures", exposures, owned(exposures)),
            ("assignments", assignments, owned(assignments)),
            (None, vector_keys, owned(vector_keys)),
            (None, changes.changes, owned(changes.changes)),
            (None, shoppers, owned(shoppers)),
        ]

    def _holdings(self, conn: Connection, shopper_id: str) -> ErasureReport:
        counts = {
            name: int(conn.scalar(sa.select(sa.func.count()).select_from(table).where(rows)) or 0)
            for name, table, rows in self._rows_of(shopper_id)
            if name not in (None, "events")  # events are counted by kind
        }
        n = sa.func.count().label("n")
        by_kind = (
            sa.select(events.c.kind, n)
            .where(events.c.shopper_id == shopper_id)
            .group_by(events.c.kind)
            .order_by(n.desc(), events.c.kind)
        )
        return ErasureReport(events={row.kind: row.n for row in conn.execute(by_kind)}, **counts)

    def held_counts(self, shopper_id: str) -> ErasureReport:
        """What :meth:`erase_shopper` would remove now."""
        with self.engine.connect() as conn:
            return self._holdings(conn, shopper_id)

    def erase_shopper(
        self, shopper_id: str, *, actor: str = "system", at: datetime | None = None
    ) -> ErasureReport:
        """Delete everything about a shopper in one transaction, and say what it was.

        Their vector key goes too, so whatever Chroma still keeps under it leads to no one
        (:mod:`agent.stores.sql.facts`). What stays: their audit rows, under a random token
        and without detail beyond kinds (:mod:`agent.stores.sql.audit`), plus an ``erase``
        row with the counts; and other shoppers' stored suggestions that cited them as a
        similar shopper, now citing "erased". On SQLite the write-ahead log is then emptied
        into the database file, where ``secure_delete`` has already zeroed the deleted rows.
        """
        token = audit.erasure_token()
        when = _utc(at) if at is not None else datetime.now(UTC).replace(tzinfo=None)
        with self.engine.begin() as conn:
            report = self._holdings(conn, shopper_id)
            for _, table, rows in self._rows_of(shopper_id):
                conn.execute(sa.delete(table).where(rows))
            self._uncite(conn, shopper_id)
            audit.rekey(conn, shopper_id, token)
            audit.write(
                conn,
                actor=token if actor == shopper_id else actor,
                shopper_id=token,
                action="erase",
                target=None,
                detail=report.counts(),
                at=when,
            )
            changes.append(conn, None, ChangeKind.ERASE, when)
        # Old page images in the write-ahead log still hold the deleted rows.
        self._on_sqlite(TRUNCATE_LOG)
        return report.model_copy(update={"audit_token": token})

    def vacuum(self) -> None:
        """Rebuild an SQLite file, so that no free page keeps bytes from before
        ``secure_delete`` was on. (PostgreSQL: nothing to do; its rows are out of reach.)"""
        self._on_sqlite("VACUUM", TRUNCATE_LOG)

    def _on_sqlite(self, *statements: str) -> None:
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)

    @staticmethod
    def _uncite(conn: Connection, shopper_id: str) -> None:
        """Replace the shopper's id where other shoppers' suggestions cite them as similar."""
        citing = sa.select(turn_rows.c.id, turn_rows.c.payload).where(
            turn_rows.c.payload.contains(json.dumps(shopper_id), autoescape=True)
        )
        for row in conn.execute(citing).all():
            payload = _uncited(json.loads(row.payload), shopper_id)
            conn.execute(
                sa.update(turn_rows)
                .where(turn_rows.c.id == row.id)
                .values(payload=_dump_json(payload))
            )


def _uncited(value: Any, shopper_id: str) -> Any:
    """A copy of a stored payload whose similar-shopper evidence no longer names the shopper."""
    if isinstance(value, list):
        return [_uncited(v, shopper_id) for v in value]
    if isinstance(value, dict):
        if value.get("kind") == EvidenceKind.SHOPPER.value and value.get("ref") == shopper_id:
            return {**value, "ref": "erased"}
        return {k: _uncited(v, shopper_id) for k, v in value.items()}
    return value
