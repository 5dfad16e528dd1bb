"""Shared fixtures: the real embedding model and a real store loaded with real data.

The demo subset of Online Retail is imported once per test session into a template
folder; each test that changes data gets its own copy of that folder, so tests never
see each other's events, facts or questions.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.embedding import Embedder, load_default_embedder
from agent.facade import Tactful
from agent.ingest.online_retail import OnlineRetailData, read_online_retail
from agent.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = ROOT / "data" / "online-retail-demo.csv.gz"
DEMO_CHOICE = json.loads((ROOT / "data" / "demo.json").read_text(encoding="utf-8"))
FULL_ONLINE_RETAIL = ROOT.parent / "shared" / "datasets" / "online-retail" / "online-retail.csv.gz"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_default_embedder()


@pytest.fixture(scope="session")
def demo_data() -> OnlineRetailData:
    return read_online_retail(DEMO_FILE)


@pytest.fixture(scope="session")
def data_now(demo_data: OnlineRetailData) -> datetime:
    """The day after the data ends: 'today' for a replay of the demo data."""
    assert demo_data.report.last_event_at is not None
    return demo_data.report.last_event_at.replace(second=0) + timedelta(days=1)


def load(tactful: Tactful, data: OnlineRetailData) -> None:
    tactful.add_shoppers(data.shoppers)
    tactful.ingest_items(data.items)
    tactful.record_events(data.events, clarify=False)
    tactful.refresh()


@pytest.fixture(scope="session")
def demo_template(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Embedder,
    demo_data: OnlineRetailData,
    data_now: datetime,
) -> Path:
    home = tmp_path_factory.mktemp("demo-template")
    tactful = Tactful.open(Settings(home=home), clock=FixedClock(data_now), embedder=embedder)
    load(tactful, demo_data)
    tactful.close()
    # Opened once more, as a shop is after any restart: the catalog is then saved as read
    # back from Chroma, and every copy starts from the snapshot a running shop has.
    Tactful.open(Settings(home=home), clock=FixedClock(data_now), embedder=embedder).close()
    return home


@pytest.fixture
def demo_home(tmp_path: Path, demo_template: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(demo_template, home)
    return home


@pytest.fixture
def clock(data_now: datetime) -> FixedClock:
    return FixedClock(data_now)


@pytest.fixture
def tactful(demo_home: Path, clock: FixedClock, embedder: Embedder) -> Iterator[Tactful]:
    """A private copy of the demo shop, with the clock at the day after its data ends."""
    with Tactful.open(Settings(home=demo_home), clock=clock, embedder=embedder) as agent:
        yield agent


@pytest.fixture
def demo_shopper() -> str:
    return str(DEMO_CHOICE["shopper_id"])


@pytest.fixture
def gift_item() -> str:
    return str(DEMO_CHOICE["gift_item_id"])
