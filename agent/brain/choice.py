"""Which brain the settings ask for: the offline one, or an LLM with it as the fallback."""

from __future__ import annotations

from agent.brain.base import Brain
from agent.brain.offline.brain import offline_brain
from agent.embedding import Embedder
from agent.errors import InvalidInput
from agent.settings import Settings


def brain_for(settings: Settings, embedder: Embedder) -> Brain:
    """The offline brain, or with ``TACTFUL_LLM_MODEL`` set the LLM brain over it."""
    offline = offline_brain(embedder)
    if not settings.llm_model:
        return offline
    # Imported here: without an LLM configured, LangChain's OpenAI client never loads.
    try:
        from agent.brain.llm import llm_brain
    except ImportError as missing:
        raise InvalidInput(
            f"TACTFUL_LLM_MODEL is set, but {missing.name or 'the LLM client'} is not "
            "installed: pip install 'tactful[llm]'."
        ) from None
    return llm_brain(settings, offline)
