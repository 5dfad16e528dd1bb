"""The soak: a real ``tactful serve --workers 2`` under a mixed workload, for ten minutes.

``tactful eval speed --soak`` (``python -m bench.speed.run --soak``; ``--quick`` runs 40 s
on the demo shop). On a private copy of the full Online Retail store, with its vectors in
a Chroma server on the copy's own folder (as ``tactful serve --workers`` runs one, here
started first so that ``tactful refresh`` reaches the same one), requests arrive on
loopback at fixed rates (Poisson, seeded), each timed from when it was due:

- ``recommend``: ten suggestions for a shopper, a different one each time, with a shop key;
- ``events``: a batch of one to three live views or purchases of one shopper (a purchase
  unlike the shopper's history may be held for a question, as in a live shop);
- ``profile``: a shopper's profile read;
- ``correction``: a fact stated for a shopper, then corrected;

while a few clients chat in six-turn sessions (:mod:`bench.speed.messages`) with a
second's thought between turns, and at set moments:

- ``erase``: a shopper made for it (events and a stated fact) is erased, which takes them
  out of every worker's shop-wide snapshot at once; one worker then rebuilds it in the
  background, and the other takes it up;
- ``tactful refresh`` runs once, in a process of its own, so that both workers take up a
  new snapshot in the background while answering.

Recorded: every error; each worker's resident memory every few seconds; latency
percentiles per minute, overall and by kind; when each worker took up which snapshot
(from the server's JSON log). Before the timed run every shopper is asked for twice,
which fills each worker's cache of 2,048 shoppers' histories
(:data:`agent.profile.CACHE_SHOPPERS`; memory grows until then, by design). Judged after
a warm-up of three minutes: no errors; no worker's
memory grows by 5 % or more from the minute after the warm-up to the last minute; p99
stable. The minutes with an erasure or the refresh are marked and reported apart (one
worker rebuilds the snapshot in them, on one of the two cores); the quiet minutes after
the warm-up are stable when the median of their p99s in the second half of the run is at
most 1.5 times that of the first half (no drift) and none is more than twice their
median (no outlier).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import sqlalchemy as sa

from agent.settings import Settings
from agent.stores.keys import KeyKind, KeyStore
from agent.stores.records import RecordStore, events
from bench.api.chroma import chroma_server
from bench.api.server import running_server, wait_for_workers
from bench.speed.homes import working_copy
from bench.speed.http import auth_headers, warm
from bench.speed.loopback_client import LoopbackClient
from bench.speed.messages import conversation
from bench.speed.sizes import DEMO, FULL, SIZES, meta_now
from bench.speed.stats import percentiles_ms

#: Far above what the clients send, so the limiter never refuses one of them.
UNLIMITED = "1000000"
#: Connections kept for the requests that arrive at a fixed rate.
CONNECTIONS = 32
#: Memory may grow less than this after the warm-up.
RSS_GROWTH_MAX_PCT = 5.0
#: The second half's typical p99 may be at most this many times the first half's…
P99_DRIFT_MAX = 1.5
#: …and no quiet minute's p99 more than this many times the quiet minutes' median.
P99_SPREAD_MAX = 2.0


@dataclass(frozen=True)
class Mix:
    """What arrives, and how often."""

    recommend_per_s: float = 25.0
    events_per_s: float = 4.0
    profiles_per_s: float = 2.0
    corrections_per_s: float = 0.1
    chat_clients: int = 4
    chat_think_s: float = 1.0


@dataclass(frozen=True)
class SoakPlan:
    """How long, on what, and when the erasures and the refresh come."""

    size: str
    seconds: float
    warmup_seconds: float
    bucket_seconds: float
    #: When each erasure comes, as a share of the run.
    erasures_at: tuple[float, ...]
    refresh_at: float
    workers: int = 2
    sample_seconds: float = 5.0
    #: How often the workers look for a newer snapshot (None: the default, 5 s).
    poll_seconds: float | None = None
    mix: Mix = field(default_factory=Mix)


def plan_for(*, quick: bool) -> SoakPlan:
    """Ten minutes at the full Online Retail catalog (the demo when it is missing), or
    forty seconds on the demo shop, where the workers look for a new snapshot every
    second so that both take up the refresh's before the erasure."""
    if quick:
        return SoakPlan(
            size=DEMO.name,
            seconds=40.0,
            warmup_seconds=10.0,
            bucket_seconds=5.0,
            erasures_at=(0.75,),
            refresh_at=0.3,
            sample_seconds=1.0,
            poll_seconds=1.0,
        )
    return SoakPlan(
        size=FULL.name if FULL.available() else DEMO.name,
        seconds=600.0,
        warmup_seconds=180.0,
        bucket_seconds=60.0,
        erasures_at=(0.35, 0.55, 0.85),
        refresh_at=0.7,
    )


@dataclass
class Tally:
    """What every request did, by when it was due (seconds into the run)."""

    latencies: list[tuple[str, float, float]] = field(default_factory=list)
    errors: list[tuple[str, float, str]] = field(default_factory=list)
    marks: list[tuple[float, str]] = field(default_factory=list)

    def answered(self, kind: str, due: float, seconds: float) -> None:
        self.latencies.append((kind, due, seconds))

    def failed(self, kind: str, due: float, what: str) -> None:
        self.errors.append((kind, due, what[:300]))


class Run:
    """One soak against a running server: the clients, the schedule and the tally."""

    def __init__(
        self,
        url: str,
        key: str,
        plan: SoakPlan,
        shoppers: list[str],
        items: list[str],
        pids: set[int],
        refresh_env: dict[str, str],
        seed: int,
    ) -> None:
        self.url, self.key, self.plan = url, key, plan
        self.headers = {"Authorization": f"Bearer {key}"}
        self.shoppers, self.items, self.pids = shoppers, items, sorted(pids)
        self.refresh_env = refresh_env
        self.rng = random.Random(seed)
        self.tally = Tally()
        self.rss: list[dict[str, float]] = []
        self.refresh: dict[str, Any] = {}
        self.erasures: list[dict[str, Any]] = []
        self.started = 0.0
        self._next_shopper = 0
        self._event_serial = 0

    # -- the schedule ---------------------------------------------------------------------
    async def drive(self) -> None:
        """Everything, for the plan's seconds, then wait for what is in flight."""
        plan, mix = self.plan, self.plan.mix
        pool: asyncio.Queue[LoopbackClient] = asyncio.Queue()
        for _ in range(CONNECTIONS):
            pool.put_nowait(LoopbackClient(self.url, self.headers))
        async with httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=120) as other:
            victims = await self._prepare_erasures(other, len(plan.erasures_at))
            self.started = time.perf_counter()
            deadline = self.started + plan.seconds
            streams: list[Awaitable[None]] = [
                self._arrivals(mix.recommend_per_s, lambda due: self._recommend(pool, due)),
                self._arrivals(mix.events_per_s, lambda due: self._events(pool, due)),
                self._arrivals(mix.profiles_per_s, lambda due: self._profile(other, due)),
                self._arrivals(mix.corrections_per_s, lambda due: self._correct(other, due)),
                *(self._chat_client(n, deadline) for n in range(mix.chat_clients)),
                *(
                    self._at(share * plan.seconds, functools.partial(self._erase, other, victim))
                    for share, victim in zip(plan.erasures_at, victims, strict=True)
                ),
                self._at(plan.refresh_at * plan.seconds, self._refresh),
                self._sample_memory(deadline),
            ]
            await asyncio.gather(*streams)
        while not pool.empty():
            await pool.get_nowait().close()

    async def _arrivals(
        self, rate: float, send: Callable[[float], Coroutine[Any, Any, None]]
    ) -> None:
        """Requests due at Poisson times at ``rate`` a second, each sent when due."""
        if rate <= 0:
            return
        rng = random.Random(self.rng.random())
        sent: list[asyncio.Task[None]] = []
        due = rng.expovariate(rate)
        while due < self.plan.seconds:
            delay = self.started + due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent.append(asyncio.create_task(send(due)))
            due += rng.expovariate(rate)
        await asyncio.gather(*sent)

    async def _at(self, due: float, do: Callable[[float], Awaitable[None]]) -> None:
        delay = self.started + due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await do(due)

    def _shopper(self) -> str:
        """The next shopper in a fixed order, so each recommend meets a new history."""
        shopper = self.shoppers[self._next_shopper % len(self.shoppers)]
        self._next_shopper += 1
        return shopper

    # -- the requests ---------------------------------------------------------------------
    async def _post(
        self, pool: asyncio.Queue[LoopbackClient], kind: str, path: str, body: Any, due: float
    ) -> None:
        client = await pool.get()
        try:
            response = await client.post(path, body)
        except (OSError, TimeoutError) as exc:
            self.tally.failed(kind, due, repr(exc))
            return
        finally:
            pool.put_nowait(client)
        self._done(kind, due, response.status, response.text)

    def _done(self, kind: str, due: float, status: int, text: str) -> None:
        if status >= 300:
            self.tally.failed(kind, due, f"{status} {text}")
        else:
            self.tally.answered(kind, due, time.perf_counter() - self.started - due)

    async def _recommend(self, pool: asyncio.Queue[LoopbackClient], due: float) -> None:
        body = {"shopper_id": self._shopper(), "k": 10}
        await self._post(pool, "recommend", "/v1/recommendations", body, due)

    async def _events(self, pool: asyncio.Queue[LoopbackClient], due: float) -> None:
        shopper = self.rng.choice(self.shoppers)
        batch = []
        for _ in range(self.rng.randint(1, 3)):
            self._event_serial += 1
            batch.append(
                {
                    "event_id": f"soak-{self._event_serial}",
                    "shopper_id": shopper,
                    "item_id": self.rng.choice(self.items),
                    "kind": self.rng.choice(("view", "view", "purchase")),
                }
            )
        await self._post(pool, "events", "/v1/events", {"events": batch}, due)

    async def _request(
        self, client: httpx.AsyncClient, kind: str, method: str, path: str, due: float, **kw: Any
    ) -> httpx.Response | None:
        try:
            response = await client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.tally.failed(kind, due, repr(exc))
            return None
        self._done(kind, due, response.status_code, response.text)
        return response if response.status_code < 300 else None

    async def _profile(self, client: httpx.AsyncClient, due: float) -> None:
        shopper = self.rng.choice(self.shoppers)
        await self._request(client, "profile", "GET", f"/v1/shoppers/{shopper}/profile", due)

    async def _correct(self, client: httpx.AsyncClient, due: float) -> None:
        """A fact stated for a shopper, then corrected: two requests, timed as one."""
        shopper = self.rng.choice(self.shoppers)
        noun = self.rng.choice(("owls", "foxes", "hearts", "stars", "birds"))
        path = f"/v1/shoppers/{shopper}/facts"
        stated = await self._request(
            client, "correction", "POST", path, due, json={"text": f"loves {noun}"}
        )
        if stated is None:
            return
        fact = stated.json()["fact_id"]
        body = {"text": f"loves {noun}, but not in red"}
        await self._request(client, "correction", "PUT", f"{path}/{fact}", due, json=body)

    async def _chat_client(self, n: int, deadline: float) -> None:
        """Six-turn sessions, each with another shopper, a pause between turns."""
        rng = random.Random(self.rng.random() + n)
        async with LoopbackClient(self.url, self.headers) as client:
            while time.perf_counter() < deadline:
                shopper = rng.choice(self.shoppers)
                conversation_id = None
                for turn in conversation(rng):
                    if time.perf_counter() >= deadline:
                        return
                    due = time.perf_counter() - self.started
                    body: dict[str, Any] = {"shopper_id": shopper, "message": turn.text}
                    if conversation_id is not None:
                        body["conversation_id"] = conversation_id
                    try:
                        response = await client.post("/v1/chat", body)
                    except (OSError, TimeoutError) as exc:
                        self.tally.failed("chat", due, repr(exc))
                        break
                    self._done("chat", due, response.status, response.text)
                    if response.status >= 300:
                        break
                    conversation_id = response.json()["conversation_id"]
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * self.plan.mix.chat_think_s)

    async def _prepare_erasures(self, client: httpx.AsyncClient, count: int) -> list[str]:
        """Shoppers to erase during the run, each with some history and a stated fact."""
        victims = [f"soak-erase-{n}" for n in range(count)]
        for shopper in victims:
            bought = [
                {"event_id": f"{shopper}-{k}", "shopper_id": shopper, "item_id": item}
                | {"kind": "purchase"}
                for k, item in enumerate(self.rng.sample(self.items, 3))
            ]
            answers = [
                await client.post("/v1/events", json={"events": bought, "clarify": False}),
                await client.post(f"/v1/shoppers/{shopper}/facts", json={"text": "loves owls"}),
            ]
            for answer in answers:
                answer.raise_for_status()
        return victims

    async def _erase(self, client: httpx.AsyncClient, shopper: str, due: float) -> None:
        self.tally.marks.append((due, "erase"))
        started = time.perf_counter()
        response = await self._request(client, "erase", "DELETE", f"/v1/shoppers/{shopper}", due)
        self.erasures.append(
            {
                "at_s": round(due, 1),
                "ok": response is not None,
                "seconds": round(time.perf_counter() - started, 3),
            }
        )

    async def _refresh(self, due: float) -> None:
        """``tactful refresh`` in a process of its own, as a scheduler would run it."""
        self.tally.marks.append((due, "refresh"))
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "agent.cli",
            "refresh",
            "--json",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **self.refresh_env},
        )
        out, err = await process.communicate()
        self.refresh = {
            "at_s": round(due, 1),
            "seconds": round(time.perf_counter() - started, 2),
            "returncode": process.returncode,
            "saved": json.loads(out) if process.returncode == 0 else None,
        }
        if process.returncode != 0:
            self.tally.failed("refresh", due, err.decode(errors="replace"))

    async def _sample_memory(self, deadline: float) -> None:
        while True:
            sample: dict[str, float] = {"t": round(time.perf_counter() - self.started, 1)}
            for pid in self.pids:
                try:
                    rss = psutil.Process(pid).memory_info().rss
                except psutil.NoSuchProcess:
                    self.tally.failed("worker", sample["t"], f"worker {pid} stopped")
                    continue
                sample[str(pid)] = round(rss / (1024 * 1024), 1)
            self.rss.append(sample)
            if time.perf_counter() >= deadline:
                return
            await asyncio.sleep(self.plan.sample_seconds)


def soak(plan: SoakPlan, *, seed: int = 7) -> dict[str, Any]:
    """Run ``plan`` against a real ``tactful serve --workers`` and summarize it."""
    entry, meta = SIZES[plan.size].prepare()
    now = meta_now(meta)
    machine_load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix=f"tactful-soak-{plan.size}-") as tmp:
        home = working_copy(entry, Path(tmp))
        settings = Settings(home=home)
        keys = KeyStore(settings.sql_url)
        key = keys.create(KeyKind.SHOP, "soak").secret
        keys.close()
        with RecordStore(settings.sql_url) as records, records.engine.connect() as conn:
            shoppers = records.shopper_ids()
            items = list(conn.scalars(sa.select(events.c.item_id).distinct().limit(2000)))
        random.Random(seed).shuffle(shoppers)
        server_log = Path(tmp) / "serve.log"
        with chroma_server(settings.chroma_path, Path(tmp) / "chroma.log") as chroma:
            env = {
                "TACTFUL_HOME": str(home),
                # One running clock for the workers and the refresh, from now on.
                "TACTFUL_NOW": now.isoformat(),
                "TACTFUL_NOW_SINCE": datetime.now(UTC).replace(tzinfo=None).isoformat(),
                "TACTFUL_CHROMA_URL": chroma,
                "TACTFUL_CHROMA_SERVES_HOME": "true",
                "TACTFUL_API__RATE_PER_SECOND": UNLIMITED,
                "TACTFUL_API__RATE_BURST": UNLIMITED,
                "TACTFUL_LOG_FORMAT": "json",
            }
            if plan.poll_seconds is not None:
                env["TACTFUL_SNAPSHOT__POLL_SECONDS"] = str(plan.poll_seconds)
            with running_server(
                home, env, timeout=600, workers=plan.workers, log=server_log
            ) as url:
                pids = wait_for_workers(url, plan.workers)
                asyncio.run(warm(url, key, shoppers, pids))
                asyncio.run(fill_caches(url, key, shoppers, seed))
                run = Run(url, key, plan, shoppers, items, pids, env, seed)
                started_wall = time.time()
                asyncio.run(run.drive())
            taken_up = _taken_up(server_log, started_wall)
            tail = _tail(server_log) if run.tally.errors else []
    return {
        "size": plan.size,
        "label": SIZES[plan.size].label,
        "items": meta["items"],
        "shoppers": meta["shoppers"],
        "events": meta["events"],
        "cores": os.cpu_count(),
        "plan": {k: v for k, v in asdict(plan).items() if k != "mix"},
        "mix": asdict(plan.mix),
        **summarize(run, plan),
        "refresh": run.refresh,
        "erasures": run.erasures,
        "taken_up": taken_up,
        "load_average": {"start": list(machine_load), "end": list(os.getloadavg())},
        "server_log_tail": tail,
    }


async def fill_caches(url: str, key: str, shoppers: list[str], seed: int) -> None:
    """Fill each worker's cache of shoppers' histories before the timed run, so that the
    memory measured after the warm-up is not still the cache growing: every shopper asked
    for twice, over fresh connections the kernel spreads over the workers, so each worker
    sees about three in four shoppers, more than its cache holds."""
    asked = shoppers * 2
    random.Random(seed).shuffle(asked)
    clients, per_connection = 8, 25

    async def client(n: int) -> None:
        for start in range(n * per_connection, len(asked), clients * per_connection):
            async with httpx.AsyncClient(
                base_url=url, headers=auth_headers(key), timeout=600
            ) as connection:
                for shopper in asked[start : start + per_connection]:
                    body = {"shopper_id": shopper, "k": 10}
                    (await connection.post("/v1/recommendations", json=body)).raise_for_status()

    await asyncio.gather(*(client(n) for n in range(clients)))


def summarize(run: Run, plan: SoakPlan) -> dict[str, Any]:
    """Per-minute latencies and errors, memory growth, and the verdicts."""
    tally = run.tally
    buckets = max(1, math.ceil(plan.seconds / plan.bucket_seconds))

    def bucket(due: float) -> int:
        return min(buckets - 1, max(0, int(due // plan.bucket_seconds)))

    by_bucket: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for kind, due, seconds in tally.latencies:
        by_bucket[bucket(due)].append((kind, seconds))
    errors_by_bucket: dict[int, int] = defaultdict(int)
    for _, due, _ in tally.errors:
        errors_by_bucket[bucket(due)] += 1
    marks_by_bucket: dict[int, list[str]] = defaultdict(list)
    for due, what in sorted(tally.marks):
        marks_by_bucket[bucket(due)].append(what)
    workers = [str(pid) for pid in run.pids]
    minutes: list[dict[str, Any]] = []
    for b in range(buckets):
        answered = by_bucket[b]
        kinds: dict[str, list[float]] = defaultdict(list)
        for kind, seconds in answered:
            kinds[kind].append(seconds)
        start, end = b * plan.bucket_seconds, (b + 1) * plan.bucket_seconds
        memory = {
            pid: _median([s[pid] for s in run.rss if start <= s["t"] < end and pid in s])
            for pid in workers
        }
        minutes.append(
            {
                "start_s": start,
                "warmup": end <= plan.warmup_seconds,
                "requests": len(answered),
                "errors": errors_by_bucket[b],
                "latency_ms": percentiles_ms([s for _, s in answered]),
                "p99_ms_by_kind": {k: percentiles_ms(v)["p99"] for k, v in sorted(kinds.items())},
                "marks": marks_by_bucket[b],
                "rss_mb": memory,
            }
        )
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, _, seconds in tally.latencies:
        by_kind[kind].append(seconds)
    error_kinds: dict[str, int] = defaultdict(int)
    for kind, _, _ in tally.errors:
        error_kinds[kind] += 1
    rss = _rss_growth(run.rss, workers, plan)
    stability = _p99_stability([m for m in minutes if not m["warmup"] and not m["marks"]])
    marked = [m for m in minutes if not m["warmup"] and m["marks"]]
    growth = [w["growth_pct"] for w in rss.values() if w["growth_pct"] is not None]
    return {
        "requests": len(tally.latencies) + len(tally.errors),
        "errors": len(tally.errors),
        "error_samples": [f"{kind} at {due:.0f} s: {what}" for kind, due, what in tally.errors][
            :10
        ],
        "by_kind": {
            kind: {
                "requests": len(seconds) + error_kinds.get(kind, 0),
                "errors": error_kinds.get(kind, 0),
                "latency_ms": percentiles_ms(seconds),
            }
            for kind, seconds in sorted(by_kind.items())
        },
        "minutes": minutes,
        "rss": rss,
        "rss_samples": run.rss,
        "p99_stability": stability,
        "marked_minutes_p99_ms": {
            f"{m['start_s']:g}": {"marks": m["marks"], "p99_ms": m["latency_ms"]["p99"]}
            for m in marked
        },
        "judged": {
            "errors_zero": not tally.errors,
            "rss_growth_below_5_pct": bool(growth) and max(growth) < RSS_GROWTH_MAX_PCT,
            "p99_stable": None not in (stability["ratio"], stability.get("spread"))
            and stability["ratio"] <= P99_DRIFT_MAX
            and stability["spread"] <= P99_SPREAD_MAX,
        },
    }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _rss_growth(
    samples: list[dict[str, float]], workers: list[str], plan: SoakPlan
) -> dict[str, dict[str, Any]]:
    """Each worker's typical memory in the bucket after the warm-up and in the last one,
    and how much it grew between them (the verdict). Beside it, the low-water marks of the
    first and last thirds after the warm-up: a leak raises the floor, while a new
    snapshot moves memory up or down for a while."""
    after = (plan.warmup_seconds, plan.warmup_seconds + plan.bucket_seconds)
    last = (plan.seconds - plan.bucket_seconds, math.inf)
    third = (plan.seconds - plan.warmup_seconds) / 3
    early = (plan.warmup_seconds, plan.warmup_seconds + third)
    late = (plan.seconds - third, math.inf)
    found: dict[str, dict[str, Any]] = {}
    for pid in workers:

        def within(span: tuple[float, float], pid: str = pid) -> list[float]:
            return [s[pid] for s in samples if span[0] <= s["t"] < span[1] and pid in s]

        start, end = _median(within(after)), _median(within(last))
        floor_start, floor_end = min(within(early), default=0.0), min(within(late), default=0.0)
        found[pid] = {
            "after_warmup_mb": start,
            "end_mb": end,
            "max_mb": max((s[pid] for s in samples if pid in s), default=None),
            "growth_pct": _growth(start, end),
            "floor_mb": [floor_start, floor_end],
            "floor_growth_pct": _growth(floor_start, floor_end),
        }
    return found


def _growth(start: float | None, end: float | None) -> float | None:
    return round((end - start) / start * 100, 2) if start and end else None


def _p99_stability(minutes: list[dict[str, Any]]) -> dict[str, Any]:
    """Drift and spread of the minutes' p99s: the median of each half's, and the highest
    against the median of all."""
    p99s = [m["latency_ms"]["p99"] for m in minutes if m["requests"]]
    half = len(p99s) // 2
    if half == 0:
        return {"p99_ms": p99s, "first_half_ms": None, "second_half_ms": None, "ratio": None}
    first, second = statistics.median(p99s[:half]), statistics.median(p99s[half:])
    middle = statistics.median(p99s)
    return {
        "p99_ms": p99s,
        "first_half_ms": round(first, 1),
        "second_half_ms": round(second, 1),
        "ratio": round(second / first, 3) if first else None,
        "spread": round(max(p99s) / middle, 3) if middle else None,
    }


def _taken_up(log: Path, started_wall: float) -> list[dict[str, Any]]:
    """When each worker took up which snapshot, from the server's JSON log lines."""
    found = []
    with contextlib.suppress(OSError):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if "Took up shop-wide snapshot" not in line or not line.startswith("{"):
                continue
            with contextlib.suppress(ValueError, KeyError):
                record = json.loads(line)
                at = datetime.fromisoformat(record["time"].replace("Z", "+00:00")).timestamp()
                found.append(
                    {
                        "pid": record.get("pid"),
                        "at_s": round(at - started_wall, 1),
                        "message": record["message"],
                    }
                )
    return found


def _tail(path: Path, lines: int = 40) -> list[str]:
    """The last distinct lines of the server's output: what it said about failures."""
    seen: dict[str, None] = {}
    with contextlib.suppress(OSError):
        for line in reversed(path.read_text(encoding="utf-8", errors="replace").splitlines()):
            seen.setdefault(line[:500], None)
            if len(seen) == lines:
                break
    return list(reversed(seen))


def table(result: dict[str, Any]) -> str:
    """The soak in short, one line a minute."""
    plan = result["plan"]
    lines = [
        f"Soak: {plan['seconds']:g} s at {plan['workers']} workers, {result['label']}: "
        f"{result['requests']:,} requests, {result['errors']} errors",
        f"{'from s':>7} {'requests':>9} {'errors':>7} {'p50':>8} {'p95':>8} {'p99':>8}  "
        "RSS MB per worker  marks",
    ]
    for minute in result["minutes"]:
        ms = minute["latency_ms"]
        memory = " / ".join(f"{mb:g}" for mb in minute["rss_mb"].values() if mb is not None)
        lines.append(
            f"{minute['start_s']:>7g} {minute['requests']:>9} {minute['errors']:>7} "
            f"{ms['p50']:>8} {ms['p95']:>8} {ms['p99']:>8}  {memory:<17}  "
            + " ".join(minute["marks"] + (["(warm-up)"] if minute["warmup"] else []))
        )
    growth = [w["growth_pct"] for w in result["rss"].values()]
    stability = result["p99_stability"]
    lines.append(
        f"RSS growth after the warm-up: {growth} %; p99 of the quiet minutes after it: "
        f"{stability['p99_ms']} ms (halves' medians {stability['first_half_ms']} / "
        f"{stability['second_half_ms']}); judged: {result['judged']}"
    )
    return "\n".join(lines)
