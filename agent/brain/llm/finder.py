"""What the tools a model chooses in a chat turn run against: the turn's own shop view."""

from __future__ import annotations

from agent.brain.base import ShopView
from tools.search import SearchHit
from tools.types import Suggestion


class Finder:
    """The research tools' backend for one turn: it remembers what they found, and ranks
    only for the turn's own shopper, only among what a search found (when one ran)."""

    def __init__(self, shop: ShopView) -> None:
        self._shop = shop
        self._found: list[str] | None = None
        self._query: str | None = None
        self._ranked: list[Suggestion] | None = None

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        category: str | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> list[SearchHit]:
        hits = self._shop.search(
            query, k=k, category=category, price_min=price_min, price_max=price_max
        )
        self._found = [*(self._found or []), *(hit.item.item_id for hit in hits)]
        self._query = self._query or query
        return hits

    def recommend(
        self,
        shopper_id: str,
        *,
        k: int = 10,
        mode: str | None = None,
        query: str | None = None,
        budget_max: float | None = None,
        category: str | None = None,
        recipient: str | None = None,
        same_country: bool = False,
    ) -> list[Suggestion]:
        # The id is the server's (run_tool_call puts it there); how the shopper shops and
        # who it is for are the conversation's, so mode and recipient are not taken.
        if shopper_id != self._shop.shopper_id:
            raise ValueError("only the shopper in this chat can be ranked for")
        self._ranked = self._rank(query or self._query, k, category, budget_max)
        return self._ranked

    def result(self) -> list[Suggestion]:
        """What the tools ranked, or what they found ranked for the shopper."""
        if self._ranked is not None:
            return self._ranked
        if not self._found:
            return []
        return self._rank(self._query, len(self._found), None, None)

    def _rank(
        self, query: str | None, k: int, category: str | None, budget_max: float | None
    ) -> list[Suggestion]:
        only = None if self._found is None else frozenset(self._found)
        if only is not None and not only:
            return []  # a search found nothing: there is nothing to rank
        return self._shop.rank(
            query=query, k=k, category=category, budget_max=budget_max, only_ids=only
        )
