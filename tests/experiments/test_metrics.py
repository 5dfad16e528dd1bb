"""What a shopper did is credited to the list they were shown, within its windows."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from agent.domain import (
    EscalationCause,
    EventKind,
    FeedbackValue,
    QuestionStatus,
)
from agent.experiments.metrics import Outcome, ShopperRecord, tally
from agent.experiments.model import ExposedItem, Exposure, Source

SHOWN = datetime(2026, 12, 1, 12)


def exposure(
    arm: str,
    items: list[str],
    at: datetime = SHOWN,
    conversation: str | None = None,
    shown: bool = True,
) -> Exposure:
    return Exposure(
        exposure_id=f"ex-{arm}-{at:%d%H}",
        experiment_key="k",
        bucket_version=1,
        shopper_id="s1",
        arm=arm,
        at=at,
        shown_at=at if shown else None,
        conversation_id=conversation,
        items=[
            ExposedItem(item_id=i, position=n, source=Source.AI)
            for n, i in enumerate(items, start=1)
        ],
    )


def event(item: str, kind: EventKind, after: timedelta, quantity: float = 1.0) -> Outcome:
    return Outcome(kind, item, SHOWN + after, quantity)


def prices(item_id: str) -> float | None:
    return {"a": 2.0, "b": 10.0}.get(item_id)


def values(record: ShopperRecord, arm: str = "ai") -> dict[str, float]:
    found = tally([record], prices)[arm]
    return {
        name: float(found.numerators[name].sum())
        for name in found.numerators
        if found.numerators[name].size
    } | {
        f"{name}/": float(d.sum())
        for name, d in found.denominators.items()
        if d is not None and d.size
    }


def test_clicks_baskets_and_purchases_count_only_within_their_windows() -> None:
    record = ShopperRecord(
        "s1",
        [exposure("ai", ["a", "b", "c"])],
        events=[
            event("a", EventKind.VIEW, timedelta(hours=1)),
            event("a", EventKind.VIEW, timedelta(hours=2)),  # the same click, seen again
            event("b", EventKind.VIEW, timedelta(hours=30)),  # too late to be a click
            event("a", EventKind.CART, timedelta(hours=3)),
            event("a", EventKind.PURCHASE, timedelta(days=6), quantity=3),
            event("b", EventKind.PURCHASE, timedelta(days=8)),  # outside 7 days
            event("z", EventKind.PURCHASE, timedelta(hours=1)),  # never shown
            event("c", EventKind.VIEW, -timedelta(hours=1)),  # before it was shown
        ],
    )
    got = values(record)
    assert got["click_through"] == 1 and got["click_through/"] == 3
    assert got["add_to_cart"] == 1
    assert got["purchases"] == 1
    assert got["revenue"] == 6.0


def test_a_list_never_shown_counts_for_nothing() -> None:
    record = ShopperRecord(
        "s1",
        [exposure("ai", ["a"], shown=False)],
        events=[event("a", EventKind.VIEW, timedelta(hours=1))],
    )
    assert tally([record], prices) == {}


def test_feedback_ratings_and_hand_overs_go_to_the_arm_of_the_list_seen_last() -> None:
    later = SHOWN + timedelta(days=1)
    record = ShopperRecord(
        "s1",
        [exposure("ai", ["a"], conversation="c1"), exposure("personalization_off", ["b"], later)],
        feedback=[
            (FeedbackValue.UP, "a", "c1", SHOWN + timedelta(minutes=5)),
            (FeedbackValue.NOT_FOR_ME, "b", None, later + timedelta(minutes=5)),
        ],
        ratings=[(5, "c1", SHOWN + timedelta(minutes=9))],
        escalations=[(EscalationCause.FRUSTRATION, "c1", SHOWN + timedelta(minutes=7))],
        questions=[
            (QuestionStatus.ANSWERED, SHOWN + timedelta(minutes=1)),
            (QuestionStatus.DECLINED, SHOWN + timedelta(minutes=2)),
            (QuestionStatus.ANSWERED, SHOWN - timedelta(days=1)),  # before any list
        ],
        corrections=[SHOWN + timedelta(minutes=3)],
    )
    ai = values(record, "ai")
    assert ai["thumbs_up"] == 1 and ai["thumbs_up/"] == 1
    assert ai["rating"] == 5
    assert ai["complaints"] == 1 and ai["escalations"] == 1 and ai["complaints/"] == 1
    assert ai["questions_answered"] == 1 and ai["questions_answered/"] == 2
    assert ai["corrections"] == 1
    # Thumbs-up in the conversation: resolved, even with a complaint in it.
    assert ai["resolution"] == 1
    off = values(record, "personalization_off")
    assert off["not_for_me"] == 1 and off["not_for_me/"] == 1


def test_a_dismissed_item_shown_again_is_counted_against_the_arm_that_showed_it() -> None:
    again = SHOWN + timedelta(days=2)
    record = ShopperRecord(
        "s1",
        [exposure("hybrid", ["a", "b"]), exposure("hybrid", ["a"], again)],
        feedback=[(FeedbackValue.NOT_FOR_ME, "a", None, SHOWN + timedelta(hours=1))],
    )
    got = values(record, "hybrid")
    assert got["dismissed_back"] == 1 and got["dismissed_back/"] == 1
    assert got["not_for_me"] == 1 and got["not_for_me/"] == 3


def test_a_purchase_without_complaint_resolves_its_conversation() -> None:
    record = ShopperRecord(
        "s1",
        [exposure("curated", ["a"], conversation="c9")],
        events=[event("a", EventKind.PURCHASE, timedelta(days=1))],
    )
    found = tally([record], prices)["curated"]
    assert np.array_equal(found.numerators["resolution"], [1.0])
    assert np.array_equal(found.denominators["resolution"], [1.0])  # type: ignore[arg-type]
