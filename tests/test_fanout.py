"""Fan-out under pressure: join storms, slow consumers, idle unloading."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pycrdt
import pytest

from collab_server.status import Close
from tests.conftest import Server, World, build_world
from tests.yclient import StalledSocket, YClient, wait_until

SERVER_ENV = {
    "PHONGHOP_SEND_QUEUE_FRAMES": "32",
    "PHONGHOP_SEND_QUEUE_BYTES": str(256 * 1024),
    "PHONGHOP_IDLE_UNLOAD_S": "0.3",
}


@pytest.fixture(scope="module")
async def big_world(server: Server) -> World:
    return await build_world(server.database_url, delegates=89)


async def health(server: Server) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        live: dict[str, int] = (await client.get(f"{server.http}/-/health")).json()["live"]
    return live


@pytest.fixture
async def clients() -> AsyncIterator[list[YClient]]:
    made: list[YClient] = []
    yield made
    await asyncio.gather(*(c.close() for c in made), return_exceptions=True)


async def test_join_storm_on_a_cold_meeting(server: Server, big_world: World,
                                            clients: list[YClient]) -> None:
    people = ["chair", "display"] + [f"delegate{i:02d}" for i in range(1, 90)]
    assert len(people) == 91
    before = await health(server)
    path = f"meeting/{big_world.meeting_id}/room"
    made = [YClient(server.ws, path, big_world.token(p)) for p in people]
    clients.extend(made)
    await asyncio.gather(*(c.connect(timeout=30) for c in made))
    assert all(c.synced for c in made)
    after = await health(server)
    assert after["loads"] - before["loads"] == 1, "the meeting must be loaded once"
    assert after["connections"] >= 91
    # And they are live: one intent reaches all 91.
    chair = made[0]
    assert (await chair.intent("agenda.goto", {"item": big_world.agenda[1]}))["ok"]
    await wait_until(lambda: all(c.map("cursor").get("item") == big_world.agenda[1]
                                 for c in made), 10, "cursor on all 91")


async def test_slow_consumer_is_dropped_and_others_keep_up(server: Server, big_world: World,
                                                           clients: list[YClient]) -> None:
    path = f"meeting/{big_world.meeting_id}/ink"
    chair = await YClient(server.ws, path, big_world.token("chair")).connect()
    fast = await YClient(server.ws, path, big_world.token("delegate01")).connect()
    slow = await StalledSocket(server.port, path, big_world.token("delegate02")).connect()
    clients.extend([chair, fast])
    dropped_before = (await health(server))["dropped_clients"]
    strokes = chair.doc.get("strokes", type=pycrdt.Array)
    stroke = "M 0 0 " + "L 1 1 " * 10_000  # 60 KB per stroke
    for _ in range(150):
        state = chair.doc.get_state()
        strokes.append(stroke)
        await chair.send_update(chair.doc.get_update(state))
        await asyncio.sleep(0.005)
    await wait_until(lambda: len(fast.doc.get("strokes", type=pycrdt.Array)) == 150, 20,
                     "the fast reader to get every stroke")
    live = await health(server)
    assert live["dropped_clients"] == dropped_before + 1
    # The slow one, once it reads again, finds a close code that tells it to come back.
    try:
        assert await asyncio.wait_for(slow.read_until_close(), 20) == Close.TRY_AGAIN_LATER
    finally:
        slow.close()
    again = await YClient(server.ws, path, big_world.token("delegate02")).connect()
    clients.append(again)
    assert again.synced, (again.close_code, again.close_reason)
    assert len(again.doc.get("strokes", type=pycrdt.Array)) == 150


async def test_idle_documents_are_unloaded_and_come_back(server: Server) -> None:
    world = await build_world(server.database_url, delegates=1)
    path = f"meeting/{world.meeting_id}/notes/{world.documents[0]}"
    client = await YClient(server.ws, path, world.token("delegate01")).connect()
    client.doc.get("notes", type=pycrdt.Map)["p2"] = "Đề nghị bổ sung số liệu quý IV"
    await client.send_update(client.doc.get_update())
    loaded = await health(server)
    assert client.received_updates == 0  # nothing echoed to the writer
    await client.close()

    async def unloaded() -> bool:
        return (await health(server))["documents"] < loaded["documents"]

    deadline = asyncio.get_running_loop().time() + 5
    while not await unloaded():
        assert asyncio.get_running_loop().time() < deadline, "document was not unloaded"
        await asyncio.sleep(0.05)
    back = await YClient(server.ws, path, world.token("delegate01")).connect()
    try:
        assert back.map("notes") == {"p2": "Đề nghị bổ sung số liệu quý IV"}
    finally:
        await back.close()


async def test_presence_in_a_full_room_is_merged(server: Server, big_world: World,
                                                 clients: list[YClient]) -> None:
    """Every presence change goes to every socket, so in a full room they are
    merged over a longer window than document updates: 91 laptops changing
    their presence one after another, 6 ms apart, reach a watcher in far
    fewer frames than changes (each change alone would be 91 frames)."""
    people = ["chair", "display"] + [f"delegate{i:02d}" for i in range(1, 90)]
    path = f"meeting/{big_world.meeting_id}/room"
    made = [YClient(server.ws, path, big_world.token(p)) for p in people]
    clients.extend(made)
    await asyncio.gather(*(c.connect(timeout=30) for c in made))
    watcher = made[0]
    frames_before = watcher.awareness_frames
    started = time.monotonic()
    for n, client in enumerate(made[1:], start=1):
        await client.set_awareness(1000 + n, 5, {"page": n})
        await asyncio.sleep(0.006)
    elapsed = time.monotonic() - started
    await wait_until(lambda: all((watcher.awareness.get(1000 + n) or {}).get("page") == n
                                 for n in range(1, 91)), 10, "every presence at the watcher")
    frames = watcher.awareness_frames - frames_before
    # At most one frame per window of 5 ms × 91 / 25 = 18 ms while the changes
    # came, and the last ones after (a 5 ms window would give one per change).
    assert frames <= elapsed / 0.018 + 5, (frames, elapsed)
