"""Two command-line processes writing to one embedded data folder at once.

SQLite runs in WAL mode with a busy timeout, so they either both succeed or one stops
with one clear "busy, try again" line and a non-zero exit: never a traceback, and never
a lost acknowledged write (exit 0).
"""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from agent.ingest.online_retail import OnlineRetailData
from agent.settings import Settings
from agent.stores.records import RecordStore
from tests.api.servers import tactful_cli


def env(home: Path, now: datetime) -> dict[str, str]:
    return {"TACTFUL_HOME": str(home), "TACTFUL_NOW": now.isoformat()}


def stored(home: Path, event_ids: list[str]) -> Counter[str]:
    """How many times each of ``event_ids`` is in the database (read-only)."""
    conn = sqlite3.connect(f"file:{home / 'tactful.db'}?mode=ro", uri=True)
    try:
        wanted = set(event_ids)
        return Counter(e for (e,) in conn.execute("SELECT event_id FROM events") if e in wanted)
    finally:
        conn.close()


def assert_busy_line(done: subprocess.CompletedProcess[str]) -> None:
    """A refusal: exit 5 and one line that says the folder is busy and to try again."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 5 and len(lines) == 1, done.stderr
    assert "busy" in lines[0] and "try again" in lines[0].lower(), lines[0]
    assert "Traceback" not in done.stderr + done.stdout


def assert_done_or_busy(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    if done.returncode != 0:
        assert_busy_line(done)


def test_the_embedded_database_runs_in_wal_mode_with_a_busy_timeout(demo_home: Path) -> None:
    store = RecordStore(Settings(home=demo_home).sql_url)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 5000
    finally:
        store.close()


def test_two_events_add_loops_on_one_home_lose_and_double_nothing(
    demo_home: Path, data_now: datetime, demo_shopper: str, gift_item: str
) -> None:
    settings = env(demo_home, data_now)

    def loop(name: str) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
        runs = []
        for n in range(6):
            event_id = f"{name}-{n}"
            args = ["events", "add", demo_shopper, gift_item, "--kind", "view", "--id", event_id]
            runs.append((event_id, tactful_cli(settings, *args)))
        return runs

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [run for each in pool.map(loop, ["loop-a", "loop-b"]) for run in each]

    for _, done in runs:
        assert_done_or_busy(done)
    acknowledged = [event_id for event_id, done in runs if done.returncode == 0]
    counts = stored(demo_home, [event_id for event_id, _ in runs])
    assert acknowledged and all(counts[e] == 1 for e in acknowledged)
    assert set(counts.values()) <= {1}


def test_two_bulk_event_loads_on_one_home_lose_and_double_nothing(
    demo_home: Path, data_now: datetime, demo_data: OnlineRetailData, tmp_path: Path
) -> None:
    shoppers = [s.shopper_id for s in demo_data.shoppers]
    items = [i.item_id for i in demo_data.items]
    files, ids = [], []
    for name in ("bulk-a", "bulk-b"):
        rows = [
            (
                f"{name}-{n}",
                shoppers[n * 7 % len(shoppers)],
                items[n * 13 % len(items)],
                (data_now - timedelta(days=1 + n % 20)).isoformat(),
            )
            for n in range(15_000)
        ]
        ids += [row[0] for row in rows]
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "event_id,shopper_id,item_id,kind,at\n"
            + "".join(f"{e},{s},{i},view,{at}\n" for e, s, i, at in rows),
            encoding="utf-8",
        )
        files.append(path)
    settings = env(demo_home, data_now)
    start = threading.Barrier(2)

    def load(path: Path) -> subprocess.CompletedProcess[str]:
        start.wait()
        return tactful_cli(settings, "ingest", "events", str(path))

    with ThreadPoolExecutor(max_workers=2) as pool:
        loads = list(pool.map(load, files))
    for done in loads:
        assert_done_or_busy(done)
    # A load refused as busy is run again, as its line says: it completes then.
    for path, done in zip(files, loads, strict=True):
        if done.returncode != 0:
            again = tactful_cli(settings, "ingest", "events", str(path))
            assert again.returncode == 0, again.stderr

    counts = stored(demo_home, ids)
    assert len(counts) == len(ids) and set(counts.values()) == {1}


def test_a_command_meeting_a_held_write_lock_says_busy_in_one_line_and_stores_nothing(
    demo_home: Path, data_now: datetime, demo_shopper: str, gift_item: str
) -> None:
    settings = env(demo_home, data_now)
    add = ["events", "add", demo_shopper, gift_item, "--kind", "view", "--id", "held-1"]
    other = sqlite3.connect(demo_home / "tactful.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction until the end
        refused = tactful_cli(settings, *add)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert_busy_line(refused)
    assert stored(demo_home, ["held-1"])["held-1"] == 0

    again = tactful_cli(settings, *add)
    assert again.returncode == 0, again.stderr
    assert stored(demo_home, ["held-1"])["held-1"] == 1
