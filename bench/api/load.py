"""Concurrent clients against a real ``tactful serve`` on loopback.

Each client is one shopper with their own token, looping over chat, a batch of events
and recommendations. Reported per level of concurrency: requests per second and the
p50/p95/p99 latency of recommend and chat (and events). Checked afterwards: no request
failed, and every event the server acknowledged is stored exactly once (each batch is
also sent a second time, which must store nothing).

    python -m bench.api.load                      # 1, 8 and 32 clients, demo data
    python -m bench.api.load --clients 1,4 --rounds 3 --items 200 --out /tmp/x.json

It builds a temporary data folder from the bundled demo data (``--items`` products and
their history), starts ``tactful serve`` on a free port, and stops it after. Exit code 1
when any correctness check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.api.server import running_server

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "data" / "online-retail-demo.csv.gz"
RESULTS = ROOT / "bench" / "results" / "api_load.json"
MESSAGES = ("a gift for my sister under £10", "candle holders", "something cheaper", "hello")


@dataclass
class Tally:
    """What the clients of one level saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # event id -> shopper id
    resent_stored: int = 0


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    if len(values) == 1:
        return {"p50": values[0] * 1000, "p95": values[0] * 1000, "p99": values[0] * 1000}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000}


async def timed(
    tally: Tally, kind: str, client: httpx.AsyncClient, method: str, path: str, body: Any
) -> Any:
    started = time.perf_counter()
    response = await client.request(method, path, json=body)
    tally.latencies[kind].append(time.perf_counter() - started)
    if response.status_code >= 300:
        tally.errors.append(f"{kind} {response.status_code} {response.text[:200]}")
        return None
    return response.json()


async def shopper_loop(
    url: str, token: str, shopper: str, items: list[str], rounds: int, tag: str, tally: Tally
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        for n in range(rounds):
            message = MESSAGES[n % len(MESSAGES)]
            await timed(tally, "chat", client, "POST", "/v1/chat", {"message": message})
            batch = [
                {
                    "event_id": f"load-{tag}-{shopper}-{n}-{k}",
                    "item_id": items[(n * 2 + k) % len(items)],
                    "kind": "view",
                }
                for k in range(2)
            ]
            body = {"events": batch, "clarify": False}
            report = await timed(tally, "events", client, "POST", "/v1/events", body)
            if report is not None and report["added"] == len(batch):
                tally.acknowledged.update({e["event_id"]: shopper for e in batch})
            elif report is not None:
                tally.errors.append(f"events: {report['added']} of {len(batch)} added")
            again = await timed(tally, "events", client, "POST", "/v1/events", body)
            if again is not None:
                tally.resent_stored += again["added"]
            await timed(tally, "recommend", client, "POST", "/v1/recommendations", {"k": 10})


async def run_level(
    url: str, shop_key: str, shoppers: list[str], items: list[str], clients: int, rounds: int
) -> tuple[dict[str, Any], Tally]:
    tally = Tally()
    shop = {"Authorization": f"Bearer {shop_key}"}
    async with httpx.AsyncClient(base_url=url, headers=shop, timeout=60) as client:
        tokens = []
        for n in range(clients):
            minted = await client.post("/v1/tokens", json={"shopper_id": shoppers[n]})
            minted.raise_for_status()
            tokens.append(minted.json()["token"])
    started = time.perf_counter()
    await asyncio.gather(
        *(
            shopper_loop(url, tokens[n], shoppers[n], items, rounds, f"c{clients}", tally)
            for n in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    requests = sum(len(v) for v in tally.latencies.values())
    report = {
        "clients": clients,
        "requests": requests,
        "seconds": round(elapsed, 2),
        "requests_per_s": round(requests / elapsed, 2),
        "latency_ms": {
            kind: {k: round(v, 1) for k, v in percentiles(tally.latencies[kind]).items()}
            for kind in ("recommend", "chat", "events")
        },
        "errors": len(tally.errors),
    }
    return report, tally


async def check_events(url: str, shop_key: str, acknowledged: dict[str, str]) -> dict[str, int]:
    """Read every shopper's events back: each acknowledged one exactly once."""
    found: dict[str, int] = defaultdict(int)
    shop = {"Authorization": f"Bearer {shop_key}"}
    async with httpx.AsyncClient(base_url=url, headers=shop, timeout=120) as client:
        for shopper in sorted(set(acknowledged.values())):
            exported = await client.get(f"/v1/shoppers/{shopper}/export")
            exported.raise_for_status()
            for event in exported.json()["events"]:
                if event["event_id"].startswith("load-"):
                    found[event["event_id"]] += 1
    return {
        "acknowledged": len(acknowledged),
        "missing": sum(1 for e in acknowledged if found[e] == 0),
        "doubled": sum(1 for count in found.values() if count > 1),
        "unacknowledged_stored": sum(1 for e in found if e not in acknowledged),
    }


async def run(url: str, shop_key: str, shoppers: list[str], items: list[str], args: Any) -> Any:
    levels = []
    acknowledged: dict[str, str] = {}
    errors: list[str] = []
    resent_stored = 0
    for clients in args.clients:
        report, tally = await run_level(url, shop_key, shoppers, items, clients, args.rounds)
        print(json.dumps(report))
        levels.append(report)
        acknowledged.update(tally.acknowledged)
        errors += tally.errors
        resent_stored += tally.resent_stored
    events = await check_events(url, shop_key, acknowledged)
    events["resent_stored"] = resent_stored
    ok = (
        not errors
        and events["missing"] == 0
        and events["doubled"] == 0
        and events["unacknowledged_stored"] == 0
        and resent_stored == 0
    )
    return {"ok": ok, "levels": levels, "events": events, "errors": errors[:20]}


def prepare_home(
    home: Path, n_items: int, n_shoppers: int
) -> tuple[str, list[str], list[str], str]:
    """A data folder with the first ``n_items`` demo products, the history of the shoppers
    who bought them, and a shop key; returns (key, shoppers, items, the data's today)."""
    from agent.facade import Tactful
    from agent.ingest.online_retail import read_online_retail
    from agent.settings import Settings
    from agent.stores.keys import KeyKind, KeyStore

    data = read_online_retail(DEMO_FILE)
    items = data.items[:n_items]
    kept = {i.item_id for i in items}
    events = [e for e in data.events if e.item_id in kept]
    by_count: dict[str, int] = defaultdict(int)
    for event in events:
        by_count[event.shopper_id] += 1
    shoppers = sorted(by_count, key=lambda s: -by_count[s])[:n_shoppers]
    assert data.report.last_event_at is not None
    today = (data.report.last_event_at + timedelta(days=1)).replace(microsecond=0).isoformat()
    settings = Settings(home=home, now=today)
    with Tactful.open(settings) as tactful:
        tactful.add_shoppers([s for s in data.shoppers if s.shopper_id in by_count])
        tactful.ingest_items(items)
        tactful.record_events(events, clarify=False)
        tactful.refresh()
    keys = KeyStore(settings.sql_url)
    key = keys.create(KeyKind.SHOP, "load test").secret
    keys.close()
    return key, shoppers, [i.item_id for i in items], today


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api.load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--clients",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 8, 32],
        help="levels of concurrency, comma-separated (default 1,8,32)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="loops per client (default 5)")
    parser.add_argument("--items", type=int, default=300, help="demo products to load")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results JSON ({RESULTS})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tactful-load-") as folder:
        home = Path(folder) / "home"
        key, shoppers, items, today = prepare_home(home, args.items, max(args.clients))
        if len(shoppers) < max(args.clients):
            raise SystemExit(f"only {len(shoppers)} shoppers in the data; use fewer clients")
        with running_server(home, {"TACTFUL_NOW": today}) as url:
            result = asyncio.run(run(url, key, shoppers, items, args))
    result["setup"] = {"items": args.items, "rounds": args.rounds, "clients": args.clients}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"ok": result["ok"], "events": result["events"]}))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
