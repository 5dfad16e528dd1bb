"""Items selling faster lately than over the months before: the shop's rising items.

Popularity says what sells; this says what is picking up. A seasonal shop's next weeks
look more like its last two than like its year, and what shoppers buy for the first time
is often what is rising then (Christmas lines in November, garden things in spring).

An item's pace compares its orders in the last :data:`RECENT_DAYS` with its rate over
the last :data:`BASE_DAYS`: the score grows with how many times faster it now sells
(the log of the ratio, nothing when it is not faster) and with how many recent orders
say so (``log1p``), so that two orders of a slow item are no trend. Scores are scaled to
1 for the fastest riser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The recent window, in days.
RECENT_DAYS = 14
#: The window the recent rate is compared with (it includes the recent one).
BASE_DAYS = 90
#: Fewer recent orders than this are never called a trend in a reason.
MIN_RECENT_ORDERS = 3
#: The ``ref`` of the evidence of an item a reason may call rising, and of one it may not.
RISING_REF = "sales_pace:rising"
STEADY_REF = "sales_pace"


@dataclass(frozen=True)
class SalesPace:
    """Per item: orders in the last :data:`RECENT_DAYS` and in the last :data:`BASE_DAYS`."""

    recent: np.ndarray
    base: np.ndarray

    @classmethod
    def empty(cls, n_items: int) -> SalesPace:
        return cls(np.zeros(n_items, dtype=np.int32), np.zeros(n_items, dtype=np.int32))

    @classmethod
    def from_orders(cls, rows: np.ndarray, age_days: np.ndarray, n_items: int) -> SalesPace:
        """From each order line's catalog row and age in days (both of purchases only)."""

        def count(days: int) -> np.ndarray:
            return np.bincount(rows[age_days < days], minlength=n_items).astype(np.int32)

        return cls(count(RECENT_DAYS), count(BASE_DAYS))

    def scores(self) -> np.ndarray:
        """How much faster each item sells lately, 0 (not faster) to 1 (the fastest)."""
        recent = self.recent.astype(np.float64)
        # One order more in the base window: an item first sold this fortnight is fast,
        # not infinitely so.
        ratio = (recent / RECENT_DAYS) / ((self.base + 1.0) / BASE_DAYS)
        with np.errstate(divide="ignore"):
            faster = np.clip(np.log(ratio), 0.0, None)
        rising = np.log1p(recent) * faster
        top = float(rising.max(initial=0.0))
        return (rising / top if top > 0 else rising).astype(np.float32)

    def sayable(self, row: int) -> bool:
        """Whether a reason may call this item's sales rising: enough recent orders, and a
        recent rate above the rate over the whole base window, counted as they are."""
        recent, base = int(self.recent[row]), int(self.base[row])
        return recent >= MIN_RECENT_ORDERS and recent / RECENT_DAYS > base / BASE_DAYS

    def label(self, row: int) -> str:
        """ "23 of its 31 orders in the last 90 days came in the last 14": the counts as
        they are."""
        recent, base = int(self.recent[row]), int(self.base[row])
        windows = f"in the last {BASE_DAYS} days came in the last {RECENT_DAYS}"
        if base == 1 and recent == 1:
            return f"its only order {windows}"
        if recent == base:
            return f"all {base} of its orders {windows}"
        noun = "order" if base == 1 else "orders"
        return f"{recent} of its {base} {noun} {windows}"
