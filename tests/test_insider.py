"""What an insider with a few accounts tried, over HTTP and the room, against
a real server: putting another body's people into a meeting (and its chair
into a letter), a body admin taking over the site admin, one deputy for two
members, the projector reading more than the wall shows, and characters that
turn text around."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.browser_support import make_pdf, upload
from tests.conftest import Server, World, build_world
from tests.yclient import YClient

BIDI = "\u202e"


def client(server: Server, world: World, who: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.http, timeout=30,
                             headers={"authorization": f"Bearer {world.token(who)}"})


async def sql(world: World, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(world.url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


@pytest.fixture
async def two(server: Server) -> AsyncIterator[tuple[World, World]]:
    a = await build_world(server.database_url, delegates=4, code=f"a{uuid.uuid4().hex[:6]}",
                          admin="outsider")
    b = await build_world(server.database_url, delegates=1, code=f"b{uuid.uuid4().hex[:6]}",
                          admin="outsider")
    yield a, b


async def test_another_bodys_people_cannot_be_put_in_a_meeting_nor_made_its_chair(
        server: Server, two: tuple[World, World]) -> None:
    a, b = two
    m = f"/api/meetings/{b.meeting_id}/participants"
    async with client(server, b, "secretary") as sec, client(server, b, "outsider") as admin:
        # An id guessed across bodies is no one.
        for who in ("chair", "delegate01", "display"):
            r = await sec.post(m, json={"user_id": a.users[who], "role": "guest"})
            assert r.status_code == 404, (who, r.text)
        # Someone met in a meeting may be invited, never as the chair: the
        # letter is signed in the name of the meeting's body.
        await sql(b, "INSERT INTO meeting_participants (meeting_id, user_id, role)"
                     " VALUES ($1, $2, 'guest')", b.meeting_id, a.users["delegate02"])
        await sql(b, "DELETE FROM meeting_participants WHERE meeting_id = $1 AND role = 'chair'",
                  b.meeting_id)
        r = await sec.patch(f"{m}/{a.users['delegate02']}", json={"role": "chair"})
        assert r.status_code == 409 and "cơ quan tổ chức" in r.text, r.text
        # The body's admin, who never met them, does not even find them.
        r = await admin.patch(f"{m}/{a.users['delegate02']}", json={"role": "chair"})
        assert r.status_code == 404, r.text
        # A projector account takes part only as the projector.
        room = (await sql(b, "INSERT INTO rooms (body_id, name) VALUES ($1, 'Phòng 2')"
                             " RETURNING id", b.body_id))[0]["id"]
        await sql(b, "UPDATE users SET room_id = $2 WHERE id = $1", b.users["guest"], room)
        await sql(b, "DELETE FROM meeting_participants WHERE user_id = $1", b.users["guest"])
        r = await sec.post(m, json={"user_id": b.users["guest"], "role": "delegate"})
        assert r.status_code == 400, r.text
        r = await sec.post(m, json={"user_id": b.users["delegate01"], "role": "display"})
        assert r.status_code == 400, r.text


async def test_a_body_admin_cannot_take_over_the_site_admin(
        server: Server, two: tuple[World, World]) -> None:
    a, _ = two
    site = a.users["chair"]
    await sql(a, "UPDATE users SET is_site_admin = true WHERE id = $1", site)
    async with client(server, a, "outsider") as admin:
        r = await admin.post(f"/api/users/{site}/password")
        assert r.status_code == 403, r.text
        r = await admin.patch(f"/api/users/{site}", json={"is_active": False})
        assert r.status_code == 403, r.text
        r = await admin.patch(f"/api/users/{site}", json={"password": "Mat-khau-moi-2026!"})
        assert r.status_code == 403, r.text
        # Naming a site admin is the operator's: said, not silently ignored.
        r = await admin.patch(f"/api/users/{a.users['delegate01']}",
                              json={"is_site_admin": True})
        assert r.status_code == 400, r.text
    rows = await sql(a, "SELECT is_active, is_site_admin FROM users WHERE id = $1", site)
    assert (rows[0]["is_active"], rows[0]["is_site_admin"]) == (True, True)


async def test_one_deputy_stands_in_for_one_member(server: Server,
                                                   two: tuple[World, World]) -> None:
    a, _ = two
    deputy = (await sql(a, "INSERT INTO users (body_id, username, full_name, password_hash)"
                           " VALUES ($1, $2, 'Phó phòng', '!') RETURNING id", a.body_id,
                        f"pho-{uuid.uuid4().hex[:6]}"))[0]["id"]
    base = f"/api/meetings/{a.meeting_id}"
    for who in ("delegate01", "delegate02"):
        async with client(server, a, who) as d:
            r = await d.put(f"{base}/response", json={"answer": "deputy",
                                                      "deputy_user_id": deputy})
            assert r.status_code == 200, r.text
    async with client(server, a, "chair") as chair:
        r = await chair.post(f"{base}/participants/{a.users['delegate01']}/deputy",
                             json={"approve": True})
        assert r.status_code == 200, r.text
        r = await chair.post(f"{base}/participants/{a.users['delegate02']}/deputy",
                             json={"approve": True})
        assert r.status_code == 409, r.text
    rows = await sql(a, "SELECT stands_in_for FROM meeting_participants"
                        " WHERE meeting_id = $1 AND user_id = $2", a.meeting_id, deputy)
    assert [r["stands_in_for"] for r in rows] == [a.users["delegate01"]]
    pending = await sql(a, "SELECT deputy_status FROM meeting_participants"
                           " WHERE meeting_id = $1 AND user_id = $2", a.meeting_id,
                        a.users["delegate02"])
    assert pending[0]["deputy_status"] == "pending"  # refused whole: still to decide


async def test_the_projector_reads_only_what_the_wall_shows(server: Server,
                                                            two: tuple[World, World]) -> None:
    a, _ = two
    shown = await upload(server.http, a.token("secretary"), a.meeting_id,
                         make_pdf(["Trang trình chiếu"]), "chieu.pdf", confidentiality="internal")
    other = await upload(server.http, a.token("secretary"), a.meeting_id,
                         make_pdf(["Trang mật của tờ trình"]), "mat.pdf",
                         confidentiality="confidential")
    async with client(server, a, "display") as display:
        async def page(doc: dict[str, Any]) -> int:
            return (await display.get(f"/api/documents/{doc['id']}/pages/1?w=projector")
                    ).status_code

        assert await page(shown) == 403  # not in session
        # Nor the list of who is invited: the wall names whom the room names.
        meeting = (await display.get(f"/api/meetings/{a.meeting_id}")).json()["meeting"]
        assert meeting["participants"] == [] and meeting["title"]
        assert (await display.get(f"/api/meetings/{a.meeting_id}/participants")).status_code == 403
        chair = await YClient(server.ws, f"meeting/{a.meeting_id}/room",
                              a.token("chair")).connect()
        try:
            assert (await chair.intent("session.open", {}))["ok"]
            assert await page(shown) == 403  # in session, not presented
            assert (await chair.intent("present.page", {"document": int(shown["id"]),
                                                        "page": 1}))["ok"]
            assert await page(shown) == 200
            assert await page(other) == 403
            text = await display.get(f"/api/documents/{shown['id']}/pages/1/text")
            assert text.status_code == 403
            assert (await chair.intent("session.close", {}))["ok"]
            assert await page(shown) == 403  # after the close
        finally:
            await chair.close()


async def test_characters_that_turn_text_around_are_taken_out(
        server: Server, two: tuple[World, World]) -> None:
    a, _ = two
    async with client(server, a, "outsider") as admin:
        r = await admin.post("/api/users", json={
            "username": f"bidi-{uuid.uuid4().hex[:4]}", "full_name": f"Nguyễn{BIDI} Văn A",
            "password": "Mat-khau-rat-dai-2026!"})
        assert r.status_code == 201, r.text
    rows = await sql(a, "SELECT full_name FROM users WHERE id = $1", r.json()["id"])
    assert rows[0]["full_name"] == "Nguyễn Văn A"
    chair = await YClient(server.ws, f"meeting/{a.meeting_id}/room", a.token("chair")).connect()
    try:
        assert (await chair.intent("session.open", {}))["ok"]
        reply = await chair.intent("poll.open", {"question": f"Thông qua {BIDI}tờ trình",
                                                 "options": [f"Có{BIDI}", "Không"],
                                                 "kind": "named", "rule": "present_majority"})
        assert reply["ok"], reply
        poll = chair.map("polls")[str(reply["result"]["poll"])]
        assert poll["question"] == "Thông qua tờ trình"
        assert list(poll["options"]) == ["Có", "Không"]
    finally:
        await chair.close()
