"""tactful: a conversational preference agent for online shops.

``from agent import Tactful`` is the Python API; see the README for a tour.
"""

from agent.errors import TactfulError
from agent.facade import Tactful
from agent.settings import Settings

__all__ = ["Settings", "Tactful", "TactfulError"]
