"""Open sockets follow the session and the role: logging out, being disabled,
demoted or removed takes effect on sockets already open, not only on the next
connect. Real server, real sockets, real PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from collab_server.status import Close
from tests.conftest import PASSWORD, Server, World, build_world, new_database
from tests.yclient import YClient, wait_until


async def made_admin(world: World, who: str = "outsider") -> None:
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("UPDATE users SET is_admin = true WHERE id = $1", world.users[who])
    finally:
        await conn.close()


async def login(server: Server, world: World, who: str) -> str:
    conn = await asyncpg.connect(world.url)
    try:
        username = await conn.fetchval("SELECT username FROM users WHERE id = $1",
                                       world.users[who])
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=server.http) as client:
        r = await client.post("/api/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


async def call(server: Server, token: str, method: str, path: str,
               json: object | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http) as client:
        return await client.request(method, path, json=json,
                                    headers={"authorization": f"Bearer {token}"})


def room_path(world: World) -> str:
    return f"meeting/{world.meeting_id}/room"


async def test_logout_everywhere_closes_every_open_socket(server: Server) -> None:
    world = await build_world(server.database_url, delegates=2)
    second = await login(server, world, "delegate01")
    laptop = await YClient(server.ws, room_path(world), world.token("delegate01")).connect()
    phone = await YClient(server.ws, room_path(world), second).connect()
    notes = await YClient(server.ws, f"meeting/{world.meeting_id}/notes/{world.documents[0]}",
                          second).connect()
    other = await YClient(server.ws, room_path(world), world.token("delegate02")).connect()
    try:
        r = await call(server, world.token("delegate01"), "POST", "/api/logout/everywhere")
        assert r.status_code == 200
        for client in (laptop, phone, notes):
            assert await client.wait_closed() == Close.UNAUTHORIZED
        # Someone else's socket is untouched and keeps working.
        assert (await other.intent("attendance.check_in"))["ok"]
        assert not other.closed.is_set()
    finally:
        for client in (laptop, phone, notes, other):
            await client.close()


async def test_logout_closes_the_sockets_of_that_session_only(server: Server) -> None:
    world = await build_world(server.database_url, delegates=1)
    second = await login(server, world, "chair")
    kept = await YClient(server.ws, room_path(world), world.token("chair")).connect()
    ended = await YClient(server.ws, room_path(world), second).connect()
    try:
        assert (await call(server, second, "POST", "/api/logout")).status_code == 200
        assert await ended.wait_closed() == Close.UNAUTHORIZED
        assert "session" in ended.close_reason.lower()
        assert (await kept.intent("display.message", {"text": "Vẫn họp"}))["ok"]
    finally:
        await kept.close()
        await ended.close()


async def test_a_disabled_account_loses_its_sockets(server: Server) -> None:
    world = await build_world(server.database_url, delegates=1)
    await made_admin(world)
    chair = await YClient(server.ws, room_path(world), world.token("chair")).connect()
    try:
        r = await call(server, world.token("outsider"), "PATCH",
                       f"/api/users/{world.users['chair']}", {"is_active": False})
        assert r.status_code == 200, r.text
        assert await chair.wait_closed() == Close.UNAUTHORIZED
        # And the account cannot come back.
        again = await YClient(server.ws, room_path(world), world.token("chair")).connect(
            wait_sync=False)
        assert await again.wait_closed() == Close.UNAUTHORIZED
    finally:
        await chair.close()


async def test_a_demoted_chair_is_refused_on_the_next_intent(server: Server) -> None:
    world = await build_world(server.database_url, delegates=1)
    await made_admin(world)
    chair = await YClient(server.ws, room_path(world), world.token("chair")).connect()
    try:
        assert (await chair.intent("display.message", {"text": "Trước"}))["ok"]
        r = await call(server, world.token("outsider"), "PATCH",
                       f"/api/meetings/{world.meeting_id}/participants/{world.users['chair']}",
                       {"role": "delegate"})
        assert r.status_code == 200, r.text
        for kind, args in (("display.message", {"text": "Sau"}),
                           ("display.countdown", {"seconds": 30})):
            reply = await chair.intent(kind, args)
            assert reply["error"]["code"] == "forbidden", (kind, reply)
        # Still a participant: the socket stays and follows the room as a delegate.
        assert (await chair.intent("attendance.check_in"))["ok"]
        assert chair.map("display").get("message") == "Trước"
    finally:
        await chair.close()


async def test_a_removed_participant_stops_reading_the_room(server: Server) -> None:
    world = await build_world(server.database_url, delegates=2)
    await made_admin(world)
    removed = await YClient(server.ws, room_path(world), world.token("delegate01")).connect()
    notes = await YClient(server.ws, f"meeting/{world.meeting_id}/notes/{world.documents[0]}",
                          world.token("delegate01")).connect()
    chair = await YClient(server.ws, room_path(world), world.token("chair")).connect()
    try:
        r = await call(server, world.token("outsider"), "DELETE",
                       f"/api/meetings/{world.meeting_id}/participants/"
                       f"{world.users['delegate01']}")
        assert r.status_code == 200, r.text
        for client in (removed, notes):
            assert await client.wait_closed() == Close.FORBIDDEN
        assert (await chair.intent("display.message", {"text": "Sau khi rút"}))["ok"]
        await wait_until(lambda: chair.map("display").get("message") == "Sau khi rút")
        assert removed.map("display").get("message") != "Sau khi rút"
        assert "removed" in removed.close_reason
    finally:
        for client in (removed, notes, chair):
            await client.close()


@pytest.fixture
async def checking(pg_uri: str, tmp_path: Path) -> AsyncIterator[Server]:
    """A server that checks the sessions of its open sockets five times a second."""
    node = Server(await new_database(pg_uri), tmp_path, {"PHONGHOP_SESSION_CHECK_S": "0.2"})
    await node.start()
    yield node
    await node.stop()


async def test_an_expired_session_closes_its_sockets(checking: Server) -> None:
    """Expiry, or a session deleted by an operator: noticed by the periodic
    check, whatever relay was lost."""
    world = await build_world(checking.database_url, delegates=2)
    expiring = await YClient(checking.ws, room_path(world), world.token("delegate01")).connect()
    deleted = await YClient(checking.ws, room_path(world), world.token("delegate02")).connect()
    display = await YClient(checking.ws, room_path(world), world.token("display")).connect()
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'"
                           " WHERE user_id = $1", world.users["delegate01"])
        await conn.execute("DELETE FROM sessions WHERE user_id = $1", world.users["delegate02"])
        # The projector holds only sockets: that is use, not idleness.
        await conn.execute("UPDATE sessions SET last_seen_at = now() - interval '119 minutes'"
                           " WHERE user_id = $1", world.users["display"])
        assert await expiring.wait_closed(10) == Close.UNAUTHORIZED
        assert await deleted.wait_closed(10) == Close.UNAUTHORIZED
        deadline = time.monotonic() + 10
        while await conn.fetchval(
                "SELECT last_seen_at < now() - interval '1 minute' FROM sessions"
                " WHERE user_id = $1", world.users["display"]):
            assert time.monotonic() < deadline, "the open socket did not count as use"
            await asyncio.sleep(0.05)
        assert not display.closed.is_set()
    finally:
        await conn.close()
        for client in (expiring, deleted, display):
            await client.close()


async def test_a_password_change_closes_the_other_sessions_sockets(server: Server) -> None:
    world = await build_world(server.database_url, delegates=1)
    thief = await login(server, world, "delegate01")
    kept = await YClient(server.ws, room_path(world), world.token("delegate01")).connect()
    stolen = await YClient(server.ws, room_path(world), thief).connect()
    try:
        r = await call(server, world.token("delegate01"), "POST", "/api/me/password",
                       {"current_password": PASSWORD,
                        "new_password": "Ngày mới ở Quảng Bình 2026"})
        assert r.status_code == 200, r.text
        assert await stolen.wait_closed() == Close.UNAUTHORIZED
        assert (await kept.intent("attendance.check_in"))["ok"]
        assert not kept.closed.is_set()
    finally:
        await asyncio.gather(kept.close(), stolen.close())


async def test_an_admin_reset_closes_every_socket_of_the_person(server: Server) -> None:
    world = await build_world(server.database_url, delegates=1)
    await made_admin(world)
    laptop = await YClient(server.ws, room_path(world), world.token("delegate01")).connect()
    try:
        r = await call(server, world.token("outsider"), "PATCH",
                       f"/api/users/{world.users['delegate01']}",
                       {"password": "Mật khẩu cấp lại tháng 12"})
        assert r.status_code == 200, r.text
        assert await laptop.wait_closed() == Close.UNAUTHORIZED
    finally:
        await laptop.close()


async def test_an_admin_no_longer_admin_stops_reading_the_draft_minutes(server: Server) -> None:
    world = await build_world(server.database_url, delegates=1, admin="outsider")
    await made_admin(world, "delegate01")
    draft = await YClient(server.ws, f"meeting/{world.meeting_id}/minutes",
                          world.token("outsider")).connect()
    try:
        r = await call(server, world.token("delegate01"), "PATCH",
                       f"/api/users/{world.users['outsider']}", {"is_admin": False})
        assert r.status_code == 200, r.text
        assert await draft.wait_closed() == Close.UNAUTHORIZED
    finally:
        await draft.close()
