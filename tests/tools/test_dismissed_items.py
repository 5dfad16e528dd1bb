"""'Not for me': an item the shopper turned down lately is not suggested to them again,
however well it fits; later the dismissal only weighs against it, and a search still
finds it."""

from __future__ import annotations

from tests.tools.small_shop import COLOURS, NOW, SmallShop
from tools.ranker import RankInput
from tools.types import EventKind, FactorName

#: Everything, so that an item left out of the list is left out, not outranked.
EVERY_ITEM = 100


def candle_lover(shop: SmallShop, dismissed_days_ago: float) -> RankInput:
    """Someone who buys candle after candle, and turned one candle down."""
    bought = [shop.event(f"candle-{c}", EventKind.PURCHASE, n=i) for i, c in enumerate(COLOURS)]
    dismissed = shop.event("candle-jar", EventKind.DISMISS, days_ago=dismissed_days_ago)
    return RankInput(k=EVERY_ITEM, taste=shop.taste([*bought, dismissed]))


def test_an_item_turned_down_lately_is_never_suggested_however_well_it_fits() -> None:
    shop = SmallShop()

    for days in (0.1, 30, 89):
        ranked = shop.ranker.rank(candle_lover(shop, days), NOW)
        assert "candle-jar" not in [s.item.item_id for s in ranked], days
        assert ranked  # the other candles are still there


def test_a_dismissal_long_ago_only_weighs_against_the_item() -> None:
    shop = SmallShop()

    ranked = shop.ranker.rank(candle_lover(shop, 200), NOW)

    [jar] = [s for s in ranked if s.item.item_id == "candle-jar"]
    dismissed = jar.factor(FactorName.DISMISSED)
    assert dismissed is not None and dismissed.contribution < 0


def test_a_search_still_finds_an_item_turned_down() -> None:
    shop = SmallShop()
    request = candle_lover(shop, 1)
    request.query, request.query_vector = "jar candle", shop.query("jar candle")
    request.query_words = ["jar", "candle"]

    ranked = shop.ranker.rank(request, NOW)

    assert "candle-jar" in [s.item.item_id for s in ranked]


def test_without_personalization_a_dismissal_is_not_read() -> None:
    shop = SmallShop()
    request = candle_lover(shop, 1)
    request.personalized = False

    ranked = shop.ranker.rank(request, NOW)

    assert "candle-jar" in [s.item.item_id for s in ranked]
