"""What shoppers chose next: transitions from order sequences, a factor with exact evidence."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.tools.small_shop import NOW, SmallShop
from tools.explain import reason_for
from tools.interactions import InteractionIndex
from tools.ranker import NEXT_COUNT_REF, RankInput, RankWeights
from tools.sequence import KEPT_PER_ITEM, NextChoices
from tools.signals import EventColumns
from tools.taste import Standing, taste_signal
from tools.types import BehaviourEvent, EventKind, FactorName, ShopperMode, Suggestion

WEIGHTS = RankWeights(taste=0.0, community=0.0, popularity=0.0, owned=0.0, bought_next=10.0)


def bought(shopper: str, item: str, days_ago: float, n: int = 0) -> BehaviourEvent:
    return BehaviourEvent(
        event_id=f"{shopper}-{item}-{days_ago}-{n}",
        shopper_id=shopper,
        item_id=item,
        kind=EventKind.PURCHASE,
        at=NOW - timedelta(days=days_ago),
    )


def choices(shop: SmallShop, events: list[BehaviourEvent]) -> NextChoices:
    columns = EventColumns.of(events)
    rows = np.array([shop.row(i) for i in columns.item_ids])
    return NextChoices.from_orders(
        columns.shopper_ids, rows, columns.at.astype(np.int64), len(shop.catalog)
    )


def count(shop: SmallShop, found: NextChoices, before: str, after: str) -> float:
    return float(found.into(shop.row(after), np.array([shop.row(before)]))[0])


def test_a_later_order_of_the_same_shopper_is_what_came_next() -> None:
    shop = SmallShop()
    found = choices(
        shop,
        [
            bought("a", "candle-red", 20),
            bought("a", "mug-owl", 20),  # same order: not "next"
            bought("a", "cushion-red", 15),
            bought("b", "candle-red", 10),
            bought("b", "cushion-red", 9),
            bought("c", "cushion-red", 5),  # another shopper: not linked to b's candle
        ],
    )
    assert count(shop, found, "candle-red", "cushion-red") == 2
    assert count(shop, found, "mug-owl", "cushion-red") == 1
    assert count(shop, found, "candle-red", "mug-owl") == 0
    assert count(shop, found, "cushion-red", "candle-red") == 0  # order matters


def test_only_the_next_few_orders_within_a_month_count() -> None:
    shop = SmallShop()
    steps = [bought("a", f"candle-{c}", 100 - 2 * i) for i, c in enumerate(("red", "blue"))]
    steps += [bought("a", f"mug-{c}", 90 - i) for i, c in enumerate(("red", "blue", "green"))]
    steps += [bought("a", "cushion-red", 20)]  # 50 days after the last mug
    found = choices(shop, steps)
    assert count(shop, found, "candle-red", "mug-red") == 1  # two orders later
    assert count(shop, found, "candle-red", "mug-green") == 0  # four orders later
    assert count(shop, found, "mug-green", "cushion-red") == 0  # too long after


def test_each_item_keeps_only_its_most_frequent_successors_with_true_shares() -> None:
    shop = SmallShop()
    ids = [i.item_id for i in shop.items if i.item_id != "candle-red"]
    events = []
    for s, after in enumerate(ids * 3):
        events += [bought(f"s{s}", "candle-red", 10), bought(f"s{s}", after, 9)]
    events += [bought("x", "candle-red", 10), bought("x", "mug-owl", 9)]
    found = choices(shop, events)
    row = shop.row("candle-red")
    assert found.counts[row].nnz == min(len(ids), KEPT_PER_ITEM)
    # Shares are over everything that came next, kept or not.
    assert found.totals[row] == 3 * len(ids) + 1
    assert found.shares[row, shop.row("mug-owl")] == pytest.approx(4 / (3 * len(ids) + 1))


def shop_with_history() -> tuple[SmallShop, list[BehaviourEvent]]:
    """Shoppers who bought the red candle went on to the owl mug (3) or the fox mug (1)."""
    shop = SmallShop()
    history = []
    for s in range(3):
        history += [bought(f"o{s}", "candle-red", 30 + s), bought(f"o{s}", "mug-owl", 25 + s)]
    history += [bought("f", "candle-red", 40), bought("f", "mug-fox", 38)]
    shop.ranker.interactions = InteractionIndex.build(
        EventColumns.of(history), shop.catalog, now=NOW, policy=shop.policy
    )
    return shop, history


def rank(
    shop: SmallShop, events: list[BehaviourEvent], mode: ShopperMode = ShopperMode.BROWSING
) -> list[Suggestion]:
    request = RankInput(mode=mode, taste=shop.taste(events), weights=WEIGHTS, k=5)
    return shop.ranker.rank(request, NOW)


def test_what_others_chose_next_follows_a_purchase_just_made() -> None:
    shop, _ = shop_with_history()
    just_now = [bought("me", "candle-red", 1 / 24 / 6)]
    top = rank(shop, just_now)
    assert [s.item.item_id for s in top[:2]] == ["mug-owl", "mug-fox"]
    factor = top[0].factor(FactorName.BOUGHT_NEXT)
    assert factor is not None
    statistic = next(e for e in factor.evidence if e.ref.startswith(NEXT_COUNT_REF))
    assert statistic.ref == f"{NEXT_COUNT_REF}candle-red" and statistic.label == "3"
    cited = [e for e in factor.evidence if e.ref == just_now[0].event_id]
    # The factor is exactly the cited term: weight × how much is left × 3 of 4.
    assert sum(e.weight for e in cited) == pytest.approx(factor.contribution, rel=1e-4)
    reason = reason_for(top[0], {e.event_id: e for e in just_now})
    assert reason == (
        "Because you bought red scented pillar candle lately, and this has followed it in "
        "shoppers' orders 3 times."
    )


def test_it_fades_within_hours_and_never_speaks_for_a_gift_or_a_held_purchase() -> None:
    shop, _ = shop_with_history()
    assert all(
        s.factor(FactorName.BOUGHT_NEXT) is None
        for s in rank(shop, [bought("me", "candle-red", 2)])
    )
    fresh = [bought("me", "candle-red", 0.001)]
    gift = rank(shop, fresh, mode=ShopperMode.GIFT)
    assert all(s.factor(FactorName.BOUGHT_NEXT) is None for s in gift)
    held = taste_signal(
        fresh,
        shop.catalog,
        now=NOW,
        policy=shop.policy,
        standings={fresh[0].event_id: Standing.HELD},
    )
    request = RankInput(mode=ShopperMode.BROWSING, taste=held, weights=WEIGHTS, k=5)
    assert all(s.factor(FactorName.BOUGHT_NEXT) is None for s in shop.ranker.rank(request, NOW))


def test_taking_the_cited_purchase_away_takes_the_factor_away() -> None:
    shop, _ = shop_with_history()
    events = [bought("me", "candle-red", 0.01), bought("me", "cushion-blue", 0.02)]
    top = rank(shop, events)[0]
    factor = top.factor(FactorName.BOUGHT_NEXT)
    assert factor is not None
    refs = {e.ref for e in factor.evidence}
    taste = shop.taste([e for e in events if e.event_id not in refs])
    request = RankInput(mode=ShopperMode.BROWSING, taste=taste, weights=WEIGHTS)
    after = shop.ranker.score_all(request, WEIGHTS, NOW)
    row = shop.row(top.item.item_id)
    assert (
        FactorName.BOUGHT_NEXT not in after.parts or after.parts[FactorName.BOUGHT_NEXT][row] == 0
    )
    assert after.total()[row] < top.score


def test_a_rating_is_worded_as_a_rating() -> None:
    shop, _ = shop_with_history()
    rated = [
        bought("me", "candle-red", 0.001).model_copy(
            update={"kind": EventKind.RATING, "rating": 5.0}
        )
    ]
    top = rank(shop, rated)[0]
    assert "you rated red scented pillar candle lately" in reason_for(
        top, {e.event_id: e for e in rated}
    )
