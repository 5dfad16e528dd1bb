"""``kill -9`` of one ``tactful serve`` worker while clients send events and chat turns to
both workers, on PostgreSQL and an external ``chroma run``.

Clients retry an event batch that met a dropped connection, with the same event ids,
until it is acknowledged. Afterwards every acknowledged event is stored exactly once,
every acknowledged chat turn once, and the server has started a new worker in place of
the dead one.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from agent.ingest.online_retail import OnlineRetailData
from bench.api.server import running_server, wait_for_workers
from tests.api.servers import (
    GENEROUS_LIMITS,
    ServerShop,
    ServerTemplate,
    pinned,
    postgres_server,  # noqa: F401
    server_template,  # noqa: F401
    shop_on_servers,
    wait_for,
)
from tests.pg import PostgresServer

#: How long a client keeps retrying one batch: a worker's restart takes seconds.
RETRY_SECONDS = 120.0
#: Answers that say "not now" rather than "no": the client sends the same batch again.
RETRYABLE = frozenset({502, 503})
#: The batch in flight at the kill: big enough to be mid-request when the signal lands.
IN_FLIGHT_EVENTS = 1000
CHATS = ("show me candles", "something cheaper", "I love owls", "a mug for my sister")


@dataclass
class Ledger:
    """What the clients sent, what was acknowledged, and what went wrong on the way."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, str] = field(default_factory=dict)  # event id -> shopper id
    acknowledged: set[str] = field(default_factory=set)
    dropped: int = 0  # requests that met a dropped connection
    unexpected: list[str] = field(default_factory=list)
    chats_sent: list[str] = field(default_factory=list)
    chats_acknowledged: list[str] = field(default_factory=list)


@dataclass
class Served:
    url: str
    shop: ServerShop
    log: Path


@pytest.fixture
def served(
    postgres_server: PostgresServer,  # noqa: F811
    server_template: ServerTemplate,  # noqa: F811
    tmp_path: Path,
) -> Iterator[Served]:
    log = tmp_path / "serve.log"
    with (
        shop_on_servers(postgres_server, server_template, tmp_path) as shop,
        running_server(
            shop.home, shop.env | GENEROUS_LIMITS, workers=2, timeout=300, log=log
        ) as url,
    ):
        wait_for_workers(url, 2)
        yield Served(url, shop, log)


def send_until_acknowledged(
    client: httpx.Client, events: list[dict[str, Any]], ledger: Ledger
) -> None:
    """POST one batch, and again with the same ids after a dropped connection or a 503,
    until a worker acknowledges it."""
    ids = [e["event_id"] for e in events]
    with ledger.lock:
        ledger.sent.update({e["event_id"]: e["shopper_id"] for e in events})
    deadline = time.monotonic() + RETRY_SECONDS
    while time.monotonic() < deadline:
        try:
            answer = client.post("/v1/events", json={"events": events, "clarify": False})
        except httpx.TransportError:
            with ledger.lock:
                ledger.dropped += 1
            time.sleep(0.2)
            continue
        if answer.status_code in RETRYABLE:
            time.sleep(0.2)
            continue
        with ledger.lock:
            if answer.status_code == 200:
                body = answer.json()
                if body["added"] + body["duplicates"] == len(ids):
                    ledger.acknowledged.update(ids)
                    return
            ledger.unexpected.append(f"events {answer.status_code}: {answer.text[:300]}")
        return
    with ledger.lock:
        ledger.unexpected.append(f"events never acknowledged in {RETRY_SECONDS:.0f} s: {ids[0]}")


def event_client(
    client: httpx.Client,
    name: str,
    shoppers: list[str],
    items: list[str],
    stop: threading.Event,
    ledger: Ledger,
) -> None:
    for n in itertools.count():
        if stop.is_set():
            return
        events = [
            {
                "event_id": f"{name}-{n}-{k}",
                "shopper_id": shoppers[(n + k) % len(shoppers)],
                "item_id": items[(n * 3 + k) % len(items)],
                "kind": "view",
            }
            for k in range(3)
        ]
        send_until_acknowledged(client, events, ledger)


def chat_client(
    client: httpx.Client, name: str, shopper: str, stop: threading.Event, ledger: Ledger
) -> None:
    """Chat turns, each with words of its own so its stored turn can be counted; a turn
    that met the kill is not sent again (a chat turn has no id to make it idempotent)."""
    conversation = None
    for n in itertools.count():
        if stop.is_set():
            return
        text = f"{CHATS[n % len(CHATS)]} {name}x{n}"
        body = {"shopper_id": shopper, "message": text}
        if conversation is not None:
            body["conversation_id"] = conversation
        with ledger.lock:
            ledger.chats_sent.append(text)
        try:
            answer = client.post("/v1/chat", json=body)
        except httpx.TransportError:
            with ledger.lock:
                ledger.dropped += 1
            time.sleep(0.2)
            continue
        with ledger.lock:
            if answer.status_code == 200:
                ledger.chats_acknowledged.append(text)
                conversation = answer.json()["conversation_id"]
            elif answer.status_code not in RETRYABLE:
                ledger.unexpected.append(f"chat {answer.status_code}: {answer.text[:300]}")


def kill_mid_request(
    client: httpx.Client, pid: int, events: list[dict[str, Any]], ledger: Ledger
) -> None:
    """Send a large batch to the worker ``pid`` holds, and ``kill -9`` it while the
    batch is being stored; then send the batch again as any client would."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        sending = pool.submit(send_until_acknowledged, client, events, ledger)
        time.sleep(0.05)  # the batch is on its way: about 0.3 s of work for the worker
        os.kill(pid, signal.SIGKILL)
        sending.result()


def count_profile_views(client: httpx.Client, shopper: str) -> int:
    answer = client.get(f"/v1/shoppers/{shopper}/profile")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["events_by_kind"].get("view", 0))


def test_kill_9_of_a_worker_mid_request_loses_and_doubles_no_acknowledged_write(
    served: Served, demo_data: OnlineRetailData
) -> None:
    url, key = served.url, served.shop.shop_key
    shoppers = [s.shopper_id for s in demo_data.shoppers[20:26]]
    talkers = [s.shopper_id for s in demo_data.shoppers[30:32]]
    items = [i.item_id for i in demo_data.items[:200]]
    victim_client, victim = pinned(url, key, set())
    survivor_client, survivor = pinned(url, key, {victim})
    # Two event clients and one chat client held by each worker.
    on_victim = [pinned(url, key, {survivor})[0] for _ in range(3)]
    on_survivor = [pinned(url, key, {victim})[0] for _ in range(3)]
    views_before = {s: count_profile_views(survivor_client, s) for s in shoppers}

    ledger, stop = Ledger(), threading.Event()
    with ThreadPoolExecutor(max_workers=6) as pool:
        running = [
            pool.submit(event_client, on_victim[0], "ev-a", shoppers, items, stop, ledger),
            pool.submit(event_client, on_victim[1], "ev-b", shoppers, items, stop, ledger),
            pool.submit(event_client, on_survivor[0], "ev-c", shoppers, items, stop, ledger),
            pool.submit(event_client, on_survivor[1], "ev-d", shoppers, items, stop, ledger),
            pool.submit(chat_client, on_victim[2], "ch-a", talkers[0], stop, ledger),
            pool.submit(chat_client, on_survivor[2], "ch-b", talkers[1], stop, ledger),
        ]
        try:
            wait_for(lambda: len(ledger.acknowledged) >= 60, "60 acknowledged events")
            big = [
                {
                    "event_id": f"in-flight-{n}",
                    "shopper_id": shoppers[n % len(shoppers)],
                    "item_id": items[n % len(items)],
                    "kind": "view",
                }
                for n in range(IN_FLIGHT_EVENTS)
            ]
            kill_mid_request(victim_client, victim, big, ledger)
            # The server starts a worker in the dead one's place, and traffic reaches it.
            workers = wait_for_workers(url, 2, timeout=RETRY_SECONDS)
            then = len(ledger.acknowledged)
            wait_for(lambda: len(ledger.acknowledged) >= then + 60, "60 more after the restart")
        finally:
            stop.set()
            for future in running:
                future.result()

    assert victim not in workers and survivor in workers
    assert ledger.unexpected == []
    assert "Traceback" not in served.log.read_text(errors="replace")
    assert ledger.dropped >= 1, "the kill met no request in flight"
    assert {e["event_id"] for e in big} <= ledger.acknowledged
    assert ledger.acknowledged == set(ledger.sent)

    # Counted in the database: every acknowledged event once, and nothing else.
    engine = sa.create_engine(served.shop.database_url)
    try:
        with engine.connect() as conn:
            stored = Counter(
                row[0]
                for row in conn.execute(
                    sa.text("SELECT event_id FROM events WHERE event_id = ANY(:ids)"),
                    {"ids": sorted(ledger.sent)},
                )
            )
            turns = Counter(
                row[0]
                for row in conn.execute(
                    sa.text("SELECT text FROM turns WHERE text = ANY(:texts)"),
                    {"texts": ledger.chats_sent},
                )
            )
    finally:
        engine.dispose()
    assert set(stored) == ledger.acknowledged and set(stored.values()) == {1}
    assert ledger.chats_acknowledged
    assert all(turns[text] == 1 for text in ledger.chats_acknowledged)
    assert set(turns.values()) <= {1}

    print(
        f"\n{len(ledger.acknowledged)} events and {len(ledger.chats_acknowledged)} chat turns "
        f"acknowledged, {ledger.dropped} requests met a dropped connection; stored "
        f"{sum(stored.values())} events and {sum(turns.values())} turns; workers "
        f"{victim}, {survivor} -> {sorted(workers)}"
    )

    # And counted by both workers, the new one among them.
    for client in (survivor_client, pinned(url, key, {survivor})[0]):
        for shopper in shoppers:
            mine = sum(1 for event_id in stored if ledger.sent[event_id] == shopper)
            assert count_profile_views(client, shopper) == views_before[shopper] + mine
