"""A few dozen items, ranked with the hashing embedder: a shop small enough to reason about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from tests.fakes import HashingEmbedder
from tools.buy_again import BuyAgainPolicy
from tools.catalog_index import CatalogIndex
from tools.interactions import InteractionIndex
from tools.ranker import HybridRanker
from tools.signals import DecayPolicy
from tools.taste import TasteSignal, taste_signal
from tools.types import (
    BehaviourEvent,
    CatalogItem,
    EventKind,
    FactSource,
    PreferenceFact,
)

NOW = datetime(2024, 5, 1, 12, 0)
EMBEDDER = HashingEmbedder(dim=256)
COLOURS = ("red", "blue", "green", "pink", "ivory", "black", "gold", "silver", "white", "grey")


def item(item_id: str, title: str, **fields: object) -> CatalogItem:
    return CatalogItem(item_id=item_id, title=title, **fields)  # type: ignore[arg-type]


def default_items() -> list[CatalogItem]:
    """Twelve candles, twelve mugs, twelve cushions, a few hearts and a tagged bottle."""
    items = [item(f"candle-{c}", f"{c} scented pillar candle", price=4.0) for c in COLOURS]
    items += [item("candle-tea", "tea light candle set"), item("candle-jar", "jar candle")]
    items += [item(f"mug-{c}", f"{c} enamel mug", category="kitchen") for c in COLOURS]
    items += [item("mug-owl", "owl enamel mug"), item("mug-fox", "fox enamel mug")]
    items += [item(f"cushion-{c}", f"{c} velvet cushion", category="home") for c in COLOURS]
    items += [
        item("heart-wreath", "wicker heart wreath", category="home"),
        item("hearts-garland", "garland of hearts", category="home"),
        item("bottle", "hot water bottle", category="home", tags=("winter",)),
        item("valentine", "valentine card", category="hearts & love"),
    ]
    return items


class SmallShop:
    """A catalog, its ranker and helpers to state likes and record events."""

    def __init__(
        self, items: Sequence[CatalogItem] | None = None, buy_again: BuyAgainPolicy | None = None
    ) -> None:
        self.items = list(items) if items is not None else default_items()
        vectors = EMBEDDER.embed([i.embedding_text() for i in self.items])
        self.catalog = CatalogIndex(self.items, vectors)
        self.policy = DecayPolicy()
        self.ranker = HybridRanker(
            self.catalog,
            InteractionIndex.empty(len(self.catalog), NOW),
            self.policy,
            buy_again=buy_again,
        )

    def row(self, item_id: str) -> int:
        row = self.catalog.row(item_id)
        assert row is not None, item_id
        return row

    def like(self, subject: str) -> tuple[PreferenceFact, np.ndarray]:
        """A like the shopper stated today, with its embedding, as the ranker takes it."""
        fact = PreferenceFact(
            fact_id=f"fact-{subject}",
            shopper_id="s1",
            text=f"likes {subject}",
            subject=subject,
            source=FactSource.STATED,
            confidence=0.9,
            created_at=NOW,
            reinforced_at=NOW,
        )
        return fact, EMBEDDER.embed([fact.text])[0]

    def event(
        self, item_id: str, kind: EventKind, *, days_ago: float = 1.0, n: int = 1
    ) -> BehaviourEvent:
        return BehaviourEvent(
            event_id=f"ev-{kind.value}-{item_id}-{n}",
            shopper_id="s1",
            item_id=item_id,
            kind=kind,
            at=NOW - timedelta(days=days_ago),
        )

    def taste(self, events: Sequence[BehaviourEvent]) -> TasteSignal:
        return taste_signal(events, self.catalog, now=NOW, policy=self.policy)

    def query(self, text: str) -> np.ndarray:
        return EMBEDDER.embed([text])[0]


KINDS = [EventKind.PURCHASE] * 6 + [EventKind.VIEW, EventKind.CART, EventKind.DISMISS]


def varied_history(
    shop: SmallShop, shoppers: int, days: int, seed: int = 0
) -> list[BehaviourEvent]:
    """Shoppers who each keep to a few items, re-order some, look at others and give
    the odd gift: every kind of event a taste signal reads."""
    rng = np.random.default_rng(seed)
    ids = [item.item_id for item in shop.items]
    events = []
    for s in range(shoppers):
        favourites = rng.choice(ids, size=6, replace=False)
        for n in range(int(rng.integers(8, 20))):
            kind = KINDS[int(rng.integers(len(KINDS)))]
            events.append(
                BehaviourEvent(
                    event_id=f"e{s}-{n}",
                    shopper_id=f"s{s}",
                    item_id=str(rng.choice(favourites if rng.random() < 0.8 else ids)),
                    kind=kind,
                    at=NOW - timedelta(days=float(rng.uniform(0, days))),
                    recipient="my niece" if kind is EventKind.PURCHASE and n == 3 else None,
                )
            )
    return events
