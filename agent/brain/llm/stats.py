"""What the LLM cost and how often it failed: counts for operators, and a circuit breaker."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("agent.brain.llm")

#: Why a turn went on without the LLM (or with less of it).
Cause = str


@dataclass
class TurnUsage:
    """One turn's LLM calls and tokens."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


class LlmStats:
    """Counts since the brain was built: calls, tokens, fallbacks by cause, turns the
    offline reader read surely (with no call), and worded reasons rejected.

    Several chat turns may run at once (the HTTP API serves them from threads): the
    counts are kept under a lock, and each thread has its own current turn.
    """

    def __init__(self) -> None:
        self.calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.turns = 0
        self.sure_turns = 0
        self.fallbacks: Counter[Cause] = Counter()
        #: Worded reasons (and intros) that said something their factors do not hold.
        self.ungrounded = 0
        self.most_calls_in_a_turn = 0
        #: Turns whose suggestions came from tools the model chose.
        self.tool_turns = 0
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def current(self) -> TurnUsage:
        """This thread's turn so far."""
        usage: TurnUsage | None = getattr(self._local, "usage", None)
        if usage is None:
            usage = self._local.usage = TurnUsage()
        return usage

    def start_turn(self, *, sure: bool = False) -> None:
        self._local.usage = TurnUsage()
        with self._lock:
            self.turns += 1
            self.sure_turns += sure

    def count_call(self, input_tokens: int, output_tokens: int) -> None:
        turn = self.current
        turn.calls += 1
        turn.input_tokens += input_tokens
        turn.output_tokens += output_tokens
        with self._lock:
            self.calls += 1
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            self.most_calls_in_a_turn = max(self.most_calls_in_a_turn, turn.calls)

    def count_fallback(self, cause: Cause, detail: str = "") -> None:
        with self._lock:
            self.fallbacks[cause] += 1
        log.warning("LLM fallback (%s)%s", cause, f": {detail}" if detail else "")

    def count_tool_turn(self) -> None:
        with self._lock:
            self.tool_turns += 1

    def count_ungrounded(self) -> None:
        with self._lock:
            self.ungrounded += 1

    def as_dict(self) -> dict[str, object]:
        """The counts as plain data (for logs, the API and benchmarks)."""
        with self._lock:
            return {
                "calls": self.calls,
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "turns": self.turns,
                "sure_turns": self.sure_turns,
                "fallbacks": dict(self.fallbacks),
                "ungrounded": self.ungrounded,
                "most_calls_in_a_turn": self.most_calls_in_a_turn,
                "tool_turns": self.tool_turns,
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
