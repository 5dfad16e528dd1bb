"""The diversity step spreads a list out, but never with items nothing recommends."""

from __future__ import annotations

from tests.tools.small_shop import NOW, SmallShop
from tools.ranker import RankInput, RankWeights
from tools.types import EventKind, ShopperMode

#: Taste by text alone (the small shop has no co-purchases), spread out hard.
SPREAD_OUT = RankWeights(
    taste=1.0, taste_content_share=1.0, community=0.0, popularity=0.0, diversity=0.9
)


def mug_buyer(shop: SmallShop, k: int) -> RankInput:
    events = [shop.event("mug-owl", EventKind.PURCHASE, days_ago=30)]
    return RankInput(mode=ShopperMode.BROWSING, k=k, taste=shop.taste(events), weights=SPREAD_OUT)


def test_a_spread_out_list_still_gives_every_item_a_reason_while_any_has_one() -> None:
    shop = SmallShop()
    request = mug_buyer(shop, k=10)
    weights = SPREAD_OUT
    supported = int((shop.ranker.score_all(request, weights, NOW).total() >= 1e-3).sum())
    assert supported >= 10, "the shop has enough mugs like the owl mug to fill a list"

    suggestions = shop.ranker.rank(request, NOW)

    assert len(suggestions) == 10
    assert all(s.factors for s in suggestions), [s.item.title for s in suggestions]


def test_when_too_few_items_have_a_reason_the_list_is_filled_with_the_rest() -> None:
    shop = SmallShop()
    request = mug_buyer(shop, k=len(shop.catalog) - 1)

    suggestions = shop.ranker.rank(request, NOW)

    assert len(suggestions) == len(shop.catalog) - 1
    with_reason = [bool(s.factors) for s in suggestions]
    assert with_reason == sorted(with_reason, reverse=True), "supported items come first"
