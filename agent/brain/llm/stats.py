"""What the LLM cost and how often it failed: counts for operators, and a circuit breaker."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("agent.brain.llm")

#: Why a turn went on without the LLM (or with less of it).
Cause = str


@dataclass
class TurnUsage:
    """One turn's LLM calls and tokens."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class LlmStats:
    """Counts since the brain was built: calls, tokens, fallbacks by cause, and turns the
    offline reader read surely, with no call."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    turns: int = 0
    sure_turns: int = 0
    fallbacks: Counter[Cause] = field(default_factory=Counter)
    #: Worded reasons (and intros) that said something their factors do not hold.
    ungrounded: int = 0
    most_calls_in_a_turn: int = 0
    current: TurnUsage = field(default_factory=TurnUsage)

    def start_turn(self) -> None:
        self.turns += 1
        self.current = TurnUsage()

    def count_call(self, input_tokens: int, output_tokens: int) -> None:
        self.calls += 1
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.current.calls += 1
        self.current.input_tokens += input_tokens
        self.current.output_tokens += output_tokens
        self.most_calls_in_a_turn = max(self.most_calls_in_a_turn, self.current.calls)

    def count_fallback(self, cause: Cause, detail: str = "") -> None:
        self.fallbacks[cause] += 1
        log.warning("LLM fallback (%s)%s", cause, f": {detail}" if detail else "")

    def as_dict(self) -> dict[str, object]:
        """The counts as plain data (for logs, the API and benchmarks)."""
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "turns": self.turns,
            "sure_turns": self.sure_turns,
            "fallbacks": dict(self.fallbacks),
            "ungrounded": self.ungrounded,
            "most_calls_in_a_turn": self.most_calls_in_a_turn,
        }


class CircuitBreaker:
    """Stops calling an endpoint after ``failures`` failed calls in a row, for ``seconds``;
    then one call is let through, and a success closes it again."""

    def __init__(
        self, failures: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = failures
        self._seconds = seconds
        self._clock = clock
        self._failed = 0
        self._open_until: float | None = None

    @property
    def open(self) -> bool:
        return self._open_until is not None and self._clock() < self._open_until

    def record(self, ok: bool) -> None:
        if ok:
            self._failed, self._open_until = 0, None
            return
        self._failed += 1
        if self._failed >= self._limit:
            self._open_until = self._clock() + self._seconds
            log.warning("LLM endpoint failing: no calls for %.0f s", self._seconds)
