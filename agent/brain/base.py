"""The brain seam: what reads a shopper's message and what words the agent's answer.

The conversation decides what happens; a brain only reads and words. The offline brain
is the default; an LLM brain fills the same protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agent.brain.intents import Understanding
from tools.search import SearchHit
from tools.types import Suggestion

if TYPE_CHECKING:
    from agent.conversation.outcome import Outcome


class ReadContext(BaseModel):
    """What the conversation looks like when a message arrives: the same words mean
    different things in different states ("yes" to a question, "no" to a confirmation)."""

    model_config = ConfigDict(frozen=True)

    awaiting_answer: bool = Field(
        default=False, description='the agent just asked "was the X for someone else?"'
    )
    suggestion_count: int = Field(default=0, ge=0, description="suggestions on screen")
    confirming: bool = Field(default=False, description="the agent asked a yes/no to an action")
    handover_open: bool = Field(default=False, description="a person has been asked for")


class Worded(BaseModel):
    """A reply that shows suggestions: its text and one reason per suggestion, in order."""

    text: str
    reasons: list[str]


class ShopView(Protocol):
    """What a brain may ask of the shop during one turn: read-only, and only for the
    shopper whose turn it is. Who they are, how they shop and who it is for are the
    conversation's; a brain may only say what to look for."""

    @property
    def shopper_id(self) -> str: ...

    @property
    def conversation_id(self) -> str: ...

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        category: str | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> list[SearchHit]:
        """The catalog's items nearest ``query`` in meaning (not personalized)."""
        ...

    def rank(
        self,
        *,
        query: str | None,
        k: int,
        category: str | None = None,
        budget_max: float | None = None,
        only_ids: frozenset[str] | None = None,
    ) -> list[Suggestion]:
        """The turn's request ranked for the shopper, with ``query`` as what is asked
        for, and the other arguments only narrowing it."""
        ...


class Brain(Protocol):
    """Reads messages into an :data:`Understanding` and words outcomes as text."""

    def read(self, message: str, context: ReadContext) -> Understanding:
        """What the message means in this context."""
        ...

    def word(self, outcome: Outcome) -> str:
        """The reply text for what the conversation did."""
        ...

    def word_shown(self, outcome: Outcome, suggestions: Sequence[Suggestion]) -> Worded:
        """The reply text for an outcome that shows ``suggestions``, and a reason for each
        one, said only from that suggestion's factors."""
        ...

    def choose(self, message: str, shop: ShopView) -> list[Suggestion] | None:
        """Suggestions for a new request found with tools the brain chooses, or None,
        and the conversation ranks as it always does."""
        ...
