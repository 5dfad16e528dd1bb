"""``GET /v1/shoppers/{shopper_id}/conversations/{conversation_id}/live``: what the team
does in a shopper's conversation, as it happens, for the widget: ``handover`` events when
the hand-over opens, is claimed or closes, and ``turn`` events with what the person
holding it says. The shopper's own messages and the agent's replies come back from
``/v1/chat`` as usual and are not repeated here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from agent.api import live
from agent.api.deps import ShopperSide, StateDep
from agent.api.support import public_turn

router = APIRouter(prefix="/v1/shoppers/{shopper_id}/conversations", tags=["shoppers"])


@router.get(
    "/{conversation_id}/live",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def conversation_live(
    request: Request,
    state: StateDep,
    caller: ShopperSide,
    shopper_id: str,
    conversation_id: str,
) -> StreamingResponse:
    """Server-Sent Events: ``handover`` (the conversation's latest hand-over, or null) at
    once and on every change, and ``turn`` for each message staff post from now on. An
    ``error`` event ends the stream (the conversation was erased, say)."""
    shopper = caller.shopper(shopper_id)
    with state.agent.use() as tactful:
        tactful.own_conversation(shopper, conversation_id)
        seen_turns = len(tactful.records.turns(conversation_id))
    last_handover: tuple[str, str, str | None] | None = None
    first = True

    def read() -> list[live.Event]:
        nonlocal seen_turns, last_handover, first
        with state.agent.use() as tactful:
            tactful.own_conversation(shopper, conversation_id)
            turns = tactful.records.turns(conversation_id)
            handovers = tactful.records.escalations_in(conversation_id)
        events: list[live.Event] = []
        latest = handovers[-1] if handovers else None
        key = (latest.escalation_id, latest.status.value, latest.staff) if latest else None
        if first or key != last_handover:
            events.append(("handover", latest.model_dump(mode="json") if latest else None))
            last_handover, first = key, False
        for t in turns[seen_turns:]:
            if t.role == "staff":
                events.append(("turn", public_turn(t).model_dump(mode="json")))
        seen_turns = len(turns)
        return events

    return live.stream(live.poll(request, read, state.settings.api.live_poll_seconds))
