"""'I already have that one': an owned item, and nothing more said about taste."""

from __future__ import annotations

from tests.tools.small_shop import NOW, SmallShop
from tools.ranker import RankInput
from tools.signals import KIND_WEIGHTS, DecayPolicy, event_weight
from tools.types import EventKind, FactorName


def test_saying_you_have_an_item_marks_it_owned_without_shaping_taste() -> None:
    shop = SmallShop()
    own = shop.event("mug-owl", EventKind.OWN, days_ago=5)

    taste = shop.taste([own])

    assert KIND_WEIGHTS[EventKind.OWN] == 0
    assert event_weight(own, NOW, DecayPolicy()) == 0
    assert taste.owned == {shop.row("mug-owl"): own}
    assert shop.row("mug-owl") not in taste.item_weights


def test_an_item_the_shopper_said_they_have_is_owned_and_pushed_down() -> None:
    shop = SmallShop()
    own = shop.event("mug-owl", EventKind.OWN)
    taste = shop.taste([own])

    mug = shop.ranker.suggestion_for(RankInput(taste=taste), shop.row("mug-owl"), NOW)
    owned = mug.factor(FactorName.OWNED)
    assert owned is not None and owned.contribution < 0
    assert [(e.ref, e.label) for e in owned.evidence] == [(own.event_id, "said they have it")]


def test_a_purchase_is_still_owned_as_bought_before() -> None:
    shop = SmallShop()
    bought = shop.event("mug-owl", EventKind.PURCHASE)

    mug = shop.ranker.suggestion_for(
        RankInput(taste=shop.taste([bought])), shop.row("mug-owl"), NOW
    )

    owned = mug.factor(FactorName.OWNED)
    assert owned is not None and owned.evidence[0].label == "bought before"


def test_an_owned_item_said_to_be_for_someone_else_is_not_the_shoppers() -> None:
    shop = SmallShop()
    own = shop.event("mug-owl", EventKind.OWN).model_copy(update={"recipient": "niece"})

    taste = shop.taste([own])

    assert taste.empty and not taste.owned
