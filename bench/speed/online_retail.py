"""The Online Retail sizes: the bundled demo subset and the full dataset, imported once."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.embedding import file_sha256
from agent.facade import Tactful
from agent.ingest.online_retail import OnlineRetailData, read_online_retail
from agent.settings import Settings
from bench.speed.homes import cached_home
from bench.speed.stats import peak_rss_mb


def replay_now(data: OnlineRetailData) -> datetime:
    """The day after the data ends, as the tests use: otherwise decay fades everything."""
    last = data.report.last_event_at
    if last is None:
        raise ValueError("the dataset has no events")
    return last.replace(second=0) + timedelta(days=1)


def import_into(home: Path, path: Path) -> dict[str, Any]:
    """Import an Online Retail file the way ``tactful import`` does, timing each step."""
    started = time.perf_counter()
    data = read_online_retail(path)
    read_s = time.perf_counter() - started
    now = replay_now(data)
    with Tactful.open(Settings(home=home, now=now)) as tactful:
        tactful.add_shoppers(data.shoppers)
        t = time.perf_counter()
        tactful.ingest_items(data.items)
        items_s = time.perf_counter() - t
        t = time.perf_counter()
        tactful.record_events(data.events, clarify=False)
        events_s = time.perf_counter() - t
        t = time.perf_counter()
        tactful.refresh()
        refresh_s = time.perf_counter() - t
    # As after any restart: the catalog is then saved as read back from Chroma, and the
    # cached home holds the snapshot a running shop has.
    Tactful.open(Settings(home=home, now=now)).close()
    return {
        "now": now.isoformat(),
        "items": len(data.items),
        "shoppers": len(data.shoppers),
        "events": len(data.events),
        "build": {
            "read_s": round(read_s, 2),
            "ingest_items_s": round(items_s, 2),
            "record_events_s": round(events_s, 2),
            "refresh_s": round(refresh_s, 2),
            "total_s": round(time.perf_counter() - started, 2),
            "peak_rss_mb": peak_rss_mb(),
        },
    }


def prepare(name: str, path: Path) -> tuple[Path, dict[str, Any]]:
    """The cached import of ``path``, keyed by the file's sha256."""
    source = {"kind": "online_retail", "sha256": file_sha256(path)}
    return cached_home(name, source, lambda home: import_into(home, path))
