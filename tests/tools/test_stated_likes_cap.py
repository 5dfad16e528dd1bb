"""A stated like shapes a browsing list without taking it over."""

from __future__ import annotations

import math

from tests.tools.small_shop import NOW, SmallShop
from tools.buy_again import BuyAgainPolicy
from tools.explain import cited_factors, reason_for
from tools.ranker import MODE_WEIGHTS, RankInput
from tools.types import BehaviourEvent, EventKind, FactorName, ShopperMode, Suggestion


def candles(suggestions: list[Suggestion]) -> list[Suggestion]:
    return [s for s in suggestions if "candle" in s.item.title]


#: Only items bought twice come back as re-orders, so the once-bought mug and cushion
#: stay out of the way: these tests are about the stated like's cap alone (buy-again's
#: cap, and both caps together, are tested in test_buy_again.py).
REPEATS_ONLY = BuyAgainPolicy(min_orders=2)


def browsing_input(shop: SmallShop, k: int = 10, **fields: object) -> RankInput:
    """A shopper who bought a mug and a cushion and said today "I like candles now"."""
    events = [
        shop.event("mug-owl", EventKind.PURCHASE, days_ago=60),
        shop.event("cushion-red", EventKind.PURCHASE, days_ago=90),
    ]
    return RankInput(
        mode=ShopperMode.BROWSING,
        k=k,
        taste=shop.taste(events),
        facts=[shop.like("candles")],
        **fields,  # type: ignore[arg-type]
    )


def test_without_the_cap_one_stated_like_would_fill_the_whole_browsing_list() -> None:
    shop = SmallShop(buy_again=REPEATS_ONLY)
    uncapped = MODE_WEIGHTS[ShopperMode.BROWSING].model_copy(update={"stated_share": 1.0})

    suggestions = shop.ranker.rank(browsing_input(shop, weights=uncapped), NOW)

    assert len(candles(suggestions)) == 10


def test_one_stated_like_fills_at_most_half_of_a_browsing_list() -> None:
    shop = SmallShop(buy_again=REPEATS_ONLY)

    for k in (4, 7, 10):
        suggestions = shop.ranker.rank(browsing_input(shop, k=k), NOW)
        assert len(suggestions) == k
        assert 1 <= len(candles(suggestions)) <= math.ceil(k / 2), k


def test_the_capped_list_keeps_the_best_candles_and_fills_the_rest_from_other_signals() -> None:
    shop = SmallShop(buy_again=REPEATS_ONLY)

    suggestions = shop.ranker.rank(browsing_input(shop), NOW)

    others = [s for s in suggestions if "candle" not in s.item.title]
    assert candles(suggestions)[0] is suggestions[0], "the like still leads"
    assert others and all(s.factor(FactorName.STATED) is None for s in others)
    assert all(s.factor(FactorName.TASTE) for s in others)


def test_each_reason_in_a_capped_list_is_still_true() -> None:
    shop = SmallShop(buy_again=REPEATS_ONLY)
    request = browsing_input(shop)

    for suggestion in shop.ranker.rank(request, NOW):
        reason = reason_for(suggestion, {e.event_id: e for e, _ in _events(request)})
        cited = {f.name for f in cited_factors(suggestion)}
        assert ("likes candles" in reason) == (FactorName.STATED in cited)
        if "candle" in suggestion.item.title:
            assert FactorName.STATED in cited


def _events(request: RankInput) -> list[tuple[BehaviourEvent, float]]:
    return [ew for events in request.taste.event_weights.values() for ew in events]


def test_in_purchase_mode_a_stated_like_may_lead_the_whole_list() -> None:
    shop = SmallShop(buy_again=REPEATS_ONLY)
    new_shopper = {"facts": [shop.like("candles")]}

    buying = shop.ranker.rank(RankInput(mode=ShopperMode.PURCHASE, **new_shopper), NOW)
    browsing = shop.ranker.rank(RankInput(mode=ShopperMode.BROWSING, **new_shopper), NOW)

    assert len(candles(buying)) == 10
    assert len(candles(browsing)) == 5
    assert len(browsing) == 10


def test_purchase_mode_ranks_as_if_there_were_no_cap() -> None:
    shop = SmallShop(buy_again=REPEATS_ONLY)
    request = browsing_input(shop)
    request.mode = ShopperMode.PURCHASE
    uncapped = MODE_WEIGHTS[ShopperMode.PURCHASE].model_copy(update={"stated_share": 1.0})

    assert MODE_WEIGHTS[ShopperMode.PURCHASE].stated_share == 1.0
    capped = [s.item.item_id for s in shop.ranker.rank(request, NOW)]
    request.weights = uncapped
    assert capped == [s.item.item_id for s in shop.ranker.rank(request, NOW)]


def test_with_an_explicit_query_the_cap_changes_nothing() -> None:
    shop = SmallShop(buy_again=REPEATS_ONLY)
    query = {"query": "candle", "query_vector": shop.query("candle"), "query_words": ["candle"]}
    uncapped = MODE_WEIGHTS[ShopperMode.BROWSING].model_copy(update={"stated_share": 1.0})

    capped = shop.ranker.rank(browsing_input(shop, **query), NOW)
    free = shop.ranker.rank(browsing_input(shop, weights=uncapped, **query), NOW)

    assert [s.item.item_id for s in capped] == [s.item.item_id for s in free]
    assert len(candles(capped)) == 10


def test_when_only_liked_items_are_left_the_list_is_still_full() -> None:
    shop = SmallShop(buy_again=REPEATS_ONLY)
    only = frozenset(r for r, it in enumerate(shop.items) if "candle" in it.title)

    suggestions = shop.ranker.rank(browsing_input(shop, k=6, only_rows=only), NOW)

    assert len(candles(suggestions)) == 6


def test_two_stated_likes_are_each_capped_on_their_own() -> None:
    shop = SmallShop(buy_again=REPEATS_ONLY)
    request = browsing_input(shop)
    request.facts.append(shop.like("cushions"))

    suggestions = shop.ranker.rank(request, NOW)

    cushions = [s for s in suggestions if "cushion" in s.item.title]
    assert 1 <= len(candles(suggestions)) <= 5
    assert 1 <= len(cushions) <= 5
