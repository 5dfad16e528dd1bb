"""``kill -9`` of the Chroma server (an external ``chroma run``) while catalog items are
being ingested, through the HTTP API of two workers and through ``tactful ingest
catalog``, on PostgreSQL.

While Chroma is down every answer is one clear error, never a traceback. Once it is
started again, a re-run of the same ingest stores what is missing and nothing twice:
each item is in Chroma once, what was acknowledged comes back unchanged, and both
workers know every item.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
import httpx
import pytest

from agent.stores.vectors import ITEMS
from bench.api.server import running_server, wait_for_workers
from tests.api.servers import (
    GENEROUS_LIMITS,
    TACTFUL,
    ServerShop,
    ServerTemplate,
    pinned,
    postgres_server,  # noqa: F401
    server_template,  # noqa: F401
    shop_on_servers,
    tactful_cli,
    wait_for,
)
from tests.pg import PostgresServer

#: Items per request, and requests in the ingest: long enough to be mid-way at the kill.
BATCH = 16
BATCHES = 60
#: How long a phase of the test may wait for the ingest to get somewhere.
PHASE_SECONDS = 120.0


def new_items(prefix: str, count: int) -> list[dict[str, Any]]:
    kinds = ("mug", "teapot", "lantern", "cushion", "notebook", "candle")
    return [
        {
            "item_id": f"{prefix}-{n:04d}",
            "title": f"Handmade {kinds[n % len(kinds)]} no. {n}",
            "price": 2.5 + n % 9,
        }
        for n in range(count)
    ]


def chroma_items(shop: ServerShop) -> chromadb.Collection:
    client = chromadb.HttpClient(host="127.0.0.1", port=shop.chroma.port)
    return client.get_collection(ITEMS)


def stored_ids(shop: ServerShop, ids: list[str]) -> list[str]:
    """The ids of ``ids`` that Chroma holds, once per record it holds."""
    return list(chroma_items(shop).get(ids=ids, include=[])["ids"])


def assert_one_clear_line(text: str) -> None:
    assert text.strip() and "\n" not in text.strip(), text
    assert "Traceback" not in text and "Chroma" in text, text


@dataclass
class Ingest:
    """One pass of PUTs over the batches, in a thread, with every answer kept."""

    client: httpx.Client
    batches: list[list[dict[str, Any]]]
    answers: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)

    def run(self) -> None:
        for n, batch in enumerate(self.batches):
            answer = self.client.put("/v1/catalog/items", json={"items": batch})
            self.answers.append((n, answer.status_code, answer.json()))

    def count(self, status: int) -> int:
        return sum(1 for _, s, _ in list(self.answers) if s == status)


@contextmanager
def ingest_in_background(shop: ServerShop, command: list[str]) -> Iterator[subprocess.Popen[str]]:
    """``tactful`` running ``command`` on the shop, stopped on leaving if still running."""
    process = subprocess.Popen(
        [str(TACTFUL), *command],
        env={**os.environ, **shop.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.fixture
def shop(
    postgres_server: PostgresServer,  # noqa: F811
    server_template: ServerTemplate,  # noqa: F811
    tmp_path: Path,
) -> Iterator[ServerShop]:
    with shop_on_servers(postgres_server, server_template, tmp_path) as shop:
        yield shop


def test_kill_9_of_chroma_mid_ingest_through_the_api_loses_and_doubles_nothing(
    shop: ServerShop, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    items = new_items("FC-API", BATCH * BATCHES)
    ids = [i["item_id"] for i in items]
    batches = [items[n : n + BATCH] for n in range(0, len(items), BATCH)]
    before = chroma_items(shop).count()
    with running_server(
        shop.home, shop.env | GENEROUS_LIMITS, workers=2, timeout=300, log=log
    ) as url:
        wait_for_workers(url, 2)
        client, one = pinned(url, shop.shop_key, set())
        other, _ = pinned(url, shop.shop_key, {one})
        ingest = Ingest(client, batches)
        thread = threading.Thread(target=ingest.run)
        thread.start()
        try:
            wait_for(lambda: ingest.count(200) >= 5, "five acknowledged batches")
            shop.chroma.kill()
            wait_for(lambda: ingest.count(503) >= 3 or not thread.is_alive(), "answers while down")
            shop.chroma.start()
        finally:
            thread.join(PHASE_SECONDS)
        assert not thread.is_alive()

        failed = [(n, body) for n, status, body in ingest.answers if status != 200]
        acknowledged = [n for n, status, _ in ingest.answers if status == 200]
        assert failed, "the kill met no request"
        for _, body in failed:
            assert body["error"]["code"] == "store_unavailable", body
            assert_one_clear_line(body["error"]["message"])

        print(f"\n{len(acknowledged)} batches acknowledged, {len(failed)} refused: {failed[0][1]}")

        # The same ingest again: what was acknowledged is unchanged, the rest is added.
        rerun = Ingest(client, batches)
        rerun.run()
        assert [s for _, s, _ in rerun.answers] == [200] * len(batches)
        for n, _, body in rerun.answers:
            assert body["updated"] == 0 and body["added"] + body["unchanged"] == BATCH, body
            if n in acknowledged:
                assert body["unchanged"] == BATCH, (n, body)

        # Each item once in Chroma, and known to both workers.
        assert sorted(stored_ids(shop, ids)) == ids
        assert chroma_items(shop).count() == before + len(ids)
        events = [
            {"event_id": f"fc-view-{n}", "shopper_id": "fc-viewer", "item_id": i, "kind": "view"}
            for n, i in enumerate(ids)
        ]
        for worker in (client, other):
            seen = worker.post("/v1/events", json={"events": events, "clarify": False})
            assert seen.status_code == 200, seen.text
    assert "Traceback" not in log.read_text(errors="replace")


def test_kill_9_of_chroma_mid_ingest_from_the_command_line_then_a_rerun_resumes(
    shop: ServerShop, tmp_path: Path
) -> None:
    items = new_items("FC-CLI", 1500)
    ids = [i["item_id"] for i in items]
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "item_id,title,price\n"
        + "".join(f"{i['item_id']},{i['title']},{i['price']}\n" for i in items),
        encoding="utf-8",
    )
    before = chroma_items(shop).count()
    command = ["ingest", "catalog", str(catalog)]

    with ingest_in_background(shop, command) as running:
        wait_for(lambda: stored_ids(shop, ids[:300]), "the first batch in Chroma")
        shop.chroma.kill()
        _, said = running.communicate(timeout=PHASE_SECONDS)
    assert running.returncode == 5, said
    assert_one_clear_line(said.strip().splitlines()[-1])
    assert "Traceback" not in said

    # While Chroma is down, a command that needs it says so in one line.
    down = tactful_cli(shop.env, *command)
    assert down.returncode == 5 and "Traceback" not in down.stderr, down.stderr
    assert_one_clear_line(down.stderr.strip().splitlines()[-1])

    shop.chroma.start()
    again = tactful_cli(shop.env, *command)
    if again.returncode == 5 and "tactful reindex" in again.stderr:
        # Chroma's own log may not survive a kill -9 (the hnsw segment fails to load, about
        # one kill in several): the line says so, and the database rebuilds it.
        assert_one_clear_line(again.stderr.strip().splitlines()[-1])
        rebuilt = tactful_cli(shop.env, "reindex")
        assert rebuilt.returncode == 0, rebuilt.stderr
        again = tactful_cli(shop.env, *command)
    assert again.returncode == 0, again.stderr
    report = re.search(r"Items: ([\d,]+) added, ([\d,]+) updated, ([\d,]+) unchanged", again.stderr)
    assert report is not None, again.stderr
    added, updated, unchanged = (int(n.replace(",", "")) for n in report.groups())
    assert updated == 0 and added + unchanged == len(ids) and unchanged > 0, again.stderr
    print(f"\nkilled mid-ingest: {said.strip().splitlines()[-1]}\nre-run: {report.group(0)}")
    assert sorted(stored_ids(shop, ids)) == ids
    assert chroma_items(shop).count() == before + len(ids)
