"""A request says what is wanted: items that match it well lead the list, however
strongly the shopper's history speaks for other things."""

from __future__ import annotations

from tests.tools.small_shop import COLOURS, NOW, SmallShop, item
from tools.ranker import RankInput, RankWeights
from tools.types import EventKind, ShopperMode


def test_asking_for_mugs_lists_mugs_before_the_candles_a_candle_lover_usually_gets() -> None:
    shop = SmallShop()
    candles = [shop.event(f"candle-{c}", EventKind.PURCHASE, n=i) for i, c in enumerate(COLOURS)]
    weights = RankWeights(taste=10.0, taste_content_share=1.0, request=1.5, diversity=0.4)

    suggestions = shop.ranker.rank(
        RankInput(
            mode=ShopperMode.BROWSING,
            k=12,
            taste=shop.taste(candles),
            query="mugs",
            query_vector=shop.query("mugs"),
            query_words=["mug"],
            weights=weights,
        ),
        NOW,
    )

    titles = [s.item.title for s in suggestions]
    assert all("mug" in t for t in titles[:12]), titles


def test_with_few_good_matches_the_list_goes_on_with_the_weaker_ones() -> None:
    shop = SmallShop(
        [
            item("brass-owl-lamp", "antique brass owl lamp"),
            item("owl-lamp", "owl lamp"),
            item("desk-lamp", "desk lamp"),
            item("barn-lamp", "barn lamp"),
            item("candle", "pillar candle"),
        ]
    )
    # A shopper who buys desk lamps: their taste alone would put it first.
    desk = [shop.event("desk-lamp", EventKind.PURCHASE, n=n) for n in range(3)]

    suggestions = shop.ranker.rank(
        RankInput(
            k=4,
            taste=shop.taste(desk),
            query="antique brass owl lamp",
            query_vector=shop.query("antique brass owl lamp"),
            query_words=["antique", "brass", "owl", "lamp"],
            weights=RankWeights(taste=10.0, taste_content_share=1.0, request=1.5, owned=0.0),
        ),
        NOW,
    )

    ids = [s.item.item_id for s in suggestions]
    assert set(ids[:2]) == {"brass-owl-lamp", "owl-lamp"}  # half the words or more
    assert set(ids[2:]) == {"desk-lamp", "barn-lamp"}  # one word: after them
