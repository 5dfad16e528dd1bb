""" "What goes with the red candle?": what its choosers also chose, counted exactly."""

from __future__ import annotations

from datetime import timedelta

from tests.tools.small_shop import NOW, SmallShop, default_items, item
from tools.explain import reason_for
from tools.interactions import InteractionIndex
from tools.ranker import MIN_TOGETHER, PARTNER_REF, RankInput, RankWeights
from tools.signals import EventColumns
from tools.types import BehaviourEvent, EventKind, FactorName, ShopperMode, Suggestion

WEIGHTS = RankWeights(taste=0.0, community=0.0, popularity=0.0, owned=0.0, request=2.0)


def chose(shopper: str, item_id: str, kind: EventKind = EventKind.PURCHASE) -> BehaviourEvent:
    return BehaviourEvent(
        event_id=f"{shopper}-{item_id}-{kind.value}",
        shopper_id=shopper,
        item_id=item_id,
        kind=kind,
        at=NOW - timedelta(days=10),
    )


def shop_with_history() -> SmallShop:
    """Four shoppers chose the red candle and the owl mug, two the red candle and the red
    cushion, one the red candle and the fox mug; a view is no choice, and the same candle
    listed twice was bought with it by everyone."""
    shop = SmallShop([*default_items(), item("candle-red-2", "red scented pillar candle")])
    history = [chose(f"a{s}", i) for s in range(4) for i in ("candle-red", "mug-owl")]
    history += [chose(f"b{s}", i) for s in range(2) for i in ("candle-red", "cushion-red")]
    history += [chose("c", "candle-red"), chose("c", "mug-fox")]
    history += [chose(f"v{s}", "candle-red") for s in range(3)]
    history += [chose(f"v{s}", "bottle", EventKind.VIEW) for s in range(3)]
    history += [chose(who.shopper_id, "candle-red-2") for who in history]
    shop.ranker.interactions = InteractionIndex.build(
        EventColumns.of(history), shop.catalog, now=NOW, policy=shop.policy
    )
    return shop


def request_for(shop: SmallShop, partner: str, shopper_id: str = "me") -> RankInput:
    return RankInput(
        mode=ShopperMode.BROWSING,
        taste=shop.taste([]),
        weights=WEIGHTS,
        partner_row=shop.row(partner),
        shopper_id=shopper_id,
        k=5,
    )


def goes_with(shop: SmallShop, partner: str) -> list[Suggestion]:
    return shop.ranker.rank(request_for(shop, partner), NOW)


def test_what_its_choosers_chose_leads_with_the_true_count() -> None:
    shop = shop_with_history()
    top = goes_with(shop, "candle-red")
    assert [s.item.item_id for s in top[:2]] == ["mug-owl", "cushion-red"]
    factor = top[0].factor(FactorName.REQUEST)
    assert factor is not None
    [evidence] = factor.evidence
    assert evidence.ref == f"{PARTNER_REF}candle-red" and evidence.weight == 4
    assert reason_for(top[0], {}) == (
        'Because 4 shoppers who chose "red scented pillar candle" chose it too.'
    )


def test_neither_the_item_nor_another_listing_of_it_is_suggested() -> None:
    shop = shop_with_history()
    shown = {s.item.item_id for s in goes_with(shop, "candle-red")}
    assert shown and not shown & {"candle-red", "candle-red-2"}


def test_one_shopper_in_common_or_a_view_is_no_evidence_of_going_together() -> None:
    shop = shop_with_history()
    request = request_for(shop, "candle-red")
    assert MIN_TOGETHER == 2
    for lone in ("mug-fox", "bottle"):
        suggestion = shop.ranker.suggestion_for(request, shop.row(lone), NOW)
        assert suggestion.factor(FactorName.REQUEST) is None


def test_the_shopper_asking_is_not_one_of_the_shoppers_counted() -> None:
    shop = shop_with_history()
    top = shop.ranker.rank(request_for(shop, "candle-red", shopper_id="a0"), NOW)
    assert top[0].item.item_id == "mug-owl"
    factor = top[0].factor(FactorName.REQUEST)
    assert factor is not None and factor.evidence[0].weight == 3
