"""A request says what is wanted: items that match it well lead the list, however
strongly the shopper's history speaks for other things."""

from __future__ import annotations

import numpy as np

from tests.tools.small_shop import COLOURS, NOW, SmallShop, item
from tools.catalog_index import CatalogIndex
from tools.ranker import HybridRanker, RankInput, RankWeights
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


def test_items_named_by_the_request_lead_those_only_close_in_meaning() -> None:
    # A text model puts string lights by "candles", closer than most candles are; a
    # shopper who re-orders the lights still asked for candles.
    shop = SmallShop(
        [
            item("lights", "chilli string lights"),
            item("earrings", "chandelier drop earrings"),
            *(item(f"candle-{c}", f"{c} dinner candles") for c in COLOURS[:4]),
            item("holder", "glass candle holder"),
            item("towel", "tea towel"),
        ]
    )
    query = _at(1.0, 0)
    closeness = {"lights": 0.7, "earrings": 0.55, "holder": 0.45, "towel": 0.1}
    vectors = np.array(
        [_at(closeness.get(i.item_id, 0.6), n) for n, i in enumerate(shop.items)],
        dtype=np.float32,
    )
    shop.catalog = CatalogIndex(shop.items, vectors)
    shop.ranker = HybridRanker(shop.catalog, shop.ranker.interactions, shop.policy)
    lights = [
        shop.event("lights", EventKind.PURCHASE, days_ago=days, n=n)
        for n, days in enumerate((150, 100, 50))
    ]

    suggestions = shop.ranker.rank(
        RankInput(
            k=7,
            taste=shop.taste(lights),
            query="candles",
            query_vector=query,
            query_words=["candles"],
            weights=RankWeights(request=1.5, buy_again=6.0),
        ),
        NOW,
    )

    ids = [s.item.item_id for s in suggestions]
    assert set(ids[:5]) == {"candle-red", "candle-blue", "candle-green", "candle-pink", "holder"}
    assert ids[5:] == ["lights", "earrings"]  # close in meaning: after every candle


def _at(cosine: float, n: int) -> np.ndarray:
    """A unit vector at ``cosine`` to the first axis, otherwise apart from the others."""
    vector = np.zeros(16)
    vector[0] = cosine
    vector[1 + n] = np.sqrt(1 - cosine * cosine)
    return vector
