"""A served replay of old data pins the clock at the data's "today" and lets it run on
from there, so that how long a hand-over has waited grows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.cli.serve import _clock_runs, _worker_environment
from agent.clock import RunningClock, SystemClock
from agent.settings import Settings

DATA_TODAY = datetime(2011, 12, 10, 12, 25)


def test_a_running_clock_starts_at_the_pinned_time_and_moves_with_real_time() -> None:
    five_seconds_ago = SystemClock().now() - timedelta(seconds=5)

    now = RunningClock(DATA_TODAY, since=five_seconds_ago).now()

    assert DATA_TODAY + timedelta(seconds=5) <= now < DATA_TODAY + timedelta(minutes=1)


def test_a_served_pinned_clock_runs_from_the_start_and_every_worker_shares_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    served = _clock_runs(Settings(home=tmp_path, now=DATA_TODAY))
    assert served.now == DATA_TODAY
    assert served.now_since is not None

    for name, value in _worker_environment(served, workers=2).items():
        monkeypatch.setenv(name, value)
    worker = Settings()

    assert (worker.now, worker.now_since) == (served.now, served.now_since)


def test_the_real_clock_is_left_alone(tmp_path: Path) -> None:
    assert _clock_runs(Settings(home=tmp_path)).now_since is None
