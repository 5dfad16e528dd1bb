"""Requests take the agent one at a time, in the order they asked for it."""

from __future__ import annotations

import threading
import time
from typing import cast

from agent.api.state import AgentGate
from agent.facade import Tactful


def test_waiting_requests_get_the_agent_in_the_order_they_asked_before_a_newcomer() -> None:
    agent = cast(Tactful, object())
    gate = AgentGate(agent)
    served: list[object] = []
    inside = threading.Lock()

    def request(n: object) -> None:
        with gate.use() as got:
            assert got is agent
            assert inside.acquire(blocking=False), "two requests hold the agent at once"
            served.append(n)
            inside.release()

    waiting = []
    with gate.use():
        for n in range(8):
            thread = threading.Thread(target=request, args=(n,))
            thread.start()
            deadline = time.monotonic() + 10
            while gate.waiting < n + 1:
                assert time.monotonic() < deadline, "the request never queued"
                time.sleep(0.001)
            waiting.append(thread)
    # Asking again the moment the agent comes free is queueing behind those who waited.
    request("newcomer")
    for thread in waiting:
        thread.join(timeout=10)

    assert served == [*range(8), "newcomer"]
    assert gate.waiting == 0
