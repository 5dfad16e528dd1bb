"""Chroma is an index, rebuilt from SQL by ``tactful reindex``: a damaged or lost store
costs a rebuild, never an item or a fact.

Real Chroma (embedded, and a ``chroma run`` server), real SQLite, the real embedding
model; the damage is done to the files, and the ``kill -9`` to a real ``tactful import``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import chromadb
import numpy as np
import pytest
import sqlalchemy as sa
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import InternalError
from typer.testing import CliRunner

from agent.cli import app
from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.ingest.online_retail import OnlineRetailData
from agent.settings import Settings
from agent.stores.records import RecordStore
from agent.stores.sql.items import ItemStore
from agent.stores.vectors import (
    ITEMS,
    ChromaVectorStore,
    index_failure,
    make_chroma_client,
    release_embedded,
)
from bench.api.chroma import chroma_server

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "data" / "online-retail-demo.csv.gz"
#: What Chroma said when a ``kill -9`` during an import had left it unusable.
HNSW_FAILURE = "Error in compaction: Failed to apply logs to the hnsw segment writer"


class Run(NamedTuple):
    code: int
    out: str
    err: str


def cli(home: Path, now: datetime, *args: str, env: dict[str, str] | None = None) -> Run:
    """The real command line in its own process."""
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        env=_env(home, now) | (env or {}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def _env(home: Path, now: datetime) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACTFUL_")}
    return env | {"TACTFUL_HOME": str(home), "TACTFUL_NOW": now.isoformat()}


@pytest.fixture
def in_process(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """``in_process(home, *args, env=…)``: the command line through ``CliRunner``, with
    the session's embedding model."""
    for name in list(os.environ):
        if name.startswith("TACTFUL_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr("agent.facade.load_default_embedder", lambda: embedder)
    monkeypatch.setattr("agent.cli.reindex.load_default_embedder", lambda: embedder)
    runner = CliRunner()

    def invoke(home: Path, *args: str, env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(app, list(args), env={"TACTFUL_HOME": str(home)} | (env or {}))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


def open_shop(home: Path, clock: FixedClock, embedder: Embedder, **settings: Any) -> Tactful:
    return Tactful.open(Settings(home=home, **settings), clock=clock, embedder=embedder)


def shoppers_of(demo_data: OnlineRetailData, demo_shopper: str) -> list[str]:
    others = sorted(s.shopper_id for s in demo_data.shoppers if s.shopper_id != demo_shopper)
    return [demo_shopper, others[0], others[len(others) // 2]]


def answers(tactful: Tactful, shoppers: Sequence[str]) -> list[Any]:
    """Whole suggestions (scores, factors, evidence, reasons) for a few kinds of request."""
    requests: list[dict[str, Any]] = [
        {},
        {"mode": "purchase"},
        {"query": "owl mug"},
        {"mode": "gift", "recipient": "my niece", "budget_max": 10.0},
    ]
    return [
        [s.model_dump(mode="json") for s in tactful.recommend(shopper, k=10, **request)]
        for shopper in shoppers
        for request in requests
    ]


def state_facts(tactful: Tactful, shopper: str) -> tuple[str, str]:
    """An active fact and a retracted one; the ids of both."""
    kept = tactful.remember(shopper, "loves owls")
    dropped = tactful.remember(shopper, "likes red lanterns")
    tactful.forget(shopper, dropped.fact_id)
    return kept.fact_id, dropped.fact_id


def assert_reindex_line(run: Run) -> None:
    """One line on stderr naming what failed and `tactful reindex`, no traceback."""
    assert "Traceback" not in run.out + run.err
    assert run.code == 5, run
    assert run.out == ""
    lines = [line for line in run.err.splitlines() if line.startswith("Store unavailable:")]
    assert len(lines) == 1, run.err
    assert "run `tactful reindex` to rebuild the index" in lines[0], run.err


def facts_in_chroma(settings: Settings, ids: Sequence[str]) -> set[str]:
    """Which of these facts have a vector in the store, read by a client of this test's
    own before any start could file a missing one again."""
    if settings.chroma_url is None:
        release_embedded(settings.chroma_path)
    store = ChromaVectorStore(make_chroma_client(settings))
    try:
        return set(store.fact_vectors(ids))
    finally:
        store.close_client()


def chroma_ids(folder: Path) -> list[str]:
    """Every item id in an embedded store, read by a client of this test's own."""
    release_embedded(folder)
    client = chromadb.PersistentClient(
        path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
    )
    try:
        return list(client.get_collection(ITEMS).get(include=[])["ids"])
    finally:
        client.close()
        release_embedded(folder)


# -- a rebuild changes no answer ----------------------------------------------------------


def test_reindex_files_every_item_and_fact_again_and_every_answer_stays_the_same(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    demo_data: OnlineRetailData,
    demo_shopper: str,
    in_process: Callable[..., Run],
) -> None:
    shoppers = shoppers_of(demo_data, demo_shopper)
    with open_shop(demo_home, clock, embedder) as tactful:
        kept, dropped = state_facts(tactful, demo_shopper)
    # Asked at a start, as after the rebuild: a fact's vector is then Chroma's copy.
    with open_shop(demo_home, clock, embedder) as tactful:
        before = answers(tactful, shoppers)
        catalog = tactful.index.catalog
        items, vectors = list(catalog.items), catalog.vectors.copy()

    run = in_process(demo_home, "reindex")

    assert run.code == 0, run.err
    assert f"{len(items):,} items and 2 facts filed again" in run.err
    assert not (demo_home / "snapshot" / "catalog.json").exists(), "the next start reads Chroma"
    assert facts_in_chroma(Settings(home=demo_home), [kept, dropped]) == {kept, dropped}
    with open_shop(demo_home, clock, embedder) as tactful:
        # Read back from the rebuilt store, row for row and vector for vector.
        assert list(tactful.index.catalog.items) == items
        assert np.array_equal(tactful.index.catalog.vectors, vectors)
        assert answers(tactful, shoppers) == before
        assert tactful.vectors.count_items() == len(items) == tactful.items.count(filed=True)


def test_an_interrupted_reindex_loses_nothing_and_the_next_start_files_the_rest(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    demo_data: OnlineRetailData,
    demo_shopper: str,
    in_process: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shoppers = shoppers_of(demo_data, demo_shopper)
    with open_shop(demo_home, clock, embedder) as tactful:
        before = answers(tactful, shoppers)
        total = len(tactful.index.catalog)

    class Interrupted:
        """The model, stopped by Ctrl-C while embedding the third batch."""

        model_id, dim = embedder.model_id, embedder.dim
        calls = 0

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            self.calls += 1
            if self.calls == 3:
                raise KeyboardInterrupt
            return embedder.embed(texts)

    monkeypatch.setattr("agent.cli.reindex.load_default_embedder", Interrupted)
    stopped = in_process(demo_home, "reindex")
    with RecordStore(Settings(home=demo_home).sql_url) as records:
        waiting = ItemStore(records.engine).count(filed=False)

    assert stopped.code != 0, stopped
    assert "Rebuilt" not in stopped.err
    assert waiting == total - 2 * 256
    with open_shop(demo_home, clock, embedder) as tactful:
        assert len(tactful.index.catalog) == total
        assert tactful.items.count(filed=False) == 0
        assert answers(tactful, shoppers) == before
    monkeypatch.setattr("agent.cli.reindex.load_default_embedder", lambda: embedder)
    again = in_process(demo_home, "reindex")
    assert again.code == 0, again.err
    assert f"{total:,} items" in again.err


# -- a damaged index: one line naming the repair, then the repair ------------------------


def _garble(path: Path) -> None:
    path.write_bytes(os.urandom(max(path.stat().st_size, 4096)))


def _garble_database(home: Path) -> None:
    _garble(home / "chroma" / "chroma.sqlite3")


def _garble_segments(home: Path) -> None:
    for folder in (home / "chroma").iterdir():
        if folder.is_dir():
            for file in folder.iterdir():
                _garble(file)
    # As after an import that changed the catalog: the saved catalog is stale, so the
    # start reads Chroma. (While it is current, answers need no vector from Chroma.)
    shutil.rmtree(home / "snapshot")


def _delete_folder(home: Path) -> None:
    shutil.rmtree(home / "chroma")


@pytest.mark.parametrize(
    ("damage", "moved"),
    [(_garble_database, True), (_garble_segments, True), (_delete_folder, False)],
    ids=["database", "segments", "folder-gone"],
)
def test_a_damaged_chroma_folder_is_one_line_naming_reindex_which_restores_every_fact(
    demo_home: Path,
    data_now: datetime,
    clock: FixedClock,
    embedder: Embedder,
    demo_shopper: str,
    damage: Callable[[Path], None],
    moved: bool,
) -> None:
    with open_shop(demo_home, clock, embedder) as tactful:
        kept, dropped = state_facts(tactful, demo_shopper)
    release_embedded(Settings(home=demo_home).chroma_path)
    before = cli(demo_home, data_now, "recommend", demo_shopper, "--json")
    assert before.code == 0, before.err

    damage(demo_home)
    broken = cli(demo_home, data_now, "recommend", demo_shopper, "--json")
    repaired = cli(demo_home, data_now, "reindex")
    refiled = facts_in_chroma(Settings(home=demo_home), [kept, dropped])
    after = cli(demo_home, data_now, "recommend", demo_shopper, "--json")

    assert_reindex_line(broken)
    assert repaired.code == 0, repaired.err
    assert "Traceback" not in repaired.err
    aside = sorted(demo_home.glob("chroma.broken-*"))
    if moved:
        assert len(aside) == 1 and aside[0].is_dir(), "moved aside, not deleted"
        assert aside[0].name in repaired.err
    else:
        assert aside == []
    assert after.code == 0, after.err
    assert after.out == before.out
    assert refiled == {kept, dropped}
    with RecordStore(Settings(home=demo_home).sql_url) as records:
        facts = {f.fact_id: f.status.value for f in records.facts.for_shopper(demo_shopper)}
    assert facts == {kept: "active", dropped: "retracted"}


def test_a_failure_inside_chroma_while_filing_names_reindex_and_the_item_is_filed_next_start(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    tmp_path: Path,
    in_process: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("item_id,title,price\nT-OWL-MUG,Owl mug,4.50\n", encoding="utf-8")

    def hnsw_failure(*_args: Any, **_kwargs: Any) -> None:
        raise InternalError(HNSW_FAILURE)

    with monkeypatch.context() as failing:
        failing.setattr(ChromaVectorStore, "upsert_items", hnsw_failure)
        run = in_process(demo_home, "ingest", "catalog", str(catalog))

    assert_reindex_line(run)
    assert HNSW_FAILURE in run.err
    expected = index_failure(InternalError(HNSW_FAILURE))
    assert expected is not None and expected.message in run.err
    with open_shop(demo_home, clock, embedder) as tactful:
        # In SQL before Chroma failed, and filed by this start.
        assert tactful.item("T-OWL-MUG").title == "Owl mug"
        assert tactful.items.states(["T-OWL-MUG"])["T-OWL-MUG"].filed
        assert list(tactful.vectors.item_hashes(["T-OWL-MUG"])) == ["T-OWL-MUG"]


# -- a data folder from before the catalog was kept in SQL ------------------------------------


def test_an_old_home_with_its_catalog_only_in_chroma_opens_with_it_intact_and_can_be_rebuilt(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    demo_data: OnlineRetailData,
    demo_shopper: str,
    in_process: Callable[..., Run],
) -> None:
    shoppers = shoppers_of(demo_data, demo_shopper)
    with open_shop(demo_home, clock, embedder) as tactful:
        before = answers(tactful, shoppers)
        items = list(tactful.index.catalog.items)
    # As an older version left it: the catalog in Chroma only, and a snapshot saved in
    # that version's own way.
    engine = sa.create_engine(Settings(home=demo_home).sql_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE items"))
        conn.execute(sa.text("DROP TABLE item_copy"))
    engine.dispose()
    shutil.rmtree(demo_home / "snapshot")

    with open_shop(demo_home, clock, embedder) as tactful:
        stored = tactful.items.get()
        assert [s.item for s in stored] == items, "every item, in the catalog's order"
        assert [s.text for s in stored] == [item.embedding_text() for item in items]
        assert tactful.items.count(filed=True) == len(items)
        assert tactful.items.copied()
        assert list(tactful.index.catalog.items) == items
        assert answers(tactful, shoppers) == before
    rebuilt = in_process(demo_home, "reindex")
    assert rebuilt.code == 0, rebuilt.err
    with open_shop(demo_home, clock, embedder) as tactful:
        assert list(tactful.index.catalog.items) == items
        assert answers(tactful, shoppers) == before


# -- kill -9 in the middle of an import ------------------------------------------------------


def _count(database: Path, table: str) -> int:
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0  # not made yet, or busy: ask again


@pytest.mark.parametrize("items_stored", [256, 1536], ids=["first-batch", "later-batch"])
def test_kill_9_of_an_import_mid_batch_then_a_rerun_stores_everything_once(
    tmp_path: Path,
    data_now: datetime,
    demo_data: OnlineRetailData,
    demo_shopper: str,
    items_stored: int,
) -> None:
    home = tmp_path / "home"
    command = [sys.executable, "-m", "agent.cli", "import", "online-retail", str(DEMO_FILE)]
    importing = subprocess.Popen(
        command,
        env=_env(home, data_now),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    try:
        while _count(home / "tactful.db", "items") < items_stored:
            assert importing.poll() is None, "the import ended before it was stopped"
            assert time.monotonic() < deadline, "the import stored nothing for ten minutes"
            time.sleep(0.02)
    finally:
        os.kill(importing.pid, signal.SIGKILL)
        importing.wait()
    assert importing.returncode == -signal.SIGKILL

    rerun = cli(home, data_now, "import", "online-retail", str(DEMO_FILE))
    if rerun.code != 0:  # the kill left Chroma unusable (about 1 in 60 kills)
        assert_reindex_line(rerun)
        assert cli(home, data_now, "reindex").code == 0
        rerun = cli(home, data_now, "import", "online-retail", str(DEMO_FILE))
    asked = cli(home, data_now, "recommend", demo_shopper, "--json")

    assert rerun.code == 0, rerun.err
    assert asked.code == 0, asked.err
    assert len(json.loads(asked.out)["suggestions"]) == 10
    item_ids = {item.item_id for item in demo_data.items}
    event_ids = [event.event_id for event in demo_data.events]
    with RecordStore(Settings(home=home).sql_url) as records:
        items = ItemStore(records.engine)
        stored_items = {s.item.item_id for s in items.get()}
        assert stored_items == item_ids
        assert items.count() == len(item_ids)
        assert items.count(filed=False) == 0
        assert records.count_events() == len(set(event_ids)) == len(event_ids)
    in_chroma = chroma_ids(Settings(home=home).chroma_path)
    assert sorted(in_chroma) == sorted(item_ids), "each item once in Chroma"


# -- a Chroma server ---------------------------------------------------------------------------


def test_reindex_rebuilds_a_chroma_server_that_lost_its_collections(
    tmp_path: Path,
    clock: FixedClock,
    embedder: Embedder,
    demo_data: OnlineRetailData,
    demo_shopper: str,
    in_process: Callable[..., Run],
) -> None:
    home = tmp_path / "home"
    with chroma_server(tmp_path / "served", tmp_path / "chroma.log") as url:
        settings = {"chroma_url": url}
        with open_shop(home, clock, embedder, **settings) as tactful:
            tactful.add_shoppers(demo_data.shoppers)
            tactful.ingest_items(demo_data.items)
            tactful.record_events(demo_data.events, clarify=False)
            kept, dropped = state_facts(tactful, demo_shopper)
        shoppers = shoppers_of(demo_data, demo_shopper)
        with open_shop(home, clock, embedder, **settings) as tactful:
            before = answers(tactful, shoppers)
            items = list(tactful.index.catalog.items)
        parts = urlsplit(url)
        server = chromadb.HttpClient(
            host=str(parts.hostname),
            port=int(parts.port or 8000),
            settings=ChromaSettings(anonymized_telemetry=False),
        )
        for collection in server.list_collections():
            server.delete_collection(collection.name)
        shutil.rmtree(home / "snapshot")

        lost = in_process(home, "recommend", demo_shopper, env={"TACTFUL_CHROMA_URL": url})
        rebuilt = in_process(home, "reindex", env={"TACTFUL_CHROMA_URL": url})

        assert_reindex_line(lost)
        assert rebuilt.code == 0, rebuilt.err
        assert f"Rebuilt the index at {url}: {len(items):,} items and 2 facts" in rebuilt.err
        served = Settings(home=home, chroma_url=url)
        assert facts_in_chroma(served, [kept, dropped]) == {kept, dropped}
        with open_shop(home, clock, embedder, **settings) as tactful:
            assert list(tactful.index.catalog.items) == items
            assert answers(tactful, shoppers) == before
            assert tactful.vectors.count_items() == len(items)
