"""Live streams as Server-Sent Events, for the staff queue and a shopper's hand-over.

A change can come from any worker process (a shopper's message, a claim), so a stream
reads the stores every ``live_poll_seconds`` and sends an event only when what it reads
differs from what it last sent. A comment line goes out meanwhile, so proxies and clients
can tell a quiet stream from a dead one. Reads run in a thread: the agent is used by one
request at a time and must not block the event loop while it waits for its turn.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from agent.api.errors import code_for
from agent.errors import TactfulError

#: Seconds between keep-alive comments on a quiet stream.
KEEP_ALIVE = 15.0
#: Events are (name, JSON-ready data); a read returns the events a change calls for.
Event = tuple[str, Any]


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def poll(
    request: Request, read: Callable[[], list[Event]], interval: float
) -> AsyncIterator[str]:
    """Events from calling ``read`` every ``interval`` seconds until the client leaves.

    An error while reading (the shopper was erased, the hand-over is gone) is sent as an
    ``error`` event in the API's error shape, and ends the stream.
    """
    quiet_since = time.monotonic()
    while not await request.is_disconnected():
        try:
            events = await run_in_threadpool(read)
        except TactfulError as exc:
            yield sse("error", {"error": {"code": code_for(exc), "message": exc.message}})
            return
        for name, data in events:
            yield sse(name, data)
        if events:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= KEEP_ALIVE:
            yield ": still here\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(interval)


def stream(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
