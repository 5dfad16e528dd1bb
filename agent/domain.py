"""tactful's domain: the ranking types from :mod:`tools.types` plus the conversation's."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from tools.types import (
    BehaviourEvent,
    CatalogItem,
    EventKind,
    Evidence,
    EvidenceKind,
    FactKind,
    Factor,
    FactorName,
    FactSource,
    FactStatus,
    PreferenceFact,
    ShopperMode,
    SimilarShopper,
    Suggestion,
)

__all__ = [
    "AnswerKind",
    "BehaviourEvent",
    "CatalogItem",
    "ClarifyingQuestion",
    "ConversationStatus",
    "Escalation",
    "EscalationCause",
    "EventKind",
    "Evidence",
    "EvidenceKind",
    "FactKind",
    "FactSource",
    "FactStatus",
    "Factor",
    "FactorName",
    "FeedbackValue",
    "PreferenceFact",
    "Profile",
    "Reply",
    "Shopper",
    "ShopperMode",
    "SimilarShopper",
    "Suggestion",
    "Turn",
]


class Shopper(BaseModel):
    shopper_id: str
    country: str | None = Field(default=None, max_length=100)
    personalized: bool = Field(default=True, description="false: non-personalized suggestions")
    created_at: datetime


class QuestionStatus(StrEnum):
    PENDING = "pending"  # decided, not yet put to the shopper
    ASKED = "asked"
    ANSWERED = "answered"
    EXPIRED = "expired"


class AnswerKind(StrEnum):
    FOR_ME = "for_me"
    FOR_SOMEONE_ELSE = "for_someone_else"


class ClarifyingQuestion(BaseModel):
    """A short question about one out-of-profile event, asked at most once."""

    question_id: str
    shopper_id: str
    event_id: str
    item_id: str
    item_title: str
    text: str
    status: QuestionStatus
    created_at: datetime
    asked_at: datetime | None = None
    answer: AnswerKind | None = None
    recipient: str | None = None


class EscalationCause(StrEnum):
    REQUESTED = "requested"
    FRUSTRATION = "frustration"
    NO_GOOD_ANSWER = "no_good_answer"
    SENSITIVE = "sensitive"


class Escalation(BaseModel):
    escalation_id: str
    conversation_id: str
    shopper_id: str
    cause: EscalationCause
    detail: str
    at: datetime
    status: Literal["open", "resolved"] = "open"


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


class FeedbackValue(StrEnum):
    UP = "up"
    DOWN = "down"
    NOT_FOR_ME = "not_for_me"


class Turn(BaseModel):
    role: Literal["shopper", "agent", "staff"]
    text: str
    at: datetime


class Reply(BaseModel):
    """What the agent says back in one turn."""

    conversation_id: str
    text: str
    mode: ShopperMode
    mode_reason: str = Field(description="why this mode was assumed, in plain words")
    personalized: bool
    suggestions: list[Suggestion] = Field(default_factory=list)
    question: ClarifyingQuestion | None = None
    escalation: Escalation | None = None
    facts_changed: list[PreferenceFact] = Field(default_factory=list)
    no_match: bool = Field(default=False, description="nothing in the catalog fits the request")


class Profile(BaseModel):
    """What tactful thinks about a shopper, with provenance."""

    shopper: Shopper
    facts: list[PreferenceFact]
    taste: list[Evidence] = Field(description="the events that weigh most in the taste signal")
    held: list[ClarifyingQuestion] = Field(
        default_factory=list, description="out-of-profile events awaiting an answer"
    )
    event_count: int


Message = Annotated[str, Field(min_length=1)]
