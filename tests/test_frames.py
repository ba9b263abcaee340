"""transport/frames.py: a room's update framed once and written to every
socket as the same bytes, read back by the websockets library's own parser
and by real clients of a real server."""

from __future__ import annotations

import re

import httpx
import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from collab_server.transport.frames import frame_binary
from tests.conftest import Server, World
from tests.yclient import YClient, wait_until


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 300_000])
def test_a_frame_reads_back_as_the_same_payload(size: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    reader = StreamReader()
    reader.feed_data(frame_binary(payload))
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    else:  # pragma: no cover - the whole frame was fed
        raise AssertionError("the parser wanted more bytes")
    assert frame.opcode is Opcode.BINARY and frame.fin
    assert frame.data == payload


def test_one_payload_is_framed_once() -> None:
    payload = b"\x00\x01" * 40
    assert frame_binary(payload) is frame_binary(payload)


async def direct_frames(server: Server) -> float:
    async with httpx.AsyncClient(base_url=server.http) as client:
        text = (await client.get("/-/metrics")).text
    found = re.search(r"^phonghop_frames_direct_total (\S+)$", text, re.M)
    assert found, text[:500]
    return float(found.group(1))


async def test_the_room_is_written_directly_to_every_socket(server: Server, world: World) -> None:
    before = await direct_frames(server)
    path = f"meeting/{world.meeting_id}/room"
    laptops = [await YClient(server.ws, path, world.token(who)).connect()
               for who in ("chair", "delegate01", "delegate02", "display")]
    try:
        chair = laptops[0]
        assert (await chair.intent("agenda.goto", {"step": 1}))["ok"]
        for laptop in laptops:
            await wait_until(lambda c=laptop: c.map("cursor").get("item") is not None, 10)
        assert await direct_frames(server) >= before + len(laptops)
    finally:
        for laptop in laptops:
            await laptop.close()
