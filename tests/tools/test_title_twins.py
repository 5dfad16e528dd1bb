"""One product listed under two codes is suggested once, as whichever scores higher."""

from __future__ import annotations

import pytest

from tests.tools.small_shop import NOW, SmallShop, default_items, item
from tools.ranker import RankInput, RankWeights
from tools.types import EventKind, ShopperMode

BY_TEXT = RankWeights(taste=1.0, taste_content_share=1.0, community=0.0, popularity=0.0)


@pytest.mark.parametrize("diversity", [0.0, 0.4])
def test_two_codes_with_one_title_are_suggested_once(diversity: float) -> None:
    # The same mug again under another code (one letter's case apart, as shops do).
    shop = SmallShop([*default_items(), item("MUG-BLUE-B", "Blue  Enamel Mug", category="kitchen")])
    taste = shop.taste([shop.event("mug-owl", EventKind.PURCHASE, days_ago=30)])
    weights = BY_TEXT.model_copy(update={"diversity": diversity})
    request = RankInput(mode=ShopperMode.BROWSING, k=12, taste=taste, weights=weights)
    total = shop.ranker.score_all(request, weights, NOW).total()
    twins = shop.catalog.rows(["mug-blue", "MUG-BLUE-B"])

    suggested = [s.item.item_id for s in shop.ranker.rank(request, NOW)]

    titles = [
        " ".join(shop.catalog.items[r].title.lower().split()) for r in shop.catalog.rows(suggested)
    ]
    assert len(titles) == len(set(titles)) == 12
    assert any(i in suggested for i in ("mug-blue", "MUG-BLUE-B")), "the mug itself still comes"
    lower, higher = sorted(twins, key=lambda r: total[r])
    if total[higher] > total[lower]:
        assert shop.catalog.items[lower].item_id not in suggested
