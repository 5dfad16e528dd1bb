"""Request and response bodies: ``XCreate`` for what comes in, ``XPublic`` for what goes
out. Where the library already has the shape (a :class:`Reply`, a :class:`Profile`, an
:class:`ErasureReport`) the response is that model itself, so the two cannot drift."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.domain import (
    BehaviourEvent,
    CatalogItem,
    Escalation,
    EventKind,
    FeedbackValue,
    ShopperMode,
    Suggestion,
    Turn,
)
from tools.types import Identifier

#: Most rows one request may carry; bigger loads go in several requests (or the CLI).
MAX_BATCH = 1000
ShopperField = Field(
    default=None, description="the shopper to act for; leave out with a shopper token"
)


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class ChatCreate(BaseModel):
    model_config = _examples(
        {"message": "a gift for my sister under £20"},
        {"shopper_id": "17850", "message": "why the first one?", "conversation_id": "4f1c…"},
    )

    message: str = Field(min_length=1, description="what the shopper said")
    shopper_id: Identifier | None = ShopperField
    conversation_id: Identifier | None = Field(
        default=None, description="continue this conversation; by default the current one"
    )
    mode: ShopperMode | None = Field(default=None, description="set the shopping mode")


class RecommendCreate(BaseModel):
    model_config = _examples({"k": 5, "mode": "purchase", "query": "lanterns"})

    shopper_id: Identifier | None = ShopperField
    k: int = Field(default=10, ge=1, le=100)
    mode: ShopperMode | None = None
    query: str | None = Field(default=None, max_length=2000, description="what they asked for")
    budget_max: float | None = Field(default=None, ge=0)
    category: str | None = Field(default=None, max_length=100)
    recipient: str | None = Field(default=None, max_length=200, description="gift recipient")
    same_country: bool = Field(default=False, description="community of the same country only")
    new_only: bool = Field(
        default=False, description="discovery only: nothing the shopper bought before or has"
    )
    goes_with_item_id: Identifier | None = Field(
        default=None,
        description='what goes with this item ("bought together"): what the other shoppers '
        "who chose it also chose",
    )
    occasion: str | None = Field(
        default=None, max_length=100, description="what the page is for, e.g. 'christmas'"
    )


class RecommendationsPublic(BaseModel):
    shopper_id: str
    mode: ShopperMode
    query: str | None
    suggestions: list[Suggestion] = Field(description="best first, each with factors and reason")
    exposure_id: str | None = Field(
        default=None,
        description="while an experiment runs: confirm with POST /v1/exposures/{id}/shown once "
        "the suggestions are on screen",
    )


class EventCreate(BaseModel):
    """One thing a shopper did; ``event_id`` makes sending it twice harmless."""

    event_id: Identifier
    shopper_id: Identifier | None = ShopperField
    item_id: Identifier
    kind: EventKind
    at: datetime | None = Field(default=None, description="when; now if left out")
    quantity: float = Field(default=1.0, gt=0, le=1_000_000)
    rating: float | None = Field(default=None, ge=0, le=5)
    session_id: str | None = Field(default=None, max_length=128)
    recipient: str | None = Field(default=None, max_length=200)
    context: str | None = Field(default=None, max_length=200)

    def to_event(self, shopper_id: str, now: datetime) -> BehaviourEvent:
        fields = self.model_dump(exclude={"shopper_id", "at"})
        return BehaviourEvent(**fields, shopper_id=shopper_id, at=self.at or now)


class EventsCreate(BaseModel):
    model_config = _examples(
        {"events": [{"event_id": "web-0001", "item_id": "22749", "kind": "view"}]}
    )

    events: list[EventCreate] = Field(min_length=1, max_length=MAX_BATCH)
    clarify: bool = Field(
        default=True, description="check live events against the profile (false: history)"
    )


class CatalogCreate(BaseModel):
    model_config = _examples(
        {"items": [{"item_id": "22749", "title": "Feltcraft princess doll", "price": 3.75}]}
    )

    items: list[CatalogItem] = Field(min_length=1, max_length=MAX_BATCH)


class TokenCreate(BaseModel):
    model_config = _examples({"shopper_id": "17850", "ttl_seconds": 3600})

    shopper_id: Identifier
    ttl_seconds: int | None = Field(
        default=None, ge=60, description="life of the token; the server's maximum by default"
    )
    country: str | None = Field(default=None, max_length=100, description="for a new shopper")


class TokenPublic(BaseModel):
    token: str = Field(description="send as 'Authorization: Bearer <token>' from the browser")
    shopper_id: str
    expires_at: datetime


class FactCreate(BaseModel):
    model_config = _examples({"text": "prefers vegan leather"})

    text: str = Field(min_length=1, max_length=500)
    polarity: Literal[1, -1] = Field(default=1, description="+1 likes, -1 avoids")


class FactCorrect(BaseModel):
    model_config = _examples(
        {"text": "buys gifts for a niece, 9"},
        {"text": "buys gifts for a niece, 9", "reason": "the shopper told me on the phone"},
    )

    text: str = Field(min_length=1, max_length=500, description="the corrected wording")
    reason: str | None = Field(
        default=None, max_length=500, description="why; required of staff, kept in the audit trail"
    )


class PersonalizationUpdate(BaseModel):
    model_config = _examples({"personalized": False})

    personalized: bool


class PersonalizationPublic(BaseModel):
    shopper_id: str
    personalized: bool


class FeedbackCreate(BaseModel):
    model_config = _examples({"value": "not_for_me", "item_id": "22749"})

    value: FeedbackValue
    item_id: Identifier | None = Field(default=None, description="the suggestion it is about")
    conversation_id: Identifier | None = None


class FeedbackPublic(BaseModel):
    recorded: bool = True


class RatingCreate(BaseModel):
    model_config = _examples({"conversation_id": "4f1c…", "score": 4})

    conversation_id: Identifier
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class EscalationCreate(BaseModel):
    model_config = _examples({"conversation_id": "4f1c…", "reason": "wants to talk to a person"})

    conversation_id: Identifier
    reason: str = Field(default="asked for a person", min_length=1, max_length=500)


class ClaimCreate(BaseModel):
    staff: str | None = Field(
        default=None, max_length=100, description="who takes it; the key's name by default"
    )


class StaffMessageCreate(BaseModel):
    model_config = _examples({"text": "Hello, I'm Priya from the team. How can I help?"})

    text: str = Field(min_length=1, description="what the person holding the hand-over says")


class ResolveCreate(BaseModel):
    model_config = _examples({"note": "refund arranged for order 581475"})

    note: str | None = Field(
        default=None, max_length=1000, description="how it was resolved, for the audit trail"
    )


class ShownSuggestions(BaseModel):
    """What the agent showed in one turn, with the factors and reason of each suggestion."""

    at: datetime
    suggestions: list[Suggestion]


class QueueEntry(BaseModel):
    """One open hand-over as the team's queue shows it."""

    escalation: Escalation
    waiting_seconds: float = Field(description="since the hand-over opened, by the server's clock")
    turns: int = Field(description="turns in its conversation so far; grows as anyone speaks")


class EscalationDetail(BaseModel):
    """A hand-over with the conversation so far, for the person taking it."""

    escalation: Escalation
    transcript: list[Turn]
    now: datetime | None = Field(
        default=None, description="the server's clock when this was read, to age things by"
    )
    waiting_seconds: float = Field(
        default=0.0, description="since the hand-over opened, by the server's clock"
    )
    suggestions: list[ShownSuggestions] = Field(
        default_factory=list, description="the latest turns that showed suggestions, newest first"
    )


class ShopperMatch(BaseModel):
    """A shopper found by id, with their hand-overs still open."""

    shopper_id: str
    open_escalations: list[Escalation]
    now: datetime = Field(description="the server's clock when this was read, to age things by")


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"
    worker: int = Field(
        default_factory=os.getpid,
        description="the server process that answered (`tactful serve --workers` runs several)",
    )


class DemoTokenCreate(BaseModel):
    """The demo shop page's choice of customer (demo mode only)."""

    shopper_id: Identifier
