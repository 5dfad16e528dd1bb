"""The load client gets over a dropped connection instead of failing on it forever."""

from __future__ import annotations

import asyncio
import socket
import struct

import pytest

from bench.speed.loopback_client import LoopbackClient

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"


async def _serve(first_connection: str) -> tuple[asyncio.Server, list[int]]:
    """A server whose first connection misbehaves as told; later ones answer {}."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections))
        while await reader.readuntil(b"\r\n\r\n"):
            await reader.readexactly(2)  # the body, "{}"
            if len(connections) == 1 and first_connection == "reset":
                # A reset (not a clean close), as the connections of a dying worker get.
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            if len(connections) == 1 and first_connection == "silent":
                await asyncio.sleep(0.3)  # answers only after the client gave up
            writer.write(OK)
            await writer.drain()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, connections


@pytest.mark.parametrize("first_connection", ["reset", "silent"])
def test_a_request_after_a_failed_one_is_sent_on_a_new_connection(first_connection: str) -> None:
    async def scenario() -> list[int]:
        server, connections = await _serve(first_connection)
        port = server.sockets[0].getsockname()[1]
        async with server, LoopbackClient(f"http://127.0.0.1:{port}", {}, timeout=0.1) as client:
            with pytest.raises((OSError, TimeoutError)):
                await client.post("/", {})
            answers = [await client.post("/", {}) for _ in range(3)]
            assert [a.status for a in answers] == [200, 200, 200]
            assert all(a.json() == {} for a in answers)
        return connections

    # One new connection after the failure, kept alive for the rest.
    assert asyncio.run(scenario()) == [0, 1]
