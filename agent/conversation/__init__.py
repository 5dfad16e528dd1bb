"""Chat turns: the loop, the handlers that act, the outcomes a brain words, the state kept."""

from agent.conversation.handlers import SESSION_WINDOW, DataRights, Summarised
from agent.conversation.loop import Conversations

__all__ = ["SESSION_WINDOW", "Conversations", "DataRights", "Summarised"]
