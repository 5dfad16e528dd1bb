"""The exact, rule-first checks: what must reach a person, and the shopper's data rights."""

from __future__ import annotations

import re
from functools import cache

from agent.brain.intents import DataRequest, Handoff, Sensitive
from agent.brain.offline.cues import default_rules


def _any(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@cache
def _compiled() -> dict[str, re.Pattern[str]]:
    rules = default_rules()
    return {
        # A refund is a return before it is a payment: the person who handles it differs.
        "return": _any(rules.return_),
        "payment": _any(rules.payment),
        "complaint": _any(rules.complaint),
        "delivery": _any(rules.delivery),
        "handoff": _any(rules.handoff),
        "erase": _any(rules.data_erase),
        "export": _any(rules.data_export),
        "profile": _any(rules.data_profile),
    }


def safety(text: str) -> Sensitive | Handoff | None:
    """A sensitive topic or a request for a person that ``text`` (lower case) states."""
    patterns = _compiled()
    # "my delivery never came" is a complaint before it is a question about delivery.
    for topic in ("return", "payment", "complaint", "delivery"):
        if patterns[topic].search(text):
            return Sensitive(topic=topic)
    if patterns["handoff"].search(text):
        return Handoff()
    return None


def data_request(text: str) -> DataRequest | None:
    """Seeing, exporting or erasing the shopper's data, when ``text`` says so exactly."""
    patterns = _compiled()
    for action in ("erase", "export", "profile"):
        if patterns[action].search(text):
            return DataRequest(action=action)
    return None
