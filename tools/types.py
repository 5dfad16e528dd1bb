"""The types the ranking tools take and give.

They live here rather than in ``agent`` because the dependency arrow points
``agent → tools``: the tools must be usable (and testable) without the agent,
and the agent re-exports these from :mod:`agent.domain`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ShortText = Annotated[str, Field(min_length=1, max_length=500)]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s/\\]+$")]


class CatalogItem(BaseModel):
    """One product a shop sells."""

    model_config = ConfigDict(frozen=True)

    item_id: Identifier
    title: ShortText
    description: str = Field(default="", max_length=5000)
    category: str | None = Field(default=None, max_length=100)
    price: float | None = Field(default=None, ge=0)
    url: str | None = None

    def embedding_text(self) -> str:
        """The text the item is embedded from: what a shopper would read."""
        parts = [self.title]
        if self.category:
            parts.append(f"({self.category})")
        if self.description and self.description.lower() != self.title.lower():
            parts.append(self.description)
        return " ".join(parts)


class EventKind(StrEnum):
    """What a shopper did with an item. Each kind has its own weight and half-life."""

    VIEW = "view"
    CART = "cart"
    PURCHASE = "purchase"
    RATING = "rating"
    LIKE = "like"
    DISMISS = "dismiss"
    RETURN = "return"


class BehaviourEvent(BaseModel):
    """One thing a shopper did, with when and (optionally) for whom."""

    model_config = ConfigDict(frozen=True)

    event_id: Identifier
    shopper_id: Identifier
    item_id: Identifier
    kind: EventKind
    at: datetime
    quantity: float = Field(default=1.0, gt=0)
    rating: float | None = Field(default=None, ge=0, le=5, description="for kind=rating, 0–5")
    session_id: str | None = Field(default=None, max_length=128)
    recipient: str | None = Field(
        default=None,
        max_length=200,
        description="who it was for, when not the shopper ('friend', 'niece')",
    )
    context: str | None = Field(default=None, description="free-form origin, e.g. 'widget'")

    @field_validator("at")
    @classmethod
    def _naive_utc(cls, value: datetime) -> datetime:
        # All times are stored naive in UTC so SQL round trips compare equal.
        if value.tzinfo is not None:
            from datetime import UTC

            value = value.astimezone(UTC).replace(tzinfo=None)
        return value


class FactSource(StrEnum):
    """Where a preference fact came from, in rising order of trust."""

    INFERRED = "inferred"
    STATED = "stated"
    CONFIRMED = "confirmed"
    STAFF = "staff"


class FactStatus(StrEnum):
    ACTIVE = "active"
    RETRACTED = "retracted"


class FactKind(StrEnum):
    """What a fact is about: a taste, a budget, or someone the shopper buys for."""

    PREFERENCE = "preference"
    BUDGET = "budget"
    RECIPIENT = "recipient"


class PreferenceFact(BaseModel):
    """A thing tactful believes about a shopper, with its provenance."""

    fact_id: Identifier
    shopper_id: Identifier
    text: ShortText = Field(description="plain language, e.g. 'prefers vegan leather'")
    kind: FactKind = FactKind.PREFERENCE
    subject: str = Field(default="", max_length=200, description="what it is about, e.g. 'candles'")
    polarity: Literal[1, -1] = Field(default=1, description="+1 likes, -1 avoids")
    source: FactSource
    confidence: float = Field(ge=0, le=1)
    created_at: datetime
    reinforced_at: datetime
    status: FactStatus = FactStatus.ACTIVE
    evidence: list[str] = Field(default_factory=list, description="event ids behind it")
    amount: float | None = Field(default=None, description="for budgets: the upper bound")
    recipient: str | None = Field(default=None, description="for recipients: who")


class ShopperMode(StrEnum):
    """How the shopper is shopping right now; sets how strongly to personalize."""

    BROWSING = "browsing"
    RESEARCH = "research"
    PURCHASE = "purchase"
    GIFT = "gift"


class EvidenceKind(StrEnum):
    EVENT = "event"
    FACT = "fact"
    SHOPPER = "shopper"
    QUERY = "query"
    STATISTIC = "statistic"


class Evidence(BaseModel):
    """One thing behind a factor: an event, a fact, a similar shopper…"""

    kind: EvidenceKind
    ref: str = Field(description="event id, fact id, shopper id, or a statistic's name")
    label: str = Field(description="human-readable: an item title, a fact's text…")
    weight: float = Field(description="how much this piece added to the factor")


class FactorName(StrEnum):
    """The named parts every score is a sum of."""

    TASTE = "taste"
    STATED = "stated"
    COMMUNITY = "community"
    POPULARITY = "popularity"
    REQUEST = "request"
    DISMISSED = "dismissed"
    OWNED = "owned"


class Factor(BaseModel):
    """One named contribution to a suggestion's score, with what it came from."""

    name: FactorName
    contribution: float
    evidence: list[Evidence] = Field(default_factory=list)


class Suggestion(BaseModel):
    """An item suggested to a shopper: the score is exactly the sum of its factors."""

    item: CatalogItem
    score: float
    factors: list[Factor]
    reason: str = ""

    def factor(self, name: FactorName) -> Factor | None:
        return next((f for f in self.factors if f.name == name), None)


class SimilarShopper(BaseModel):
    shopper_id: str
    similarity: float
    country: str | None = None
