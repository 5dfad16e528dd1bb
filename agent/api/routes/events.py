"""``POST /v1/events``: behaviour in batches, idempotent by event id."""

from __future__ import annotations

from fastapi import APIRouter

from agent.api.deps import AgentDep, ShopperSide
from agent.api.schemas import EventsCreate
from agent.clock import latest_allowed
from agent.errors import InvalidInput
from agent.facade import EventIngestReport

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post("")
def record_events(agent: AgentDep, caller: ShopperSide, body: EventsCreate) -> EventIngestReport:
    """Store events; an event sent again (same id) is counted as a duplicate, not stored
    twice. A live event that does not fit the profile may come back with a question."""
    shoppers = [caller.shopper(e.shopper_id) for e in body.events]  # all checked first
    with agent.use() as tactful:
        now = tactful.clock.now()
        events = [e.to_event(s, now) for e, s in zip(body.events, shoppers, strict=True)]
        late = next((e for e in events if e.at > latest_allowed(now)), None)
        if late is not None:
            raise InvalidInput(f"Event {late.event_id} is dated after now; send it once it is.")
        return tactful.record_events(events, clarify=body.clarify)
