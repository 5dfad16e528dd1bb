"""Hand-overs for support staff: the open queue, one with its transcript, and the moves
``claim`` (the agent goes quiet), ``hand-back`` and ``resolve``."""

from __future__ import annotations

from fastapi import APIRouter

from agent.api.deps import AgentDep, StaffUser
from agent.api.schemas import ClaimCreate, EscalationDetail
from agent.domain import Escalation, Turn

router = APIRouter(prefix="/v1/escalations", tags=["escalations"])


@router.get("")
def open_escalations(agent: AgentDep, _caller: StaffUser) -> list[Escalation]:
    """Every hand-over still with the team (waiting or with someone), oldest first."""
    with agent.use() as tactful:
        return tactful.open_escalations()


@router.get("/{escalation_id}")
def escalation(agent: AgentDep, _caller: StaffUser, escalation_id: str) -> EscalationDetail:
    """One hand-over, with the conversation so far."""
    with agent.use() as tactful:
        found = tactful.escalation(escalation_id)
        turns = tactful.records.turns(found.conversation_id)
    return EscalationDetail(
        escalation=found, transcript=[Turn(role=t.role, text=t.text, at=t.at) for t in turns]
    )


@router.post("/{escalation_id}/claim")
def claim(
    agent: AgentDep, caller: StaffUser, escalation_id: str, body: ClaimCreate | None = None
) -> Escalation:
    """Take a waiting hand-over; the agent stays quiet in that conversation meanwhile."""
    staff = (body.staff if body else None) or caller.name
    with agent.use() as tactful:
        tactful.escalation(escalation_id)
        return tactful.claim_escalation(escalation_id, staff)


@router.post("/{escalation_id}/hand-back")
def hand_back(agent: AgentDep, _caller: StaffUser, escalation_id: str) -> Escalation:
    """Give the conversation back to the agent."""
    with agent.use() as tactful:
        tactful.escalation(escalation_id)
        return tactful.hand_back(escalation_id)


@router.post("/{escalation_id}/resolve")
def resolve(agent: AgentDep, _caller: StaffUser, escalation_id: str) -> Escalation:
    """Close the hand-over and its conversation."""
    with agent.use() as tactful:
        tactful.escalation(escalation_id)
        return tactful.resolve_escalation(escalation_id)
