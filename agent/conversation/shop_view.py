"""The shop as a brain's tools see it during one turn (a :class:`ShopView`).

A model that chooses tools may say what to look for, and narrow it; who the shopper is,
how they shop, who it is for and what they ruled out stay the conversation's.
"""

from __future__ import annotations

import dataclasses

from agent.conversation.state import ActiveRequest
from agent.recommender import Recommender
from tools.search import SearchHit
from tools.types import Suggestion


class TurnShop:
    """Catalog search, and this turn's request ranked for this turn's shopper only."""

    def __init__(
        self,
        recommender: Recommender,
        request: ActiveRequest,
        *,
        shopper_id: str,
        conversation_id: str,
        personalized: bool,
    ) -> None:
        self._recommender = recommender
        self._base = request
        self._shopper_id = shopper_id
        self._conversation_id = conversation_id
        self._personalized = personalized
        #: The search as the tools last ranked it, for the next turn's follow-ups.
        self.request = request

    @property
    def shopper_id(self) -> str:
        return self._shopper_id

    @property
    def conversation_id(self) -> str:
        return self._conversation_id

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        category: str | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> list[SearchHit]:
        return self._recommender.search(
            query, k=k, category=category, price_min=price_min, price_max=price_max
        )

    def rank(
        self,
        *,
        query: str | None,
        k: int,
        category: str | None = None,
        budget_max: float | None = None,
        only_ids: frozenset[str] | None = None,
    ) -> list[Suggestion]:
        base = self._base
        self.request = base.model_copy(
            update={
                "query": query or base.query,
                "category": base.category or category,
                # A budget the shopper gave is never raised by a tool.
                "budget_max": min(
                    (b for b in (base.budget_max, budget_max) if b is not None), default=None
                ),
            }
        )
        request = self.request.to_request(only_ids=only_ids)
        request = dataclasses.replace(request, k=min(k, request.k))
        return self._recommender.recommend(
            self._shopper_id, request, personalized=self._personalized
        )
