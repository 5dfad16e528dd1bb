"""The shop index saved under the home: written when built, used at the next start while
it is current, never when anything it was built from has changed, and never changing an
answer."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.clock import FixedClock
from agent.domain import CatalogItem, ShopperMode
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import Settings
from agent.snapshot.shop import ShopSnapshots
from agent.stores.records import RecordStore
from agent.stores.vectors import ChromaVectorStore
from tests.helpers import purchase
from tools.signals import DecayPolicy

ROOT = Path(__file__).resolve().parents[2]
TACTFUL = Path(sys.executable).with_name("tactful")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def open_shop(home: Path, clock: FixedClock, embedder: Embedder, **settings: Any) -> Tactful:
    return Tactful.open(Settings(home=home, **settings), clock=clock, embedder=embedder)


def rank_once(home: Path, clock: FixedClock, embedder: Embedder, shopper: str) -> None:
    """A start that ranks once, as a one-shot ``tactful recommend`` does."""
    with open_shop(home, clock, embedder) as tactful:
        tactful.recommend(shopper)


def answers(tactful: Tactful, shoppers: list[str]) -> list[Any]:
    """Everything a few rankings say, reasons and evidence included, for comparing."""
    found: list[Any] = []
    for shopper in shoppers:
        requests: list[dict[str, Any]] = [
            {},
            {"mode": "gift", "recipient": "my niece"},
            {"query": "red lantern"},
        ]
        for request in requests:
            suggestions = tactful.recommend(shopper, k=10, **request)
            found.append([s.model_dump(mode="json") for s in suggestions])
        found.append([n.model_dump() for n in tactful.similar_shoppers(shopper, k=5)])
    return found


class StoreReads:
    """Counts the two reads a saved snapshot spares: every item, and every event."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.items = self.events = 0
        items, events = ChromaVectorStore.iter_items, RecordStore.event_columns

        def count_items(store: ChromaVectorStore, *args: Any, **kwargs: Any) -> Any:
            self.items += 1
            return items(store, *args, **kwargs)

        def count_events(store: RecordStore) -> Any:
            self.events += 1
            return events(store)

        monkeypatch.setattr(ChromaVectorStore, "iter_items", count_items)
        monkeypatch.setattr(RecordStore, "event_columns", count_events)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> StoreReads:
    return StoreReads(monkeypatch)


@pytest.fixture
def shoppers(demo_home: Path) -> list[str]:
    with RecordStore(f"sqlite:///{demo_home / 'tactful.db'}") as records:
        return records.shopper_ids()[:6]


@pytest.fixture
def cold_home(demo_home: Path) -> Path:
    """The demo shop with nothing saved: the next start reads the stores."""
    shutil.rmtree(demo_home / "snapshot")
    return demo_home


def saved_files(home: Path) -> set[str]:
    return {p.name.split("-")[0].split(".")[0] for p in (home / "snapshot").iterdir()}


def test_a_start_with_nothing_saved_saves_the_catalog_and_the_first_ranking_the_index(
    cold_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], reads: StoreReads
) -> None:
    with open_shop(cold_home, clock, embedder) as tactful:
        assert saved_files(cold_home) >= {"catalog"}
        tactful.recommend(shoppers[0])

    assert saved_files(cold_home) >= {"catalog", "interactions"}
    assert (reads.items, reads.events) == (1, 1)


def test_the_next_start_reads_neither_items_nor_events(
    cold_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], reads: StoreReads
) -> None:
    rank_once(cold_home, clock, embedder, shoppers[0])

    rank_once(cold_home, clock, embedder, shoppers[1])

    assert (reads.items, reads.events) == (1, 1)


def test_rankings_from_the_saved_snapshot_equal_rankings_built_from_the_stores(
    demo_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], reads: StoreReads
) -> None:
    with open_shop(demo_home, clock, embedder) as tactful:
        saved = answers(tactful, shoppers)
    assert (reads.items, reads.events) == (0, 0)

    shutil.rmtree(demo_home / "snapshot")
    with open_shop(demo_home, clock, embedder) as tactful:
        built = answers(tactful, shoppers)

    assert (reads.items, reads.events) == (1, 1)
    assert saved == built


def test_an_item_added_by_another_process_is_in_the_next_start(
    demo_home: Path, clock: FixedClock, embedder: Embedder, tmp_path: Path
) -> None:
    catalog = tmp_path / "more.csv"
    catalog.write_text("item_id,title,price\nOWL-1,Wise Owl Lantern,4.50\n", encoding="utf-8")

    done = subprocess.run(
        [str(TACTFUL), "ingest", "catalog", str(catalog), "--home", str(demo_home)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    with open_shop(demo_home, clock, embedder) as tactful:
        assert tactful.item("OWL-1").title == "Wise Owl Lantern"


def test_after_items_added_here_the_next_start_reads_the_catalog_and_reuses_the_index(
    demo_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], reads: StoreReads
) -> None:
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.ingest_items([CatalogItem(item_id="OWL-2", title="Owl Tea Light")])
        tactful.refresh()
    assert reads.events == 1

    with open_shop(demo_home, clock, embedder) as tactful:
        assert tactful.item("OWL-2").title == "Owl Tea Light"
        tactful.recommend(shoppers[0])

    assert (reads.items, reads.events) == (1, 1)


def test_new_events_count_towards_the_rebuild_across_starts(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    reads: StoreReads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("agent.shop_index.REBUILD_AFTER_EVENTS", 3)
    with open_shop(demo_home, clock, embedder) as tactful:
        item = tactful.index.catalog.items[0].item_id
        bought = [purchase(shoppers[0], item, clock, str(n)) for n in range(2)]
        tactful.record_events(bought, clarify=False)

    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.recommend(shoppers[1])
        assert reads.events == 0  # two new events: the saved index still serves
        tactful.record_events([purchase(shoppers[0], item, clock, "2")], clarify=False)
        tactful.recommend(shoppers[1])
    # The third, here, makes it stale; the rebuild runs beside the answers and closing waits
    # for it.
    assert reads.events == 1

    rank_once(demo_home, clock, embedder, shoppers[1])
    assert reads.events == 1  # and the rebuilt one was saved


def test_events_past_the_threshold_make_the_saved_index_stale(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    reads: StoreReads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("agent.shop_index.REBUILD_AFTER_EVENTS", 3)
    with RecordStore(f"sqlite:///{demo_home / 'tactful.db'}") as records:
        with open_shop(demo_home, clock, embedder) as tactful:
            item = tactful.index.catalog.items[0].item_id
        records.add_events([purchase(shoppers[0], item, clock, str(n)) for n in range(3)])

    rank_once(demo_home, clock, embedder, shoppers[1])

    assert reads.events == 1


def test_another_decay_policy_builds_its_own_index(
    demo_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], reads: StoreReads
) -> None:
    policy = DecayPolicy(purchase_days=30.0)
    with open_shop(demo_home, clock, embedder, decay=policy) as tactful:
        tactful.recommend(shoppers[0])
    assert reads.events == 1

    with open_shop(demo_home, clock, embedder, decay=policy) as tactful:
        tactful.recommend(shoppers[0])
    assert reads.events == 1


def test_a_day_later_the_index_is_built_again(
    demo_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], reads: StoreReads
) -> None:
    later = FixedClock(clock.now() + timedelta(days=1, minutes=1))
    rank_once(demo_home, later, embedder, shoppers[0])

    assert reads.events == 1


def test_an_event_held_for_a_question_since_makes_the_saved_index_stale(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    demo_shopper: str,
    gift_item: str,
    reads: StoreReads,
) -> None:
    with open_shop(demo_home, clock, embedder) as tactful:
        report = tactful.record_events([purchase(demo_shopper, gift_item, clock, "0")])
    assert report.questions, "the demo's gift item is out of this shopper's profile"

    rank_once(demo_home, clock, embedder, demo_shopper)

    assert reads.events == 1


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"not numpy"), id="garbage"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:-100]), id="truncated"),
        pytest.param(lambda path: path.unlink(), id="missing"),
    ],
)
def test_a_damaged_file_is_ignored_and_saved_anew(
    damage: Any,
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    reads: StoreReads,
) -> None:
    for path in (demo_home / "snapshot").glob("*-*"):  # every data file, not the indexes
        damage(path)

    rank_once(demo_home, clock, embedder, shoppers[0])
    rank_once(demo_home, clock, embedder, shoppers[0])

    assert (reads.items, reads.events) == (1, 1)


def test_a_changed_byte_in_the_index_file_is_noticed(
    demo_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], reads: StoreReads
) -> None:
    [path] = (demo_home / "snapshot").glob("interactions-*.npz")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    rank_once(demo_home, clock, embedder, shoppers[0])

    assert reads.events == 1


def test_an_erasure_deletes_the_saved_index_and_no_start_uses_one_from_before_it(
    demo_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], reads: StoreReads
) -> None:
    before = demo_home.parent / "before-erasure"
    shutil.copytree(demo_home / "snapshot", before)
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.erase(shoppers[0])
    assert not list((demo_home / "snapshot").glob("interactions*"))

    shutil.rmtree(demo_home / "snapshot")
    shutil.copytree(before, demo_home / "snapshot")  # as a process saved it before
    with open_shop(demo_home, clock, embedder) as tactful:
        neighbours = tactful.similar_shoppers(shoppers[1], k=50)

    assert reads.events == 1
    assert shoppers[0] not in {n.shopper_id for n in neighbours}


def test_an_index_built_before_an_erasure_is_not_saved_after_it(
    demo_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str]
) -> None:
    records = RecordStore(f"sqlite:///{demo_home / 'tactful.db'}")
    snapshots = ShopSnapshots(
        demo_home / "snapshot",
        records=records,
        items_in="embedded",
        model_id=embedder.model_id,
        dim=embedder.dim,
        policy=DecayPolicy(),
    )
    with open_shop(demo_home, clock, embedder) as tactful:
        start = snapshots.start_build()
        index = tactful.index.current(clock.now())
        tactful.erase(shoppers[0])

        snapshots.save_interactions(
            index, start=start, events=0, held=frozenset(), catalog=tactful.index.catalog
        )
    records.close()

    assert not list((demo_home / "snapshot").glob("interactions*"))


def loaded_by_one_shot(home: Path, shopper: str, now: datetime) -> list[str]:
    """The heavy libraries a ``tactful recommend SHOPPER`` process loaded."""
    command = ["recommend", shopper, "--home", str(home)]
    probe = (
        "import sys\n"
        "from agent.cli.main import app\n"
        f"app({command!r}, standalone_mode=False)\n"
        "heavy = ('chromadb', 'onnxruntime', 'tokenizers', 'fastapi', 'uvicorn', 'textual',\n"
        "         'implicit')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**ENV, "TACTFUL_NOW": now.isoformat()},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(ast.literal_eval(done.stdout.splitlines()[-1]))


def test_a_one_shot_recommend_loads_neither_model_nor_chroma_when_nothing_needs_them(
    demo_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], data_now: datetime
) -> None:
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.remember(shoppers[1], "loves owls")

    assert loaded_by_one_shot(demo_home, shoppers[0], data_now) == []
    # Facts' vectors are in Chroma: it is opened for a shopper who has some.
    assert loaded_by_one_shot(demo_home, shoppers[1], data_now) == ["chromadb"]


def test_importing_agent_loads_none_of_the_heavy_libraries() -> None:
    probe = (
        "import sys, agent\n"
        "heavy = ('chromadb', 'onnxruntime', 'tokenizers', 'fastapi', 'uvicorn', 'textual',\n"
        "         'langchain_core', 'langchain_openai', 'openai', 'httpx', 'implicit')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=ENV, check=True
    )

    assert done.stdout.strip() == "[]"


@pytest.fixture(autouse=True)
def _no_stray_snapshots(demo_home: Path) -> Iterator[None]:
    yield
    leftovers = list((demo_home / "snapshot").glob(".*.partial")) if demo_home.exists() else []
    assert not leftovers


def test_what_shoppers_chose_next_is_saved_as_built(
    demo_home: Path, clock: FixedClock, embedder: Embedder
) -> None:
    with open_shop(demo_home, clock, embedder) as tactful:
        saved = tactful.index.current(clock.now()).next_choices
    shutil.rmtree(demo_home / "snapshot")
    with open_shop(demo_home, clock, embedder) as tactful:
        built = tactful.index.current(clock.now()).next_choices

    assert built.counts.nnz > 0
    assert (saved.counts != built.counts).nnz == 0
    assert np.array_equal(saved.totals, built.totals)


def test_the_latent_item_factors_are_saved_and_opening_does_not_fit_them_again(
    demo_home: Path, clock: FixedClock, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent import facade
    from tools.latent import LatentFactors

    # A shop whose ranking weighs the factors (as after a tuning that turned them on).
    weighed = facade.MODE_WEIGHTS[ShopperMode.BROWSING].model_copy(update={"latent": 1.0})
    monkeypatch.setattr(
        facade, "MODE_WEIGHTS", {**facade.MODE_WEIGHTS, ShopperMode.BROWSING: weighed}
    )
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.index.rebuild(clock.now())
        built = tactful.index.current(clock.now()).latent

    def no_fitting(*_: object) -> LatentFactors:
        raise AssertionError("the saved factors should have been read")

    monkeypatch.setattr(LatentFactors, "fit", no_fitting)
    with open_shop(demo_home, clock, embedder) as tactful:
        saved = tactful.index.current(clock.now()).latent

    assert built.trained
    assert np.array_equal(saved.item_factors, built.item_factors)
    assert (saved.regularization, saved.alpha) == (built.regularization, built.alpha)


def test_a_shop_that_gives_the_latent_factors_no_weight_never_fits_them(
    demo_home: Path, clock: FixedClock, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.latent import LatentFactors

    fit = LatentFactors.fit

    def no_fitting(*_: object) -> LatentFactors:
        raise AssertionError("nothing weighs the factors: they should not be fitted")

    monkeypatch.setattr(LatentFactors, "fit", no_fitting)
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.index.rebuild(clock.now())
        shopper = tactful.index.current(clock.now()).shopper_ids[0]
        assert tactful.recommend(shopper, k=10)
        monkeypatch.setattr(LatentFactors, "fit", fit)
        # Asked for (by a tuning, say), they are fitted then.
        assert tactful.index.current(clock.now()).latent.trained
