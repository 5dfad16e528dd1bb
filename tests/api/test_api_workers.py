"""``tactful serve --workers 2``: two real worker processes on one port and one data
folder. A client is pinned to a worker by its keep-alive connection, so each test talks
to both on purpose."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.ingest.online_retail import OnlineRetailData
from agent.settings import Settings
from agent.stores.keys import KeyKind, KeyStore
from agent.stores.vectors import FACT_WRITE_DELAY
from bench.api.server import running_server, wait_for_workers
from tests.api.servers import new_home, two_workers


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path, data_now: datetime
) -> Iterator[tuple[str, str, Path]]:
    home, secret = new_home(tmp_path_factory, demo_template)
    env = {"TACTFUL_NOW": data_now.isoformat()}
    with running_server(home, env, workers=2, timeout=300) as url:
        wait_for_workers(url, 2)
        yield url, secret, home


def test_an_event_acknowledged_by_one_worker_counts_at_the_other_at_once(
    served: tuple[str, str, Path], demo_shopper: str, gift_item: str
) -> None:
    url, secret, _ = served
    writer, reader = two_workers(url, secret)
    profile = f"/v1/shoppers/{demo_shopper}/profile"
    # The reader holds the shopper's history in memory before the write.
    before = reader.get(profile).json()["events_by_kind"].get("view", 0)

    event = {
        "event_id": "w-view-1",
        "item_id": gift_item,
        "kind": "view",
        "shopper_id": demo_shopper,
    }
    added = writer.post("/v1/events", json={"events": [event], "clarify": False})
    assert added.status_code == 200 and added.json()["added"] == 1

    assert reader.get(profile).json()["events_by_kind"]["view"] == before + 1
    again = reader.post("/v1/events", json={"events": [event], "clarify": False})
    assert again.json()["added"] == 0 and again.json()["duplicates"] == 1


def test_an_item_one_worker_adds_is_known_to_the_other_at_once(
    served: tuple[str, str, Path], demo_shopper: str
) -> None:
    url, secret, _ = served
    writer, reader = two_workers(url, secret)
    item = {"item_id": "W-NEW-1", "title": "Hedgehog tea cosy", "price": 7.5}
    assert writer.put("/v1/catalog/items", json={"items": [item]}).json()["added"] == 1

    event = {
        "event_id": "w-view-2",
        "item_id": "W-NEW-1",
        "kind": "view",
        "shopper_id": demo_shopper,
    }
    added = reader.post("/v1/events", json={"events": [event], "clarify": False})
    assert added.status_code == 200, added.text
    body = {"shopper_id": demo_shopper, "query": "hedgehog tea cosy", "k": 20}
    found = reader.post("/v1/recommendations", json=body).json()["suggestions"]
    assert "W-NEW-1" in [s["item"]["item_id"] for s in found]


def test_a_fact_told_to_one_worker_is_in_the_others_next_answer(
    served: tuple[str, str, Path], demo_shopper: str
) -> None:
    url, secret, _ = served
    writer, reader = two_workers(url, secret)
    facts = f"/v1/shoppers/{demo_shopper}/facts"
    told = writer.post(facts, json={"text": "loves hedgehogs"})
    assert told.status_code == 201, told.text

    profile = reader.get(f"/v1/shoppers/{demo_shopper}/profile").json()
    assert told.json()["fact_id"] in [f["fact_id"] for f in profile["facts"]]
    body = {"shopper_id": demo_shopper, "k": 5}
    assert reader.post("/v1/recommendations", json=body).status_code == 200


def test_chat_turns_alternating_between_workers_all_succeed_and_keep_their_facts(
    served: tuple[str, str, Path], demo_data: OnlineRetailData
) -> None:
    """A turn reloads the facts another worker filed since; the two must share one view
    of the fact vectors, or the turn fails on a vector it cannot find."""
    url, secret, _ = served
    shoppers = [s.shopper_id for s in demo_data.shoppers[:6]]
    turns = ["i love candles", "not keen on glitter", "i like owls", "something for me"]

    def converse(shopper: str) -> list[int]:
        clients = two_workers(url, secret)
        statuses, conversation = [], None
        for n, text in enumerate(turns):
            if n:
                time.sleep(FACT_WRITE_DELAY + 0.5)  # the other worker's facts are filed
            body = {"shopper_id": shopper, "message": text}
            if conversation is not None:
                body["conversation_id"] = conversation
            reply = clients[n % 2].post("/v1/chat", json=body)
            statuses.append(reply.status_code)
            if reply.status_code == 200:
                conversation = reply.json()["conversation_id"]
        for client in clients:
            client.close()
        return statuses

    with ThreadPoolExecutor(max_workers=len(shoppers)) as pool:
        statuses = [s for each in pool.map(converse, shoppers) for s in each]
    assert statuses == [200] * len(statuses)

    reader, _ = two_workers(url, secret)
    for shopper in shoppers:
        facts = reader.get(f"/v1/shoppers/{shopper}/profile").json()["facts"]
        assert {"candles", "owls"} <= {w for f in facts for w in f["text"].split()}, facts


def test_a_revoked_key_is_refused_by_every_worker(served: tuple[str, str, Path]) -> None:
    url, _, home = served
    keys = KeyStore(Settings(home=home).sql_url)
    created = keys.create(KeyKind.STAFF, "leaving")
    first, second = two_workers(url, created.secret)
    assert first.get("/v1/escalations").status_code == 200
    assert second.get("/v1/escalations").status_code == 200

    keys.revoke(created.key.key_id)
    keys.close()
    assert first.get("/v1/escalations").status_code == 401
    assert second.get("/v1/escalations").status_code == 401


def test_a_callers_rate_limit_holds_across_workers_not_per_worker(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path, data_now: datetime
) -> None:
    home, secret = new_home(tmp_path_factory, demo_template)
    env = {
        "TACTFUL_NOW": data_now.isoformat(),
        "TACTFUL_API__RATE_PER_SECOND": "0.01",  # no refill within the test
        "TACTFUL_API__RATE_BURST": "4",
    }
    with running_server(home, env, workers=2, timeout=300) as url:
        wait_for_workers(url, 2)
        first, second = two_workers(url, secret)
        answers = [
            (first if n % 2 == 0 else second).get("/v1/escalations").status_code for n in range(8)
        ]
    # Four in all, not four at each worker.
    assert answers == [200] * 4 + [429] * 4


def test_demo_mode_reaches_every_worker(
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Path,
    data_now: datetime,
    demo_shopper: str,
) -> None:
    home, _ = new_home(tmp_path_factory, demo_template)
    env = {"TACTFUL_NOW": data_now.isoformat()}
    with running_server(home, env, workers=2, timeout=300, demo=True) as url:
        wait_for_workers(url, 2)
        first, second = two_workers(url, "none")
        for client in (first, second):
            assert client.get("/").status_code == 200
            token = client.post("/demo/token", json={"shopper_id": demo_shopper})
            assert token.status_code == 201, token.text


@pytest.mark.parametrize("workers", ["0", "65", "two"])
def test_a_bad_worker_count_is_refused_before_anything_starts(tmp_path: Path, workers: str) -> None:
    run = CliRunner().invoke(app, ["serve", "--workers", workers, "--home", str(tmp_path)])
    assert run.exit_code == 2
    assert "--workers" in run.output
    assert not (tmp_path / "tactful.db").exists()


def test_several_workers_refuse_embedded_chroma_in_one_line_saying_how_to_serve_it(
    tmp_path: Path,
) -> None:
    run = CliRunner().invoke(app, ["serve", "--workers", "2", "--home", str(tmp_path)])
    assert run.exit_code == 2
    said = run.output.strip()
    assert "\n" not in said
    assert "chroma run --path" in said and "TACTFUL_CHROMA_URL" in said
    assert not (tmp_path / "tactful.db").exists()


def test_several_workers_refuse_an_in_memory_database(tmp_path: Path) -> None:
    env = {"TACTFUL_DATABASE_URL": "sqlite://", "TACTFUL_CHROMA_URL": "http://127.0.0.1:9"}
    run = CliRunner().invoke(app, ["serve", "--workers", "2", "--home", str(tmp_path)], env=env)
    assert run.exit_code == 2
    assert "in-memory" in run.output
