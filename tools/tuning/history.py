"""A shop's event history cut in time: learn from what came before, score on what followed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from tools.catalog_index import CatalogIndex
from tools.signals import EventColumns
from tools.types import BehaviourEvent, EventKind

#: Shoppers need this many distinct items before the cut to be scored: fewer say too
#: little about anyone's taste (the benchmarks' protocol uses the same floor).
MIN_HISTORY_ITEMS = 3
#: Fewer scored shoppers than this and a validation score is mostly noise.
MIN_SHOPPERS = 20


class NotEnoughHistory(ValueError):
    """The shop's history is too short or too thin to tune on."""


@dataclass(frozen=True)
class HistorySplit:
    """Events before ``cut`` to learn from; what each scored shopper bought after it."""

    cut: datetime
    end: datetime
    train: EventColumns
    shoppers: list[str]
    #: Catalog rows each shopper bought on or after the cut, re-orders included.
    targets: list[frozenset[int]]
    #: Each shopper's own events before the cut, as the ranker reads a history.
    histories: list[list[BehaviourEvent]]
    #: The catalog rows of each shopper's first order after the cut (what they chose
    #: within a day of their first choice), in the order chosen.
    first_orders: list[list[int]]
    #: Shoppers who qualified before sampling.
    eligible: int
    #: What counts as choosing an item: buying it, or in a shop of ratings, rating it.
    kind: EventKind = EventKind.PURCHASE


def split_history(
    events: EventColumns,
    catalog: CatalogIndex,
    *,
    window_days: float,
    max_shoppers: int,
    seed: int = 0,
) -> HistorySplit:
    """The last ``window_days`` of ``events`` become the validation window.

    Scored shoppers chose at least one catalog item in the window for themselves (bought
    it; rated it, in a shop that has ratings rather than purchases) and had
    :data:`MIN_HISTORY_ITEMS` distinct items before it; at most ``max_shoppers`` of
    them are drawn (with ``seed``), so a large shop tunes in bounded time.
    """
    if len(events) == 0:
        raise NotEnoughHistory("There are no events to tune on; load the shop's events first.")
    end = events.at.max().astype("datetime64[s]").item()
    cut = end - timedelta(days=window_days)
    cut64 = np.datetime64(cut, "s")
    before = events.at < cut64
    if not before.any():
        raise NotEnoughHistory(
            f"Every event falls in the last {window_days:g} days; nothing is left to learn "
            "from. Use a shorter --window."
        )
    rows = np.array([catalog.row(i) if i in catalog else -1 for i in events.item_ids])
    kind = main_kind(events)
    chosen_items = (events.kinds == kind.value) & ~events.for_someone_else
    bought = ~before & chosen_items & (rows >= 0)
    targets: dict[str, set[int]] = {}
    chosen_at: dict[str, list[tuple[np.datetime64, int]]] = {}
    for shopper, row, at in zip(
        events.shopper_ids[bought], rows[bought], events.at[bought], strict=True
    ):
        targets.setdefault(str(shopper), set()).add(int(row))
        chosen_at.setdefault(str(shopper), []).append((at, int(row)))
    known = before & (rows >= 0)
    distinct: dict[str, set[int]] = {}
    for shopper, row in zip(events.shopper_ids[known], rows[known], strict=True):
        if str(shopper) in targets:
            distinct.setdefault(str(shopper), set()).add(int(row))
    eligible = sorted(s for s, items in distinct.items() if len(items) >= MIN_HISTORY_ITEMS)
    if len(eligible) < MIN_SHOPPERS:
        raise NotEnoughHistory(
            f"Only {len(eligible)} shoppers chose something in the last {window_days:g} days "
            f"after {MIN_HISTORY_ITEMS}+ items before; at least {MIN_SHOPPERS} are needed. "
            "Use a longer --window, or tune once more history has come in."
        )
    chosen = eligible
    if len(eligible) > max_shoppers:
        picks = np.random.default_rng(seed).choice(len(eligible), max_shoppers, replace=False)
        chosen = [eligible[i] for i in sorted(picks)]
    train = events.select(before)
    return HistorySplit(
        cut=cut,
        end=end,
        train=train,
        shoppers=chosen,
        targets=[frozenset(targets[s]) for s in chosen],
        histories=_histories(train, chosen),
        first_orders=[_first_order(chosen_at[s]) for s in chosen],
        eligible=len(eligible),
        kind=kind,
    )


def _first_order(chosen: list[tuple[np.datetime64, int]]) -> list[int]:
    """Distinct rows chosen within a day of the first choice, in time order."""
    chosen = sorted(chosen, key=lambda pair: pair[0])
    first = chosen[0][0]
    rows: list[int] = []
    for at, row in chosen:
        if at - first < np.timedelta64(1, "D") and row not in rows:
            rows.append(row)
    return rows


def main_kind(events: EventColumns) -> EventKind:
    """Purchases, unless the shop has more ratings than purchases (a film or book site)."""
    ratings = int(np.count_nonzero(events.kinds == EventKind.RATING.value))
    purchases = int(np.count_nonzero(events.kinds == EventKind.PURCHASE.value))
    return EventKind.RATING if ratings > purchases else EventKind.PURCHASE


def _histories(train: EventColumns, shoppers: list[str]) -> list[list[BehaviourEvent]]:
    """The chosen shoppers' events as the ranker's event objects (already validated
    once when they were stored, so built without validating again)."""
    wanted = np.isin(train.shopper_ids, shoppers)
    index = np.flatnonzero(wanted)
    at = train.at[index].astype("datetime64[us]").tolist()
    by_shopper: dict[str, list[BehaviourEvent]] = {s: [] for s in shoppers}
    for i, when in zip(index.tolist(), at, strict=True):
        rating = float(train.rating[i])
        by_shopper[str(train.shopper_ids[i])].append(
            BehaviourEvent.model_construct(
                event_id=str(train.event_ids[i]),
                shopper_id=str(train.shopper_ids[i]),
                item_id=str(train.item_ids[i]),
                kind=EventKind(train.kinds[i]),
                at=when,
                quantity=float(train.quantity[i]),
                rating=None if math.isnan(rating) else rating,
                # Whom it was for does not matter here, only that it was someone else.
                recipient="someone else" if train.for_someone_else[i] else None,
                session_id=None,
                context=None,
            )
        )
    return [by_shopper[s] for s in shoppers]
