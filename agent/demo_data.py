"""The bundled demo data: where it is, which customers the demo shows, and its "today".

Shared by ``tactful demo`` (the terminal walk-through) and the demo shop page that
``tactful serve --demo`` serves, so both show the same real customers on the same day.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
DEMO_FILE = DATA / "online-retail-demo.csv.gz"
DEMO_CHOICE = DATA / "demo.json"

#: Two more real customers of the demo data with long histories, and a first-time
#: visitor with none, so the page shows how much (or little) history shapes suggestions.
OTHER_CUSTOMERS = ("17611", "15358")
NEW_VISITOR = "demo-visitor"


@cache
def demo_choice() -> dict[str, str]:
    """The walk-through's customer (``shopper_id``) and the gift they buy (``gift_item_id``)."""
    choice: dict[str, str] = json.loads(DEMO_CHOICE.read_text(encoding="utf-8"))
    return choice


def demo_customers() -> tuple[str, ...]:
    """The shoppers the demo page lets a visitor be, the walk-through's customer first."""
    return (demo_choice()["shopper_id"], *OTHER_CUSTOMERS, NEW_VISITOR)


def replay_now(last_event_at: datetime) -> datetime:
    """'Today' for a replay of data that ended at ``last_event_at``: the day after, so
    decay treats last week's orders as last week's."""
    return last_event_at + timedelta(days=1)


def demo_now() -> datetime | None:
    """'Today' for the bundled demo data, or ``None`` when it is not in this install."""
    from agent.ingest.online_retail import read_online_retail

    if not DEMO_FILE.exists():
        return None
    last = read_online_retail(DEMO_FILE).report.last_event_at
    return replay_now(last) if last is not None else None
