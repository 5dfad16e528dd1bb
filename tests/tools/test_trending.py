"""Rising sales: items selling faster lately than over the months before, with true counts."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.tools.small_shop import NOW, SmallShop
from tools.explain import reason_for
from tools.interactions import InteractionIndex
from tools.ranker import TRENDING_TIE_SHARE, RankInput, RankWeights
from tools.signals import EventColumns
from tools.trending import BASE_DAYS, RECENT_DAYS, RISING_REF, STEADY_REF, SalesPace
from tools.types import BehaviourEvent, EventKind, FactorName, ShopperMode

WEIGHTS = RankWeights(taste=0.0, community=0.0, popularity=0.0, owned=0.0, trending=5.0)


def orders(item: str, days_ago: list[float], kind: EventKind = EventKind.PURCHASE) -> list:
    return [
        BehaviourEvent(
            event_id=f"{item}-{kind.value}-{n}",
            shopper_id=f"buyer-{item}-{n}",
            item_id=item,
            kind=kind,
            at=NOW - timedelta(days=days),
        )
        for n, days in enumerate(days_ago)
    ]


def shop_with(events: list[BehaviourEvent]) -> SmallShop:
    shop = SmallShop()
    shop.ranker.interactions = InteractionIndex.build(
        EventColumns.of(events), shop.catalog, now=NOW, policy=shop.policy
    )
    return shop


def history() -> list[BehaviourEvent]:
    """The red candle picks up (6 orders this fortnight, 2 before); the blue one sells
    steadily all along; the owl mug sold well months ago; the fox mug was viewed a lot."""
    return [
        *orders("candle-red", [1, 2, 3, 5, 8, 12, 40, 70]),
        *orders("candle-blue", [1, 20, 25, 30, 40, 50, 60, 70, 80, 85]),
        *orders("mug-owl", [100, 110, 120, 130, 140, 150]),
        *orders("mug-fox", [1, 1, 2, 2, 3, 3, 4], EventKind.VIEW),
    ]


def test_counts_are_the_orders_in_each_window() -> None:
    shop = shop_with(history())
    pace = shop.ranker.interactions.pace
    red, blue, owl, fox = (shop.row(i) for i in ("candle-red", "candle-blue", "mug-owl", "mug-fox"))
    assert (pace.recent[red], pace.base[red]) == (6, 8)
    assert (pace.recent[blue], pace.base[blue]) == (1, 10)
    assert (pace.recent[owl], pace.base[owl]) == (0, 0)
    assert (pace.recent[fox], pace.base[fox]) == (0, 0)  # views are not orders


def test_only_what_sells_faster_lately_scores_and_the_fastest_scores_one() -> None:
    shop = shop_with(history())
    rising = shop.ranker.interactions.rising
    assert rising[shop.row("candle-red")] == 1.0
    # One order this fortnight out of ten in three months is slower than before.
    assert rising[shop.row("candle-blue")] == 0.0
    assert rising[shop.row("mug-owl")] == 0.0
    assert np.count_nonzero(rising) == 1


def test_more_recent_orders_at_the_same_speed_up_score_higher() -> None:
    pace = SalesPace(np.array([3, 30], dtype=np.int32), np.array([3, 30], dtype=np.int32))
    low, high = pace.scores()
    assert 0 < low < high == 1.0


def test_the_factor_lifts_the_rising_item_and_its_reason_gives_the_counts() -> None:
    shop = shop_with(history())
    request = RankInput(mode=ShopperMode.BROWSING, taste=shop.taste([]), weights=WEIGHTS, k=3)
    top = shop.ranker.rank(request, NOW)[0]
    assert top.item.item_id == "candle-red"
    factor = top.factor(FactorName.TRENDING)
    assert factor is not None and factor.evidence[0].ref == RISING_REF
    expected = f"6 of its 8 orders in the last {BASE_DAYS} days came in the last {RECENT_DAYS}"
    assert reason_for(top, {}) == f"Because it's selling faster lately: {expected}."


def test_too_few_recent_orders_are_never_called_a_trend() -> None:
    shop = shop_with(orders("candle-red", [1, 2]))  # 2 orders, both this fortnight
    request = RankInput(mode=ShopperMode.BROWSING, taste=shop.taste([]), weights=WEIGHTS, k=3)
    top = shop.ranker.rank(request, NOW)[0]
    factor = top.factor(FactorName.TRENDING)
    assert factor is not None and factor.evidence[0].ref == STEADY_REF
    assert "faster" not in reason_for(top, {})


def test_off_by_default_weights_and_in_gift_lists() -> None:
    shop = shop_with(history())
    for mode in (ShopperMode.GIFT, ShopperMode.RESEARCH):
        request = RankInput(mode=mode, taste=shop.taste([]), k=5)
        assert all(s.factor(FactorName.TRENDING) is None for s in shop.ranker.rank(request, NOW))
    assert RankWeights().trending == 0.0


def test_labels_read_as_plain_counts() -> None:
    pace = SalesPace(np.array([1, 4, 2], dtype=np.int32), np.array([1, 4, 9], dtype=np.int32))
    assert pace.label(0) == "its only order in the last 90 days came in the last 14"
    assert pace.label(1) == "all 4 of its orders in the last 90 days came in the last 14"
    assert pace.label(2) == "2 of its 9 orders in the last 90 days came in the last 14"


def test_in_a_search_rising_sales_only_break_ties() -> None:
    shop = shop_with(history())
    weights = RankWeights(taste=0.0, community=0.0, popularity=0.2, owned=0.0, trending=5.0)
    request = RankInput(
        mode=ShopperMode.BROWSING,
        taste=shop.taste([]),
        weights=weights,
        k=3,
        query="candle",
        query_words=["candle"],
        query_vector=shop.query("candle"),
    )
    scores = shop.ranker.score_all(request, weights, NOW)
    trending = scores.parts[FactorName.TRENDING]
    assert trending[shop.row("candle-red")] == pytest.approx(TRENDING_TIE_SHARE * 0.2)
    assert scores.parts[FactorName.REQUEST].max() > trending.max()


def test_a_list_not_made_for_the_shopper_is_what_sells_most() -> None:
    shop = shop_with(history())
    weights = RankWeights(taste=0.0, community=0.0, popularity=0.2, owned=0.0, trending=5.0)
    request = RankInput(
        mode=ShopperMode.BROWSING, taste=shop.taste([]), weights=weights, personalized=False
    )
    trending = shop.ranker.score_all(request, weights, NOW).parts[FactorName.TRENDING]
    assert trending.max() == pytest.approx(TRENDING_TIE_SHARE * 0.2)
