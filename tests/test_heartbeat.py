"""The laptop's heartbeat on the wire: PING is answered with PONG at once,
on every document, and a client never sends PONG."""

from __future__ import annotations

import asyncio

import pytest

from collab_server.protocol import PING_FRAME, PONG_FRAME, Ping, Pong, decode
from collab_server.status import Close
from tests.conftest import Server, World
from tests.yclient import YClient


def test_ping_and_pong_decode() -> None:
    assert decode(bytes([102])) == Ping() and PING_FRAME == bytes([102])
    assert decode(bytes([103])) == Pong() and PONG_FRAME == bytes([103])


async def next_pong(client: YClient, timeout: float = 5.0) -> None:
    """Frames until a PONG; the handshake's frames come first."""
    async def read() -> None:
        while await client.ws.recv() != PONG_FRAME:
            pass
    await asyncio.wait_for(read(), timeout)


@pytest.mark.parametrize("path", ["room", "inbox"])
async def test_a_ping_is_answered(server: Server, world: World, path: str) -> None:
    client = await YClient(server.ws, f"meeting/{world.meeting_id}/{path}",
                           world.token("delegate01"), read=False).connect(wait_sync=False)
    try:
        for _ in range(3):
            await client.ws.send(PING_FRAME)
            await next_pong(client)
    finally:
        await client.ws.close()


async def test_a_client_may_not_send_pong(server: Server, world: World) -> None:
    client = await YClient(server.ws, f"meeting/{world.meeting_id}/room",
                           world.token("delegate01")).connect()
    await client.ws.send(PONG_FRAME)
    await asyncio.wait_for(client.closed.wait(), 5)
    assert client.close_code == Close.BAD_REQUEST
