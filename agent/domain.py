"""tactful's domain: the ranking types from :mod:`tools.types` plus the conversation's."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from tools.types import (
    Audience,
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
    Identifier,
    PreferenceFact,
    ShopperMode,
    SimilarShopper,
    Suggestion,
)

__all__ = [
    "AnswerKind",
    "Audience",
    "BehaviourEvent",
    "BehaviourSignal",
    "CatalogItem",
    "ClarifyingQuestion",
    "ConversationStatus",
    "Escalation",
    "EscalationCause",
    "EscalationStatus",
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


#: The longest country name a shopper record holds (the SQL column's length).
MAX_COUNTRY = 100


class Shopper(BaseModel):
    shopper_id: Identifier
    country: str | None = Field(default=None, max_length=MAX_COUNTRY)
    personalized: bool = Field(default=True, description="false: non-personalized suggestions")
    created_at: datetime


class QuestionStatus(StrEnum):
    PENDING = "pending"  # decided, not yet put to the shopper
    ASKED = "asked"
    ANSWERED = "answered"
    EXPIRED = "expired"
    DECLINED = "declined"  # the shopper would rather not say: held lightly, never asked again
    #: Would change much of what the shopper is shown and looks unlike their history in one
    #: way, though not both: held lightly without a question.
    UNASKED = "unasked"
    #: Held without a question, then borne out: something like it chosen again on
    #: another day says it was the shopper's own. It counts in full from then on.
    BORNE_OUT = "borne_out"


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


class EscalationStatus(StrEnum):
    """Where a hand-over stands: ``waiting → with_staff → handed_back | resolved``, or
    ``called_off`` by the shopper before anyone took it."""

    WAITING = "waiting"
    WITH_STAFF = "with_staff"
    HANDED_BACK = "handed_back"
    RESOLVED = "resolved"
    CALLED_OFF = "called_off"

    @property
    def open(self) -> bool:
        """Still with the team: waiting for a person, or a person is on it."""
        return self in (EscalationStatus.WAITING, EscalationStatus.WITH_STAFF)


#: Which status each staff or shopper action may start from.
ESCALATION_MOVES: dict[EscalationStatus, frozenset[EscalationStatus]] = {
    EscalationStatus.WITH_STAFF: frozenset({EscalationStatus.WAITING}),
    EscalationStatus.HANDED_BACK: frozenset({EscalationStatus.WITH_STAFF}),
    EscalationStatus.RESOLVED: frozenset({EscalationStatus.WAITING, EscalationStatus.WITH_STAFF}),
    EscalationStatus.CALLED_OFF: frozenset({EscalationStatus.WAITING, EscalationStatus.WITH_STAFF}),
}


class Escalation(BaseModel):
    """A conversation handed to a person, and where that hand-over stands."""

    escalation_id: str
    conversation_id: str
    shopper_id: str
    cause: EscalationCause
    detail: str
    at: datetime
    status: EscalationStatus = EscalationStatus.WAITING
    staff: str | None = Field(default=None, description="who took it, once someone has")
    updated_at: datetime | None = Field(default=None, description="when the status last changed")
    unclaimed_notice_at: datetime | None = Field(
        default=None, description="when the shopper was told nobody had picked it up yet"
    )


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
    staff: str | None = Field(default=None, description="who from the team said it (staff turns)")


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
    confirming: str | None = Field(
        default=None, description="an action waiting for the shopper's yes, e.g. 'erase'"
    )
    export_file: str | None = Field(
        default=None, description="where this turn wrote the shopper's data export"
    )
    erased: dict[str, int] | None = Field(
        default=None, description="what this turn erased, by kind (the conversation is gone too)"
    )
    exposure_id: str | None = Field(
        default=None,
        description="while an experiment runs: the id to confirm once the suggestions are on "
        "screen (POST /v1/exposures/{id}/shown)",
    )


class BehaviourSignal(BaseModel):
    """One item in the shopper's own history, as it weighs in their taste today."""

    item_id: str
    title: str
    kind: EventKind = Field(description="the strongest kind of thing they did with it")
    last_at: datetime = Field(description="the latest event of that kind")
    events: int = Field(description="how many events of that kind")
    weight: float = Field(description="its decayed weight in the taste signal now; 0 = faded")


class Profile(BaseModel):
    """What tactful thinks about a shopper, with provenance."""

    shopper: Shopper
    facts: list[PreferenceFact]
    taste: list[Evidence] = Field(description="the events that weigh most in the taste signal")
    held: list[ClarifyingQuestion] = Field(
        default_factory=list, description="out-of-profile events awaiting an answer"
    )
    event_count: int
    events_by_kind: dict[str, int] = Field(
        default_factory=dict, description="the shopper's events counted by kind"
    )
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None
    signals: list[BehaviourSignal] = Field(
        default_factory=list,
        description="the strongest items in their own history, with how old they are",
    )
    for_others: int = Field(
        default=0, description="events the shopper said were for someone else (kept out of taste)"
    )
    mode: ShopperMode | None = Field(
        default=None, description="the mode of their latest conversation"
    )
    escalations: list[Escalation] = Field(default_factory=list)


Message = Annotated[str, Field(min_length=1)]
