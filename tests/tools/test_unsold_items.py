"""Items no one has bought yet: judged by text alone when a shop turns them on, and never
more than their share of a list."""

from __future__ import annotations

from datetime import timedelta

from tests.tools.small_shop import COLOURS, NOW, SmallShop
from tools.interactions import InteractionIndex
from tools.ranker import HybridRanker, RankInput, RankWeights
from tools.signals import EventColumns
from tools.types import BehaviourEvent, EventKind, FactorName, ShopperMode

#: Everyone buys mugs and cushions; no one has bought a candle yet.
SOLD = [f"mug-{c}" for c in COLOURS] + [f"cushion-{c}" for c in COLOURS]


def _shop() -> tuple[SmallShop, HybridRanker]:
    shop = SmallShop()
    events = [
        BehaviourEvent(
            event_id=f"e{s}-{n}",
            shopper_id=f"other{s}",
            item_id=SOLD[(s + n) % len(SOLD)],
            kind=EventKind.PURCHASE,
            at=NOW - timedelta(days=n + 1),
        )
        for s in range(len(SOLD))
        for n in range(5)
    ]
    index = InteractionIndex.build(
        EventColumns.of(events), shop.catalog, now=NOW, policy=shop.policy
    )
    return shop, HybridRanker(shop.catalog, index, shop.policy)


def _candle_lover(shop: SmallShop) -> RankInput:
    # The shopper bought mugs before, then looked at candles a lot: text says candles.
    events = [shop.event("mug-red", EventKind.PURCHASE, days_ago=30)]
    events += [shop.event(f"candle-{c}", EventKind.VIEW, n=i) for i, c in enumerate(COLOURS[:3])]
    return RankInput(mode=ShopperMode.BROWSING, k=10, taste=shop.taste(events), shopper_id="s1")


def test_only_items_no_one_engaged_with_count_as_unsold() -> None:
    shop, ranker = _shop()

    unsold = {shop.items[r].item_id for r in ranker.interactions.unsold.nonzero()[0]}

    assert unsold and not unsold & set(SOLD)
    assert "candle-ivory" in unsold
    assert not InteractionIndex.empty(len(shop.catalog), NOW).unsold.any()


def test_by_default_unsold_items_rank_like_any_other() -> None:
    shop, ranker = _shop()
    weights = RankWeights(taste=1.0, taste_content_share=0.3, community=1.0, popularity=0.5)
    assert weights.unsold_share == 0

    request = _candle_lover(shop)
    plain = ranker.score_all(request, weights, NOW).parts[FactorName.TASTE]
    turned_on = weights.model_copy(update={"unsold_share": 0.2})
    text_only = ranker.score_all(request, turned_on, NOW).parts[FactorName.TASTE]

    candle = shop.row("candle-ivory")
    mug = shop.row("mug-blue")
    assert text_only[candle] > plain[candle] > 0  # judged by text alone when turned on
    assert text_only[mug] == plain[mug]  # sold items are scored as before


def test_unsold_items_never_fill_more_than_their_share_of_a_list() -> None:
    shop, ranker = _shop()
    weights = RankWeights(
        taste=10.0, taste_content_share=0.3, community=0.1, popularity=0.0, unsold_share=0.2
    )

    suggestions = ranker.rank(_candle_lover(shop), NOW)
    ranker.weights = {ShopperMode.BROWSING: weights}
    capped = ranker.rank(_candle_lover(shop), NOW)

    unsold = ranker.interactions.unsold
    shown = [shop.row(s.item.item_id) for s in capped]
    assert sum(bool(unsold[r]) for r in shown) == 2  # the best two, no more
    assert len(capped) == 10
    for suggestion in capped:
        if unsold[shop.row(suggestion.item.item_id)]:
            # Shown for being like what the shopper looked at: those events are its evidence.
            taste = [f for f in suggestion.factors if f.name is FactorName.TASTE]
            assert taste and taste[0].evidence
    assert len(suggestions) == 10  # the defaults rank a whole list too
