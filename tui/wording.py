"""How the console words times, causes and provenance, in one place."""

from __future__ import annotations

from datetime import datetime

CAUSES = {
    "requested": "asked for a person",
    "frustration": "frustration",
    "no_good_answer": "no good answer",
    "sensitive": "sensitive topic",
}
STATUSES = {
    "waiting": "waiting",
    "with_staff": "with staff",
    "handed_back": "handed back",
    "resolved": "resolved",
    "called_off": "called off",
}


def duration(seconds: float) -> str:
    """A short length of time: ``45s``, ``12m``, ``3h 05m``, ``2d 4h``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def age(then: datetime, now: datetime | None) -> str:
    """How long ago, by the server's clock; the date itself when that clock is unknown."""
    if now is None:
        return then.strftime("%Y-%m-%d")
    return f"{duration((now - then).total_seconds())} ago"


def cause(value: str) -> str:
    return CAUSES.get(value, value.replace("_", " "))


def status(value: str) -> str:
    return STATUSES.get(value, value.replace("_", " "))
