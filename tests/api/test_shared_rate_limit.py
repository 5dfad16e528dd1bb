"""The rate limit several workers share: leased a few tokens at a time, never exceeded."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.api.ratelimit import LEASE_SECONDS, SharedRateLimiter

SECRET = b"s" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def workers(tmp_path: Path, clock: Clock) -> Iterator[list[SharedRateLimiter]]:
    """Two workers' limiters on one table: 40 at once, barely refilling."""
    made = [SharedRateLimiter.beside(tmp_path, 0.001, 40, SECRET, workers=2) for _ in range(2)]
    for limiter in made:
        limiter._clock = clock
    yield made
    for limiter in made:
        limiter.close()


def admitted(limiter: SharedRateLimiter, times: int, key: str = "shop:backend") -> int:
    return sum(limiter.take(key) is None for _ in range(times))


def test_a_caller_gets_its_burst_in_all_however_its_requests_alternate(
    workers: list[SharedRateLimiter],
) -> None:
    first, second = workers
    assert first.lease == 5  # a quarter of 40, shared by two
    answers = [(first if n % 2 else second).take("shop:backend") for n in range(60)]
    assert sum(a is None for a in answers) == 40
    assert answers[:40] == [None] * 40
    assert all(isinstance(a, int) and a >= 1 for a in answers[40:])


@pytest.mark.parametrize("lapsed", [False, True], ids=["live", "lapsed"])
def test_a_lease_one_worker_holds_is_spent_there_and_never_twice(
    workers: list[SharedRateLimiter], clock: Clock, lapsed: bool
) -> None:
    first, second = workers
    assert admitted(first, 1) == 1  # drew 5, holds 4
    assert admitted(second, 40) == 35
    if lapsed:
        # The four go back to the bucket with the first worker's next request, which
        # draws them again: nothing is lost, though the bucket has not refilled.
        clock.now += LEASE_SECONDS + 0.1
    assert admitted(first, 10) == 4
    assert admitted(second, 1) == 0


def test_callers_are_counted_apart(workers: list[SharedRateLimiter]) -> None:
    first, second = workers
    assert admitted(first, 50, "shop:a") == 40
    assert admitted(second, 50, "shop:b") == 40


def test_no_interleaving_admits_more_than_the_bucket_holds(tmp_path: Path, clock: Clock) -> None:
    rate, burst = 5.0, 12
    limiters = [SharedRateLimiter.beside(tmp_path, rate, burst, SECRET, workers=3) for _ in "abc"]
    for limiter in limiters:
        limiter._clock = clock
    rng = random.Random(3)
    start, admitted_at = clock.now, []
    for _ in range(2000):
        clock.now += rng.expovariate(40.0)  # eight times the rate
        if rng.choice(limiters).take("shop:backend") is None:
            admitted_at.append(clock.now)
    for limiter in limiters:
        limiter.close()
    # Over every window from the start, no more than the burst and what refilled since.
    for count, at in enumerate(admitted_at, start=1):
        assert count <= burst + rate * (at - start) + 1e-9
    # And the refusals do not starve the caller: most of what refilled was spent.
    assert len(admitted_at) >= 0.8 * (burst + rate * (clock.now - start))
