"""Decay and shopping modes, through the public API on real data."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest

from agent.clock import FixedClock
from agent.domain import BehaviourEvent, EventKind, FactorName, ShopperMode, Suggestion
from agent.errors import InvalidInput
from agent.facade import Tactful
from agent.ingest.online_retail import OnlineRetailData


def cited_event_ids(suggestions: list[Suggestion]) -> set[str]:
    return {
        e.ref
        for s in suggestions
        for f in s.factors
        if f.name is FactorName.TASTE
        for e in f.evidence
    }


def test_a_fresh_cart_event_ages_out_of_the_top_factors_as_the_clock_moves(
    tactful: Tactful, demo_shopper: str, clock: FixedClock
) -> None:
    # An item unlike the shopper's kitchenware, so it shows up clearly when it counts.
    lantern = tactful.search("garden lantern", k=1)[0].item.item_id
    event = BehaviourEvent(
        event_id="decay-cart",
        shopper_id=demo_shopper,
        item_id=lantern,
        kind=EventKind.CART,
        at=clock.now() - timedelta(hours=2),
    )
    tactful.record_events([event], clarify=False)

    fresh = tactful.recommend(demo_shopper, k=10)
    assert "decay-cart" in cited_event_ids(fresh)
    assert "decay-cart" in [e.ref for e in tactful.profile(demo_shopper).taste]

    clock.advance(days=240)
    aged = tactful.recommend(demo_shopper, k=10)
    assert "decay-cart" not in cited_event_ids(aged)
    assert "decay-cart" not in [e.ref for e in tactful.profile(demo_shopper).taste]


def test_stated_facts_outlast_inferred_behaviour(
    tactful: Tactful, demo_shopper: str, clock: FixedClock
) -> None:
    fact = tactful.remember(demo_shopper, "likes owls", subject="owl")
    clock.advance(days=200)

    owls = tactful.recommend(demo_shopper, k=10, query="cushion")
    stated = [s for s in owls if s.factor(FactorName.STATED)]
    assert stated, "a stated fact still counts after 200 days"
    assert all(
        fact.fact_id in [e.ref for e in s.factor(FactorName.STATED).evidence] for s in stated
    )  # type: ignore[union-attr]


def _pairwise_similarity(tactful: Tactful, suggestions: list[Suggestion]) -> float:
    vectors = tactful.item_vectors([s.item.item_id for s in suggestions])
    pairs = list(itertools.combinations(range(len(vectors)), 2))
    return float(np.mean([vectors[a] @ vectors[b] for a, b in pairs]))


def _taste_share(suggestions: list[Suggestion]) -> float:
    taste = sum(
        f.contribution for s in suggestions for f in s.factors if f.name is FactorName.TASTE
    )
    total = sum(max(f.contribution, 0) for s in suggestions for f in s.factors)
    return taste / total


def test_purchase_mode_personalizes_tighter_than_browsing(
    tactful: Tactful, demo_data: OnlineRetailData
) -> None:
    # Among things new to the shopper: re-orders, which both modes offer, are alike or not
    # by what the shopper happens to re-order.
    busiest = Counter(e.shopper_id for e in demo_data.events).most_common(5)
    for shopper, _ in busiest:
        browsing = tactful.recommend(shopper, k=10, mode="browsing", new_only=True)
        purchase = tactful.recommend(shopper, k=10, mode="purchase", new_only=True)

        assert _taste_share(purchase) > _taste_share(browsing), shopper
        assert _pairwise_similarity(tactful, browsing) < _pairwise_similarity(tactful, purchase)


def test_gift_mode_sets_the_shoppers_own_taste_aside(tactful: Tactful, demo_shopper: str) -> None:
    tactful.remember(demo_shopper, "likes glass jars", subject="glass jar")
    own = tactful.recommend(demo_shopper, k=10, mode="browsing")
    gift = tactful.recommend(demo_shopper, k=10, mode="gift", query="toy for a child")

    for suggestion in gift:
        names = {f.name for f in suggestion.factors}
        assert not names & {FactorName.TASTE, FactorName.COMMUNITY}
        stated = suggestion.factor(FactorName.STATED)
        assert stated is None or stated.contribution < 0  # only avoidances still hold
    assert not {s.item.item_id for s in gift} & {s.item.item_id for s in own}


def test_chat_says_which_mode_it_assumed_and_the_shopper_can_switch(
    tactful: Tactful, demo_shopper: str
) -> None:
    gift = tactful.chat(demo_shopper, "a gift for my sister under £5")
    assert gift.mode is ShopperMode.GIFT
    assert "sister" in gift.text and "gift" in gift.mode_reason
    assert gift.suggestions and all(
        s.item.price is not None and s.item.price <= 5 for s in gift.suggestions
    )

    browsing = tactful.chat(demo_shopper, "I'm just browsing", conversation_id=gift.conversation_id)
    assert browsing.mode is ShopperMode.BROWSING
    later = tactful.chat(demo_shopper, "show me mugs", conversation_id=gift.conversation_id)
    assert later.mode is ShopperMode.BROWSING, "a chosen mode sticks"


def test_a_cart_in_this_session_means_purchase_mode(
    tactful: Tactful, demo_shopper: str, clock: FixedClock
) -> None:
    item = tactful.profile(demo_shopper).taste[0]
    (event,) = [e for e in tactful.profiles.events(demo_shopper) if e.event_id == item.ref]
    tactful.record_events(
        [
            BehaviourEvent(
                event_id="cart-now",
                shopper_id=demo_shopper,
                item_id=event.item_id,
                kind=EventKind.CART,
                at=clock.now() - timedelta(minutes=5),
            )
        ],
        clarify=False,
    )
    reply = tactful.chat(demo_shopper, "show me something")
    assert reply.mode is ShopperMode.PURCHASE


def test_an_unknown_mode_is_a_clear_error(tactful: Tactful, demo_shopper: str) -> None:
    with pytest.raises(InvalidInput, match="browsing, research, purchase, gift"):
        tactful.recommend(demo_shopper, mode="frantic")
    with pytest.raises(InvalidInput):
        tactful.chat(demo_shopper, "hello", mode="frantic")
