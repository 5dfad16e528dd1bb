"""What one turn leaves for the next: the active request and what is on screen.

It is stored with the agent's turn, so the next turn reads one row, not the whole
conversation, and a follow-up ("cheaper", "not those", "for her") edits the request the
shopper is looking at instead of starting over.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from agent.domain import ShopperMode, Suggestion
from agent.recommender import Request


class ActiveRequest(BaseModel):
    """The search behind the suggestions on screen; follow-ups edit it."""

    mode: ShopperMode = ShopperMode.BROWSING
    query: str | None = None
    budget_min: float | None = None
    budget_max: float | None = None
    category: str | None = None
    recipient: str | None = None
    #: The recipient's sex when the shopper's words said it, so "for him" is not the sister.
    sex: str | None = None
    audience: str | None = None
    age: float | None = None
    exclude_words: list[str] = Field(default_factory=list)
    exclude_ids: list[str] = Field(default_factory=list)
    like_item_id: str | None = None
    #: What it should go with, as the shopper named it ("my teapot" → "teapot").
    goes_with: str | None = None
    #: Only what the shopper has not bought or got yet ("anything I haven't had before?").
    new_only: bool = False
    #: What other shoppers buy most, not tailored: ranked as if personalization were off.
    popular: bool = False
    #: "The cheapest candles": the close matches, by price.
    order: Literal["price_low", "price_high"] | None = None

    def to_request(self, *, only_ids: frozenset[str] | None = None) -> Request:
        """The recommender's request for this search."""
        return Request(
            mode=self.mode,
            query=self.query,
            budget_min=self.budget_min,
            budget_max=self.budget_max,
            category=self.category,
            recipient=self.recipient,
            audience=self.audience,
            age=self.age,
            exclude_words=tuple(self.exclude_words),
            exclude_ids=frozenset(self.exclude_ids),
            like_item_id=self.like_item_id,
            goes_with=self.goes_with,
            new_only=self.new_only,
            only_ids=only_ids,
        )


class ShownItem(BaseModel):
    """One suggestion on screen, as much as a follow-up needs of it."""

    item_id: str
    title: str
    price: float | None = None

    @classmethod
    def of(cls, suggestion: Suggestion) -> ShownItem:
        item = suggestion.item
        return cls(item_id=item.item_id, title=item.title, price=item.price)


class TurnState(BaseModel):
    """The state a conversation is in after the agent's latest turn."""

    mode: ShopperMode | None = None
    request: ActiveRequest | None = Field(
        default=None, description="the search behind the suggestions on screen"
    )
    shown: list[ShownItem] = Field(default_factory=list, description="suggestions on screen")
    confirming: str | None = Field(default=None, description="an action awaiting a yes or no")
    focus: str | None = Field(
        default=None, description="the shown item the last turn was about, e.g. explained"
    )
    no_answer_streak: int = Field(
        default=0, ge=0, description="turns in a row whose request found no good answer"
    )
    named: ActiveRequest | None = Field(
        default=None,
        description="a gift search for the person the shopper last said a purchase was for, "
        'should "any ideas for him?" follow',
    )
