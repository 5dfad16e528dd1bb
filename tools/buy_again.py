"""Buy-again: how due a shopper's re-order of something they bought before is.

A re-order is due when about one usual interval has passed since the last order. The
usual interval is the shopper's own (the median gap between their orders of the item)
when they ordered it at least twice; otherwise the item's (the median gap between
re-orders of it across the shop), when enough re-orders back it; otherwise, only if
:attr:`BuyAgainPolicy.shop_interval` allows, the shop's (the median gap between re-orders
of anything). Due-ness is 1 at exactly one interval
and falls off on a log scale either side: ordering again the day after is not due, and
something last ordered ten intervals ago has most likely been given up. How strong
the habit is grows with the number of orders, each adding less than the one before: an
item ordered ten times is a surer re-order than one ordered twice, and a single order
says least. How much due-ness counts against the habit itself is the policy's ``timing``:
in full as built in; a shop's ``tactful tune`` may set it lower where its customers
re-order the same things in every order, due or not.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import pairwise

import numpy as np
from pydantic import BaseModel, Field

from tools.signals import days_between
from tools.types import BehaviourEvent

#: Orders of one item less than this many days apart are one order (one invoice split
#: over several lines, a second basket the same afternoon).
SAME_ORDER_DAYS = 1.0
#: A shop with no re-orders at all still needs an interval to say "due" by.
FALLBACK_INTERVAL_DAYS = 30.0


class BuyAgainPolicy(BaseModel):
    """The shape of due-ness and how much repeat orders are trusted.

    The defaults were chosen on validation splits (``python -m
    bench.ranking.buy_again_tuning``): on Online Retail a single earlier order already
    predicts a re-order, timing counts for less than the habit itself, so due-ness is
    broad on both sides, and how often an item was ordered counts for more than whether
    it was ordered at all.
    """

    min_orders: int = Field(
        default=1, ge=1, description="orders of an item before it can be suggested again"
    )
    min_item_gaps: int = Field(
        default=3, ge=1, description="re-orders across the shop before an item's median counts"
    )
    early_width: float = Field(
        default=2.0, gt=0, description="log-scale width of due-ness before the interval"
    )
    late_width: float = Field(
        default=2.0, gt=0, description="log-scale width of due-ness after the interval"
    )
    orders_scale: float = Field(
        default=3.0,
        gt=0,
        description="how many orders make a habit's strength log 2: log(1 + n / "
        "orders_scale); smaller counts a single order for more, larger counts frequent "
        "re-orders for more",
    )
    timing: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="how much being due counts: 1 = a re-order scores in full only when "
        "due; 0 = the habit alone, whenever the last order was; a shop's tuning sets it "
        "lower where shoppers re-order in every order",
    )
    #: Off: a chair bought once, which nobody re-orders, is not offered again on the
    #: strength of how often *other* things are re-ordered. On the validation splits this
    #: cost Online Retail's repeat-inclusive NDCG@10 0.2949 → 0.2941 and changed nothing
    #: else.
    shop_interval: bool = Field(
        default=False,
        description="whether an item ordered once, which too few shoppers re-order to "
        "time it, may still be suggested again on the shop's usual interval",
    )


class IntervalSource(StrEnum):
    """Whose re-order interval a suggestion is timed by."""

    OWN = "own"
    ITEM = "item"
    SHOP = "shop"


@dataclass(frozen=True)
class RepurchaseIntervals:
    """The shop's re-order gaps: each item's median and count, and the overall median."""

    item_median_days: np.ndarray  # float64, NaN where the item was never re-ordered
    item_gaps: np.ndarray  # int64
    shop_median_days: float

    @classmethod
    def empty(cls, n_items: int) -> RepurchaseIntervals:
        return cls(
            item_median_days=np.full(n_items, np.nan),
            item_gaps=np.zeros(n_items, dtype=np.int64),
            shop_median_days=FALLBACK_INTERVAL_DAYS,
        )

    @classmethod
    def from_orders(
        cls, shoppers: np.ndarray, rows: np.ndarray, days: np.ndarray, n_items: int
    ) -> RepurchaseIntervals:
        """Medians of the gaps between consecutive orders of one item by one shopper.

        ``shoppers``, ``rows`` and ``days`` are parallel: who ordered which catalog row
        when (in days on any fixed scale).
        """
        if len(rows) == 0:
            return cls.empty(n_items)
        shopper_codes = np.unique(shoppers, return_inverse=True)[1]
        order = np.lexsort((days, rows, shopper_codes))
        who, row, day = shopper_codes[order], rows[order], days[order]
        same_pair = (who[1:] == who[:-1]) & (row[1:] == row[:-1])
        gaps = day[1:] - day[:-1]
        # Lines closer than a day are one order: only the first of them starts a gap.
        distinct = np.ones(len(day), dtype=bool)
        distinct[1:] = ~same_pair | (gaps >= SAME_ORDER_DAYS)
        who, row, day = who[distinct], row[distinct], day[distinct]
        same_pair = (who[1:] == who[:-1]) & (row[1:] == row[:-1])
        gap_rows = row[1:][same_pair]
        gap_days = (day[1:] - day[:-1])[same_pair]
        if gap_days.size == 0:
            return cls.empty(n_items)
        by_item = np.lexsort((gap_days, gap_rows))
        gap_rows, gap_days = gap_rows[by_item], gap_days[by_item]
        items, starts, counts = np.unique(gap_rows, return_index=True, return_counts=True)
        medians = (gap_days[starts + (counts - 1) // 2] + gap_days[starts + counts // 2]) / 2
        item_median = np.full(n_items, np.nan)
        item_median[items] = medians
        item_gaps = np.zeros(n_items, dtype=np.int64)
        item_gaps[items] = counts
        return cls(item_median, item_gaps, float(np.median(gap_days)))


@dataclass(frozen=True)
class Habit:
    """One item's re-order habit for one shopper, as a reason can state it."""

    orders: int
    interval_days: float
    source: IntervalSource
    days_since: float
    last: BehaviourEvent
    due: float
    strength: float
    #: :attr:`BuyAgainPolicy.timing` of the policy the habit was read under.
    timing: float = 1.0

    @property
    def score(self) -> float:
        return self.strength * (1.0 - self.timing + self.timing * self.due)


def order_days(events: Sequence[BehaviourEvent]) -> list[tuple[datetime, BehaviourEvent]]:
    """Distinct orders in time order: purchases less than a day apart count once.

    Each order keeps its first time and its latest event (the one a reason dates).
    """
    orders: list[tuple[datetime, BehaviourEvent]] = []
    for event in sorted(events, key=lambda e: e.at):
        if orders and days_between(orders[-1][0], event.at) < SAME_ORDER_DAYS:
            orders[-1] = (orders[-1][0], event)
        else:
            orders.append((event.at, event))
    return orders


def due_ness(days_since: float, interval_days: float, policy: BuyAgainPolicy) -> float:
    """1 when exactly one interval has passed; falls off on a log scale either side."""
    if days_since <= 0 or interval_days <= 0:
        return 0.0
    ratio = math.log(days_since / interval_days)
    width = policy.early_width if ratio < 0 else policy.late_width
    return math.exp(-(ratio * ratio) / (2 * width * width))


def habit(
    purchases: Sequence[BehaviourEvent],
    row: int,
    intervals: RepurchaseIntervals,
    now: datetime,
    policy: BuyAgainPolicy,
) -> Habit | None:
    """The shopper's habit for one item from their purchases of it; None below min_orders."""
    if len(purchases) == 1 and not _timed_alone(row, intervals, policy):
        return None  # one order, and nothing to time its re-order by: most owned items
    orders = order_days([e for e in purchases if e.at <= now])
    if len(orders) < policy.min_orders:
        return None
    if len(orders) >= 2:
        gaps = [days_between(a, b) for (a, _), (b, _) in pairwise(orders)]
        # statistics, not numpy: a few gaps each, for hundreds of items per ranking.
        interval, source = statistics.median(gaps), IntervalSource.OWN
    elif _item_timed(row, intervals, policy):
        interval, source = float(intervals.item_median_days[row]), IntervalSource.ITEM
    elif policy.shop_interval:
        interval, source = intervals.shop_median_days, IntervalSource.SHOP
    else:
        return None
    last = orders[-1][1]
    days_since = days_between(last.at, now)
    count = len(orders)
    return Habit(
        orders=count,
        interval_days=interval,
        source=source,
        days_since=days_since,
        last=last,
        due=due_ness(days_since, interval, policy),
        strength=math.log1p(count / policy.orders_scale),
        timing=policy.timing,
    )


def _item_timed(row: int, intervals: RepurchaseIntervals, policy: BuyAgainPolicy) -> bool:
    """Whether enough shoppers re-order the item for its own median interval to count."""
    return row < len(intervals.item_gaps) and intervals.item_gaps[row] >= policy.min_item_gaps


def _timed_alone(row: int, intervals: RepurchaseIntervals, policy: BuyAgainPolicy) -> bool:
    """Whether a single order of the item can make a habit."""
    return policy.min_orders <= 1 and (policy.shop_interval or _item_timed(row, intervals, policy))


def span(days: float) -> str:
    """A duration as a reason says it: 'day', '5 days', '6 weeks', '3 months', '2 years'.

    Every unit but the day starts at two of it, so only "day" is ever singular.
    """
    if days < 1.5:
        return "day"
    if days < 14:
        return f"{round(days)} days"
    if days < 61:
        return _count(round(days / 7), "week")
    if days < 548:
        return _count(round(days / 30.44), "month")
    return _count(round(days / 365.25), "year")


def ago(days: float) -> str:
    """How long ago, as a reason says it: 'today', 'yesterday', '6 weeks ago'."""
    if days < 1:
        return "today"
    if days < 2:
        return "yesterday"
    return f"{span(days)} ago"


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}s"
