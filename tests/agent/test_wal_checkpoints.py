"""SQLite's write-ahead log is copied into the database file by a background thread,
never inside a commit (a chat turn would wait for the copy and a sync)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import agent.stores.sql.wal as wal
from agent.domain import BehaviourEvent, EventKind, Shopper
from agent.stores.records import RecordStore

T0 = datetime(2024, 3, 1, 12, 0, 0)
#: Enough rows for several thousand pages: SQLite's own checkpoint would run at 1,000.
ROWS = 30_000


def _fill(records: RecordStore) -> None:
    records.upsert_shoppers([Shopper(shopper_id="s1", created_at=T0)])
    for start in range(0, ROWS, 5_000):
        records.add_events(
            [
                BehaviourEvent(
                    event_id=f"e{i}",
                    shopper_id="s1",
                    item_id=f"item-{i % 997}",
                    kind=EventKind.VIEW,
                    at=T0 + timedelta(minutes=i),
                    context="a context long enough to take up some room in every row",
                )
                for i in range(start, start + 5_000)
            ]
        )


def _sizes(db: Path) -> tuple[int, int]:
    wal_file = db.with_name(db.name + "-wal")
    return db.stat().st_size, wal_file.stat().st_size if wal_file.exists() else 0


def _filled(db: Path, monkeypatch: pytest.MonkeyPatch, every: float) -> RecordStore:
    """A store whose checkpoints come every ``every`` seconds, filled after its creation."""
    monkeypatch.setattr(wal, "CHECKPOINT_EVERY", every)
    records = RecordStore(f"sqlite:///{db}")
    _fill(records)
    return records


def test_commits_leave_the_log_to_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "tactful.db"
    with _filled(db, monkeypatch, every=3600.0) as records:
        size, log = _sizes(db)
        assert log > 4_000_000  # thousands of pages written ...
        assert size < 1_000_000  # ... and none copied into the database by a commit
        assert len(records.events_for("s1")) == ROWS


def test_the_background_thread_copies_the_log_into_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "tactful.db"
    with _filled(db, monkeypatch, every=0.05):
        deadline = time.monotonic() + 10
        while _sizes(db)[0] < 4_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _sizes(db)[0] >= 4_000_000
    # A reopened store reads everything, whatever the log still held.
    with RecordStore(f"sqlite:///{db}") as reopened:
        assert len(reopened.events_for("s1")) == ROWS
