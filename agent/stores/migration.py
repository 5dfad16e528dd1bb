"""Bring a data folder written by an older version up to date, once, when it is opened.

Older versions kept facts (with their words and the shopper's id) and taste vectors in
Chroma, copied each fact's words into the audit trail, and marked an erased shopper's
audit rows with a plain sha256 of the id, which anyone can reverse by hashing every
candidate id. Here each fact moves into SQL and its vector into the fact collection under
the shopper's vector key (:mod:`agent.stores.vectors`); the taste snapshots are dropped
(they are recomputed on demand); the old collections are deleted and scrubbed; the audit
loses its texts and those hashes become random tokens; and an SQLite file is rebuilt so
that no free page keeps the old bytes.

Older versions also kept the catalog only in Chroma. :func:`copy_catalog` copies each
item's record and text into SQL (:mod:`agent.stores.sql.items`), once, so that Chroma
can be rebuilt from SQL like everything else it holds.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from agent.stores.records import RecordStore
from agent.stores.sql import audit
from agent.stores.sql.facts import fact_row, facts, key_for
from agent.stores.sql.items import ItemStore, StoredItem
from agent.stores.vectors import ChromaVectorStore


def migrate(records: RecordStore, vectors: ChromaVectorStore) -> bool:
    """Move what an older version left in Chroma into SQL and the fact collection; False
    when there was nothing.

    Safe to interrupt: facts are copied before anything is deleted, and a second run
    skips the rows SQL holds and files every vector again.
    """
    # Read without connecting when the store can tell: opening Chroma costs a one-shot
    # command more than the rest of its work.
    legacy = vectors.legacy_facts() if vectors.may_hold_legacy() else None
    if legacy is None:
        return False
    live = set(records.shopper_ids())
    with records.engine.begin() as conn:
        stored = set(conn.scalars(sa.select(facts.c.fact_id)))
        new = [fact_row(fact) for fact, _ in legacy if fact.fact_id not in stored]
        if new:
            conn.execute(sa.insert(facts), new)
        keys = {shopper: key_for(conn, shopper) for shopper in {f.shopper_id for f, _ in legacy}}
        audit.upgrade(conn, live)
    if legacy:
        vectors.upsert_facts(
            [fact for fact, _ in legacy],
            np.stack([vector for _, vector in legacy]),
            [keys[fact.shopper_id] for fact, _ in legacy],
        )
    vectors.drop_legacy()
    records.vacuum()
    return True


def copy_catalog(items: ItemStore, vectors: ChromaVectorStore) -> int:
    """Copy into SQL the items Chroma holds and SQL does not, once per data folder; how
    many were copied.

    Copied as filed (Chroma has them), a page at a time in Chroma's order, so a rebuild
    files them in the order the catalog has them. Safe to interrupt: an item SQL holds
    is skipped, and the copy counts as done only once every page is in.
    """
    if items.copied():
        return 0
    copied = 0
    # A new data folder's embedded store has no items and no database yet: nothing to
    # open Chroma for.
    if not vectors.surely_without_items():
        for page in vectors.item_records():
            copied += items.add_missing(
                [StoredItem(item, text, content_hash) for item, text, content_hash in page]
            )
    items.mark_copied(datetime.now(UTC))
    return copied
