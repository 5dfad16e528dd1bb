"""A read-only data folder and a full disk: every command says so in one line and exits
non-zero, never with a traceback; what was stored before is kept, uncorrupted, and a
re-run once there is room stores the rest exactly once.

The disk is a real small filesystem (a tmpfs mounted for the test, resized or made
read-only with ``mount -o remount``) where the machine allows mounting; a file size
limit (``RLIMIT_FSIZE``, which makes writes fail with EFBIG) stands in for a full disk
everywhere.
"""

from __future__ import annotations

import functools
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.ingest.online_retail import OnlineRetailData
from agent.stores.vectors import ITEMS
from tests.api.servers import ROOT, TACTFUL

#: Room left on the small disk beyond the demo shop: a bulk load needs more.
SPARE_MB = 2
EVENTS = 20_000


@functools.cache
def can_mount() -> bool:
    """Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, as in a VM)."""
    with tempfile.TemporaryDirectory() as where:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", where],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            return False
        subprocess.run(["umount", where], check=True)
        return True


def remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


@contextmanager
def small_disk(where: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of ``megabytes`` mounted at ``where`` for the block, unmounted after."""
    if not can_mount():
        pytest.skip("mounting a tmpfs is not permitted here")
    where.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755", "tmpfs", str(where)],
        check=True,
    )
    try:
        yield where
    finally:
        # Lazily: a process the test stopped may still hold a file open there.
        subprocess.run(["umount", "--lazy", str(where)], check=False)


def megabytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) >> 20


def tactful(
    home: Path, now: datetime, *args: str, limit: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TACTFUL), *args, "--home", str(home)],
        env={**os.environ, "TACTFUL_NOW": now.isoformat()},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
        preexec_fn=limit,
    )


def assert_one_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 5 and one line on stderr (the progress bar aside) holding each of ``words``."""
    said = [line for line in done.stderr.strip().splitlines() if "━" not in line]
    assert done.returncode == 5 and len(said) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for word in words:
        assert word in said[0], said[0]
    return said[0]


def event_file(
    folder: Path, data: OnlineRetailData, now: datetime, name: str, count: int
) -> tuple[Path, list[str]]:
    shoppers = [s.shopper_id for s in data.shoppers]
    items = [i.item_id for i in data.items]
    ids = [f"{name}-{n}" for n in range(count)]
    path = folder / f"{name}.csv"
    path.write_text(
        "event_id,shopper_id,item_id,kind,at\n"
        + "".join(
            f"{e},{shoppers[n * 7 % len(shoppers)]},{items[n * 13 % len(items)]},view,"
            f"{(now - timedelta(days=1 + n % 20)).isoformat()}\n"
            for n, e in enumerate(ids)
        ),
        encoding="utf-8",
    )
    return path, ids


def stored_events(home: Path, ids: list[str]) -> list[str]:
    """Each of ``ids`` as many times as the database holds it; fails if the file is damaged."""
    conn = sqlite3.connect(home / "tactful.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        wanted = set(ids)
        return [e for (e,) in conn.execute("SELECT event_id FROM events") if e in wanted]
    finally:
        conn.close()


def test_a_read_only_data_folder_gets_one_line_from_every_command(
    demo_template: Path,
    data_now: datetime,
    demo_data: OnlineRetailData,
    demo_shopper: str,
    gift_item: str,
    tmp_path: Path,
) -> None:
    events, _ = event_file(tmp_path, demo_data, data_now, "ro", 100)
    with small_disk(tmp_path / "disk", megabytes(demo_template) + 64) as disk:
        home = disk / "home"
        shutil.copytree(demo_template, home)
        remount(disk, "ro")
        commands = [
            ["events", "add", demo_shopper, gift_item, "--kind", "view", "--id", "ro-1"],
            ["ingest", "events", str(events)],
            ["recommend", demo_shopper],
            ["profile", demo_shopper],
        ]
        for command in commands:
            assert_one_line(tactful(home, data_now, *command), "read-only", str(home))
        remount(disk, "rw")
        # Nothing was half-written: the shop answers as before.
        assert tactful(home, data_now, "recommend", demo_shopper).returncode == 0
        assert stored_events(home, ["ro-1"]) == []


def test_a_full_disk_stops_a_load_in_one_line_and_a_rerun_with_room_completes_it(
    demo_template: Path,
    data_now: datetime,
    demo_data: OnlineRetailData,
    demo_shopper: str,
    gift_item: str,
    tmp_path: Path,
) -> None:
    events, ids = event_file(tmp_path, demo_data, data_now, "full", EVENTS)
    size = megabytes(demo_template) + SPARE_MB
    with small_disk(tmp_path / "disk", size) as disk:
        home = disk / "home"
        shutil.copytree(demo_template, home)
        load = ["ingest", "events", str(events)]

        full = tactful(home, data_now, *load)
        line = assert_one_line(full, "disk is full", "MB free")
        print(f"\nfull disk: {line}")
        assert "What was stored before this is kept" in line
        kept = stored_events(home, ids)
        assert len(kept) == len(set(kept)) < EVENTS
        # A small write may still fit; when it is acknowledged it is stored.
        one = ["events", "add", demo_shopper, gift_item, "--kind", "view", "--id", "one-more"]
        small = tactful(home, data_now, *one)
        if small.returncode == 0:
            assert stored_events(home, ["one-more"]) == ["one-more"]
        else:
            assert_one_line(small, "full")

        remount(disk, f"size={size + 64}m")
        again = tactful(home, data_now, *load)
        assert again.returncode == 0, again.stderr
        assert f"{EVENTS - len(kept):,} added, {len(kept):,} already there" in again.stderr
        assert sorted(stored_events(home, ids)) == sorted(ids)


def test_a_file_size_limit_stops_a_load_in_one_line_and_a_rerun_without_it_completes_it(
    demo_home: Path, data_now: datetime, demo_data: OnlineRetailData, tmp_path: Path
) -> None:
    events, ids = event_file(tmp_path, demo_data, data_now, "fsize", EVENTS)
    limit = (demo_home / "tactful.db").stat().st_size + (1 << 20)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    load = ["ingest", "events", str(events)]
    stopped = tactful(demo_home, data_now, *load, limit=limited)
    line = assert_one_line(stopped, "What was stored before this is kept")
    print(f"\nfile size limit: {line}")
    assert re.search(r"file size limit|disk is full", line), line
    kept = stored_events(demo_home, ids)
    assert len(kept) == len(set(kept)) < EVENTS

    again = tactful(demo_home, data_now, *load)
    assert again.returncode == 0, again.stderr
    assert sorted(stored_events(demo_home, ids)) == sorted(ids)


def chroma_item_ids(home: Path, prefix: str) -> tuple[list[str], int]:
    """The ids starting with ``prefix`` in the home's embedded Chroma, once per record,
    and how many items it holds in all; read in a process of its own, so no client of
    this one keeps the folder open."""
    script = (
        "import json, sys, chromadb\n"
        "items = chromadb.PersistentClient(path=sys.argv[1]).get_collection(sys.argv[2])\n"
        "got = items.get(include=[])['ids']\n"
        "print(json.dumps([[i for i in got if i.startswith(sys.argv[3])], items.count()]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(home / "chroma"), ITEMS, prefix],
        capture_output=True,
        text=True,
        check=True,
    )
    ids, count = json.loads(done.stdout)
    return list(ids), int(count)


def test_a_disk_filling_up_during_a_catalog_load_is_one_line_and_a_reindex_and_rerun_recover(
    demo_template: Path, data_now: datetime, demo_shopper: str, tmp_path: Path
) -> None:
    """Chroma's files are written as the disk fills: its index may be left damaged, which
    `tactful reindex` repairs from the database; the re-run then stores the rest once."""
    items = [f"FULL-{n:04d}" for n in range(3000)]
    catalog = tmp_path / "catalog.csv"
    kinds = ("mug", "teapot", "lantern", "cushion")
    catalog.write_text(
        "item_id,title,price\n"
        + "".join(
            f"{i},Handmade {kinds[n % 4]} no. {n},{2 + n % 9}\n" for n, i in enumerate(items)
        ),
        encoding="utf-8",
    )
    load = ["ingest", "catalog", str(catalog)]
    size = megabytes(demo_template) + SPARE_MB
    with small_disk(tmp_path / "disk", size) as disk:
        home = disk / "home"
        shutil.copytree(demo_template, home)
        _, before = chroma_item_ids(home, "FULL-")

        full = assert_one_line(
            tactful(home, data_now, *load), "MB free", "stored before this is kept"
        )
        print(f"\nfull disk: {full}")

        remount(disk, f"size={size + 256}m")
        again = tactful(home, data_now, *load)
        if again.returncode != 0:
            # The line says what repairs it, and that repair works.
            assert "tactful reindex" in assert_one_line(again)
            print(f"after making room: {again.stderr.strip()}")
            rebuilt = tactful(home, data_now, "reindex")
            assert rebuilt.returncode == 0, rebuilt.stderr
            again = tactful(home, data_now, *load)
        assert again.returncode == 0, again.stderr
        report = re.search(
            r"Items: ([\d,]+) added, ([\d,]+) updated, ([\d,]+) unchanged", again.stderr
        )
        assert report is not None, again.stderr
        added, updated, unchanged = (int(n.replace(",", "")) for n in report.groups())
        assert updated == 0 and added + unchanged == len(items)

        stored, count = chroma_item_ids(home, "FULL-")
        assert sorted(stored) == items and count == before + len(items)
        found = tactful(home, data_now, "recommend", demo_shopper, "--query", "handmade teapot")
        assert found.returncode == 0 and "Handmade teapot" in found.stdout, found.stderr
