"""How one item stands against a shopper's settled history, beyond text likeness.

Each signal is cheap (a slice of a sparse matrix or a pass over a catalog column) and
needs nothing a shop's catalog may lack: an item without a category or a price gives
no evidence either way (None), never evidence that it is out of profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tools.catalog_index import CatalogIndex
from tools.interactions import InteractionIndex


def co_purchase_fit(
    interactions: InteractionIndex, item_weights: Mapping[int, float], row: int
) -> float:
    """The share of the catalog ``row`` beats on co-purchases with the history: what
    the shop's shoppers at large bought together with what this shopper bought."""
    scores = interactions.co_engagement_scores(item_weights)
    if row >= len(scores) or not scores.any():
        return 0.0
    return float((scores < scores[row]).mean())


def neighbour_share(
    interactions: InteractionIndex,
    item_weights: Mapping[int, float],
    row: int,
    *,
    shopper_id: str,
    k: int,
) -> float:
    """The share of the ``k`` shoppers most like this one who chose ``row`` themselves:
    the item's fit with people of the same taste, which text likeness cannot see."""
    if row >= interactions.n_items:
        return 0.0
    likeness = interactions.likeness(item_weights, exclude={shopper_id})
    nearest = interactions.nearest_rows(likeness, k)
    if len(nearest) == 0:
        return 0.0
    chose = interactions.engagement[nearest][:, [row]]
    return float(chose.count_nonzero()) / len(nearest)


def category_share(catalog: CatalogIndex, history: Sequence[int], row: int) -> float | None:
    """The share of the history's items in ``row``'s category (0 for a category the
    shopper never bought in); None when the item has no category."""
    category = catalog.categories[row]
    if not category or not history:
        return None
    return float(np.mean(catalog.categories[list(history)] == category))


def price_gap(catalog: CatalogIndex, history: Sequence[int], row: int) -> float | None:
    """How far ``row``'s price is from the shopper's usual one: the absolute natural
    log of its ratio to the median price of the history's items (0.69 is twice or half
    as dear). None when either price is unknown."""
    price = catalog.prices[row]
    prices = catalog.prices[list(history)]
    prices = prices[np.isfinite(prices) & (prices > 0)]
    if not np.isfinite(price) or price <= 0 or len(prices) == 0:
        return None
    return float(abs(np.log(price / np.median(prices))))
