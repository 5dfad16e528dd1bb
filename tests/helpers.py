"""Small builders shared by tests."""

from __future__ import annotations

from datetime import timedelta

from agent.clock import Clock
from agent.domain import BehaviourEvent, EventKind


def purchase(shopper: str, item: str, clock: Clock, suffix: str = "1") -> BehaviourEvent:
    """A purchase made an hour before the clock's now."""
    return BehaviourEvent(
        event_id=f"test-{shopper}-{item}-{suffix}",
        shopper_id=shopper,
        item_id=item,
        kind=EventKind.PURCHASE,
        at=clock.now() - timedelta(hours=1),
    )
