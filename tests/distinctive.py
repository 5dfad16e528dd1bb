"""A shopper whose id cannot turn up by chance in other data, with a real shopper's history.

The demo data's shopper ids are five-digit numbers, and so are many item codes, quantities
and invoice numbers: a byte search for one would find it where it means something else.
"""

from __future__ import annotations

from agent.domain import Shopper
from agent.facade import Tactful

SHOPPER = "shopper-zq81x"
FACT = "I am allergic to zanzibarwood"
SAID = "I love zebra-striped teapots"
#: Everything the shopper is or said that must not survive their erasure.
SECRETS = [SHOPPER, FACT, SAID, "zanzibarwood", "zebra-striped"]


def adopt_history(tactful: Tactful, like: str, shopper_id: str = SHOPPER) -> int:
    """Create ``shopper_id`` with a copy of ``like``'s events and country; returns how many."""
    model = tactful.records.get_shopper(like)
    assert model is not None
    now = tactful.clock.now()
    tactful.add_shoppers([Shopper(shopper_id=shopper_id, country=model.country, created_at=now)])
    events = [
        event.model_copy(update={"event_id": f"adopted-{n}", "shopper_id": shopper_id})
        for n, event in enumerate(tactful.records.events_for(like))
    ]
    return tactful.record_events(events, clarify=False).added
