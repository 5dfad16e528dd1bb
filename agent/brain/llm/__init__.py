"""LLM assistance through LangChain and any OpenAI-compatible endpoint (optional).

Imported only when ``TACTFUL_LLM_MODEL`` is set: with it unset, nothing here (and no
``langchain_openai``) is loaded, and the offline brain reads and words alone.
"""

from __future__ import annotations

from agent.brain.llm.brain import LlmBrain
from agent.brain.llm.client import Caller, chat_model
from agent.brain.llm.stats import CircuitBreaker, LlmStats
from agent.brain.offline.brain import OfflineBrain
from agent.settings import Settings


def llm_brain(settings: Settings, offline: OfflineBrain) -> LlmBrain:
    """The LLM brain the settings describe, falling back to ``offline``."""
    caller = Caller(
        chat_model(settings),
        LlmStats(),
        CircuitBreaker(settings.llm_breaker_failures, settings.llm_breaker_seconds),
        max_input_tokens=settings.llm_max_input_tokens,
    )
    return LlmBrain(caller, offline, tools=settings.llm_tools)


__all__ = ["LlmBrain", "LlmStats", "llm_brain"]
