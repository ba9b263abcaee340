"""Per-person limits: one account cannot take the room's share by opening
many sockets, nor fill the disk with notes. Real server, real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pycrdt
import pytest
import websockets

from collab_server.protocol.lib0 import var_uint
from collab_server.status import Close
from tests.conftest import Server, World, build_world, new_database
from tests.yclient import YClient, wait_until


async def metrics(server: Server) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=server.http) as client:
        text = (await client.get("/-/metrics")).text
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


async def stored_bytes(url: str, name: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(
            "SELECT coalesce((SELECT sum(length(data)) FROM doc_updates WHERE name = $1), 0)"
            " + coalesce((SELECT length(data) FROM doc_snapshots WHERE name = $1), 0)", name))
    finally:
        await conn.close()


async def until_stored(url: str, name: str, minimum: int) -> int:
    """Poll until the persister has written at least `minimum` bytes."""
    deadline = time.monotonic() + 10
    while (stored := await stored_bytes(url, name)) < minimum:
        assert time.monotonic() < deadline, f"only {stored} bytes stored"
        await asyncio.sleep(0.05)
    return stored


def room_path(world: World) -> str:
    return f"meeting/{world.meeting_id}/room"


async def test_one_account_cannot_open_hundreds_of_sockets(server: Server) -> None:
    world = await build_world(server.database_url, delegates=1)
    before = (await metrics(server))["phonghop_person_refused_sockets_total"]
    clients = [YClient(server.ws, room_path(world), world.token("delegate01"))
               for _ in range(40)]
    try:
        for client in clients:
            await client.connect(wait_sync=False)
        await wait_until(lambda: sum(c.closed.is_set() for c in clients) >= 24, 10,
                         "the extra sockets to be refused")
        refused = [c for c in clients if c.closed.is_set()]
        assert len(refused) == 24
        assert {c.close_code for c in refused} == {Close.TOO_MANY_REQUESTS}
        assert "too many sockets" in refused[0].close_reason.lower()
        # The sockets within the limit work, and so does everyone else.
        kept = next(c for c in clients if not c.closed.is_set())
        assert (await kept.intent("attendance.check_in"))["ok"]
        other = await YClient(server.ws, room_path(world), world.token("chair")).connect()
        await other.close()
        after = (await metrics(server))["phonghop_person_refused_sockets_total"]
        assert after - before == 24
        # A socket closed frees its place (as soon as the server has seen it go).
        await kept.close()
        deadline = time.monotonic() + 10
        while True:
            again = await YClient(server.ws, room_path(world),
                                  world.token("delegate01")).connect()
            if not again.closed.is_set():
                break
            assert again.close_code == Close.TOO_MANY_REQUESTS
            assert time.monotonic() < deadline, "the closed socket kept its place"
        await again.close()
    finally:
        for client in clients:
            await client.close()


async def test_intents_are_metered_per_account(server: Server) -> None:
    """12 sockets of one delegate, 8 messages to the chair each, at once: each
    socket is within its own limit, the account is not."""
    world = await build_world(server.database_url, delegates=1)
    chair = await YClient(server.ws, room_path(world), world.token("chair")).connect()
    sockets = [await YClient(server.ws, room_path(world), world.token("delegate01")).connect()
               for _ in range(12)]
    try:
        replies = await asyncio.gather(*(
            s.intent("message.send", {"to": "chair", "text": f"Tin {i}"}, timeout=15)
            for s in sockets for i in range(8)))
        accepted = [r for r in replies if r["ok"]]
        refused = [r for r in replies if not r["ok"]]
        assert refused and {r["error"]["code"] for r in refused} == {"rate_limited"}
        assert len(accepted) < len(replies)
        assert "account" in refused[0]["error"]["message_en"]
        assert not any(s.closed.is_set() for s in sockets)
        assert (await metrics(server))["phonghop_person_refused_intents_total"] >= len(refused)
    finally:
        for client in (chair, *sockets):
            await client.close()


async def test_presence_is_metered_per_account(server: Server) -> None:
    world = await build_world(server.database_url, delegates=1)
    watcher = await YClient(server.ws, room_path(world), world.token("chair")).connect()
    sockets = [await YClient(server.ws, room_path(world), world.token("delegate01")).connect()
               for _ in range(12)]
    padding = "x" * 4000
    try:
        # 40 KB from each socket: under a socket's budget, 480 KB for the account.
        for clock in range(1, 11):
            for n, s in enumerate(sockets):
                with contextlib.suppress(websockets.ConnectionClosed):
                    await s.set_awareness(9000 + n, clock, {"pad": padding, "page": clock})
        await wait_until(lambda: any(s.closed.is_set() for s in sockets), 10,
                         "a socket closed for the account's presence")
        closed = [s for s in sockets if s.closed.is_set()]
        assert {s.close_code for s in closed} == {Close.TOO_MANY_REQUESTS}
        assert "account" in closed[0].close_reason
        assert not watcher.closed.is_set()
        assert (await metrics(server))["phonghop_person_refused_presence_total"] >= 1
    finally:
        for client in (watcher, *sockets):
            await client.close()


async def test_a_notes_flood_is_cut_short(server: Server) -> None:
    """A delegate writes 900 KB notes updates as fast as the socket takes them:
    the account's write budget stops it long before 28 MB."""
    world = await build_world(server.database_url, delegates=1)
    path = f"meeting/{world.meeting_id}/notes/{world.documents[0]}"
    name = f"{path}/user/{world.users['delegate01']}"
    notes = await YClient(server.ws, path, world.token("delegate01")).connect()
    marks = notes.doc.get("marks", type=pycrdt.Array)
    sent = 0
    try:
        for i in range(32):
            if notes.closed.is_set():
                break
            state = notes.doc.get_state()
            marks.append(f"{i}:" + "n" * 900_000)
            update = notes.doc.get_update(state)
            await notes._safe_send(bytes([0, 2]) + var_uint(len(update)) + update)
            sent += 1
        assert await notes.wait_closed(10) == Close.TOO_MANY_REQUESTS
        assert "bytes written" in notes.close_reason
        # What was accepted (the burst) is stored; the rest never was.
        stored = await until_stored(world.url, name, 3 * 900_000)
        assert stored <= 6 * 1024 * 1024, (stored, sent)
        assert (await metrics(server))["phonghop_person_refused_writes_total"] >= 1
    finally:
        await notes.close()


@pytest.fixture
async def small_notes(pg_uri: str, tmp_path: Path) -> AsyncIterator[Server]:
    node = Server(await new_database(pg_uri), tmp_path,
                  {"PHONGHOP_NOTES_MAX_BYTES": "300000"})
    await node.start()
    yield node
    await node.stop()


async def test_notes_per_document_are_capped(small_notes: Server) -> None:
    world = await build_world(small_notes.database_url, delegates=1)
    path = f"meeting/{world.meeting_id}/notes/{world.documents[0]}"
    name = f"{path}/user/{world.users['delegate01']}"
    laptop = await YClient(small_notes.ws, path, world.token("delegate01")).connect()
    marks = laptop.doc.get("marks", type=pycrdt.Array)
    try:
        for i in range(2):
            state = laptop.doc.get_state()
            marks.append(f"{i}:" + "g" * 100_000)
            await laptop.send_update(laptop.doc.get_update(state))
        await until_stored(world.url, name, 200_000)
        # A second device reconnecting with the whole replica brings nothing new:
        # it does not count against the cap.
        replica: pycrdt.Doc = pycrdt.Doc()
        replica.apply_update(laptop.doc.get_update())
        tablet = await YClient(small_notes.ws, path, world.token("delegate01"),
                               doc=replica).connect()
        await tablet.send_update(tablet.doc.get_update())
        await wait_until(lambda: len(tablet.doc.get("marks", type=pycrdt.Array)) == 2)
        state = laptop.doc.get_state()
        marks.append("2:" + "g" * 150_000)
        await laptop.send_update(laptop.doc.get_update(state))
        assert await laptop.wait_closed() == Close.TOO_LARGE
        assert "300000 bytes" in laptop.close_reason
        assert not tablet.closed.is_set()
        assert len(tablet.doc.get("marks", type=pycrdt.Array)) == 2
        assert await stored_bytes(world.url, name) <= 300_000
        assert (await metrics(small_notes))["phonghop_person_refused_notes_total"] == 1
        await tablet.close()
    finally:
        await laptop.close()
