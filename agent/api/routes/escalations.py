"""Hand-overs for support staff: the open queue (also as a live stream), one with its
transcript, and the moves ``claim`` (the agent goes quiet), ``messages`` (the person
speaks in the shopper's conversation), ``hand-back`` and ``resolve``. Every move is
recorded in the shopper's audit trail with the caller's name."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from agent.api import live, support
from agent.api.deps import AgentDep, StaffUser, StateDep
from agent.api.schemas import (
    ClaimCreate,
    EscalationDetail,
    ResolveCreate,
    StaffMessageCreate,
)
from agent.domain import Escalation, Turn

router = APIRouter(prefix="/v1/escalations", tags=["escalations"])


@router.get("")
def open_escalations(agent: AgentDep, _caller: StaffUser) -> list[Escalation]:
    """Every hand-over still with the team (waiting or with someone), oldest first."""
    with agent.use() as tactful:
        return tactful.open_escalations()


@router.get(
    "/watch",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def watch(request: Request, state: StateDep, _caller: StaffUser) -> StreamingResponse:
    """The queue as Server-Sent Events: a ``queue`` event with every open hand-over (the
    shape of a list of ``QueueEntry``) at once, then again whenever one opens, moves, closes
    or its conversation grows. Waiting times are as of the event."""
    last: list[tuple[str, str, int]] | None = None

    def read() -> list[live.Event]:
        nonlocal last
        with state.agent.use() as tactful:
            entries = support.queue(tactful)
        seen = [(e.escalation.escalation_id, e.escalation.status.value, e.turns) for e in entries]
        if seen == last:
            return []
        last = seen
        return [("queue", [e.model_dump(mode="json") for e in entries])]

    return live.stream(live.poll(request, read, state.settings.api.live_poll_seconds))


@router.get("/{escalation_id}")
def escalation(agent: AgentDep, _caller: StaffUser, escalation_id: str) -> EscalationDetail:
    """One hand-over, with the conversation so far and the suggestions shown in it (their
    factors and reasons)."""
    with agent.use() as tactful:
        return support.detail(tactful, escalation_id)


@router.post("/{escalation_id}/claim")
def claim(
    agent: AgentDep, caller: StaffUser, escalation_id: str, body: ClaimCreate | None = None
) -> Escalation:
    """Take a waiting hand-over; the agent stays quiet in that conversation meanwhile."""
    staff = (body.staff if body else None) or caller.name
    with agent.use() as tactful:
        tactful.escalation(escalation_id)
        return tactful.claim_escalation(escalation_id, staff, actor=caller.actor)


@router.post("/{escalation_id}/messages", status_code=201)
def message(
    agent: AgentDep, caller: StaffUser, escalation_id: str, body: StaffMessageCreate
) -> Turn:
    """Say something to the shopper in their conversation (after claiming it); their
    widget shows it as from the person who claimed it."""
    with agent.use() as tactful:
        return tactful.staff_reply(escalation_id, body.text, actor=caller.actor)


@router.post("/{escalation_id}/hand-back")
def hand_back(agent: AgentDep, caller: StaffUser, escalation_id: str) -> Escalation:
    """Give the conversation back to the agent."""
    with agent.use() as tactful:
        tactful.escalation(escalation_id)
        return tactful.hand_back(escalation_id, actor=caller.actor)


@router.post("/{escalation_id}/resolve")
def resolve(
    agent: AgentDep, caller: StaffUser, escalation_id: str, body: ResolveCreate | None = None
) -> Escalation:
    """Close the hand-over and its conversation, with a note on how."""
    with agent.use() as tactful:
        tactful.escalation(escalation_id)
        return tactful.resolve_escalation(
            escalation_id, actor=caller.actor, note=body.note if body else None
        )
