"""Precise, pure slot parsers for the offline reader: money, recipients, positions and
exclusions, each over the shared word lists in ``lexicon.json``."""

from agent.brain.offline.money import Money, parse_money
from agent.brain.offline.negation import parse_exclusions
from agent.brain.offline.positions import parse_position
from agent.brain.offline.recipients import Recipient, parse_recipient

__all__ = [
    "Money",
    "Recipient",
    "parse_exclusions",
    "parse_money",
    "parse_position",
    "parse_recipient",
]
