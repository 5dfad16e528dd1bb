"""A purchase held for a question counts low, and gets no short-term boost: what the
shopper wants right now is the very thing the question leaves open."""

from __future__ import annotations

from tests.tools.small_shop import COLOURS, NOW, SmallShop
from tests.tools.test_neighbour_recency import _columns, _purchase
from tools.interactions import InteractionIndex
from tools.ranker import HybridRanker, RankInput, RankWeights
from tools.signals import event_weight
from tools.taste import Standing, taste_signal
from tools.types import EventKind, ShopperMode


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


def test_a_held_purchase_never_steers_a_search_or_a_category_page() -> None:
    shop = SmallShop()
    # The shopper bought candles; one shopper bought the same candles and, two months ago,
    # a blue cushion; an other a gold and a red cushion lately. The gold cushion the
    # shopper just bought is held.
    events = [_purchase(who, f"candle-{c}", 30) for who in ("me", "alike") for c in COLOURS[:3]]
    events += [_purchase("alike", "cushion-blue", 60)]
    events += [_purchase("golds", f"cushion-{c}", 10) for c in ("gold", "red")]
    gold = _purchase("me", "cushion-gold", 0.05)
    index = InteractionIndex.build(_columns(events), shop.catalog, now=NOW, policy=shop.policy)
    weights = RankWeights(taste=0.0, community=1.0, popularity=0.0, request=1.5, diversity=0.0)
    ranker = HybridRanker(shop.catalog, index, shop.policy, {ShopperMode.BROWSING: weights})
    mine = [e for e in events if e.shopper_id == "me"]

    def first(standing: Standing | None, **request: object) -> str:
        taste = taste_signal(
            [*mine, gold],
            shop.catalog,
            now=NOW,
            policy=shop.policy,
            standings={gold.event_id: standing} if standing else {},
        )
        asked = RankInput(k=3, taste=taste, shopper_id="me", **request)  # type: ignore[arg-type]
        return ranker.rank(asked, NOW)[0].item.item_id

    for search in (
        {"query": "cushion", "query_vector": shop.query("cushion"), "query_words": ["cushion"]},
        {"category": "home"},
    ):
        # Counted as the shopper's own, the gold cushion makes its buyer a similar
        # shopper...
        assert first(None, **search) == "cushion-red"
        # ...held for a question, it does not: the candle buyer's cushion comes first.
        assert first(Standing.HELD, **search) == "cushion-blue"
    # Suggestions nobody asked for still count it, held low.
    assert first(Standing.HELD) == "cushion-red"
