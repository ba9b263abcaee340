"""A display account belongs to a room: it watches the meetings of that room
as the display, without being listed, and nothing elsewhere; it asks the
server which meeting is in session there. Closing a session clears what the
projector must no longer show; a closed poll says what its rule counts."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.conftest import _PASSWORD_HASH, Server, World, build_world
from tests.yclient import YClient, wait_until


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http, timeout=60) as client:
        yield client


async def sql(url: str, query: str, *args: object) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def room(world: World, name: str) -> int:
    room_id = await sql(world.url, "INSERT INTO rooms (body_id, name) VALUES ($1, $2)"
                        " RETURNING id", world.body_id, name)
    assert isinstance(room_id, int)
    return room_id


async def display_account(world: World, room_id: int) -> tuple[int, str]:
    """A display of the room, listed in no meeting; (user id, token)."""
    user = await sql(world.url, "INSERT INTO users (body_id, username, full_name, password_hash,"
                     " room_id) VALUES ($1, $2, 'Màn hình', $3, $4) RETURNING id",
                     world.body_id, f"screen-{secrets.token_hex(4)}", _PASSWORD_HASH, room_id)
    token = secrets.token_urlsafe(24)
    await sql(world.url, "INSERT INTO sessions (token_hash, user_id, expires_at)"
              " VALUES ($1, $2, now() + interval '1 hour')",
              hashlib.sha256(token.encode()).digest(), user)
    assert isinstance(user, int)
    return user, token


async def meeting_in(world: World, room_id: int, title: str, *, hours: float,
                     status: str = "invited") -> int:
    meeting = await sql(world.url, "INSERT INTO meetings (body_id, room_id, title, starts_at,"
                        " status) VALUES ($1, $2, $3, $4, $5) RETURNING id", world.body_id,
                        room_id, title, datetime.now(UTC) + timedelta(hours=hours), status)
    assert isinstance(meeting, int)
    return meeting


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_the_display_finds_the_meeting_in_session_in_its_room(
        server: Server, http: httpx.AsyncClient) -> None:
    world = await build_world(server.database_url)
    hall, other = await room(world, "Phòng họp A"), await room(world, "Phòng họp B")
    await sql(world.url, "UPDATE meetings SET room_id = $2 WHERE id = $1", world.meeting_id, hall)
    _, screen = await display_account(world, hall)
    _, elsewhere = await display_account(world, other)

    r = await http.get("/api/display/now", headers=bearer(screen))
    assert r.status_code == 200 and r.json()["meeting"] is None
    assert r.json()["room"]["name"] == "Phòng họp A"
    assert r.json()["next"]["id"] == world.meeting_id, "the next meeting of the room"

    # Another room's meeting starts sooner; a draft of this room is not announced.
    await meeting_in(world, other, "Họp phòng B", hours=0.1, status="in_session")
    await meeting_in(world, hall, "Dự thảo", hours=0.2, status="draft")
    await sql(world.url, "UPDATE meetings SET status = 'in_session' WHERE id = $1",
              world.meeting_id)
    r = await http.get("/api/display/now", headers=bearer(screen))
    assert r.json()["meeting"]["id"] == world.meeting_id
    assert r.json()["meeting"]["title"] == "Họp giao ban tuần"
    assert r.json()["next"] is None
    assert r.headers["cache-control"] == "no-store"
    r = await http.get("/api/display/now", headers=bearer(elsewhere))
    assert r.json()["meeting"]["title"] == "Họp phòng B"

    # A person, even one listed as the meeting's display, belongs to no room.
    for who in ("display", "chair"):
        r = await http.get("/api/display/now", headers=bearer(world.token(who)))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert (await http.get("/api/display/now")).status_code == 401


async def test_a_room_display_watches_its_room_only_and_only_as_the_display(
        server: Server, http: httpx.AsyncClient) -> None:
    world = await build_world(server.database_url)
    hall, other = await room(world, "Phòng họp A"), await room(world, "Phòng họp B")
    await sql(world.url, "UPDATE meetings SET room_id = $2 WHERE id = $1", world.meeting_id, hall)
    mine_id, screen = await display_account(world, hall)
    stranger_id, elsewhere = await display_account(world, other)
    # Listed in this meeting by mistake, with a vote: the room still decides.
    await sql(world.url, "INSERT INTO meeting_participants (meeting_id, user_id, role)"
              " VALUES ($1, $2, 'delegate')", world.meeting_id, stranger_id)

    m = f"/api/meetings/{world.meeting_id}"
    r = await http.get(m, headers=bearer(screen))
    assert r.status_code == 200 and r.json()["meeting"]["role"] == "display"
    assert (await http.get(m, headers=bearer(elsewhere))).status_code == 403
    listed = (await http.get("/api/meetings", headers=bearer(screen))).json()["meetings"]
    assert [(x["id"], x["role"]) for x in listed] == [(world.meeting_id, "display")]
    assert (await http.get("/api/meetings", headers=bearer(elsewhere))).json()["meetings"] == []
    await sql(world.url, "UPDATE meetings SET title_folded = 'hop giao ban tuan' WHERE id = $1",
              world.meeting_id)
    found = await http.get("/api/search", params={"q": "giao ban"}, headers=bearer(elsewhere))
    assert found.status_code == 200 and found.json()["results"] == [], found.text
    found = await http.get("/api/search", params={"q": "giao ban"},
                           headers=bearer(world.token("delegate01")))
    assert found.json()["results"], "a person listed finds it"
    # The display's share of the minutes: none.
    assert (await http.get(f"{m}/minutes/draft", headers=bearer(screen))).status_code == 403

    path = f"meeting/{world.meeting_id}/room"
    refused = await YClient(server.ws, path, elsewhere).connect()
    assert await refused.wait_closed() == 4403
    for kind in ("notes/" + str(world.documents[0]), "inbox", "minutes"):
        personal = await YClient(server.ws, f"meeting/{world.meeting_id}/{kind}",
                                 screen).connect()
        assert await personal.wait_closed() == 4403, kind

    watcher = await YClient(server.ws, path, screen).connect()
    chair = await YClient(server.ws, path, world.token("chair")).connect()
    try:
        assert watcher.synced and watcher.map("meeting")["title"] == "Họp giao ban tuần"
        for kind, args in (("attendance.check_in", {}), ("speaker.request", {}),
                           ("session.open", {})):
            reply = await watcher.intent(kind, args)
            assert reply["error"]["code"] in ("forbidden", "conflict"), (kind, reply)
        assert str(mine_id) not in watcher.map("attendance")
        # A change to the participants re-checks every socket: the display stays.
        await http.post(f"{m}/participants", headers=bearer(world.token("secretary")),
                        json={"user_id": world.users["outsider"], "role": "guest"})
        await wait_until(lambda: str(world.users["outsider"]) in chair.map("people"),
                         what="the new guest in the room")
        reply = await watcher.intent("attendance.check_in", {})
        assert reply["error"]["code"] == "forbidden" and not watcher.closed.is_set()
        # Moved to another room, the account loses the meeting at the next check.
        await sql(world.url, "UPDATE users SET room_id = $2 WHERE id = $1", mine_id, other)
        r = await http.delete(f"{m}/participants/{world.users['outsider']}",
                              headers=bearer(world.token("secretary")))
        assert r.status_code == 200, r.text
        assert await watcher.wait_closed(10) == 4403
    finally:
        await watcher.close()
        await chair.close()


async def starts_now(world: World) -> None:
    """Inside the check-in window: people check in, the session opens unasked."""
    await sql(world.url, "UPDATE meetings SET starts_at = now() + interval '5 minutes'"
              " WHERE id = $1", world.meeting_id)


async def test_closing_the_session_clears_the_floor_queue_and_page(server: Server) -> None:
    world = await build_world(server.database_url, delegates=3)
    await starts_now(world)
    path = f"meeting/{world.meeting_id}/room"
    c = {who: await YClient(server.ws, path, world.token(who)).connect()
         for who in ("chair", "delegate01", "delegate02", "display")}
    try:
        async def ok(who: str, kind: str, args: dict[str, object] | None = None) -> dict:
            reply = await c[who].intent(kind, args or {})
            assert reply["ok"], (kind, reply)
            return reply

        await ok("chair", "session.open")
        await ok("chair", "present.page", {"document": world.documents[0], "page": 2,
                                           "zoom": 2, "fit": "width", "x": 0.25, "y": 0.6})
        await wait_until(lambda: c["display"].map("presenting").get("fit") == "width")
        shown = c["display"].map("presenting")
        assert (shown["zoom"], shown["x"], shown["y"]) == (2.0, 0.25, 0.6)
        for bad in ({"fit": "page"}, {"x": 1.5}, {"y": True}):
            reply = await c["chair"].intent("present.page", {"document": world.documents[0],
                                                             "page": 1, **bad})
            assert reply["error"]["code"] == "bad_intent", bad
        first = (await ok("delegate01", "speaker.request"))["result"]["request"]
        await ok("delegate02", "speaker.request")
        await ok("chair", "speaker.grant", {"request": first})
        await wait_until(lambda: len(c["display"].map("speakers")) == 1)
        await ok("chair", "session.close")
        await wait_until(lambda: c["display"].map("session").get("state") == "closed")
        assert c["display"].map("speakers") == {}
        assert c["display"].map("floor").get("user") is None
        assert c["display"].map("presenting")["document"] is None
        statuses = await sql(world.url, "SELECT array_agg(status ORDER BY id) FROM"
                             " speaker_requests WHERE meeting_id = $1", world.meeting_id)
        assert statuses == ["done", "withdrawn"]
    finally:
        for client in c.values():
            await client.close()


async def test_a_closed_poll_names_the_base_its_rule_counts(server: Server) -> None:
    world = await build_world(server.database_url, delegates=4)
    await starts_now(world)
    path = f"meeting/{world.meeting_id}/room"
    voters = ("chair", "delegate01", "delegate02", "delegate03")
    c = {who: await YClient(server.ws, path, world.token(who)).connect() for who in voters}
    try:
        assert (await c["chair"].intent("session.open"))["ok"]
        for who in voters:
            assert (await c[who].intent("attendance.check_in"))["ok"]
        for rule, kind, base in (("members_majority", "members", 5),
                                 ("present_majority", "present", 4)):
            opened = await c["chair"].intent("poll.open", {
                "question": f"Thông qua ({rule})", "kind": "named", "rule": rule})
            poll = opened["result"]["poll"]
            for who, choice in zip(voters, (0, 0, 1, 2), strict=True):
                assert (await c[who].intent("vote.cast", {"poll": poll, "choice": choice}))["ok"]
            assert (await c["chair"].intent("poll.close", {"poll": poll}))["ok"]
            await wait_until(lambda p=poll: c["chair"].map("polls")[str(p)].get("status")
                             == "closed")
            shown = c["chair"].map("polls")[str(poll)]
            assert (shown["base_kind"], shown["base"]) == (kind, base), shown
            assert shown["needed"] == 3 and shown["passed"] is False
            stored = await sql(world.url, "SELECT result->>'base' FROM polls WHERE id = $1",
                               poll)
            assert stored == str(base)
    finally:
        for client in c.values():
            await client.close()
