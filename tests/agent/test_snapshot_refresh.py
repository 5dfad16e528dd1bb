"""A running shop takes up the shop-wide snapshot another process saved (``tactful refresh``
or another worker) without a restart and without an answer waiting for the load; processes
on one snapshot folder build it once; an erasure keeps an older snapshot out."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import Settings
from agent.snapshot import shop
from agent.stores.records import RecordStore
from tests.helpers import purchase
from tools.interactions import InteractionIndex

ROOT = Path(__file__).resolve().parents[2]
TACTFUL = Path(sys.executable).with_name("tactful")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
#: Looked for often, so that tests need not wait the default five seconds.
POLL = {"poll_seconds": 0.05}


def open_shop(home: Path, clock: FixedClock, embedder: Embedder, **snapshot: Any) -> Tactful:
    settings = Settings(home=home, snapshot=POLL | snapshot)
    return Tactful.open(settings, clock=clock, embedder=embedder)


def start_refresh(home: Path, now: datetime, **env: str) -> subprocess.Popen[str]:
    """``tactful refresh --json`` in a process of its own, running."""
    return subprocess.Popen(
        [str(TACTFUL), "refresh", "--home", str(home), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**ENV, "TACTFUL_NOW": now.isoformat(), **env},
    )


def finished(job: subprocess.Popen[str]) -> dict[str, Any]:
    """What a refresh started with :func:`start_refresh` printed, once it is done."""
    out, err = job.communicate(timeout=300)
    assert job.returncode == 0, err
    return dict(json.loads(out))


def refresh(home: Path, now: datetime, **env: str) -> dict[str, Any]:
    """``tactful refresh --json`` in a process of its own, to its end."""
    return finished(start_refresh(home, now, **env))


def buy(tactful: Tactful, shopper: str, clock: FixedClock, n: int = 1) -> None:
    """``n`` new purchases: what makes a snapshot saved after them newer than one before."""
    item = tactful.index.catalog.items[0].item_id
    bought = [purchase(shopper, item, clock, f"new-{k}") for k in range(n)]
    tactful.record_events(bought, clarify=False)


def answer_until_version(tactful: Tactful, shopper: str, version: int) -> int:
    """Answer again and again until the index in hand is ``version`` (a minute at most);
    how many answers that took."""
    deadline = time.monotonic() + 60
    answered = 0
    while tactful.index.version != version and time.monotonic() < deadline:
        tactful.recommend(shopper)
        answered += 1
        time.sleep(0.02)
    assert tactful.index.version == version
    return answered


def answer_until_saved(tactful: Tactful, shopper: str) -> int:
    """Answer again and again until the index in hand is a saved version (a minute at
    most), as a rebuild in the background leaves it; that version."""
    deadline = time.monotonic() + 60
    while tactful.index.version is None and time.monotonic() < deadline:
        tactful.recommend(shopper)
        time.sleep(0.02)
    assert tactful.index.version is not None
    return tactful.index.version


def answers(tactful: Tactful, shoppers: list[str]) -> list[Any]:
    found: list[Any] = []
    for shopper in shoppers:
        for request in ({}, {"mode": "gift", "recipient": "my niece"}):
            suggestions = tactful.recommend(shopper, k=10, **request)
            found.append([s.model_dump(mode="json") for s in suggestions])
        found.append([n.model_dump() for n in tactful.similar_shoppers(shopper, k=5)])
    return found


class EventReads:
    """Counts reads of every event: what a build of the index does, and a load does not."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        read = RecordStore.event_columns

        def counted(store: RecordStore) -> Any:
            self.count += 1
            return read(store)

        monkeypatch.setattr(RecordStore, "event_columns", counted)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> EventReads:
    return EventReads(monkeypatch)


@pytest.fixture
def shoppers(demo_home: Path) -> list[str]:
    with RecordStore(f"sqlite:///{demo_home / 'tactful.db'}") as records:
        return records.shopper_ids()[:4]


@contextmanager
def build_lock_held_elsewhere(folder: Path) -> Iterator[None]:
    """The interaction snapshot's build lock, held as another process holds it."""
    with open(folder / ".interactions.building", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class HeldLoad:
    """Holds every load of a saved interaction index, after its files were read, until let
    go: the time a large snapshot takes to load, stretched at will."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reading = threading.Event()
        self.go = threading.Event()
        read = shop.read_interactions

        def held(*args: Any, **kwargs: Any) -> Any:
            index = read(*args, **kwargs)
            self.reading.set()
            assert self.go.wait(120), "never let go"
            return index

        monkeypatch.setattr(shop, "read_interactions", held)


class HeldBuild:
    """Holds every build of an interaction index, once built, until let go: a long build."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.building = threading.Event()
        self.go = threading.Event()
        build = InteractionIndex.build

        def held(cls: type[InteractionIndex], *args: Any, **kwargs: Any) -> InteractionIndex:
            index = build(*args, **kwargs)
            self.building.set()
            assert self.go.wait(120), "never let go"
            return index

        monkeypatch.setattr(InteractionIndex, "build", classmethod(held))


def test_a_running_shop_takes_up_what_tactful_refresh_saved_as_a_fresh_build_would_answer(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    data_now: datetime,
) -> None:
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.recommend(shoppers[0])
        before = tactful.index.version
        buy(tactful, shoppers[1], clock)

        saved = refresh(demo_home, data_now)

        assert before is not None and saved["version"] == before + 1
        answer_until_version(tactful, shoppers[0], saved["version"])
        swapped = answers(tactful, shoppers)

    shutil.rmtree(demo_home / "snapshot")
    with open_shop(demo_home, clock, embedder) as fresh:
        built = answers(fresh, shoppers)
    assert swapped == built


def test_no_answer_waits_for_the_load_and_the_swap_comes_between_answers(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    data_now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.recommend(shoppers[0])
        in_hand = tactful.index.interactions
        buy(tactful, shoppers[1], clock)
        saved = refresh(demo_home, data_now)
        load = HeldLoad(monkeypatch)

        tactful.recommend(shoppers[0])  # notices the new snapshot and starts loading it
        assert load.reading.wait(60)
        for shopper in shoppers:
            tactful.recommend(shopper)
            assert tactful.index.interactions is in_hand
        load.go.set()

        answer_until_version(tactful, shoppers[0], saved["version"])
        assert tactful.index.interactions is not in_hand


def test_a_snapshot_loaded_while_someone_was_erased_is_never_swapped_in(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    data_now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    erased = shoppers[2]
    with (
        open_shop(demo_home, clock, embedder) as tactful,
        open_shop(demo_home, clock, embedder) as other,
    ):
        tactful.recommend(shoppers[0])
        other.recommend(shoppers[0])
        buy(tactful, shoppers[1], clock)  # what the saved one has and the one in hand lacks
        saved = refresh(demo_home, data_now)
        load = HeldLoad(monkeypatch)
        tactful.recommend(shoppers[0])
        assert load.reading.wait(60)

        other.erase(erased)  # through another process, while the load is under way
        load.go.set()
        loader = tactful.index._background
        assert loader is not None
        loader.join(60)

        tactful.recommend(shoppers[0])
        index = tactful.index.interactions
        assert index is not None
        assert erased not in index.shopper_ids
        assert tactful.index.version != saved["version"]


def test_after_an_erasure_two_processes_build_the_index_once(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    builds: EventReads,
) -> None:
    erased = shoppers[2]
    with (
        open_shop(demo_home, clock, embedder) as first,
        open_shop(demo_home, clock, embedder) as second,
    ):
        first.recommend(shoppers[0])
        second.recommend(shoppers[0])
        assert builds.count == 0  # both loaded the saved one

        first.erase(erased)
        first.recommend(shoppers[0])  # rebuilds in the background
        second.recommend(shoppers[0])  # learns of the erasure, leaves the build to first
        version = answer_until_saved(first, shoppers[0])
        answer_until_version(second, shoppers[0], version)

        assert builds.count == 1
        index = second.index.interactions
        assert index is not None and erased not in index.shopper_ids


def test_a_stale_index_is_left_to_the_process_building_one_and_taken_up_when_it_is_saved(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    data_now: datetime,
    builds: EventReads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("agent.shop_index.REBUILD_AFTER_EVENTS", 2)
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.recommend(shoppers[0])
        buy(tactful, shoppers[1], clock, 2)
        in_hand = tactful.index.interactions

        with build_lock_held_elsewhere(demo_home / "snapshot"):
            tactful.recommend(shoppers[0])
            assert tactful.index.interactions is in_hand  # answered, stale, not rebuilt
            job = start_refresh(demo_home, data_now)  # waits for the lock
            tactful.recommend(shoppers[0])
            assert tactful.index.interactions is in_hand
        saved = finished(job)

        answer_until_version(tactful, shoppers[0], saved["version"])
    assert builds.count == 0  # every build was the other process's


def test_the_single_process_default_rebuilds_a_stale_index_itself(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    builds: EventReads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("agent.shop_index.REBUILD_AFTER_EVENTS", 2)
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.recommend(shoppers[0])
        before = tactful.index.version
        buy(tactful, shoppers[1], clock, 2)

        assert before is not None
        answer_until_version(tactful, shoppers[0], before + 1)

    assert builds.count == 1


def test_no_answer_waits_for_the_rebuild_of_a_stale_index(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("agent.shop_index.REBUILD_AFTER_EVENTS", 2)
    with open_shop(demo_home, clock, embedder) as tactful:
        tactful.recommend(shoppers[0])
        before, in_hand = tactful.index.version, tactful.index.interactions
        buy(tactful, shoppers[1], clock, 2)
        build = HeldBuild(monkeypatch)

        tactful.recommend(shoppers[0])  # stale: starts the rebuild
        assert build.building.wait(60)
        for shopper in shoppers:
            assert tactful.recommend(shopper)
            assert tactful.index.interactions is in_hand
        build.go.set()

        assert before is not None
        answer_until_version(tactful, shoppers[0], before + 1)


def test_an_erasure_elsewhere_takes_the_shopper_out_at_the_next_answer_while_the_rebuild_runs(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with (
        open_shop(demo_home, clock, embedder) as tactful,
        open_shop(demo_home, clock, embedder) as other,
    ):
        tactful.recommend(shoppers[0])
        index = tactful.index.interactions
        assert index is not None
        # Someone among the first shopper's similar shoppers, so that leaving them out shows.
        erased = tactful.similar_shoppers(shoppers[0], k=3)[0].shopper_id
        build = HeldBuild(monkeypatch)

        other.erase(erased)
        tactful.recommend(shoppers[0])  # learns of it, and starts the rebuild
        assert build.building.wait(60)
        masked = tactful.index.interactions
        assert masked is not None and masked is not index
        assert erased not in masked.shopper_ids
        assert len(masked.shopper_ids) == len(index.shopper_ids) - 1
        assert erased not in {n.shopper_id for n in tactful.similar_shoppers(shoppers[0], k=50)}
        assert tactful.index.version is None  # no saved version holds just this
        build.go.set()

        version = answer_until_saved(tactful, shoppers[0])
        rebuilt = tactful.index.interactions
        assert rebuilt is not None and erased not in rebuilt.shopper_ids
        assert version > 0


def test_in_job_mode_a_running_process_leaves_a_stale_index_to_the_job(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    data_now: datetime,
    builds: EventReads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("agent.shop_index.REBUILD_AFTER_EVENTS", 2)
    with open_shop(demo_home, clock, embedder, refresh="job") as tactful:
        tactful.recommend(shoppers[0])
        buy(tactful, shoppers[1], clock, 3)
        tactful.recommend(shoppers[0])
        assert builds.count == 0  # stale, and left so

        saved = refresh(demo_home, data_now, TACTFUL_SNAPSHOT__REFRESH="job")
        answer_until_version(tactful, shoppers[0], saved["version"])
        assert builds.count == 0

        # After an erasure a process rebuilds, job or not.
        tactful.erase(shoppers[2])
        answer_until_saved(tactful, shoppers[0])
        assert builds.count == 1


def test_in_job_mode_a_start_takes_the_jobs_snapshot_however_old_and_whatever_came_since(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    shoppers: list[str],
    demo_shopper: str,
    gift_item: str,
    builds: EventReads,
) -> None:
    with open_shop(demo_home, clock, embedder) as tactful:
        asked = tactful.record_events([purchase(demo_shopper, gift_item, clock, "gift")])
    assert asked.questions, "the demo's gift item is held for a question"
    later = FixedClock(clock.now() + timedelta(days=3))

    with open_shop(demo_home, later, embedder, refresh="job") as tactful:
        tactful.recommend(shoppers[0])
    assert builds.count == 0

    with open_shop(demo_home, later, embedder) as tactful:
        tactful.recommend(shoppers[0])
    assert builds.count == 1  # the default rebuilds one more than a day old


def test_snapshots_are_kept_in_the_configured_folder(
    demo_home: Path, clock: FixedClock, embedder: Embedder, shoppers: list[str], tmp_path: Path
) -> None:
    shutil.rmtree(demo_home / "snapshot")
    shared = tmp_path / "shared-snapshots"

    with open_shop(demo_home, clock, embedder, folder=str(shared)) as tactful:
        tactful.recommend(shoppers[0])

    assert {"catalog.json", "interactions.json"} <= {p.name for p in shared.iterdir()}
    assert not (demo_home / "snapshot").exists()
