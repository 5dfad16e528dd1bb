"""The types the ranking tools take and give.

They live here rather than in ``agent`` because the dependency arrow points
``agent → tools``: the tools must be usable (and testable) without the agent,
and the agent re-exports these from :mod:`agent.domain`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_ID_LENGTH = 128
MAX_QUANTITY = 1_000_000
#: Ages are in years; nobody shopped for is older.
MAX_AGE = 120
#: Tags are stored joined with this in places that cannot hold a list (Chroma metadata, CSV).
TAG_SEPARATOR = "|"
MAX_TAGS = 20


def valid_identifier(value: str) -> bool:
    """True for an id tactful accepts: 1–128 visible characters, no spaces or slashes.

    Control, bidirectional-override and zero-width characters are refused too: an id is
    printed in terminals and logs, where such characters could hide or reorder what a
    person reads.
    """
    return (
        0 < len(value) <= MAX_ID_LENGTH
        and value.isprintable()
        and not any(ch.isspace() or ch in "/\\" for ch in value)
    )


def _identifier(value: str) -> str:
    if not valid_identifier(value):
        raise ValueError("must not contain spaces, slashes, backslashes or invisible characters")
    return value


def as_naive_utc(value: datetime) -> datetime:
    """``value`` in UTC without a zone, as every time is stored.

    Raises ValueError when the conversion leaves the calendar (``0001-01-01T00:00+01:00``).
    """
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError("is outside the years 1 to 9999 once converted to UTC") from None


ShortText = Annotated[str, Field(min_length=1, max_length=500)]
Identifier = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_identifier)
]


def _tag(value: str) -> str:
    value = " ".join(value.split()).lower()
    if not value or not value.isprintable() or TAG_SEPARATOR in value:
        raise ValueError(f"must be visible text without {TAG_SEPARATOR!r}")
    return value


Tag = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_tag)]


class Audience(StrEnum):
    """Who an item is meant for; an item without one suits anyone."""

    BABY = "baby"
    CHILD = "child"
    TEEN = "teen"
    ADULT = "adult"


class CatalogItem(BaseModel):
    """One product a shop sells."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    item_id: Identifier
    title: ShortText
    description: str = Field(default="", max_length=5000)
    category: str | None = Field(default=None, max_length=100)
    price: float | None = Field(default=None, ge=0)
    url: str | None = None
    audience: Audience | None = Field(default=None, description="who it is for; None = anyone")
    age_min: float | None = Field(default=None, ge=0, le=MAX_AGE, description="youngest, years")
    age_max: float | None = Field(default=None, ge=0, le=MAX_AGE, description="oldest, years")
    tags: tuple[Tag, ...] = Field(
        default=(), max_length=MAX_TAGS, description="short labels, e.g. 'alcohol', 'kids'"
    )

    @field_validator("tags")
    @classmethod
    def _distinct_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _ages_in_order(self) -> CatalogItem:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"age_max {self.age_max:g} is below age_min {self.age_min:g}")
        return self

    def fits_age(self, age: float) -> bool | None:
        """Whether its own age range takes in ``age``; None when it states no ages."""
        if self.age_min is None and self.age_max is None:
            return None
        low = 0.0 if self.age_min is None else self.age_min
        high = float(MAX_AGE) if self.age_max is None else self.age_max
        return low <= age <= high

    def content_key(self) -> str:
        """What a stored copy must match to be current: the embedding text, plus who it is
        for and the price and link when they are said (a reply quotes the price, so a new
        price must replace the stored one). An item that says none of these has exactly
        its embedding text here, so catalogs stored before these fields existed still
        match and are not embedded again."""
        key = self.embedding_text()
        said = self.audience is not None or self.age_min is not None or self.age_max is not None
        if said or self.tags:
            ages = "-".join(
                "" if age is None else f"{age:g}" for age in (self.age_min, self.age_max)
            )
            key += f"\x1f{self.audience or ''};{ages};{TAG_SEPARATOR.join(self.tags)}"
        if self.price is not None or self.url:
            price = "" if self.price is None else repr(self.price)
            key += f"\x1f{price};{self.url or ''}"
        return key

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
    #: The shopper said they already have it: owned, and a faint hint of taste.
    OWN = "own"
    # Kinds that take something away come last.
    DISMISS = "dismiss"
    RETURN = "return"


class BehaviourEvent(BaseModel):
    """One thing a shopper did, with when and (optionally) for whom."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    event_id: Identifier
    shopper_id: Identifier
    item_id: Identifier
    kind: EventKind
    at: datetime
    quantity: float = Field(default=1.0, gt=0, le=MAX_QUANTITY)
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
        return as_naive_utc(value)


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
    #: A list shop staff made (the ref is its id), or their note on the item.
    LIST = "list"


class Evidence(BaseModel):
    """One thing behind a factor: an event, a fact, a similar shopper…"""

    kind: EvidenceKind
    ref: str = Field(description="event id, fact id, shopper id, or a statistic's name")
    label: str = Field(description="human-readable: an item title, a fact's text…")
    weight: float = Field(description="how much this piece added to the factor")

    @classmethod
    def of(cls, kind: EvidenceKind, ref: str, label: str, weight: float) -> Evidence:
        """Evidence the ranker worked out, made without validating it again.

        One list of suggestions cites hundreds of pieces (every similar shopper behind
        each item), and validating each one, or pydantic's ``model_construct``, was most
        of what making it cost. The values must already have their fields' types:
        ``weight`` a float, never an int.
        """
        values = {"kind": kind, "ref": ref, "label": label, "weight": weight}
        return as_given(cls, values, _EVIDENCE_FIELDS)


_new = object.__new__
_set = object.__setattr__
_Model = TypeVar("_Model", bound=BaseModel)


def as_given(model: type[_Model], values: dict[str, Any], every_field: set[str]) -> _Model:
    """A ``model`` holding ``values`` as they are, for objects made by the hundred from
    values already checked: what pydantic's ``model_construct`` does, for a fraction of
    its cost (it costs more than validating).

    ``values`` must give every field, each of its declared type, and ``every_field`` be
    the set of their names: one set may serve every object of the model, as a copy
    copies it before changing it.
    """
    made = _new(model)
    _set(made, "__dict__", values)
    _set(made, "__pydantic_fields_set__", every_field)
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


_EVIDENCE_FIELDS = set(Evidence.model_fields)


class FactorName(StrEnum):
    """The named parts every score is a sum of."""

    TASTE = "taste"
    STATED = "stated"
    COMMUNITY = "community"
    POPULARITY = "popularity"
    #: It sells faster lately than over the months before (see :mod:`tools.trending`).
    TRENDING = "trending"
    REQUEST = "request"
    AUDIENCE = "audience"
    DISMISSED = "dismissed"
    OWNED = "owned"
    #: A re-order of something the shopper buys again is due.
    BUY_AGAIN = "buy_again"
    #: What other shoppers went on to choose after what this shopper just chose.
    BOUGHT_NEXT = "bought_next"
    #: Shoppers whose choices resemble this shopper's, in a factorisation of everyone's
    #: choices, tend to choose it.
    LATENT = "latent"
    #: A person on the shop's team chose it for a list (experiments' curated and hybrid
    #: arms).
    CURATED = "curated"


#: Contributions smaller than this are not factors at all (and never cited).
MIN_CONTRIBUTION = 1e-3


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
