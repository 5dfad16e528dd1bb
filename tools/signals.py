"""How much each past event still counts: kind weights and decay by age."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import numpy as np
from pydantic import BaseModel, Field

from tools.types import BehaviourEvent, EventKind, FactSource, PreferenceFact


class DecayPolicy(BaseModel):
    """Half-lives in days. Nothing old defines anyone for ever.

    Purchases' and ratings' half-life, the short-term boost and ``neighbour_days`` were
    chosen with the browsing weights (see :data:`tools.ranker.MODE_WEIGHTS`) on validation
    splits of Online Retail and MovieLens-100k together. Own decay was searched from 60
    days (slower than a cart's, so a cart left long ago stops counting) to two years, the
    boost up to 9 (a fresh event held for a question, at 0.1 of its weight, then still
    weighs less than a settled one); the boost ended at that bound. Taking own decay and
    the boost out scored lower on both sets, and slower decay, own or neighbours', lower
    on the two together.
    """

    view_days: float = Field(default=14, gt=0)
    cart_days: float = Field(default=30, gt=0)
    purchase_days: float = Field(default=60, gt=0)
    rating_days: float = Field(default=60, gt=0)
    like_days: float = Field(default=180, gt=0)
    dismiss_days: float = Field(default=90, gt=0)
    return_days: float = Field(default=120, gt=0)
    own_days: float = Field(
        default=14, gt=0, description="taste of an item the shopper said they already have"
    )
    inferred_fact_days: float = Field(default=60, gt=0, description="unless reinforced")
    stated_fact_days: float = Field(default=365, gt=0)
    recent_boost: float = Field(
        default=9.0, ge=0, description="extra weight of the last few days: short-term intent"
    )
    recent_days: float = Field(default=1.0, gt=0, description="half-life of that extra weight")
    held_event_weight: float = Field(
        default=0.1, ge=0, le=1, description="weight of an out-of-profile event awaiting an answer"
    )
    confirmed_event_boost: float = Field(
        default=2.0, ge=0, description="weight of an event the shopper confirmed was for them"
    )
    held_event_days: float = Field(
        default=14, gt=0, description="an unanswered out-of-profile event fades this fast"
    )
    neighbour_days: float = Field(
        default=7,
        gt=0,
        description="half-life of similar shoppers' engagement in the community factor: "
        "what they chose lately says more about what is wanted now than what they chose "
        "long ago, and shop-wide tastes move faster than one shopper's own",
    )

    next_days: float = Field(
        default=1 / 24,
        gt=0,
        description="half-life of a shopper's purchase or rating as the start of what "
        "others chose next: an hour, so it speaks while the visit lasts",
    )

    def half_life(self, kind: EventKind) -> float:
        return float(getattr(self, f"{kind.value}_days"))

    def for_neighbours(self) -> DecayPolicy:
        """This policy as the community factor weighs other shoppers' engagement: every
        kind fades with :attr:`neighbour_days`, with no short-term boost (that boost is
        one shopper's own intent of the moment)."""
        return self.model_copy(
            update={f"{kind.value}_days": self.neighbour_days for kind in EventKind}
            | {"recent_boost": 0.0}
        )

    def fact_half_life(self, source: FactSource) -> float:
        if source is FactSource.INFERRED:
            return self.inferred_fact_days
        return self.stated_fact_days


#: How much one event of each kind says about taste, before decay.
KIND_WEIGHTS: dict[EventKind, float] = {
    EventKind.VIEW: 0.15,
    EventKind.CART: 0.4,
    EventKind.PURCHASE: 1.0,
    EventKind.RATING: 1.0,  # scaled by (rating - 2.5) / 2.5 below
    EventKind.LIKE: 0.8,
    EventKind.DISMISS: 0.0,  # dismissals are a penalty, not taste
    EventKind.RETURN: -1.0,
    # "I already have that" marks the item owned and nothing more: it may have been a
    # present, and a reason citing it ("because you have the night light") reads oddly.
    EventKind.OWN: 0.0,
}


def age_factor(age_days: float, half_life_days: float) -> float:
    """2^(-age / half-life); events from the future count fully."""
    return math.pow(0.5, max(age_days, 0.0) / half_life_days)


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds() / 86400.0


def event_weight(event: BehaviourEvent, now: datetime, policy: DecayPolicy) -> float:
    """Decayed taste weight of one event (negative for returns): :func:`decayed_weights`
    for a single event, so there is one formula."""
    rating = math.nan if event.rating is None else event.rating
    return float(
        decayed_weights(
            np.array([event.kind.value]),
            np.array([rating]),
            np.array([event.quantity]),
            np.array([days_between(event.at, now)]),
            policy,
        )[0]
    )


def fact_strength(fact: PreferenceFact, now: datetime, policy: DecayPolicy) -> float:
    """Confidence decayed since the fact was last reinforced; staff facts do not fade."""
    if fact.source is FactSource.STAFF:
        return fact.confidence
    half_life = policy.fact_half_life(fact.source)
    return fact.confidence * age_factor(days_between(fact.reinforced_at, now), half_life)


@dataclass(frozen=True)
class EventColumns:
    """Many events as parallel columns: the fast path for shop-wide statistics."""

    event_ids: np.ndarray  # str (objects, or fixed-width text)
    shopper_ids: np.ndarray  # object (str)
    item_ids: np.ndarray  # object (str)
    kinds: np.ndarray  # object (str, EventKind values)
    at: np.ndarray  # datetime64[s]
    quantity: np.ndarray  # float64
    rating: np.ndarray  # float64, NaN when absent
    for_someone_else: np.ndarray  # bool: a recipient is set

    def __len__(self) -> int:
        return len(self.event_ids)

    @classmethod
    def of(cls, events: Sequence[BehaviourEvent]) -> EventColumns:
        """Event objects as columns."""
        return cls(
            event_ids=np.array([e.event_id for e in events], dtype=object),
            shopper_ids=np.array([e.shopper_id for e in events], dtype=object),
            item_ids=np.array([e.item_id for e in events], dtype=object),
            kinds=np.array([e.kind.value for e in events], dtype=object),
            at=np.array([e.at for e in events], dtype="datetime64[s]"),
            quantity=np.array([e.quantity for e in events], dtype=np.float64),
            rating=np.array([np.nan if e.rating is None else e.rating for e in events]),
            for_someone_else=np.array([e.recipient is not None for e in events], dtype=bool),
        )

    def select(self, mask: np.ndarray) -> EventColumns:
        """The events where ``mask`` is true (or at the indices it lists)."""
        return EventColumns(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})


def event_weights(columns: EventColumns, now: datetime, policy: DecayPolicy) -> np.ndarray:
    """:func:`event_weight` for many events at once (same formula, vectorised)."""
    return decayed_weights(
        columns.kinds, columns.rating, columns.quantity, ages_in_days(columns.at, now), policy
    )


def decayed_weights(
    kinds: np.ndarray,
    rating: np.ndarray,
    quantity: np.ndarray,
    age_days: np.ndarray,
    policy: DecayPolicy,
) -> np.ndarray:
    """:func:`event_weight` over columns: kind values, ratings (NaN when absent),
    quantities and ages in days."""
    base = np.zeros(len(kinds), dtype=np.float64)
    half_life = np.ones(len(kinds), dtype=np.float64)
    for kind, weight in KIND_WEIGHTS.items():
        mask = kinds == kind.value
        base[mask] = weight
        half_life[mask] = policy.half_life(kind)
    rated = (kinds == EventKind.RATING.value) & ~np.isnan(rating)
    base[rated] = (rating[rated] - 2.5) / 2.5
    positive = base > 0
    # Quantity helps a little (a wholesaler's 48 of a thing is not 48 purchases).
    base[positive] *= 1.0 + 0.25 * np.log1p(np.maximum(quantity[positive] - 1.0, 0.0))
    age = np.maximum(age_days, 0.0)
    decay = np.power(0.5, age / half_life)
    decay[positive] += policy.recent_boost * np.power(0.5, age[positive] / policy.recent_days)
    return base * decay


def ages_in_days(at: np.ndarray, now: datetime) -> np.ndarray:
    """Age of each timestamp at ``now``, in days (negative for the future)."""
    now64 = np.datetime64(now.replace(microsecond=0), "s")
    return (now64 - at).astype("timedelta64[s]").astype(np.float64) / 86400.0
