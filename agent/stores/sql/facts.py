"""Preference facts with their provenance, and the key that finds a shopper's vectors.

A fact's words, subject, recipient and evidence, and everything it says about where it
came from, live here in SQL, beside the rest of the shopper, where an erasure reaches
every byte. Every write appends to the audit trail and the change feed in the same
transaction.

The vectors live in Chroma (:mod:`agent.stores.vectors`), filed under the shopper's
*vector key*: a random token given on first need and kept only in ``vector_keys``.
Chroma keeps what was deleted in its write-ahead queue and its database's free pages,
and a Chroma server's files are out of reach; so Chroma never receives an id or a word
of the shopper's, and after an erasure whatever it still keeps (the key, fact ids,
vectors, kinds and times) leads to no one: the one row that joined the key to the
shopper is gone from this database byte for byte.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from agent.domain import FactKind, FactSource, FactStatus, PreferenceFact
from agent.stores.sql import audit, changes
from agent.stores.sql.base import ID, KIND, metadata, utc
from agent.stores.sql.changes import ChangeKind

facts = sa.Table(
    "facts",
    metadata,
    sa.Column("fact_id", ID, primary_key=True),
    sa.Column("shopper_id", ID, nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("kind", KIND, nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("polarity", sa.SmallInteger, nullable=False),
    sa.Column("source", KIND, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("reinforced_at", sa.DateTime, nullable=False),
    sa.Column("status", KIND, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),  # a JSON list of event ids
    sa.Column("amount", sa.Float, nullable=True),
    sa.Column("recipient", sa.String(200), nullable=True),
)

vector_keys = sa.Table(
    "vector_keys",
    metadata,
    sa.Column("shopper_id", ID, primary_key=True),
    sa.Column("key", ID, nullable=False, unique=True),
)


def fact_row(fact: PreferenceFact) -> dict[str, Any]:
    return {
        "fact_id": fact.fact_id,
        "shopper_id": fact.shopper_id,
        "text": fact.text,
        "kind": fact.kind.value,
        "subject": fact.subject,
        "polarity": fact.polarity,
        "source": fact.source.value,
        "confidence": fact.confidence,
        "created_at": utc(fact.created_at),
        "reinforced_at": utc(fact.reinforced_at),
        "status": fact.status.value,
        "evidence": json.dumps(fact.evidence),
        "amount": fact.amount,
        "recipient": fact.recipient,
    }


def _fact_from_row(row: sa.Row[Any]) -> PreferenceFact:
    return PreferenceFact(
        fact_id=row.fact_id,
        shopper_id=row.shopper_id,
        text=row.text,
        kind=FactKind(row.kind),
        subject=row.subject,
        polarity=1 if row.polarity >= 0 else -1,
        source=FactSource(row.source),
        confidence=row.confidence,
        created_at=row.created_at,
        reinforced_at=row.reinforced_at,
        status=FactStatus(row.status),
        evidence=json.loads(row.evidence),
        amount=row.amount,
        recipient=row.recipient,
    )


def key_for(conn: Connection, shopper_id: str) -> str:
    """The shopper's vector key, given now if they have none (inside the caller's
    transaction; see :meth:`FactStore._retrying` for two processes giving one at once)."""
    key = conn.scalar(sa.select(vector_keys.c.key).where(vector_keys.c.shopper_id == shopper_id))
    if key is None:
        key = f"v-{secrets.token_hex(8)}"
        conn.execute(sa.insert(vector_keys).values(shopper_id=shopper_id, key=key))
    return str(key)


class FactStore:
    """Reads and writes facts and gives out vector keys; each fact's write is audited and
    lands in the change feed."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def all(self) -> list[PreferenceFact]:
        """Every fact of every shopper (read once at start-up)."""
        with self._engine.connect() as conn:
            return [_fact_from_row(row) for row in conn.execute(sa.select(facts))]

    def for_shopper(self, shopper_id: str) -> list[PreferenceFact]:
        """A shopper's facts (any status), oldest first."""
        query = (
            sa.select(facts)
            .where(facts.c.shopper_id == shopper_id)
            .order_by(facts.c.created_at, facts.c.fact_id)
        )
        with self._engine.connect() as conn:
            return [_fact_from_row(row) for row in conn.execute(query)]

    def shoppers(self) -> set[str]:
        """Everyone with at least one fact."""
        with self._engine.connect() as conn:
            return set(conn.scalars(sa.select(facts.c.shopper_id).distinct()))

    def vector_key(self, shopper_id: str) -> str | None:
        """The key the shopper's vectors are filed under in Chroma, if they have one."""
        query = sa.select(vector_keys.c.key).where(vector_keys.c.shopper_id == shopper_id)
        with self._engine.connect() as conn:
            return conn.scalar(query)

    def ensure_vector_key(self, shopper_id: str) -> str:
        """The shopper's vector key, given now if they have none."""
        return self._retrying(lambda conn: key_for(conn, shopper_id))

    def add(self, fact: PreferenceFact, *, actor: str, at: datetime, why: str | None = None) -> str:
        """Store a new fact (its id must be new); returns the shopper's vector key."""

        def write(conn: Connection) -> str:
            key = key_for(conn, fact.shopper_id)
            conn.execute(sa.insert(facts).values(**fact_row(fact)))
            self._log(conn, fact, actor, "add", at, why)
            return key

        return self._retrying(write)

    def _retrying(self, write: Callable[[Connection], str]) -> str:
        """Run ``write`` in a transaction, once more if another process gave the same
        shopper a vector key meanwhile (the second run then finds it)."""
        try:
            with self._engine.begin() as conn:
                return write(conn)
        except IntegrityError:
            with self._engine.begin() as conn:
                return write(conn)

    def reinforce(self, fact: PreferenceFact, *, actor: str, at: datetime) -> bool:
        """Save a fact's new confidence and ``reinforced_at``, only while it is still stored and
        active; False if it was retracted or erased meanwhile (possibly by another process)."""
        return self._update_active(
            fact,
            {"confidence": fact.confidence, "reinforced_at": utc(fact.reinforced_at)},
            actor,
            "reinforce",
            at,
        )

    def retract(
        self,
        fact: PreferenceFact,
        *,
        actor: str,
        reason: str,
        at: datetime,
        why: str | None = None,
    ) -> bool:
        """Mark an active fact retracted; False if it was not stored and active. ``reason``
        names the kind of retraction; ``why`` is what staff wrote about it, if anyone did."""
        retracted = fact.model_copy(update={"status": FactStatus.RETRACTED})
        return self._update_active(
            retracted, {"status": FactStatus.RETRACTED.value}, actor, reason, at, why
        )

    def _update_active(
        self,
        fact: PreferenceFact,
        values: dict[str, Any],
        actor: str,
        action: str,
        at: datetime,
        why: str | None = None,
    ) -> bool:
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(facts)
                .where(
                    facts.c.fact_id == fact.fact_id,
                    facts.c.shopper_id == fact.shopper_id,
                    facts.c.status == FactStatus.ACTIVE.value,
                )
                .values(**values)
            )
            if result.rowcount == 0:
                return False
            self._log(conn, fact, actor, action, at, why)
        return True

    @staticmethod
    def _log(
        conn: Connection,
        fact: PreferenceFact,
        actor: str,
        action: str,
        at: datetime,
        why: str | None = None,
    ) -> None:
        detail: dict[str, Any] = {"source": fact.source.value, "status": fact.status.value}
        if why:
            detail["why"] = why
        audit.write(
            conn,
            actor=actor,
            shopper_id=fact.shopper_id,
            action=f"fact.{action}",
            target=fact.fact_id,
            detail=detail,
            at=at,
        )
        changes.append(conn, fact.shopper_id, ChangeKind.FACTS, at)
