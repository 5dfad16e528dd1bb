"""Which brain the settings ask for: the offline one, or an LLM with it as the fallback."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from agent.brain.base import Brain, ReadContext, ShopView, Worded
from agent.embedding import Embedder
from agent.errors import InvalidInput
from agent.settings import Settings

if TYPE_CHECKING:
    from agent.brain.intents import Understanding
    from agent.conversation.outcome import Outcome
    from tools.types import Suggestion


def brain_for(settings: Settings, embedder: Embedder) -> Brain:
    """The offline brain, or with ``TACTFUL_LLM_MODEL`` set the LLM brain over it."""
    if not settings.llm_model:
        return OfflineOnFirstMessage(embedder)
    # Imported here: without an LLM configured, LangChain's OpenAI client never loads.
    try:
        from agent.brain.llm import llm_brain
    except ImportError as missing:
        raise InvalidInput(
            f"TACTFUL_LLM_MODEL is set, but {missing.name or 'the LLM client'} is not "
            "installed: pip install 'tactful[llm]'."
        ) from None
    from agent.brain.offline.brain import offline_brain

    return llm_brain(settings, offline_brain(embedder))


class OfflineOnFirstMessage:
    """The offline brain, loaded when a conversation first needs it. Its reader compiles
    a few hundred patterns, a tenth of a one-shot ``tactful recommend``, which never
    reads a message."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    @cached_property
    def _brain(self) -> Brain:
        from agent.brain.offline.brain import offline_brain

        return offline_brain(self._embedder)

    def read(self, message: str, context: ReadContext) -> Understanding:
        return self._brain.read(message, context)

    def word(self, outcome: Outcome) -> str:
        return self._brain.word(outcome)

    def word_shown(self, outcome: Outcome, suggestions: Sequence[Suggestion]) -> Worded:
        return self._brain.word_shown(outcome, suggestions)

    def choose(self, message: str, shop: ShopView) -> list[Suggestion] | None:
        return self._brain.choose(message, shop)
