"""A minimal HTTP/1.1 keep-alive client for driving a server on loopback.

The load clients share the machine's two cores with the server they measure, so what
each request costs the client is taken from the server. httpx spends a few milliseconds
of CPU on a request (its transport, header models and event hooks); writing the request
bytes and reading a ``Content-Length`` body back costs a small fraction of that. Only
what the benchmark sends is supported: JSON bodies, answers with a ``Content-Length``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class LoopbackClient:
    """One keep-alive connection to ``url``, opened on first use; ``async with`` closes it."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float = 120.0) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._headers = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> LoopbackClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None

    async def post(self, path: str, body: Any) -> Answer:
        """POST ``body`` as JSON; a dropped connection raises :class:`ConnectionError`.

        Whatever goes wrong, the connection is closed and the next request opens a new
        one: a reset or timed-out connection written to again would fail at once, over and
        over, or read the late answer to an earlier request."""
        try:
            return await asyncio.wait_for(self._post(path, body), self._timeout)
        except BaseException:
            await self.close()
            raise

    async def _post(self, path: str, body: Any) -> Answer:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        payload = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n{self._headers}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self._writer.write(head.encode("latin-1") + payload)
        try:
            lines = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        except asyncio.IncompleteReadError as exc:
            raise ConnectionError("the server closed the connection") from exc
        status = int(lines[0].split(" ", 2)[1])
        fields = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        answer = Answer(status, await self._reader.readexactly(int(fields["content-length"])))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return answer
