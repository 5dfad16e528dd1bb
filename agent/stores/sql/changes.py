"""The change feed: how every process learns that what it holds in memory is stale.

Each process keeps every fact, and recent shoppers' histories, in memory. Before it
answers or writes, it reads the rows after the last one it saw (a range read on the
primary key, usually empty) and reloads or drops what they name.

``changes``, one row per change:

- ``seq``: the row's place in the feed; rows become visible in ``seq`` order.
- ``shopper_id``: whose data changed. NULL for an erasure, which must not name the
  shopper: a reader then drops whatever it holds about shoppers who no longer exist.
  NULL for a catalog change too.
- ``item_id``: the item added or changed, for a catalog change; otherwise NULL.
- ``kind``: a :class:`ChangeKind`.
- ``at``: when, naive UTC, by the writer's clock.

An erasure deletes the shopper's earlier rows; a reader that had not reached them yet
reaches the erasure row instead.

``change_head``, one row: the last ``seq`` handed out. Appending increments it first,
which holds that row's lock until commit, so no one can append after an uncommitted row.
With a database sequence instead, PostgreSQL could commit 8 before 7, and a reader that
had seen 8 would never look at 7. Its ``era`` is a random token set once: a position in
the feed means something only together with it, since a database made anew numbers its
feed from 0 again (the saved snapshots of :mod:`agent.snapshot` rely on this).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from agent.stores.sql.base import ID, KIND, Commits, metadata, sqlite_file, utc

changes = sa.Table(
    "changes",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("shopper_id", ID, nullable=True, index=True),
    sa.Column("item_id", ID, nullable=True),
    sa.Column("kind", KIND, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

change_head = sa.Table(
    "change_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("era", sa.String(32), nullable=True),
)


class ChangeKind(StrEnum):
    FACTS = "facts"  # a fact was added, reinforced or retracted
    PERSONALIZATION = "personalization"
    ERASE = "erase"
    # New events, or a question or an event's recipient changed: the shopper's history.
    EVENTS = "events"
    CATALOG = "catalog"  # an item was added or changed (``item_id``)
    EXPERIMENTS = "experiments"  # a curated list or an experiment changed


class Change(BaseModel):
    """One row of the feed."""

    seq: int
    shopper_id: str | None
    kind: ChangeKind
    at: datetime
    item_id: str | None = None


def append(conn: Connection, shopper_id: str | None, kind: ChangeKind, at: datetime) -> int:
    """Add a row inside the caller's transaction, so it commits with the change itself."""
    return append_many(conn, [(shopper_id, None)], kind, at)


def append_many(
    conn: Connection, rows: Sequence[tuple[str | None, str | None]], kind: ChangeKind, at: datetime
) -> int:
    """Add one row per (shopper id, item id) pair in the caller's transaction, taking
    their places in one step; returns the last ``seq``."""
    if not rows:
        return 0
    conn.execute(sa.update(change_head).values(seq=change_head.c.seq + len(rows)))
    last = int(conn.scalar(sa.select(change_head.c.seq)) or 0)
    first, when = last - len(rows) + 1, utc(at)
    conn.execute(
        sa.insert(changes),
        [
            {
                "seq": first + n,
                "shopper_id": shopper,
                "item_id": item,
                "kind": kind.value,
                "at": when,
            }
            for n, (shopper, item) in enumerate(rows)
        ],
    )
    return last


class ChangeFeed:
    """Reads the feed; writers append through :func:`append`.

    In a SQLite file, a read that would find nothing is skipped: every answer reads the
    feed first, and SQLite can tell for almost nothing whether anyone has committed
    since the last look (see :class:`Commits`).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        try:
            with engine.begin() as conn:
                if conn.scalar(sa.select(sa.func.count()).select_from(change_head)) == 0:
                    conn.execute(sa.insert(change_head).values(id=1, seq=0, era=uuid4().hex))
        except IntegrityError:
            pass  # another process created the row first
        self.era = self._era()
        file = sqlite_file(engine.url)
        self._commits = Commits(file) if file else None
        #: After reading to the end of the feed: the commit count then, and the position.
        self._read_to: tuple[int, int] | None = None
        self._guard = threading.Lock()

    def close(self) -> None:
        if self._commits is not None:
            with self._guard:
                self._commits.close()

    def _era(self) -> str:
        with self._engine.connect() as conn:
            era = conn.scalar(sa.select(change_head.c.era))
        if era is not None:
            return str(era)
        # A feed from before eras: the first process to get here names it, once.
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(change_head).where(change_head.c.era.is_(None)).values(era=uuid4().hex)
            )
            return str(conn.scalar(sa.select(change_head.c.era)))

    def latest(self) -> int:
        """The last ``seq`` handed out (0 for an empty feed)."""
        with self._engine.connect() as conn:
            return int(conn.scalar(sa.select(change_head.c.seq)) or 0)

    def kinds_since(self, seq: int) -> set[ChangeKind]:
        """The kinds of change made after ``seq`` (none when nothing was)."""
        query = sa.select(changes.c.kind).where(changes.c.seq > seq).distinct()
        with self._engine.connect() as conn:
            return {ChangeKind(kind) for kind in conn.scalars(query)}

    def since(self, seq: int, limit: int = 1000) -> list[Change]:
        """Up to ``limit`` rows after ``seq``, oldest first."""
        with self._guard:
            commits = self._commits.count() if self._commits is not None else None
            if commits is not None and self._read_to is not None:
                last_commits, end = self._read_to
                if commits == last_commits and seq >= end:
                    return []  # no one has committed since the feed was read to its end
        query = sa.select(changes).where(changes.c.seq > seq).order_by(changes.c.seq).limit(limit)
        with self._engine.connect() as conn:
            found = [_change_from_row(row) for row in conn.execute(query)]
        if commits is not None and len(found) < limit:
            # Counted before the read, so a commit during it is not missed next time.
            with self._guard:
                self._read_to = (commits, found[-1].seq if found else seq)
        return found


def _change_from_row(row: sa.Row[Any]) -> Change:
    return Change(
        seq=row.seq,
        shopper_id=row.shopper_id,
        item_id=row.item_id,
        kind=ChangeKind(row.kind),
        at=row.at,
    )
