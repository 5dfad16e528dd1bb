"""What the app holds for its lifetime: the agent behind a lock, keys, signer, limiter."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from agent.api.ratelimit import Limiter
from agent.api.tokens import TokenSigner
from agent.facade import Tactful
from agent.settings import Settings
from agent.stores.keys import KeyStore


class AgentGate:
    """The one :class:`Tactful` of this process, used by one request at a time, in the
    order they came.

    Its caches and in-memory catalog index are not made for concurrent writers, and every
    call is short; serializing calls keeps each one exactly as the library promises. More
    throughput comes from more worker processes on the same stores
    (``tactful serve --workers``).

    A plain lock lets whichever thread asks at the moment it comes free take it, often a
    request that just arrived rather than one that has waited through several turns, which
    stretches the slowest answers far past the typical one. Here each waiter queues and is
    handed the agent in turn.
    """

    def __init__(self, tactful: Tactful) -> None:
        self._tactful = tactful
        self._guard = threading.Lock()
        self._busy = False
        self._queue: deque[threading.Lock] = deque()

    @contextmanager
    def use(self) -> Iterator[Tactful]:
        self._enter()
        try:
            yield self._tactful
        finally:
            self._leave()

    @property
    def waiting(self) -> int:
        """How many requests are queued for the agent now."""
        return len(self._queue)

    def _enter(self) -> None:
        with self._guard:
            if not self._busy:
                self._busy = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._queue.append(turn)
        turn.acquire()  # released by the request before, which hands the agent over

    def _leave(self) -> None:
        with self._guard:
            if self._queue:
                self._queue.popleft().release()
            else:
                self._busy = False


@dataclass
class ApiState:
    settings: Settings
    agent: AgentGate
    keys: KeyStore
    signer: TokenSigner
    limiter: Limiter
