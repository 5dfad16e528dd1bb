"""A long-running tactful process for tests, driven over stdin and stdout.

``python tests/agent/running_agent.py HOME NOW`` opens the data folder with the clock at
NOW, prints ``{"ready": true}``, then answers one JSON command per line with one JSON line:

- ``{"do": "chat", "shopper": ID, "text": ...}`` → ``facts_changed`` and ``cited`` ids
- ``{"do": "remember", "shopper": ID, "text": ...}`` → the new ``fact_id``
- ``{"do": "recommend", "shopper": ID}`` → ``cited``: every evidence ref of the top 20
- ``{"do": "profile", "shopper": ID}`` → ``facts`` (id → status) and ``event_count``

A :class:`TactfulError` comes back as ``{"error": its class name}``.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.clock import FixedClock
from agent.domain import Suggestion
from agent.errors import TactfulError
from agent.facade import Tactful
from agent.settings import Settings


def cited(suggestions: list[Suggestion]) -> list[str]:
    return sorted({e.ref for s in suggestions for f in s.factors for e in f.evidence})


def answer(tactful: Tactful, command: dict[str, Any]) -> dict[str, Any]:
    shopper = command["shopper"]
    if command["do"] == "chat":
        reply = tactful.chat(shopper, command["text"])
        return {
            "facts_changed": [f.fact_id for f in reply.facts_changed],
            "cited": cited(reply.suggestions),
        }
    if command["do"] == "remember":
        return {"fact_id": tactful.remember(shopper, command["text"]).fact_id}
    if command["do"] == "recommend":
        return {"cited": cited(tactful.recommend(shopper, k=20))}
    profile = tactful.profile(shopper)
    return {
        "facts": {f.fact_id: f.status.value for f in profile.facts},
        "event_count": profile.event_count,
    }


def main(home: str, now: str) -> None:
    clock = FixedClock(datetime.fromisoformat(now))
    with Tactful.open(Settings(home=Path(home)), clock=clock) as tactful:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            try:
                result = answer(tactful, json.loads(line))
            except TactfulError as exc:
                result = {"error": type(exc).__name__}
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
