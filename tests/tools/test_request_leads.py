"""A request says what is wanted: items that match it well lead the list, however
strongly the shopper's history speaks for other things."""

from __future__ import annotations

import numpy as np

from tests.tools.small_shop import COLOURS, NOW, SmallShop, item
from tools.catalog_index import CatalogIndex
from tools.ranker import HybridRanker, RankInput, RankWeights
from tools.types import CatalogItem, EventKind, ShopperMode


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


def test_a_title_that_only_holds_the_word_does_not_lead_on_it() -> None:
    # "Covent Garden" names no garden thing; a watering can is one, without the word.
    closeness = {
        item("trowel", "garden trowel"): 0.6,
        item("fork", "garden fork"): 0.55,
        item("can", "watering can"): 0.55,
        item("print", "covent garden print"): 0.25,
        item("towel", "tea towel"): 0.1,
    }
    # A shopper who re-orders the print: with the word alone it would come first.
    ids = _search_as_a_reorderer(closeness, ["print"], "garden", k=4)

    assert set(ids[:3]) == {"trowel", "fork", "can"}
    assert ids[3] == "print"


def test_at_least_half_a_search_is_what_it_names_however_the_history_leans() -> None:
    # A text model puts string lights by "candles", and this shopper re-orders lights.
    lights = {item(f"lights-{c}", f"{c} string lights"): 0.7 for c in COLOURS[:4]}
    candles = {item(f"candle-{c}", f"{c} dinner candles"): 0.6 for c in COLOURS[:6]}
    ids = _search_as_a_reorderer(lights | candles, [i.item_id for i in lights], "candles", k=6)

    assert all(i.startswith("candle") for i in ids[:3]), ids
    assert {i for i in ids if i.startswith("lights")}, ids  # the history still has its say


def _search_as_a_reorderer(
    closeness: dict[CatalogItem, float], reordered: list[str], word: str, k: int
) -> list[str]:
    """Search for ``word`` in a shop whose items are as close to it in meaning as
    ``closeness`` says, as a shopper who bought each ``reordered`` item three times."""
    shop = SmallShop(list(closeness))
    vectors = [_at(cosine, n) for n, cosine in enumerate(closeness.values())]
    shop.catalog = CatalogIndex(shop.items, np.array(vectors, dtype=np.float32))
    shop.ranker = HybridRanker(shop.catalog, shop.ranker.interactions, shop.policy)
    orders = [
        shop.event(item_id, EventKind.PURCHASE, days_ago=days, n=n)
        for item_id in reordered
        for n, days in enumerate((150, 100, 50))
    ]
    suggestions = shop.ranker.rank(
        RankInput(
            k=k,
            taste=shop.taste(orders),
            query=word,
            query_vector=_at(1.0, len(shop.items)),
            query_words=[word],
            weights=RankWeights(request=1.5, buy_again=6.0),
        ),
        NOW,
    )
    return [s.item.item_id for s in suggestions]


def _at(cosine: float, n: int) -> np.ndarray:
    """A unit vector at ``cosine`` to the first axis, otherwise apart from the others."""
    vector = np.zeros(16)
    vector[0] = cosine
    vector[1 + n] = np.sqrt(1 - cosine * cosine)
    return vector
