"""A catalog row sent again with new facts replaces the stored one everywhere."""

from __future__ import annotations

from pathlib import Path

from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import Settings
from tools.types import CatalogItem


def test_a_new_price_is_stored_and_quoted_after_a_restart(
    tactful: Tactful, demo_home: Path, clock: FixedClock, embedder: Embedder
) -> None:
    item = CatalogItem(item_id="owl-mug", title="Owl Mug", category="Kitchen", price=4.5)
    tactful.ingest_items([item])
    cheaper = item.model_copy(update={"price": 3.99})

    report = tactful.ingest_items([cheaper])

    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    assert tactful.item("owl-mug").price == 3.99
    assert tactful.ingest_items([cheaper]).unchanged == 1
    tactful.close()
    with Tactful.open(Settings(home=demo_home), clock=clock, embedder=embedder) as reopened:
        assert reopened.item("owl-mug").price == 3.99
