"""Time comes in through a clock so decay can be tested with a fixed one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from tools.types import as_naive_utc


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, naive UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


class RunningClock:
    """A clock set to ``at`` when the real time was ``since``, running on from there: a
    served replay of old data, where waiting times still grow."""

    def __init__(self, at: datetime, since: datetime) -> None:
        self.offset = at - since

    def now(self) -> datetime:
        return SystemClock().now() + self.offset


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or time as naive UTC: ``2011-12-09``, ``2011-12-09 08:26``,
    ``2011-12-09T08:26:00Z``, ``…+01:00``; a time without a zone is taken as UTC.

    Raises ValueError with a plain reason when the text is not such a time.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            "is not an ISO 8601 date or time (e.g. 2011-12-09 or 2011-12-09T08:26:00Z)"
        ) from None
    return as_naive_utc(value)


def latest_allowed(now: datetime, slack: timedelta = timedelta(days=1)) -> datetime:
    """The latest time an event may carry when loaded at ``now``.

    A little slack lets shop clocks run ahead of ours; far-future times (year 9999) are
    typos or placeholders, and would otherwise outweigh every real event as they decay.
    """
    return now + slack if now < datetime.max - slack else datetime.max
