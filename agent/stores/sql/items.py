"""The catalog as SQL keeps it: every item's record and the text its vector is made from.

Chroma holds the items' vectors and answers searches, but it is an index: a ``kill -9``
in the middle of a write once left an embedded Chroma that no longer opened. So every
item lives here first, and ``tactful reindex`` (:mod:`agent.stores.reindex`) rebuilds
Chroma from these rows.

``items``, one row per item:

- ``record``: the :class:`CatalogItem` as JSON.
- ``text``: what its vector is the embedding of (:meth:`CatalogItem.embedding_text`).
- ``content_hash``: the hash ingestion compares to skip an unchanged item.
- ``position``: the order items were first stored in. Chroma hands items back in the
  order they were first filed, and the catalog's rows follow it; a rebuild files them
  in this order, so the catalog comes back row for row.
- ``filed``: whether Chroma holds this version's vector. A write stores the row
  unfiled, then files the vector, then marks it filed. A process stopped in between
  leaves it unfiled, and the next start files it (:meth:`Tactful.open`).

``item_copy``, one row once the catalog of a data folder from before this table is
copied here from Chroma (or there was nothing to copy): see :mod:`agent.stores.migration`.

Catalog changes are announced in the change feed when the item is marked filed, in
that transaction: a process that reads the note finds the row here, and one that reads
the catalog from Chroma after the note finds the vector there too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from agent.domain import CatalogItem
from agent.stores.sql import changes
from agent.stores.sql.base import ID, chunks, create_tables, metadata, utc
from agent.stores.sql.changes import ChangeKind

items = sa.Table(
    "items",
    metadata,
    sa.Column("item_id", ID, primary_key=True),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("filed", sa.Boolean, nullable=False),
    # Pages in order, of every item or of the unfiled ones, each read from an index
    # rather than sorted: a rebuild interrupted at a million items leaves that many.
    sa.Index("ix_items_in_order", "position", "item_id"),
    sa.Index("ix_items_unfiled_in_order", "filed", "position", "item_id"),
)

item_copy = sa.Table(
    "item_copy",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

_TABLES = [items, item_copy]


@dataclass(frozen=True)
class StoredItem:
    """An item as stored here, with the text its vector is made from."""

    item: CatalogItem
    text: str
    content_hash: str


@dataclass(frozen=True)
class ItemState:
    """What ingestion compares: the stored version's hash, and whether Chroma has it."""

    content_hash: str
    filed: bool


def _record(item: CatalogItem) -> str:
    return json.dumps(item.model_dump(mode="json"), sort_keys=True)


def _stored(row: sa.Row[Any]) -> StoredItem:
    return StoredItem(
        item=CatalogItem.model_validate_json(row.record),
        text=row.text,
        content_hash=row.content_hash,
    )


class ItemStore:
    """Reads and writes the catalog's rows; see the module's docstring for the life of one."""

    def __init__(self, engine: Engine) -> None:
        """Use ``engine``, creating the tables if they are missing (another module may
        have made the shared metadata's tables before this one was imported)."""
        self._engine = engine
        create_tables(metadata, engine, _TABLES)

    # -- reading -------------------------------------------------------------------------

    def states(self, ids: Sequence[str]) -> dict[str, ItemState]:
        """The stored state of each of ``ids`` that is stored."""
        found: dict[str, ItemState] = {}
        query = sa.select(items.c.item_id, items.c.content_hash, items.c.filed)
        with self._engine.connect() as conn:
            for chunk in chunks(list(dict.fromkeys(ids))):
                for row in conn.execute(query.where(items.c.item_id.in_(chunk))):
                    found[row.item_id] = ItemState(row.content_hash, bool(row.filed))
        return found

    def get(self, ids: Sequence[str] | None = None) -> list[StoredItem]:
        """The stored ones of ``ids`` (None: every item), in the order first stored."""
        if ids is None:
            return [stored for page in self.pages() for stored in page]
        found: list[tuple[int, StoredItem]] = []
        query = sa.select(items)
        with self._engine.connect() as conn:
            for chunk in chunks(list(dict.fromkeys(ids))):
                rows = conn.execute(query.where(items.c.item_id.in_(chunk)))
                found += [(row.position, _stored(row)) for row in rows]
        found.sort(key=lambda pair: (pair[0], pair[1].item.item_id))
        return [stored for _, stored in found]

    def pages(self, size: int = 1000, *, unfiled: bool = False) -> Iterator[list[StoredItem]]:
        """Every item (only the unfiled ones with ``unfiled``), ``size`` at a time, in the
        order first stored; each page is read in its own short transaction."""
        after: tuple[int, str] | None = None
        while True:
            query = sa.select(items).order_by(items.c.position, items.c.item_id).limit(size)
            if unfiled:
                query = query.where(items.c.filed.is_(False))
            if after is not None:
                query = query.where(sa.tuple_(items.c.position, items.c.item_id) > after)
            with self._engine.connect() as conn:
                rows = list(conn.execute(query))
            if not rows:
                return
            yield [_stored(row) for row in rows]
            if len(rows) < size:
                return
            after = (rows[-1].position, rows[-1].item_id)

    def count(self, *, filed: bool | None = None) -> int:
        """How many items are stored (with ``filed``: only those filed, or not filed)."""
        query = sa.select(sa.func.count()).select_from(items)
        if filed is not None:
            query = query.where(items.c.filed.is_(filed))
        with self._engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def any_filed(self) -> bool:
        """Whether Chroma should hold at least one item's vector."""
        query = sa.select(items.c.item_id).where(items.c.filed.is_(True)).limit(1)
        with self._engine.connect() as conn:
            return conn.scalar(query) is not None

    # -- writing -------------------------------------------------------------------------

    def put(self, stored: Sequence[StoredItem]) -> None:
        """Store each item's record and text as not filed yet: new ones after every item
        stored so far, known ones in place."""
        unique = list({s.item.item_id: s for s in stored}.values())
        if unique:
            self._retrying(lambda conn: _write(conn, unique, filed=False, replace=True))

    def mark_filed(
        self, filed: Sequence[tuple[str, str]], *, at: datetime, announce: bool = True
    ) -> None:
        """Record that Chroma holds each (item id, content hash) version's vector, and
        with ``announce`` tell every process in the change feed, in the same commit.

        A row stored again with other content meanwhile keeps waiting for its own filing.
        """
        if not filed:
            return
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(items)
                .where(
                    items.c.item_id == sa.bindparam("key"),
                    items.c.content_hash == sa.bindparam("hash"),
                )
                .values(filed=True),
                [{"key": item_id, "hash": content_hash} for item_id, content_hash in filed],
            )
            if announce:
                rows = [(None, item_id) for item_id in dict.fromkeys(i for i, _ in filed)]
                changes.append_many(conn, rows, ChangeKind.CATALOG, at)

    def unfile_all(self) -> int:
        """Mark every item as not in Chroma (a rebuild starts); how many there are."""
        with self._engine.begin() as conn:
            return int(conn.execute(sa.update(items).values(filed=False)).rowcount or 0)

    def announce_rebuild(self, at: datetime) -> None:
        """One catalog change naming no item: every catalog snapshot saved before it is
        stale, while no process has an item to reload."""
        with self._engine.begin() as conn:
            changes.append(conn, None, ChangeKind.CATALOG, at)

    # -- the copy from an older data folder -------------------------------------------------

    def copied(self) -> bool:
        """Whether the catalog of an older data folder has been copied here (or there was
        none to copy)."""
        with self._engine.connect() as conn:
            return conn.scalar(sa.select(item_copy.c.id)) is not None

    def add_missing(self, stored: Sequence[StoredItem]) -> int:
        """Store, as filed, those of ``stored`` not stored yet (in the order given, after
        every item stored so far); how many that was."""
        unique = list({s.item.item_id: s for s in stored}.values())
        if not unique:
            return 0
        return self._retrying(lambda conn: _write(conn, unique, filed=True, replace=False))

    def mark_copied(self, at: datetime) -> None:
        """Record that the copy is done, once."""
        try:
            with self._engine.begin() as conn:
                if conn.scalar(sa.select(item_copy.c.id)) is None:
                    conn.execute(sa.insert(item_copy).values(id=1, at=utc(at)))
        except IntegrityError:
            pass  # another process recorded it first

    def _retrying(self, write: Callable[[Connection], int]) -> int:
        """Run ``write`` in a transaction, once more if another process stored one of the
        same new items meanwhile (the second run finds it)."""
        try:
            with self._engine.begin() as conn:
                return write(conn)
        except IntegrityError:
            with self._engine.begin() as conn:
                return write(conn)


def _write(conn: Connection, stored: Sequence[StoredItem], *, filed: bool, replace: bool) -> int:
    """Insert the new ones of ``stored`` (distinct ids) after every item stored so far and,
    with ``replace``, overwrite the known ones; every row written gets ``filed``. Returns
    how many were new."""
    known: set[str] = set()
    for chunk in chunks([s.item.item_id for s in stored]):
        query = sa.select(items.c.item_id).where(items.c.item_id.in_(chunk))
        known |= set(conn.scalars(query))
    new = [s for s in stored if s.item.item_id not in known]
    if new:
        last = int(conn.scalar(sa.select(sa.func.max(items.c.position))) or 0)
        conn.execute(
            sa.insert(items),
            [
                {
                    "item_id": s.item.item_id,
                    "record": _record(s.item),
                    "text": s.text,
                    "content_hash": s.content_hash,
                    "position": last + n,
                    "filed": filed,
                }
                for n, s in enumerate(new, start=1)
            ],
        )
    again = [s for s in stored if s.item.item_id in known] if replace else []
    if again:
        conn.execute(
            sa.update(items)
            .where(items.c.item_id == sa.bindparam("key"))
            .values(
                record=sa.bindparam("record"),
                text=sa.bindparam("text"),
                content_hash=sa.bindparam("hash"),
                filed=filed,
            ),
            [
                {
                    "key": s.item.item_id,
                    "record": _record(s.item),
                    "text": s.text,
                    "hash": s.content_hash,
                }
                for s in again
            ],
        )
    return len(new)
