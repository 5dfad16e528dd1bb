"""tactful's hybrid ranker, run as the product runs it, fed straight from a split.

The product reads events from SQL and vectors from Chroma; here the same objects are
built from the split in memory (same catalog index, interaction snapshot, taste
signal and ranker), which is what makes a full-catalog evaluation affordable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from bench.ranking.splits import Split
from tools.buy_again import BuyAgainPolicy
from tools.catalog_index import CatalogIndex
from tools.interactions import InteractionIndex
from tools.ranker import MODE_WEIGHTS, HybridRanker, RankInput, RankWeights
from tools.signals import DecayPolicy
from tools.taste import TasteSignal, taste_signal
from tools.types import EventKind, ShopperMode

#: The mode the benchmark ranks in: "what will this shopper buy next".
MODE = ShopperMode.PURCHASE
#: The mode ``tactful recommend`` ranks in when none is given, as a shop would call it.
SHIPPED_MODE = ShopperMode.BROWSING
#: A half-life long enough that nothing in these datasets decays at all.
NO_DECAY_DAYS = 1e9


@dataclass(frozen=True)
class TactfulConfig:
    """What can be tuned: the ranker's weights for the mode, the decay policy and the
    shape of buy-again."""

    weights: RankWeights
    policy: DecayPolicy
    buy_again: BuyAgainPolicy = field(default_factory=BuyAgainPolicy)

    def as_dict(self) -> dict[str, Any]:
        return {
            "weights": self.weights.model_dump(),
            "policy": self.policy.model_dump(),
            "buy_again": self.buy_again.model_dump(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TactfulConfig:
        return cls(
            weights=RankWeights.model_validate(data["weights"]),
            policy=DecayPolicy.model_validate(data["policy"]),
            buy_again=BuyAgainPolicy.model_validate(data.get("buy_again", {})),
        )


def default_config() -> TactfulConfig:
    """The product's own defaults for a purchase session."""
    return TactfulConfig(weights=MODE_WEIGHTS[MODE].model_copy(), policy=DecayPolicy())


def shipped_config() -> TactfulConfig:
    """What a shop gets from ``tactful recommend`` with no mode: browsing, all defaults."""
    return TactfulConfig(
        weights=MODE_WEIGHTS[SHIPPED_MODE].model_copy(),
        policy=DecayPolicy(),
        buy_again=BuyAgainPolicy(),
    )


def ablations(config: TactfulConfig) -> dict[str, TactfulConfig]:
    """The tuned configuration with one ingredient taken out at a time (not retuned)."""
    no_decay = config.policy.model_copy(
        update={f"{kind.value}_days": NO_DECAY_DAYS for kind in EventKind} | {"recent_boost": 0.0}
    )
    weights = config.weights
    taken_out = {
        "tactful − decay": TactfulConfig(weights, no_decay),
        "tactful − community": TactfulConfig(
            weights.model_copy(update={"community": 0.0}), config.policy
        ),
        # No request is ever made here, so only the taste's text share is left to remove.
        "tactful − text": TactfulConfig(
            weights.model_copy(update={"taste_content_share": 0.0}), config.policy
        ),
        "tactful − popularity": TactfulConfig(
            weights.model_copy(update={"popularity": 0.0}), config.policy
        ),
    }
    # Only a factor that is on can be taken out.
    if weights.latent > 0:
        taken_out["tactful − latent"] = TactfulConfig(
            weights.model_copy(update={"latent": 0.0}), config.policy
        )
    return taken_out


def catalog_index(split: Split, vectors: np.ndarray) -> CatalogIndex:
    """The catalog matrix in the split's item order, so rows mean the same everywhere."""
    return CatalogIndex(split.items, vectors)


@dataclass(frozen=True)
class IndexOptions:
    """How the shop-wide snapshot is built; the defaults are the product's.

    Only :mod:`bench.ranking.suggestions` changes them, to measure proposed defaults.
    """

    trending_days: float = 30.0
    neighbours_per_item: int = 100
    policy: DecayPolicy | None = None  # None: the same policy as the shopper's taste


def interaction_index(
    split: Split, catalog: CatalogIndex, policy: DecayPolicy, options: IndexOptions | None = None
) -> InteractionIndex:
    """The shop-wide snapshot as the product builds it, at the split's "now"."""
    options = options or IndexOptions()
    return InteractionIndex.build(
        split.train,
        catalog,
        now=split.now,
        policy=options.policy or policy,
        countries=split.countries,
        trending_days=options.trending_days,
        neighbours_per_item=options.neighbours_per_item,
    )


def user_taste(split: Split, catalog: CatalogIndex, user: str, policy: DecayPolicy) -> TasteSignal:
    """A user's taste from their own train events, as of their "now"."""
    return taste_signal(
        split.train_events.get(user, []), catalog, now=split.user_now[user], policy=policy
    )


class TactfulMethod:
    """Ranks with :class:`tools.ranker.HybridRanker`, one shopper at a time, with evidence."""

    def __init__(
        self,
        split: Split,
        vectors: np.ndarray,
        config: TactfulConfig,
        name: str = "tactful",
        catalog: CatalogIndex | None = None,
        index_options: IndexOptions | None = None,
        mode: ShopperMode = MODE,
    ) -> None:
        self.name = name
        self.split = split
        self.config = config
        self.mode = mode
        self.catalog = catalog or catalog_index(split, vectors)
        self.interactions = interaction_index(split, self.catalog, config.policy, index_options)
        self.ranker = HybridRanker(
            self.catalog,
            self.interactions,
            config.policy,
            {mode: config.weights},
            buy_again=config.buy_again,
        )

    def rank_input(self, user: str, k: int) -> RankInput:
        """The request a recommendation for ``user`` in the method's mode makes."""
        return RankInput(
            mode=self.mode,
            k=k,
            taste=user_taste(self.split, self.catalog, user, self.config.policy),
            exclude_rows=frozenset(self.catalog.rows(self.split.excluded[user])),
            personalized=True,
            shopper_id=user,
            country=self.split.countries.get(user),
        )

    def recommend(self, users: Sequence[str], k: int) -> list[list[int]]:
        out: list[list[int]] = []
        # One request is a handful of small matrix-vector products; waking a second BLAS
        # thread for each costs more than it saves (2.3x slower on two cores).
        with threadpool_limits(limits=1, user_api="blas"):
            for user in users:
                suggestions = self.ranker.rank(self.rank_input(user, k), self.split.user_now[user])
                rows = [self.catalog.row(s.item.item_id) for s in suggestions]
                out.append([r for r in rows if r is not None])
        return out
