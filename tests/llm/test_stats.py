"""The LLM's counts and circuit breaker, on their own."""

from __future__ import annotations

import threading

from agent.brain.llm.stats import CircuitBreaker, LlmStats


def test_turns_running_at_once_each_keep_their_own_call_count() -> None:
    stats = LlmStats()
    started = threading.Barrier(2)
    seen: list[int] = []

    def turn() -> None:
        stats.start_turn()
        started.wait()  # both turns are under way before either calls
        stats.count_call(100, 10)
        started.wait()
        seen.append(stats.current.calls)

    threads = [threading.Thread(target=turn) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert seen == [1, 1]
    assert stats.as_dict()["calls"] == 2
    assert stats.as_dict()["input_tokens"] == 200


def test_the_breaker_opens_after_failures_in_a_row_and_lets_one_call_through_later() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=3, seconds=60, clock=lambda: now[0])

    breaker.record(ok=False)
    breaker.record(ok=True)  # a success in between: the count starts again
    for _ in range(2):
        breaker.record(ok=False)
    assert not breaker.open
    breaker.record(ok=False)
    assert breaker.open

    now[0] = 59.0
    assert breaker.open
    now[0] = 61.0
    assert not breaker.open, "after the pause a call may try again"
    breaker.record(ok=False)
    assert breaker.open, "and one more failure closes the door at once"
