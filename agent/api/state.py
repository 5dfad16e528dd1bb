"""What the app holds for its lifetime: the agent behind a lock, keys, signer, limiter."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from agent.api.ratelimit import Limiter
from agent.api.tokens import TokenSigner
from agent.facade import Tactful
from agent.settings import Settings
from agent.stores.keys import KeyStore


class AgentGate:
    """The one :class:`Tactful` of this process, used by one request at a time.

    Its caches and in-memory catalog index are not made for concurrent writers, and every
    call is short; serializing calls keeps each one exactly as the library promises. More
    throughput comes from more worker processes on the same stores
    (``tactful serve --workers``).
    """

    def __init__(self, tactful: Tactful) -> None:
        self._tactful = tactful
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[Tactful]:
        with self._lock:
            yield self._tactful


@dataclass
class ApiState:
    settings: Settings
    agent: AgentGate
    keys: KeyStore
    signer: TokenSigner
    limiter: Limiter
