"""Co-engagement worked out a few items at a time is the one worked out all at once."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tools.small_shop import NOW, SmallShop, varied_history
from tools.interactions import InteractionIndex
from tools.signals import EventColumns


def test_co_engagement_in_blocks_of_items_equals_it_in_one_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = SmallShop()
    events = EventColumns.of(varied_history(shop, shoppers=60, days=120, seed=4))

    def build() -> InteractionIndex:
        return InteractionIndex.build(events, shop.catalog, now=NOW, policy=shop.policy)

    monkeypatch.setattr("tools.interactions.ITEM_BLOCK", len(shop.catalog))
    whole = build().co_engagement
    monkeypatch.setattr("tools.interactions.ITEM_BLOCK", 5)
    blocks = build().co_engagement

    assert whole.nnz > 0
    assert np.array_equal(whole.indptr, blocks.indptr)
    assert np.array_equal(whole.indices, blocks.indices)
    assert np.array_equal(whole.data, blocks.data)
    assert not whole.diagonal().any()
