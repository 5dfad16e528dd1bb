"""Two ``tactful serve`` workers on a PostgreSQL server and an external ``chroma run``, as
a shop that outgrew one process runs them: writes through one worker, and reads through
the other at once.

The staleness bound is the one README's "Workers" paragraph documents: each worker reads
the change feed before every answer, so a write acknowledged by one worker counts at the
other's next request. Every read here is that next request: none waits or retries.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
import httpx
import pytest
import sqlalchemy as sa

from agent.ingest.online_retail import OnlineRetailData
from agent.stores.vectors import FACT_VECTORS, FACT_WRITE_DELAY
from bench.api.server import running_server, wait_for_workers
from tests.api.servers import (
    GENEROUS_LIMITS,
    ServerShop,
    ServerTemplate,
    pinned,
    postgres_server,  # noqa: F401
    server_template,  # noqa: F401
    shop_on_servers,
)
from tests.pg import PostgresServer
from tests.scan import rows_mentioning

#: A shopper made for the erasure, with an id found nowhere else in the data.
ERASED = "pg-erase-qx7"


@dataclass
class Workers:
    """Two clients held by two different workers, and every answer either gave."""

    url: str
    shop: ServerShop
    log: Path
    first: httpx.Client
    second: httpx.Client
    answers: list[tuple[str, str, int]] = field(default_factory=list)

    def pair(self, n: int) -> tuple[httpx.Client, httpx.Client]:
        """(writer, reader) for step ``n``: the workers take turns at writing."""
        return (self.first, self.second) if n % 2 == 0 else (self.second, self.first)

    def call(
        self, client: httpx.Client, method: str, path: str, *, staff: bool = False, **kw: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.shop.staff_key}"} if staff else {}
        answer = client.request(method, path, headers=headers, **kw)
        self.answers.append((method, path, answer.status_code))
        return answer


@pytest.fixture(scope="module")
def workers(
    postgres_server: PostgresServer,  # noqa: F811
    server_template: ServerTemplate,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workers]:
    folder = tmp_path_factory.mktemp("workers-pg")
    log = folder / "serve.log"
    with (
        shop_on_servers(postgres_server, server_template, folder) as shop,
        running_server(
            shop.home, shop.env | GENEROUS_LIMITS, workers=2, timeout=300, log=log
        ) as url,
    ):
        wait_for_workers(url, 2)
        first, one = pinned(url, shop.shop_key, set())
        second, _ = pinned(url, shop.shop_key, {one})
        yield Workers(url, shop, log, first, second)
        first.close()
        second.close()


def views(workers: Workers, client: httpx.Client, shopper: str) -> int:
    answer = workers.call(client, "GET", f"/v1/shoppers/{shopper}/profile")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["events_by_kind"].get("view", 0))


def suggested(workers: Workers, client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = workers.call(client, "POST", "/v1/recommendations", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def cited(answer: dict[str, Any]) -> set[str]:
    return {e["ref"] for s in answer["suggestions"] for f in s["factors"] for e in f["evidence"]}


def ids(answer: dict[str, Any]) -> list[str]:
    return [s["item"]["item_id"] for s in answer["suggestions"]]


def test_events_through_either_worker_count_at_the_others_next_request(
    workers: Workers, demo_data: OnlineRetailData, gift_item: str
) -> None:
    shoppers = [s.shopper_id for s in demo_data.shoppers[:4]]
    # Both workers hold every shopper's history in memory before the writes start.
    before = {s: views(workers, workers.first, s) for s in shoppers}
    assert {s: views(workers, workers.second, s) for s in shoppers} == before
    for n in range(12):
        writer, reader = workers.pair(n)
        shopper = shoppers[n % len(shoppers)]
        event = {"event_id": f"pg-view-{n}", "item_id": gift_item, "kind": "view"}
        body = {"events": [event | {"shopper_id": shopper}], "clarify": False}
        added = workers.call(writer, "POST", "/v1/events", json=body)
        assert added.status_code == 200 and added.json()["added"] == 1, added.text

        assert views(workers, reader, shopper) == before[shopper] + n // len(shoppers) + 1
        again = workers.call(reader, "POST", "/v1/events", json=body).json()
        assert (again["added"], again["duplicates"]) == (0, 1)


def test_a_fact_told_in_chat_to_one_worker_shapes_the_others_next_answer(
    workers: Workers, demo_shopper: str
) -> None:
    for n, text in enumerate(["I love owls", "I'm into gardening"]):
        writer, reader = workers.pair(n)
        told = workers.call(
            writer, "POST", "/v1/chat", json={"shopper_id": demo_shopper, "message": text}
        )
        assert told.status_code == 200, told.text
        [fact] = told.json()["facts_changed"]

        facts = workers.call(reader, "GET", f"/v1/shoppers/{demo_shopper}/profile").json()["facts"]
        assert fact["fact_id"] in [f["fact_id"] for f in facts]
        assert fact["fact_id"] in cited(suggested(workers, reader, shopper_id=demo_shopper, k=20))


def test_catalog_upserts_through_one_worker_are_served_by_the_other_at_once(
    workers: Workers, demo_shopper: str
) -> None:
    cosy = {"item_id": "PG-COSY-1", "title": "Hedgehog tea cosy", "price": 7.5}
    writer, reader = workers.pair(0)
    made = workers.call(writer, "PUT", "/v1/catalog/items", json={"items": [cosy]})
    assert made.status_code == 200 and made.json()["added"] == 1, made.text

    found = suggested(workers, reader, shopper_id=demo_shopper, query="hedgehog tea cosy", k=20)
    assert "PG-COSY-1" in ids(found)
    event = {"event_id": "pg-cosy-view", "item_id": "PG-COSY-1", "kind": "view"}
    body = {"events": [event | {"shopper_id": demo_shopper}], "clarify": False}
    assert workers.call(reader, "POST", "/v1/events", json=body).json()["added"] == 1

    # Changed through the reader; the first worker's next answer has the new title.
    knitted = cosy | {"title": "Knitted hedgehog tea cosy"}
    changed = workers.call(reader, "PUT", "/v1/catalog/items", json={"items": [knitted]})
    assert changed.json()["updated"] == 1, changed.text
    again = suggested(workers, writer, shopper_id=demo_shopper, query="hedgehog tea cosy", k=20)
    assert knitted["title"] in [s["item"]["title"] for s in again["suggestions"]]


def test_a_curated_list_saved_through_one_worker_is_served_by_the_other(
    workers: Workers, demo_data: OnlineRetailData, demo_shopper: str
) -> None:
    picks = [item.item_id for item in demo_data.items[300:306]]
    writer, reader = workers.pair(0)
    body = {"name": "Worker picks", "items": [{"item_id": i} for i in picks]}
    made = workers.call(writer, "POST", "/v1/curated-lists", json=body, staff=True)
    assert made.status_code == 201, made.text
    experiment = {"key": "pg-workers", "weights": {"ai": 0, "curated": 1}, "start": True}
    started = workers.call(writer, "POST", "/v1/experiments", json=experiment, staff=True)
    assert started.status_code == 201, started.text

    served = suggested(workers, reader, shopper_id=demo_shopper, k=3)
    assert ids(served) == picks[:3] and served["exposure_id"]

    body["items"] = [{"item_id": i} for i in reversed(picks)]
    path = "/v1/curated-lists/worker-picks"
    assert workers.call(reader, "PUT", path, json=body, staff=True).status_code == 200
    assert ids(suggested(workers, writer, shopper_id=demo_shopper, k=3)) == picks[::-1][:3]

    stopped = workers.call(writer, "POST", "/v1/experiments/pg-workers/stop", staff=True)
    assert stopped.status_code == 200, stopped.text
    after = suggested(workers, reader, shopper_id=demo_shopper, k=3)
    assert after["exposure_id"] is None
    assert not [f for s in after["suggestions"] for f in s["factors"] if f["name"] == "curated"]


def test_an_erase_through_one_worker_holds_at_the_others_next_request_and_everywhere(
    workers: Workers, gift_item: str
) -> None:
    writer, reader = workers.pair(1)
    event = {"event_id": "pg-erase-view", "item_id": gift_item, "kind": "purchase"}
    body = {"events": [event | {"shopper_id": ERASED}], "clarify": False}
    assert workers.call(reader, "POST", "/v1/events", json=body).json()["added"] == 1
    said = {"shopper_id": ERASED, "message": "I love owls"}
    [fact] = workers.call(writer, "POST", "/v1/chat", json=said).json()["facts_changed"]
    # Both workers hold the shopper, and the fact, in memory.
    for client in (writer, reader):
        profile = workers.call(client, "GET", f"/v1/shoppers/{ERASED}/profile").json()
        assert fact["fact_id"] in [f["fact_id"] for f in profile["facts"]]
        suggested(workers, client, shopper_id=ERASED, k=5)

    erased = workers.call(writer, "DELETE", f"/v1/shoppers/{ERASED}")
    assert erased.status_code == 200, erased.text

    assert workers.call(reader, "GET", f"/v1/shoppers/{ERASED}/profile").status_code == 404
    gone = workers.call(reader, "POST", "/v1/recommendations", json={"shopper_id": ERASED})
    assert gone.status_code == 404
    # Nothing a worker held is filed again afterwards, in either store (the audit trail
    # keeps the fact's id, under a random token instead of the shopper's).
    time.sleep(FACT_WRITE_DELAY + 1)
    engine = sa.create_engine(workers.shop.database_url)
    try:
        assert rows_mentioning(engine, [ERASED]) == []
    finally:
        engine.dispose()
    chroma = chromadb.HttpClient(host="127.0.0.1", port=workers.shop.chroma.port)
    assert chroma.get_collection(FACT_VECTORS).get(ids=[fact["fact_id"]])["ids"] == []


def test_no_request_failed_and_no_worker_logged_an_error(workers: Workers) -> None:
    """Last in the module: every answer of the tests above was one they expected."""
    failed = [a for a in workers.answers if a[2] >= 500]
    assert workers.answers and failed == []
    said = workers.log.read_text(errors="replace")
    assert "Traceback" not in said and "ERROR" not in said, said[-3000:]
