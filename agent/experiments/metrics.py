"""Each exposed shopper's engagement and satisfaction, per arm, from what is stored.

What a shopper did is credited to the list they were shown: a click (a view of a shown
item) or an add to basket within 24 hours of it being on screen, a purchase within 7
days; the latest such list wins when two showed the item. Feedback, ratings, corrections,
questions and hand-overs after a shopper's first list are credited to the arm of the
latest list they had seen by then. A shopper whose lists came from two arms (they switched
personalization off midway) counts in each, with what happened while in it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from agent.domain import (
    EscalationCause,
    EventKind,
    FeedbackValue,
    QuestionStatus,
)
from agent.experiments.model import Exposure

CLICK_WINDOW = timedelta(hours=24)
CART_WINDOW = timedelta(hours=24)
PURCHASE_WINDOW = timedelta(days=7)
#: The audit action of a fact the shopper took back or corrected.
CORRECTION = "fact.forgotten"


class Family(StrEnum):
    ENGAGEMENT = "engagement"
    SATISFACTION = "satisfaction"


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    family: Family
    #: A ratio metric sums a numerator and a denominator per shopper (clicks per
    #: impression); a mean metric has one value per shopper.
    ratio: bool
    higher_is_better: bool = True
    #: Must not get worse beyond the experiment's margin (a non-inferiority test).
    guardrail: bool = False
    #: Capped at the pooled 99th percentile before comparing (revenue).
    capped: bool = False
    #: A share of a count, so never above 1 (click-through, the thumbs-up share).
    share: bool = False


METRICS: tuple[Metric, ...] = (
    Metric("click_through", "click-through", Family.ENGAGEMENT, ratio=True, share=True),
    Metric("add_to_cart", "basket additions per shopper", Family.ENGAGEMENT, ratio=False),
    Metric("purchases", "attributed purchases per shopper", Family.ENGAGEMENT, ratio=False),
    Metric("revenue", "revenue per shopper (capped at p99)", Family.ENGAGEMENT, False, capped=True),
    Metric("rating", "satisfaction rating (1-5)", Family.SATISFACTION, ratio=False),
    Metric("thumbs_up", "thumbs-up share", Family.SATISFACTION, ratio=True, share=True),
    Metric(
        "not_for_me",
        '"not for me" per impression',
        Family.SATISFACTION,
        ratio=True,
        higher_is_better=False,
        guardrail=True,
    ),
    Metric(
        "dismissed_back",
        "dismissed items shown again",
        Family.SATISFACTION,
        ratio=True,
        higher_is_better=False,
        share=True,
    ),
    Metric(
        "corrections",
        "profile corrections per shopper",
        Family.SATISFACTION,
        ratio=False,
        higher_is_better=False,
    ),
    Metric(
        "escalations",
        "hand-overs per conversation",
        Family.SATISFACTION,
        ratio=True,
        higher_is_better=False,
        guardrail=True,
    ),
    Metric(
        "complaints",
        "complaints per conversation",
        Family.SATISFACTION,
        ratio=True,
        higher_is_better=False,
        guardrail=True,
    ),
    Metric(
        "questions_answered",
        "clarifying questions answered",
        Family.SATISFACTION,
        ratio=True,
        share=True,
    ),
    Metric("resolution", "conversations resolved", Family.SATISFACTION, ratio=True, share=True),
)
BY_NAME = {m.name: m for m in METRICS}


class Outcome(NamedTuple):
    """A click, basket addition or purchase: what the windows credit to a list."""

    kind: EventKind
    item_id: str
    at: datetime
    quantity: float = 1.0


#: The event kinds a list can be credited with.
OUTCOME_KINDS = (EventKind.VIEW, EventKind.CART, EventKind.PURCHASE)


@dataclass
class ShopperRecord:
    """What one exposed shopper did, as read from the stores."""

    shopper_id: str
    exposures: list[Exposure]
    events: list[Outcome] = field(default_factory=list)
    #: (value, item id or None, conversation id or None, when)
    feedback: list[tuple[FeedbackValue, str | None, str | None, datetime]] = field(
        default_factory=list
    )
    #: (score, conversation id, when)
    ratings: list[tuple[int, str, datetime]] = field(default_factory=list)
    #: When each correction was made.
    corrections: list[datetime] = field(default_factory=list)
    #: (status, when asked or made)
    questions: list[tuple[QuestionStatus, datetime]] = field(default_factory=list)
    #: (cause, conversation id, when)
    escalations: list[tuple[EscalationCause, str, datetime]] = field(default_factory=list)


@dataclass
class _Tally:
    """One shopper's counts in one arm."""

    values: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    #: Conversations in the arm: whether each was resolved, complained of.
    conversations: set[str] = field(default_factory=set)
    thumbs_up_in: set[str] = field(default_factory=set)
    bought_in: set[str] = field(default_factory=set)
    complained_in: set[str] = field(default_factory=set)
    rated: list[int] = field(default_factory=list)

    def add(self, name: str, amount: float = 1.0) -> None:
        self.values[name] += amount


@dataclass(frozen=True)
class ArmValues:
    """Per shopper of one arm: each metric's numerators and (ratio metrics) denominators;
    a shopper a metric says nothing of (no ratings, no conversations) is left out of it."""

    shoppers: int
    numerators: dict[str, np.ndarray]
    denominators: dict[str, np.ndarray | None]


def tally(
    records: Iterable[ShopperRecord], prices: Callable[[str], float | None]
) -> dict[str, ArmValues]:
    """Every metric, per arm (and the personalization-off group), one row per shopper."""
    rows: dict[str, list[_Tally]] = defaultdict(list)
    for record in records:
        for arm, counts in _shopper(record, prices).items():
            rows[arm].append(counts)
    return {arm: _arm_values(tallies) for arm, tallies in rows.items()}


def _shopper(record: ShopperRecord, prices: Callable[[str], float | None]) -> dict[str, _Tally]:
    pairs = sorted(
        ((e.shown_at, e) for e in record.exposures if e.shown_at is not None), key=lambda p: p[0]
    )
    if not pairs:
        return {}
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    times = [at for at, _ in pairs]
    shown = [e for _, e in pairs]

    def latest_before(at: datetime) -> Exposure | None:
        place = bisect_right(times, at)
        return shown[place - 1] if place else None

    for exposure in shown:
        t = tallies[exposure.arm]
        t.add("impressions", len(exposure.items))
        if exposure.conversation_id:
            t.conversations.add(exposure.conversation_id)

    # Clicks, basket additions and purchases of shown items, within their windows.
    showing: dict[str, list[tuple[datetime, Exposure]]] = defaultdict(list)
    for at, exposure in pairs:
        for item in exposure.items:
            showing[item.item_id].append((at, exposure))
    credited: set[tuple[str, str, str]] = set()
    for event in record.events:
        window = _WINDOWS.get(event.kind)
        if window is None:
            continue
        candidates = [
            e for at, e in showing.get(event.item_id, ()) if at <= event.at <= at + window
        ]
        if not candidates:
            continue
        exposure = candidates[-1]
        t = tallies[exposure.arm]
        if event.kind is EventKind.VIEW:
            key = (exposure.exposure_id, event.item_id, "click")
            if key not in credited:
                credited.add(key)
                t.add("clicks")
        elif event.kind is EventKind.CART:
            t.add("add_to_cart")
        else:
            t.add("purchases")
            t.add("revenue", event.quantity * (prices(event.item_id) or 0.0))
            if exposure.conversation_id:
                t.bought_in.add(exposure.conversation_id)

    dismissed: dict[str, datetime] = {}
    for value, item_id, conversation_id, at in record.feedback:
        seen = latest_before(at)
        if seen is None:
            continue
        t = tallies[seen.arm]
        if value is FeedbackValue.UP:
            t.add("thumbs_up")
            t.add("thumbs")
            if conversation_id:
                t.thumbs_up_in.add(conversation_id)
        elif value is FeedbackValue.DOWN:
            t.add("thumbs")
        elif item_id is not None:
            if at - times[shown.index(seen)] <= CLICK_WINDOW:
                t.add("not_for_me")
            dismissed.setdefault(item_id, at)
    # A dismissed item shown again later: counted once per item, in the arm that showed it.
    for item_id, at in dismissed.items():
        owner = latest_before(at)
        assert owner is not None
        tallies[owner.arm].add("dismissed")
        again = next((e for then, e in showing.get(item_id, ()) if then > at), None)
        if again is not None:
            tallies[again.arm].add("dismissed_back")

    for score, _, at in record.ratings:
        seen = latest_before(at)
        if seen is not None:
            tallies[seen.arm].rated.append(score)
    for at in record.corrections:
        seen = latest_before(at)
        if seen is not None:
            tallies[seen.arm].add("corrections")
    for status, at in record.questions:
        seen = latest_before(at)
        if seen is not None and status in (QuestionStatus.ANSWERED, QuestionStatus.DECLINED):
            t = tallies[seen.arm]
            t.add("questions")
            if status is QuestionStatus.ANSWERED:
                t.add("questions_answered")
    for cause, conversation_id, at in record.escalations:
        seen = latest_before(at)
        if seen is None:
            continue
        t = tallies[seen.arm]
        t.add("escalations")
        if cause is EscalationCause.FRUSTRATION:
            t.add("complaints")
            t.complained_in.add(conversation_id)
    for t in tallies.values():
        resolved = {
            c
            for c in t.conversations
            if c in t.thumbs_up_in or (c in t.bought_in and c not in t.complained_in)
        }
        t.add("resolved", len(resolved))
    return tallies


_WINDOWS: Mapping[EventKind, timedelta] = {
    EventKind.VIEW: CLICK_WINDOW,
    EventKind.CART: CART_WINDOW,
    EventKind.PURCHASE: PURCHASE_WINDOW,
}

#: Each ratio metric's numerator and denominator counts.
_RATIOS: Mapping[str, tuple[str, str]] = {
    "click_through": ("clicks", "impressions"),
    "thumbs_up": ("thumbs_up", "thumbs"),
    "not_for_me": ("not_for_me", "impressions"),
    "dismissed_back": ("dismissed_back", "dismissed"),
    "escalations": ("escalations", "conversation_count"),
    "complaints": ("complaints", "conversation_count"),
    "questions_answered": ("questions_answered", "questions"),
    "resolution": ("resolved", "conversation_count"),
}


def _arm_values(tallies: list[_Tally]) -> ArmValues:
    for t in tallies:
        t.values["conversation_count"] = len(t.conversations)
    numerators: dict[str, np.ndarray] = {}
    denominators: dict[str, np.ndarray | None] = {}
    for metric in METRICS:
        if metric.name == "rating":
            numerators["rating"] = np.array([np.mean(t.rated) for t in tallies if t.rated])
            denominators["rating"] = None
        elif metric.ratio:
            top, bottom = _RATIOS[metric.name]
            kept = [t for t in tallies if t.values.get(bottom, 0) > 0]
            numerators[metric.name] = np.array([t.values.get(top, 0.0) for t in kept])
            denominators[metric.name] = np.array([t.values[bottom] for t in kept])
        else:
            numerators[metric.name] = np.array([t.values.get(metric.name, 0.0) for t in tallies])
            denominators[metric.name] = None
    return ArmValues(shoppers=len(tallies), numerators=numerators, denominators=denominators)
