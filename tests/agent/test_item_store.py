"""The catalog's rows in SQL, on SQLite and on a real PostgreSQL: stored unfiled, marked
filed with the version Chroma got, read back in the order first stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from agent.domain import CatalogItem
from agent.stores.records import RecordStore
from agent.stores.sql.changes import ChangeKind
from agent.stores.sql.items import ItemState, ItemStore, StoredItem
from tests.pg import postgres_server, postgres_url  # noqa: F401

T0 = datetime(2024, 3, 1, 12, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def records(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tactful.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = RecordStore(url)
    yield store
    store.close()


def stored(item_id: str, title: str, tags: tuple[str, ...] = ()) -> StoredItem:
    item = CatalogItem(item_id=item_id, title=title, price=2.95, tags=tags)
    return StoredItem(item, item.embedding_text(), f"hash-of-{title}")


def test_items_are_stored_unfiled_and_filed_only_in_the_version_chroma_got(
    records: RecordStore,
) -> None:
    items = ItemStore(records.engine)
    seen = records.changes.latest()

    items.put([stored("a", "Owl mug", ("kitchen",)), stored("b", "Fox scarf")])
    waiting = items.count(filed=False)
    quiet = records.changes.since(seen)
    items.mark_filed([("a", "hash-of-Owl mug"), ("b", "hash-of-Owl mug")], at=T0)

    assert waiting == 2
    assert quiet == [], "nothing is announced before Chroma has it"
    assert items.states(["a", "b", "c"]) == {
        "a": ItemState("hash-of-Owl mug", True),
        "b": ItemState("hash-of-Fox scarf", False),  # another version was filed
    }
    announced = records.changes.since(seen)
    assert [(c.kind, c.item_id) for c in announced] == [
        (ChangeKind.CATALOG, "a"),
        (ChangeKind.CATALOG, "b"),
    ]
    assert [s.item for s in items.get(["b", "a"])] == [
        stored("a", "Owl mug", ("kitchen",)).item,
        stored("b", "Fox scarf").item,
    ]


def test_an_item_stored_again_keeps_its_place_and_waits_for_its_new_vector(
    records: RecordStore,
) -> None:
    items = ItemStore(records.engine)
    items.put([stored("a", "Owl mug"), stored("b", "Fox scarf"), stored("c", "Hare lamp")])
    items.mark_filed([("a", "hash-of-Owl mug"), ("b", "hash-of-Fox scarf")], at=T0)

    items.put([stored("a", "Owl mug, blue"), stored("d", "Deer cup")])

    assert [s.item.item_id for s in items.get()] == ["a", "b", "c", "d"]
    assert items.get(["a"])[0].text == "Owl mug, blue"
    unfiled = [s.item.item_id for page in items.pages(2, unfiled=True) for s in page]
    assert unfiled == ["a", "c", "d"]
    assert [len(page) for page in items.pages(3)] == [3, 1]
    assert items.any_filed()
    assert items.unfile_all() == 4
    assert not items.any_filed()


def test_the_copy_from_an_older_folder_adds_only_what_is_missing_and_is_recorded_once(
    records: RecordStore,
) -> None:
    items = ItemStore(records.engine)
    items.put([stored("b", "Fox scarf, newer")])

    added = items.add_missing([stored("a", "Owl mug"), stored("b", "Fox scarf")])
    items.mark_copied(T0)
    items.mark_copied(T0)

    assert added == 1
    assert items.copied()
    assert [s.item.title for s in items.get()] == ["Fox scarf, newer", "Owl mug"]
    assert items.states(["a"])["a"].filed, "copied from Chroma: Chroma has it"
