"""Small builders shared by tests."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from agent.clock import Clock
from agent.domain import BehaviourEvent, EventKind
from agent.stores.records import metadata


def purchase(shopper: str, item: str, clock: Clock, suffix: str = "1") -> BehaviourEvent:
    """A purchase made an hour before the clock's now."""
    return BehaviourEvent(
        event_id=f"test-{shopper}-{item}-{suffix}",
        shopper_id=shopper,
        item_id=item,
        kind=EventKind.PURCHASE,
        at=clock.now() - timedelta(hours=1),
    )


def values_mentioning(engine: sa.Engine, shopper_id: str) -> list[tuple[str, tuple[object, ...]]]:
    """Every row, in any table, holding the id as a value or as a JSON string."""
    quoted = json.dumps(shopper_id)  # how the id appears inside a stored JSON text
    found = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                if any(v == shopper_id or (isinstance(v, str) and quoted in v) for v in row):
                    found.append((table.name, tuple(row)))
    return found
