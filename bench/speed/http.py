"""Requests per second and latency of a real ``tactful serve`` on loopback.

Runs in its own process (see :mod:`bench.speed.stage`) on a private copy of a prepared
store. The server is started as a shop starts it, with ``--workers``; every worker is
warmed (its first ranking builds the shop-wide index, its first chat loads the model
session), then each kind of request is driven alone at each level of concurrency for a
fixed time:

- ``recommend``: the shop's backend asks for ten suggestions for a shopper, one no earlier
  request asked about (so each pays for reading that shopper's history, as most of a live
  shop's traffic would);
- ``chat``: each client is one shopper in six-turn sessions (:mod:`bench.speed.messages`).

Those levels are closed loops: each client sends its next request when the last is
answered, so at 32 clients every answer waits behind the other 31 and the mean latency
is 32 / (requests per second) whatever the server does (Little's law). Whether the
server keeps up with a given traffic is measured open loop, as shop traffic arrives:
``recommend`` requests come at a fixed rate (Poisson arrivals, seeded), however fast
the answers come back, and each latency counts from when its request was due, so time
spent waiting for a free connection or behind a backlog is charged to the server.

Clients are asyncio tasks with one keep-alive connection each, in this process: they
share the machine's cores with the server, as a load balancer on the same host would.
They speak HTTP through :mod:`bench.speed.loopback_client`, which costs them far less CPU
than httpx, and each level reports the CPU time the clients and the server's workers
spent per request, so what the clients took from the server is on record.
The per-caller rate limit is raised so that what is measured is serving, not refusals
(the limiter still runs: with several workers it is the shared one in the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from agent.settings import Settings
from agent.stores.keys import KeyKind, KeyStore
from agent.stores.records import RecordStore
from bench.api.server import running_server, wait_for_workers
from bench.speed.homes import working_copy
from bench.speed.loopback_client import Answer, LoopbackClient
from bench.speed.messages import conversation
from bench.speed.sizes import SIZES, meta_now
from bench.speed.stats import percentiles_ms

#: Far above what the clients send, so the limiter never refuses one of them.
UNLIMITED = "1000000"
#: Open-loop requests in flight at most (one connection each); arrivals beyond wait
#: for a connection, their wait counted in their latency.
OPEN_CONNECTIONS = 64


def http_load(
    size: str,
    *,
    workers: int,
    clients: list[int],
    seconds: float,
    rates: list[float] | None = None,
    open_seconds: float = 20.0,
    seed: int = 7,
    log: str | None = None,
) -> dict[str, Any]:
    """Start ``tactful serve --workers N`` on a copy of the size's store and drive it:
    ``recommend`` in closed loops of ``clients``, ``seconds`` each, then arriving at each
    of ``rates`` a second for ``open_seconds``, then ``chat`` in closed loops. The
    server's output goes to the file ``log`` if given; when any request failed, its last
    lines are in the result."""
    entry, meta = SIZES[size].prepare()
    now = meta_now(meta)
    with tempfile.TemporaryDirectory(prefix=f"tactful-bench-http-{size}-") as tmp:
        home = working_copy(entry, Path(tmp))
        settings = Settings(home=home)
        keys = KeyStore(settings.sql_url)
        key = keys.create(KeyKind.SHOP, "speed bench").secret
        keys.close()
        with RecordStore(settings.sql_url) as records:
            shoppers = records.shopper_ids()
        random.Random(seed).shuffle(shoppers)
        env = {
            "TACTFUL_NOW": now.isoformat(),
            "TACTFUL_API__RATE_PER_SECOND": UNLIMITED,
            "TACTFUL_API__RATE_BURST": UNLIMITED,
        }
        server_log = Path(log) if log else Path(tmp) / "serve.log"
        with running_server(home, env, timeout=600, workers=workers, log=server_log) as url:
            started = time.perf_counter()
            pids = wait_for_workers(url, workers)
            asyncio.run(warm(url, key, shoppers, pids))
            warm_s = time.perf_counter() - started
            rss_warm = _rss_mb(pids)
            # Each recommend level starts at the shopper after the last one asked, so
            # it meets histories no earlier level left in the server's cache. All of
            # recommend runs before chat, whose writes could otherwise tell on it.
            fresh = _Fresh(shoppers)
            levels, open_levels = [], []
            for n in clients:
                level = asyncio.run(
                    _level(url, key, "recommend", n, seconds, fresh.next(), seed + n, pids)
                )
                fresh.used(level["requests"])
                levels.append(level)
            for n, rate in enumerate(rates or []):
                level = asyncio.run(
                    _open_level(url, key, rate, open_seconds, fresh.next(), seed + n, pids)
                )
                fresh.used(level["requests"])
                open_levels.append(level)
            levels += [
                asyncio.run(_level(url, key, "chat", n, seconds, shoppers, seed + n, pids))
                for n in clients
            ]
            rss_end = _rss_mb(pids)
        failed = any(level["errors"] for level in [*levels, *open_levels])
        log_tail = _distinct_tail(server_log) if failed else []
    return {
        "items": meta["items"],
        "shoppers": meta["shoppers"],
        "events": meta["events"],
        "workers": workers,
        "cores": os.cpu_count(),
        "seconds_per_level": seconds,
        "warm_s": round(warm_s, 1),
        "levels": levels,
        "open_levels": open_levels,
        "server_rss_mb": {"warm": rss_warm, "end": rss_end},
        "server_log_tail": log_tail,
    }


def _distinct_tail(path: Path, lines: int = 60) -> list[str]:
    """The last ``lines`` distinct lines of the server's output, in order: what it said
    about failed requests, without the thousand repeats of one warning."""
    seen: dict[str, None] = {}
    with contextlib.suppress(OSError):
        for line in reversed(path.read_text(encoding="utf-8", errors="replace").splitlines()):
            seen.setdefault(line, None)
            if len(seen) == lines:
                break
    return list(reversed(seen))


class _Fresh:
    """The shoppers in a fixed order, each level's list starting where the last one's
    requests ended (wrapping round)."""

    def __init__(self, shoppers: list[str]) -> None:
        self._shoppers = shoppers
        self._start = 0

    def next(self) -> list[str]:
        return self._shoppers[self._start :] + self._shoppers[: self._start]

    def used(self, requests: int) -> None:
        self._start = (self._start + requests) % len(self._shoppers)


def _rss_mb(pids: set[int]) -> float:
    """Resident memory of all workers together, in MiB."""
    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):  # a worker that stopped holds none
            total += psutil.Process(pid).memory_info().rss
    return round(total / (1024 * 1024), 1)


def auth_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def warm(url: str, key: str, shoppers: list[str], pids: set[int]) -> None:
    """A ranking and a chat turn on every worker, each reached by new connections."""
    warmed: set[int] = set()
    deadline = time.monotonic() + 600
    n = 0
    while warmed != pids and time.monotonic() < deadline:
        async with httpx.AsyncClient(
            base_url=url, headers=auth_headers(key), timeout=600
        ) as client:
            pid = int((await client.get("/health")).json()["worker"])
            if pid in warmed:
                continue
            for _ in range(3):
                n += 1
                body = {"shopper_id": shoppers[-n], "k": 10}
                (await client.post("/v1/recommendations", json=body)).raise_for_status()
            body = {"shopper_id": shoppers[-n], "message": "a gift for my sister under £10"}
            (await client.post("/v1/chat", json=body)).raise_for_status()
            warmed.add(pid)
    if warmed != pids:
        raise RuntimeError(f"warmed {len(warmed)} of {len(pids)} workers")


async def _level(
    url: str,
    key: str,
    kind: str,
    clients: int,
    seconds: float,
    shoppers: list[str],
    seed: int,
    pids: set[int],
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    meter = _Meter(pids)
    deadline = time.perf_counter() + seconds
    loop = _recommend_loop if kind == "recommend" else _chat_loop
    await asyncio.gather(
        *(
            loop(url, key, n, clients, shoppers, deadline, latencies, errors, seed)
            for n in range(clients)
        )
    )
    return {"kind": kind, "clients": clients, **meter.summary(latencies, errors)}


class _Meter:
    """What a level spends from when it is made: wall time, the machine's load, and the
    CPU of the server's workers and of these clients."""

    def __init__(self, pids: set[int]) -> None:
        self._pids = pids
        self._load = os.getloadavg()[0]
        self._server_cpu, self._client_cpu = _cpu_s(pids), time.process_time()
        self.started = time.perf_counter()

    def summary(self, latencies: list[float], errors: list[str]) -> dict[str, Any]:
        elapsed = time.perf_counter() - self.started
        per_worker = {
            pid: used - self._server_cpu.get(pid, 0.0) for pid, used in _cpu_s(self._pids).items()
        }
        server_cpu = sum(per_worker.values())
        client_cpu = time.process_time() - self._client_cpu
        served = max(len(latencies), 1)
        return {
            "requests": len(latencies),
            "requests_per_s": round(len(latencies) / elapsed, 1),
            "latency_ms": percentiles_ms(latencies),
            "errors": len(errors),
            "error_samples": errors[:3],
            "load_average_1m": {"start": round(self._load, 2), "end": round(os.getloadavg()[0], 2)},
            # CPU milliseconds per answered request: all workers together, and the clients.
            "cpu_ms_per_request": {
                "server": round(server_cpu / served * 1000, 2),
                "clients": round(client_cpu / served * 1000, 2),
            },
            # Connections stay with the worker that accepted them, so work need not split
            # evenly: each worker's share of the server's CPU.
            "worker_cpu_shares": [
                round(used / server_cpu, 3) if server_cpu else 0.0 for used in per_worker.values()
            ],
        }


async def _open_level(
    url: str,
    key: str,
    rate: float,
    seconds: float,
    shoppers: list[str],
    seed: int,
    pids: set[int],
) -> dict[str, Any]:
    """``rate × seconds`` recommend requests, due at Poisson arrival times scaled so that
    the last is due at ``seconds`` exactly (the offered rate is ``rate``), each sent when
    due."""
    rng = random.Random(seed)
    count = max(1, round(rate * seconds))
    gaps = [rng.expovariate(rate) for _ in range(count)]
    scale = seconds / sum(gaps)
    due, at = [], 0.0
    for gap in gaps:
        at += gap * scale
        due.append(at)
    pool: asyncio.Queue[LoopbackClient] = asyncio.Queue()
    for _ in range(OPEN_CONNECTIONS):
        pool.put_nowait(LoopbackClient(url, auth_headers(key)))
    latencies: list[float] = []
    errors: list[str] = []
    busiest = 0

    async def send(n: int, due_at: float) -> None:
        nonlocal busiest
        client = await pool.get()
        busiest = max(busiest, OPEN_CONNECTIONS - pool.qsize())
        try:
            body = {"shopper_id": shoppers[n % len(shoppers)], "k": 10}
            await _timed_post(client, "/v1/recommendations", body, latencies, errors, due_at)
        finally:
            pool.put_nowait(client)

    meter = _Meter(pids)
    sent = []
    for n, offset in enumerate(due):
        delay = meter.started + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(asyncio.create_task(send(n, meter.started + offset)))
    await asyncio.gather(*sent)
    # Requests a second run to the last answer: just under the offered rate when the
    # server kept up, well under when a backlog built.
    summary = meter.summary(latencies, errors)
    while not pool.empty():
        await pool.get_nowait().close()
    return {
        "kind": "recommend",
        "offered_per_s": rate,
        "seconds": seconds,
        **summary,
        "connections_busy_max": busiest,
    }


def _cpu_s(pids: set[int]) -> dict[int, float]:
    """User and system CPU seconds each worker has used so far."""
    used = {}
    for pid in sorted(pids):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = psutil.Process(pid).cpu_times()
            used[pid] = times.user + times.system
    return used


async def _recommend_loop(
    url: str,
    key: str,
    n: int,
    clients: int,
    shoppers: list[str],
    deadline: float,
    latencies: list[float],
    errors: list[str],
    _seed: int,
) -> None:
    async with LoopbackClient(url, auth_headers(key)) as client:
        turn = n
        while time.perf_counter() < deadline:
            body = {"shopper_id": shoppers[turn % len(shoppers)], "k": 10}
            turn += clients
            await _timed_post(client, "/v1/recommendations", body, latencies, errors)


async def _chat_loop(
    url: str,
    key: str,
    n: int,
    clients: int,
    shoppers: list[str],
    deadline: float,
    latencies: list[float],
    errors: list[str],
    seed: int,
) -> None:
    rng = random.Random(seed * 1000 + n)
    async with LoopbackClient(url, auth_headers(key)) as client:
        session = n
        while time.perf_counter() < deadline:
            shopper = shoppers[(session * 7 + 3) % len(shoppers)]
            session += clients
            conversation_id = None
            for turn in conversation(rng):
                if time.perf_counter() >= deadline:
                    return
                body: dict[str, Any] = {"shopper_id": shopper, "message": turn.text}
                if conversation_id is not None:
                    body["conversation_id"] = conversation_id
                response = await _timed_post(client, "/v1/chat", body, latencies, errors)
                if response is None:
                    break  # the session starts afresh
                conversation_id = response.json()["conversation_id"]


async def _timed_post(
    client: LoopbackClient,
    path: str,
    body: dict[str, Any],
    latencies: list[float],
    errors: list[str],
    due_at: float | None = None,
) -> Answer | None:
    """POST ``body``, timing it from now or from ``due_at`` (a ``perf_counter`` time);
    an error status or a dropped connection is counted, not fatal, and gives None."""
    started = time.perf_counter() if due_at is None else due_at
    try:
        response = await client.post(path, body)
    except (OSError, TimeoutError) as exc:
        errors.append(repr(exc))
        return None
    latencies.append(time.perf_counter() - started)
    if response.status != 200:
        errors.append(f"{response.status} {response.text[:200]}")
        return None
    return response
