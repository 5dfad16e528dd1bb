"""What is held about one shopper, and their control over it, under
``/v1/shoppers/{shopper_id}``. A shopper token uses ``me`` (or its own id) and can reach
no other shopper; a shop key names any shopper; staff read and correct."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response

from agent.api.deps import AgentDep, AnyCaller, ShopperSide, StaffUser
from agent.api.schemas import (
    EscalationCreate,
    FactCorrect,
    FactCreate,
    FeedbackCreate,
    FeedbackPublic,
    PersonalizationPublic,
    PersonalizationUpdate,
    RatingCreate,
)
from agent.domain import Escalation, EscalationStatus, PreferenceFact, Profile
from agent.errors import UnknownEscalation
from agent.stores.sql.audit import AuditRecord
from agent.stores.sql.erasure import ErasureReport
from agent.stores.sql.ratings import SatisfactionRating

router = APIRouter(prefix="/v1/shoppers/{shopper_id}", tags=["shoppers"])


@router.get("/profile")
def profile(agent: AgentDep, caller: AnyCaller, shopper_id: str) -> Profile:
    """Facts with provenance, the taste signal, held events and hand-overs."""
    with agent.use() as tactful:
        return tactful.profile(caller.shopper(shopper_id))


@router.post("/facts", status_code=201)
def remember(
    agent: AgentDep, caller: ShopperSide, shopper_id: str, body: FactCreate
) -> PreferenceFact:
    """Tell tactful something ("prefers vegan leather"); it counts from the next answer."""
    with agent.use() as tactful:
        return tactful.remember(
            caller.shopper(shopper_id), body.text, polarity=body.polarity, actor=caller.actor
        )


@router.put("/facts/{fact_id}")
def correct(
    agent: AgentDep, caller: AnyCaller, shopper_id: str, fact_id: str, body: FactCorrect
) -> PreferenceFact:
    """ "That's wrong about me": the fact is replaced by the corrected wording (audited).
    Staff must give a ``reason``; it is kept in the audit trail with their name."""
    with agent.use() as tactful:
        return tactful.correct(
            caller.shopper(shopper_id), fact_id, body.text, actor=caller.actor, why=body.reason
        )


@router.delete("/facts/{fact_id}")
def forget(
    agent: AgentDep,
    caller: AnyCaller,
    shopper_id: str,
    fact_id: str,
    reason: Annotated[
        str | None, Query(max_length=500, description="why; required of staff")
    ] = None,
) -> PreferenceFact:
    """Retract a fact: gone from the very next answer, kept in the audit trail. Staff must
    give a ``reason``; it is kept in the audit trail with their name."""
    with agent.use() as tactful:
        return tactful.forget(caller.shopper(shopper_id), fact_id, actor=caller.actor, why=reason)


@router.get("/audit")
def audit_trail(agent: AgentDep, caller: StaffUser, shopper_id: str) -> list[AuditRecord]:
    """Who changed what about the shopper, when and why: their own changes, the shop's,
    and every staff action (claims, replies, corrections, hand-backs, resolutions)."""
    with agent.use() as tactful:
        return tactful.audit_trail(caller.shopper(shopper_id))


@router.put("/personalization")
def personalization(
    agent: AgentDep, caller: ShopperSide, shopper_id: str, body: PersonalizationUpdate
) -> PersonalizationPublic:
    """Switch personalized suggestions off (or back on)."""
    shopper = caller.shopper(shopper_id)
    with agent.use() as tactful:
        tactful.set_personalized(shopper, body.personalized)
    return PersonalizationPublic(shopper_id=shopper, personalized=body.personalized)


@router.post("/feedback", status_code=201)
def feedback(
    agent: AgentDep, caller: ShopperSide, shopper_id: str, body: FeedbackCreate
) -> FeedbackPublic:
    """Thumbs up, down or "not for me" on a suggestion; the next answer reflects it."""
    with agent.use() as tactful:
        tactful.feedback(
            caller.shopper(shopper_id),
            body.value,
            item_id=body.item_id,
            conversation_id=body.conversation_id,
        )
    return FeedbackPublic()


@router.post("/ratings", status_code=201)
def rate(
    agent: AgentDep, caller: ShopperSide, shopper_id: str, body: RatingCreate
) -> SatisfactionRating:
    """How satisfied the shopper was with a conversation, 1 to 5."""
    with agent.use() as tactful:
        return tactful.rate_conversation(
            caller.shopper(shopper_id), body.conversation_id, body.score, body.comment
        )


@router.post("/escalations", status_code=201)
def escalate(
    agent: AgentDep, caller: ShopperSide, shopper_id: str, body: EscalationCreate
) -> Escalation:
    """Ask for a person in a conversation (an open hand-over is reused, not doubled)."""
    with agent.use() as tactful:
        escalation_id = tactful.escalate(
            caller.shopper(shopper_id), body.conversation_id, body.reason
        )
        return tactful.escalation(escalation_id)


@router.post("/escalations/{escalation_id}/call-off")
def call_off(
    agent: AgentDep, caller: ShopperSide, shopper_id: str, escalation_id: str
) -> Escalation:
    """The shopper no longer needs a person: the hand-over is called off and the agent
    helps again (as saying "never mind" in the chat does)."""
    shopper = caller.shopper(shopper_id)
    with agent.use() as tactful:
        if tactful.escalation(escalation_id).shopper_id != shopper:
            # Someone else's hand-over reads as unknown, so ids cannot be probed.
            raise UnknownEscalation(f"No escalation with id {escalation_id!r}.")
        return tactful.conversations.handovers.move(escalation_id, EscalationStatus.CALLED_OFF)


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "a JSON download"}},
)
def export(agent: AgentDep, caller: ShopperSide, shopper_id: str) -> Response:
    """Everything held about the shopper, as a JSON file to download."""
    with agent.use() as tactful:
        data = tactful.export(caller.shopper(shopper_id))
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="tactful-export.json"',
            "Cache-Control": "no-store",
        },
    )


@router.delete("")
def erase(agent: AgentDep, caller: ShopperSide, shopper_id: str) -> ErasureReport:
    """Delete everything held about the shopper, and say what it was."""
    with agent.use() as tactful:
        return tactful.erase(caller.shopper(shopper_id))
