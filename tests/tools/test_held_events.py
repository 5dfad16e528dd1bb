"""A purchase held for a question counts low, and gets no short-term boost: what the
shopper wants right now is the very thing the question leaves open."""

from __future__ import annotations

from tests.tools.small_shop import COLOURS, NOW, SmallShop
from tools.signals import event_weight
from tools.taste import Standing, taste_signal
from tools.types import EventKind


def test_a_fresh_held_purchase_counts_a_tenth_of_a_settled_one_without_the_boost() -> None:
    shop = SmallShop()
    fresh = shop.event("mug-owl", EventKind.PURCHASE, days_ago=0.05)
    policy = shop.policy
    unboosted = policy.model_copy(update={"recent_boost": 0.0})

    held = taste_signal(
        [fresh], shop.catalog, now=NOW, policy=policy, standings={fresh.event_id: Standing.HELD}
    ).item_weights[shop.row("mug-owl")]
    own = shop.taste([fresh]).item_weights[shop.row("mug-owl")]

    assert event_weight(fresh, NOW, policy) > 2 * event_weight(fresh, NOW, unboosted)
    expected = policy.held_event_weight * event_weight(fresh, NOW, unboosted)
    assert abs(held - expected) < 0.01 * expected
    assert held < own / 10


def test_a_held_purchase_is_owned_so_it_is_not_offered_straight_back() -> None:
    shop = SmallShop()
    fresh = shop.event("mug-owl", EventKind.PURCHASE, days_ago=0.05)
    held = {fresh.event_id: Standing.HELD}

    taste = taste_signal([fresh], shop.catalog, now=NOW, policy=shop.policy, standings=held)

    assert taste.owned == {shop.row("mug-owl"): fresh}
    assert not taste.purchases  # not a habit to re-order until the question is answered


def test_a_held_purchase_never_outweighs_a_history_that_has_faded() -> None:
    shop = SmallShop()
    # Bought most of a year ago: each settled purchase weighs a few hundredths now.
    history = [shop.event(f"candle-{c}", EventKind.PURCHASE, days_ago=330) for c in COLOURS[:5]]
    fresh = shop.event("mug-owl", EventKind.PURCHASE, days_ago=0.05)
    policy = shop.policy

    taste = taste_signal(
        [*history, fresh],
        shop.catalog,
        now=NOW,
        policy=policy,
        standings={fresh.event_id: Standing.HELD},
    )

    strongest = max(w for r, w in taste.item_weights.items() if r != shop.row("mug-owl"))
    held = taste.item_weights[shop.row("mug-owl")]
    assert held <= policy.held_event_weight * strongest * 1.001
    assert held < sum(taste.item_weights.values()) * policy.held_event_weight
