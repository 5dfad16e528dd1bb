"""The audit trail: who changed what about a shopper, and when; never what anyone said.

A row's ``detail`` names kinds and statuses (a fact's source, its status), and ``target``
an id (a fact's); the words of a fact or a message never enter the trail. The one
exception is ``why``: the reason staff give for a change or the note they resolve a
hand-over with, written for the trail itself. After an
erasure the shopper's rows stay, under a random token that links them to each other and
to nothing else. A hash of the id would not do: shopper ids are few and short, so anyone
who reads the table could hash every candidate and find the one that matches.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from agent.stores.sql.base import dump_json, metadata, utc

audit_log = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("shopper_id", sa.String(128), nullable=True, index=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(256), nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
)

#: What an erased shopper's rows keep of their detail: the kind of change, not its content.
KEPT_AFTER_ERASURE = ("source", "status")
#: How older versions marked an erased shopper's rows (see :func:`upgrade`).
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class AuditRecord(BaseModel):
    """One audit-trail row; ``shopper_id`` is a random ``erased-…`` token after erasure."""

    id: int
    at: datetime
    actor: str
    shopper_id: str | None
    action: str
    target: str | None
    detail: dict[str, Any] = Field(default_factory=dict)


def erasure_token() -> str:
    """The stand-in for an erased shopper: random, so nothing leads back to the id."""
    return f"erased-{uuid.uuid4().hex[:16]}"


def write(
    conn: Connection,
    *,
    actor: str,
    shopper_id: str | None,
    action: str,
    target: str | None,
    detail: dict[str, Any],
    at: datetime,
) -> None:
    conn.execute(
        sa.insert(audit_log).values(
            at=utc(at),
            actor=actor,
            shopper_id=shopper_id,
            action=action,
            target=target,
            detail=dump_json(detail),
        )
    )


def rows_for(conn: Connection, shopper_key: str) -> list[AuditRecord]:
    """The rows about a shopper (or an erasure token), oldest first."""
    query = sa.select(audit_log).where(audit_log.c.shopper_id == shopper_key)
    return [_audit_from_row(row) for row in conn.execute(query.order_by(audit_log.c.id))]


def rekey(conn: Connection, shopper_id: str, token: str) -> None:
    """Put ``token`` wherever a row names the shopper; their own rows also lose their detail
    but for :data:`KEPT_AFTER_ERASURE`."""
    mentions = sa.or_(
        audit_log.c.shopper_id == shopper_id,
        audit_log.c.actor == shopper_id,
        audit_log.c.target == shopper_id,
        # A JSON string equal to the id appears in the text exactly as json.dumps(id).
        audit_log.c.detail.contains(json.dumps(shopper_id), autoescape=True),
    )
    rows = conn.execute(sa.select(audit_log).where(mentions)).all()
    for row in rows:
        detail = json.loads(row.detail) if row.detail else {}
        if row.shopper_id == shopper_id:
            detail = {k: v for k, v in detail.items() if k in KEPT_AFTER_ERASURE}
        conn.execute(
            sa.update(audit_log)
            .where(audit_log.c.id == row.id)
            .values(
                shopper_id=token if row.shopper_id == shopper_id else row.shopper_id,
                actor=token if row.actor == shopper_id else row.actor,
                target=token if row.target == shopper_id else row.target,
                detail=dump_json(_replace_value(detail, shopper_id, token)),
            )
        )


def upgrade(conn: Connection, live_shoppers: set[str]) -> None:
    """Rewrite rows an older version wrote: fact words leave ``detail``, and rows an older
    erasure marked with a sha256 of the id get a random token instead."""
    tokens: dict[str, str] = {}
    for row in conn.execute(sa.select(audit_log)).all():
        detail = json.loads(row.detail) if row.detail else {}
        key = row.shopper_id
        if key is not None and key not in live_shoppers and _SHA256_HEX.fullmatch(key):
            token = tokens.setdefault(key, erasure_token())
            if row.action != "erase":  # the erasure's own row holds only counts
                detail = {k: v for k, v in detail.items() if k in KEPT_AFTER_ERASURE}
            values = {
                "shopper_id": token,
                "actor": token if row.actor == key else row.actor,
                "target": token if row.target == key else row.target,
            }
        elif "text" in detail:
            del detail["text"]
            values = {}
        else:
            continue
        update = sa.update(audit_log).where(audit_log.c.id == row.id)
        conn.execute(update.values(detail=dump_json(detail), **values))


def _replace_value(value: Any, old: str, new: str) -> Any:
    """A copy of a JSON value with every string (or key) equal to ``old`` set to ``new``."""
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, list):
        return [_replace_value(v, old, new) for v in value]
    if isinstance(value, dict):
        return {(new if k == old else k): _replace_value(v, old, new) for k, v in value.items()}
    return value


def _audit_from_row(row: sa.Row[Any]) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        actor=row.actor,
        shopper_id=row.shopper_id,
        action=row.action,
        target=row.target,
        detail=json.loads(row.detail) if row.detail else {},
    )
