"""A full garbage collection in a chat turn scans only what turns create: what an open
tactful loaded is frozen out of it, and a history read from SQL is few objects."""

from __future__ import annotations

import gc
from pathlib import Path

from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import Settings


def test_what_opening_loaded_is_left_out_of_later_collections(
    demo_home: Path, clock: FixedClock, embedder: Embedder
) -> None:
    gc.unfreeze()
    with Tactful.open(Settings(home=demo_home), clock=clock, embedder=embedder) as tactful:
        assert gc.get_freeze_count() > 0
        assert not any(o is tactful.index.catalog for o in gc.get_objects())


def test_events_read_from_sql_share_their_bookkeeping(tactful: Tactful, demo_shopper: str) -> None:
    events = tactful.records.events_for(demo_shopper)
    assert len(events) > 1
    assert len({id(e.model_fields_set) for e in events}) == 1
