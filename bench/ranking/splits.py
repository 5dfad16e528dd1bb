"""The train/test splits every method is scored on, built once and shared.

Two protocols from the literature, and one for shops where people buy again:

* **time split** (Online Retail): train on everything before a cut; the test targets
  are the distinct items each customer buys *for the first time* on or after it.
  Only customers with at least three distinct train items and one new test item count.
* **leave-last-out** (MovieLens-100k): each user's last rating by time is the target,
  every other rating is train; the catalog is ranked in full with rated items excluded.
* **all items** (Online Retail): the time split, repeat-inclusive: the targets are every
  distinct item a customer buys on or after the cut, re-orders included, and nothing is
  masked, so a list is scored as the product serves it.

Validation splits are cut from the training data alone, so tuning never sees test.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from bench.ranking.datasets import RawData
from tools.signals import EventColumns
from tools.types import BehaviourEvent, CatalogItem

#: Online Retail: test is November–December 2011 …
OR_TEST_CUT = datetime(2011, 11, 1)
#: … and validation is October 2011, trained on what came before it.
OR_VALIDATION_CUT = datetime(2011, 10, 1)
MIN_TRAIN_ITEMS = 3


@dataclass(frozen=True)
class Split:
    """One train/test split: what the methods may learn from and what they must find."""

    dataset: str
    name: str
    description: str
    items: list[CatalogItem]
    train: EventColumns
    train_events: dict[str, list[BehaviourEvent]]
    targets: dict[str, frozenset[str]]
    excluded: dict[str, frozenset[str]]
    now: datetime
    user_now: dict[str, datetime]
    countries: dict[str, str | None] = field(default_factory=dict)

    @property
    def users(self) -> list[str]:
        """The evaluated users, in a fixed order."""
        return sorted(self.targets, key=_id_key)

    @cached_property
    def row_of(self) -> dict[str, int]:
        """Catalog row of each item id (the order of :attr:`items`)."""
        return {item.item_id: row for row, item in enumerate(self.items)}

    @cached_property
    def cold_rows(self) -> frozenset[int]:
        """Catalog rows of the items no one chose in the training data."""
        seen = set(self.train.item_ids.tolist())
        return frozenset(r for r, item in enumerate(self.items) if item.item_id not in seen)

    def rows(self, item_ids: Iterable[str]) -> list[int]:
        """Catalog rows of the ids that are in the catalog."""
        return [r for r in (self.row_of.get(i) for i in item_ids) if r is not None]

    def stats(self) -> dict[str, Any]:
        """The split's shape, for the results file."""
        return {
            "description": self.description,
            "now": self.now.isoformat(),
            "catalog_items": len(self.items),
            "train_events": len(self.train),
            "train_users": len(set(self.train.shopper_ids.tolist())),
            "test_users": len(self.targets),
            "test_targets": sum(len(t) for t in self.targets.values()),
            "mean_targets_per_user": round(
                sum(len(t) for t in self.targets.values()) / max(len(self.targets), 1), 3
            ),
        }


def event_columns(events: Sequence[BehaviourEvent]) -> EventColumns:
    """Events as the parallel columns :class:`tools.interactions.InteractionIndex` reads."""
    return EventColumns.of(events)


def time_split(
    raw: RawData,
    *,
    cut: datetime,
    end: datetime | None = None,
    dataset: str,
    name: str,
    description: str,
    min_train_items: int = MIN_TRAIN_ITEMS,
) -> Split:
    """Train before ``cut``; targets are each user's new items in ``[cut, end)``."""
    train = [e for e in raw.events if e.at < cut]
    later = [e for e in raw.events if e.at >= cut and (end is None or e.at < end)]
    by_user = _group(train)
    bought = {user: frozenset(e.item_id for e in events) for user, events in by_user.items()}
    new_items: dict[str, set[str]] = defaultdict(set)
    for event in later:
        if event.item_id not in bought.get(event.shopper_id, frozenset()):
            new_items[event.shopper_id].add(event.item_id)
    targets = {
        user: frozenset(items)
        for user, items in new_items.items()
        if len(bought.get(user, ())) >= min_train_items and items
    }
    return Split(
        dataset=dataset,
        name=name,
        description=description,
        items=raw.items,
        train=event_columns(train),
        train_events=by_user,
        targets=targets,
        excluded={user: bought[user] for user in targets},
        now=cut,
        user_now=dict.fromkeys(targets, cut),
        countries=raw.countries,
    )


def all_items_split(
    raw: RawData,
    *,
    cut: datetime,
    end: datetime | None = None,
    dataset: str,
    name: str,
    description: str,
    min_train_items: int = MIN_TRAIN_ITEMS,
) -> Split:
    """Train before ``cut``; targets are every item each user buys in ``[cut, end)``."""
    train = [e for e in raw.events if e.at < cut]
    later = [e for e in raw.events if e.at >= cut and (end is None or e.at < end)]
    by_user = _group(train)
    bought: dict[str, set[str]] = defaultdict(set)
    for event in later:
        bought[event.shopper_id].add(event.item_id)
    targets = {
        user: frozenset(items)
        for user, items in bought.items()
        if len({e.item_id for e in by_user.get(user, [])}) >= min_train_items
    }
    return Split(
        dataset=dataset,
        name=name,
        description=description,
        items=raw.items,
        train=event_columns(train),
        train_events=by_user,
        targets=targets,
        excluded=dict.fromkeys(targets, frozenset()),
        now=cut,
        user_now=dict.fromkeys(targets, cut),
        countries=raw.countries,
    )


def leave_last_out(
    raw: RawData, *, holdout: int = 1, dataset: str, name: str, description: str
) -> Split:
    """Per user, in time order (ties by item id): the ``holdout``-th last event is the target.

    With ``holdout=2`` the last event is dropped altogether and the one before it is the
    target: a validation split that never looks at the test events.
    """
    train: list[BehaviourEvent] = []
    by_user: dict[str, list[BehaviourEvent]] = {}
    targets: dict[str, frozenset[str]] = {}
    excluded: dict[str, frozenset[str]] = {}
    user_now: dict[str, datetime] = {}
    for user, events in _group(raw.events).items():
        if len(events) <= holdout:
            continue
        kept = events[:-holdout]
        target = events[-holdout].item_id
        seen = frozenset(e.item_id for e in kept)
        train.extend(kept)
        by_user[user] = kept
        if target in seen:  # a re-rating says nothing new; the protocol wants new items
            continue
        targets[user] = frozenset([target])
        excluded[user] = seen
        user_now[user] = kept[-1].at
    return Split(
        dataset=dataset,
        name=name,
        description=description,
        items=raw.items,
        train=event_columns(train),
        train_events=by_user,
        targets=targets,
        excluded=excluded,
        # Shop-wide statistics see every train event, as in the published protocol;
        # each user's own taste is read as of their last train event (user_now).
        now=max(e.at for e in train),
        user_now=user_now,
        countries=raw.countries,
    )


def online_retail_splits(raw: RawData, *, validation: bool = True) -> dict[str, Split]:
    """Test (cut 2011-11-01) and validation (data before it, cut 2011-10-01)."""
    rule = (
        "customers with >= 3 distinct train items and >= 1 new (not bought in train) item "
        "after the cut; targets = those new items"
    )
    return _online_retail_cuts(time_split, raw, rule, validation)


def online_retail_all_items_splits(raw: RawData, *, validation: bool = True) -> dict[str, Split]:
    """The same cuts as :func:`online_retail_splits`, repeat-inclusive and unmasked."""
    rule = (
        "customers with >= 3 distinct train items and >= 1 purchase after the cut; targets = "
        "every item bought after the cut, re-orders included; nothing masked"
    )
    return _online_retail_cuts(all_items_split, raw, rule, validation)


def _online_retail_cuts(
    splitter: Callable[..., Split], raw: RawData, rule: str, validation: bool
) -> dict[str, Split]:
    """The test split at the test cut and, if asked, validation at the earlier cut."""
    splits = {
        "test": splitter(
            raw,
            cut=OR_TEST_CUT,
            dataset="online-retail",
            name="test",
            description=f"train before {OR_TEST_CUT:%Y-%m-%d}, test on or after it; {rule}",
        )
    }
    if validation:
        splits["validation"] = splitter(
            raw,
            cut=OR_VALIDATION_CUT,
            end=OR_TEST_CUT,
            dataset="online-retail",
            name="validation",
            description=(
                f"train before {OR_VALIDATION_CUT:%Y-%m-%d}, validate on "
                f"[{OR_VALIDATION_CUT:%Y-%m-%d}, {OR_TEST_CUT:%Y-%m-%d}); {rule}"
            ),
        )
    return splits


def movielens_splits(raw: RawData, *, validation: bool = True) -> dict[str, Split]:
    """Leave-last-out test and leave-second-to-last-out validation."""
    splits = {
        "test": leave_last_out(
            raw,
            holdout=1,
            dataset="movielens-100k",
            name="test",
            description="time-ordered leave-last-out per user (ties by item id), full ranking "
            "over all items, train-rated items excluded",
        )
    }
    if validation:
        splits["validation"] = leave_last_out(
            raw,
            holdout=2,
            dataset="movielens-100k",
            name="validation",
            description="leave-second-to-last-out on the train part (the test rating unseen)",
        )
    return splits


def subsample(
    split: Split,
    *,
    users: int,
    other_shoppers: int,
    max_items: int | None = None,
    seed: int = 0,
) -> Split:
    """A small slice for smoke runs: some test users, some other shoppers, maybe fewer items.

    With ``max_items`` the catalog keeps only the most-engaged items of the slice (so a
    cold embedding cache stays cheap); targets outside it are dropped, and users left
    without targets too. Quick numbers are therefore not comparable to full ones.
    """
    rng = random.Random(seed)
    chosen = sorted(rng.sample(split.users, min(users, len(split.users))), key=_id_key)
    others = sorted(set(split.train_events) - set(chosen), key=_id_key)
    shoppers = set(chosen) | set(rng.sample(others, min(other_shoppers, len(others))))
    events = [e for s in sorted(shoppers, key=_id_key) for e in split.train_events[s]]
    items = split.items
    if max_items is not None:
        counts = Counter(e.item_id for e in events)
        keep = {item_id for item_id, _ in counts.most_common(max_items)}
        items = [item for item in split.items if item.item_id in keep]
        events = [e for e in events if e.item_id in keep]
    known = {item.item_id for item in items}
    # A user needs targets and train events inside the kept catalog to be evaluated.
    trained = {e.shopper_id for e in events}
    targets = {
        u: split.targets[u] & known for u in chosen if split.targets[u] & known and u in trained
    }
    return replace(
        split,
        description=f"quick slice of: {split.description}",
        items=items,
        train=event_columns(events),
        train_events={
            s: [e for e in split.train_events[s] if e.item_id in known] for s in shoppers
        },
        targets=targets,
        excluded={u: split.excluded[u] & known for u in targets},
        user_now={u: split.user_now[u] for u in targets},
    )


def _group(events: Iterable[BehaviourEvent]) -> dict[str, list[BehaviourEvent]]:
    """Events per shopper, in time order, ties broken by item id."""
    groups: dict[str, list[BehaviourEvent]] = defaultdict(list)
    for event in events:
        groups[event.shopper_id].append(event)
    for events_of_one in groups.values():
        events_of_one.sort(key=lambda e: (e.at, _id_key(e.item_id)))
    return dict(groups)


def _id_key(identifier: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order ("2" before "10"), others after them as text."""
    return (0, int(identifier), "") if identifier.isdigit() else (1, 0, identifier)
