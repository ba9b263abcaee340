"""Replay of an ended meeting: the demo meeting (collab_server/demo.py) run through a
session scripted through intents against the real server, the room as two
replicas held it recorded at chosen moments, then the replay asked for the same
moments and compared exactly. Compaction runs every few updates, so the replay
must read the history compaction keeps."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pycrdt
import pymupdf
import pytest

from collab_server import demo
from collab_server.domain import replay
from collab_server.storage import db
from collab_server.storage.accounts import Accounts
from tests.conftest import Server, World, build_world
from tests.test_minutes import add_user, http, ok, sql
from tests.yclient import YClient, wait_until

SERVER_ENV = {"PHONGHOP_COMPACT_EVERY": "3"}

NAMED_Q = "Thông qua kế hoạch năm 2027?"
SECRET_Q = "Bầu Trưởng ban (bỏ phiếu kín)?"
STROKE = {"id": "a1", "tool": "pen", "color": "#c0392b", "width": 0.003,
          "points": [0.1, 0.2, 0.3, 0.4, 0.5, 0.45]}


@dataclass
class Moment:
    name: str
    at: datetime
    room: dict[str, Any]
    ink: list[Any]


@dataclass
class Scripted:
    server: Server
    world: World
    moments: list[Moment]
    named: int
    secret: int

    @property
    def base(self) -> str:
        return f"/api/meetings/{self.world.meeting_id}"


async def _same_replicas(a: YClient, b: YClient) -> dict[str, Any]:
    """The room once both replicas hold the same updates; they must read the same."""
    await wait_until(lambda: a.doc.get_state() == b.doc.get_state(), 10, "replicas agree")
    state = replay.room_state(a.doc)
    assert replay.room_state(b.doc) == state
    return state


async def _ink_rows(world: World) -> int:
    name = f"meeting/{world.meeting_id}/ink"
    found = await sql(world, "SELECT (SELECT count(*) FROM doc_updates WHERE name = $1)"
                             " + (SELECT count(*) FROM doc_history WHERE name = $1) AS n",
                      name)
    return int(found[0]["n"])


async def _stored_ink(world: World, count: int) -> None:
    """Ink is stored in batches off the fan-out path: wait until it is."""

    async def rows() -> int:
        return await _ink_rows(world)

    deadline = asyncio.get_running_loop().time() + 10
    while await rows() < count:
        assert asyncio.get_running_loop().time() < deadline, "ink never stored"
        await asyncio.sleep(0.02)


# The demo's accounts, by the names the tests use.
DEMO_PEOPLE = {"chair": "chutoa", "secretary": "thuky", "display": "manhinh",
               "admin": "quantri", "outsider": "phothu01", "delegate01": "delegate01",
               "delegate02": "delegate02", "delegate03": "delegate03"}


async def demo_meeting(url: str) -> World:
    """The demo, seeded as `phonghop serve --demo` seeds it, its meeting moved into
    the check-in window, and a session for each of the people the tests play."""
    pool = await db.create_pool(url, min_size=1, max_size=2)
    try:
        await demo.seed(pool, Accounts(pool, session_ttl=timedelta(hours=1)))
        meeting = await pool.fetchrow(
            "UPDATE meetings SET starts_at = now() + interval '30 minutes' WHERE title = $1"
            " RETURNING id, body_id", demo.MEETING_TITLE)
        agenda = [r["id"] for r in await pool.fetch(
            "SELECT id FROM agenda_items WHERE meeting_id = $1 ORDER BY position", meeting["id"])]
        documents = [r["id"] for r in await pool.fetch(
            "SELECT id FROM documents WHERE meeting_id = $1 ORDER BY id", meeting["id"])]
        users: dict[str, int] = {}
        tokens: dict[str, str] = {}
        for who, username in DEMO_PEOPLE.items():
            users[who] = await pool.fetchval("SELECT id FROM users WHERE username = $1", username)
            tokens[who] = secrets.token_urlsafe(24)
            await pool.execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at)"
                " VALUES ($1, $2, now() + interval '1 hour')",
                hashlib.sha256(tokens[who].encode()).digest(), users[who])
    finally:
        await pool.close()
    return World(url, meeting["body_id"], meeting["id"], agenda, documents, users, tokens)


@pytest.fixture(scope="module")
async def scripted(server: Server) -> AsyncIterator[Scripted]:
    world = await demo_meeting(server.database_url)
    await add_user(world, "guest", role="guest")
    await add_user(world, "inspector")
    people = ("chair", "secretary", "delegate01", "delegate02", "delegate03")
    c = dict(zip(people, await asyncio.gather(*(
        YClient(server.ws, f"meeting/{world.meeting_id}/room", world.token(who),
                device=f"may-{who}").connect(timeout=30) for who in people)), strict=True))
    ink = await YClient(server.ws, f"meeting/{world.meeting_id}/ink", world.token("chair"),
                        device="may-chair").connect(timeout=30)
    moments: list[Moment] = []
    document, page = world.documents[0], 2

    async def moment(name: str) -> None:
        state = await _same_replicas(c["chair"], c["secretary"])
        strokes = ink.doc.get(f"strokes:{document}:{page}", type=pycrdt.Array).to_py() or []
        moments.append(Moment(name, datetime.now(UTC), state,
                              strokes if state["presenting"].get("document") else []))

    await moment("before the opening")
    await ok(c["chair"], "agenda.goto", {"item": world.agenda[0]})
    await ok(c["chair"], "session.open")
    for who in ("chair", "delegate01", "delegate02"):
        await ok(c[who], "attendance.check_in")
    await moment("opened, three present")

    await ok(c["chair"], "present.page", {"document": document, "page": page})
    stored = await _ink_rows(world)
    before = ink.doc.get_state()
    ink.doc.get(f"strokes:{document}:{page}", type=pycrdt.Array).append(STROKE)
    await ink.send_update(ink.doc.get_update(before))
    await _stored_ink(world, stored + 1)
    await moment("page 2 on the screen with the chair's ink")

    first = (await ok(c["delegate01"], "speaker.request", {"kind": "speech"}))["request"]
    await ok(c["delegate02"], "speaker.request", {"kind": "question"})
    await ok(c["chair"], "speaker.grant", {"request": first})
    await moment("delegate01 speaks, delegate02 waits")

    await ok(c["chair"], "speaker.end")
    await ok(c["chair"], "agenda.goto", {"step": 1})
    named = (await ok(c["chair"], "poll.open", {"question": NAMED_Q, "kind": "named",
                                                "rule": "present_majority"}))["poll"]
    for who, choice in (("chair", 0), ("delegate01", 1)):
        await ok(c[who], "vote.cast", {"poll": named, "choice": choice})
    await moment("named poll open, two ballots in")
    await ok(c["delegate02"], "vote.cast", {"poll": named, "choice": 0})
    await ok(c["chair"], "poll.close", {"poll": named})
    await moment("named poll closed")

    await ok(c["chair"], "session.suspend")
    await moment("suspended")
    await ok(c["chair"], "session.resume")
    secret = (await ok(c["chair"], "poll.open", {"question": SECRET_Q, "kind": "secret",
                                                 "rule": "present_majority"}))["poll"]
    for who, choice in (("chair", 1), ("delegate01", 0)):
        await ok(c[who], "vote.cast", {"poll": secret, "choice": choice})
    await moment("secret poll open")
    await ok(c["delegate02"], "vote.cast", {"poll": secret, "choice": 1})
    await ok(c["chair"], "poll.close", {"poll": secret})
    await moment("secret poll closed")
    await ok(c["chair"], "session.close")
    await moment("closed")

    # A delegate's own notes, written often enough to be compacted: never in the history.
    notes = await YClient(server.ws, f"meeting/{world.meeting_id}/notes/{document}",
                          world.token("delegate01"), device="may-delegate01").connect(timeout=30)
    notes_name = f"meeting/{world.meeting_id}/notes/{document}/user/{world.users['delegate01']}"

    async def stored_notes() -> int:
        rows = await sql(world, "SELECT (SELECT count(*) FROM doc_updates WHERE name = $1)"
                                " + (SELECT count(*) FROM doc_snapshots WHERE name = $1) AS n",
                         notes_name)
        return int(rows[0]["n"])

    for n in range(4):
        stored = await stored_notes()
        before = notes.doc.get_state()
        notes.doc.get(f"strokes:{n + 1}", type=pycrdt.Array).append({**STROKE, "id": f"n{n}"})
        await notes.send_update(notes.doc.get_update(before))
        deadline = asyncio.get_running_loop().time() + 15
        while await stored_notes() == stored:  # one stored update at a time
            assert asyncio.get_running_loop().time() < deadline, "notes never stored"
            await asyncio.sleep(0.02)
    deadline = asyncio.get_running_loop().time() + 15
    while not await sql(world, "SELECT 1 FROM doc_snapshots WHERE name = $1", notes_name):
        assert asyncio.get_running_loop().time() < deadline, "notes never compacted"
        await asyncio.sleep(0.05)
    await notes.close()
    await asyncio.gather(ink.close(), *(client.close() for client in c.values()))
    yield Scripted(server, world, moments, named, secret)


async def test_replay_holds_what_the_replicas_held_at_each_moment(scripted: Scripted) -> None:
    s = scripted
    async with http(s.server, s.world, "secretary") as client:
        for m in s.moments:
            r = await client.get(f"{s.base}/replay/room",
                                 params={"at": m.at.isoformat()})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["complete"] is True
            assert body["room"] == m.room, m.name
            assert body["ink"] == m.ink, m.name
    kept = await sql(s.world, "SELECT count(*) AS n FROM doc_history WHERE name = $1",
                     f"meeting/{s.world.meeting_id}/room")
    assert kept[0]["n"] > 0  # compaction ran during the session and kept the history
    by_name = {m.name: m for m in s.moments}
    assert by_name["page 2 on the screen with the chair's ink"].ink == [STROKE]
    assert by_name["delegate01 speaks, delegate02 waits"].room["floor"]["user"] == \
        s.world.users["delegate01"]


async def test_secret_poll_shows_no_counts_before_its_close_and_no_names_after(
        scripted: Scripted) -> None:
    s = scripted
    by_name = {m.name: m for m in s.moments}
    async with http(s.server, s.world, "chair") as client:
        during = (await client.get(f"{s.base}/replay/room", params={
            "at": by_name["secret poll open"].at.isoformat()})).json()["room"]["polls"]
        after = (await client.get(f"{s.base}/replay/room", params={
            "at": by_name["secret poll closed"].at.isoformat()})).json()["room"]["polls"]
        named_open = (await client.get(f"{s.base}/replay/room", params={
            "at": by_name["named poll open, two ballots in"].at.isoformat()})).json()
    secret_open, secret_closed = during[str(s.secret)], after[str(s.secret)]
    assert secret_open["status"] == "open" and secret_open["cast"] == 2
    assert "counts" not in secret_open and "named" not in secret_open
    assert secret_closed["counts"] == [1, 2, 0] and "named" not in secret_closed
    assert "counts" not in named_open["room"]["polls"][str(s.named)]
    assert [n["choice"] for n in after[str(s.named)]["named"]] != []
    async with http(s.server, s.world, "chair") as client:
        r = await client.get(f"{s.base}/replay")
    assert r.status_code == 200, r.text
    kinds = [m["kind"] for m in r.json()["moments"]]
    assert "vote.cast" not in kinds
    for kind in ("session.open", "agenda.goto", "speaker.grant", "speaker.end", "present.page",
                 "poll.open", "poll.close", "session.suspend", "session.resume",
                 "session.close", "attendance.check_in"):
        assert kind in kinds, kind


async def test_timeline_report_pdf(scripted: Scripted) -> None:
    s = scripted
    async with http(s.server, s.world, "secretary") as client:
        r = await client.get(f"{s.base}/replay.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    with pymupdf.open(stream=r.content, filetype="pdf") as pdf:
        text = " ".join(" ".join(page.get_text().split()) for page in pdf)
    assert "DIỄN BIẾN PHIÊN HỌP" in text
    people = s.moments[-1].room["people"]
    name = {who: people[str(s.world.users[who])]["name"] for who in ("delegate01", "delegate02")}
    for line in ("Khai mạc phiên họp", f"{name['delegate01']} được phát biểu",
                 "Tạm dừng phiên họp", "Tiếp tục phiên họp", "Bế mạc phiên họp",
                 f"Chiếu tài liệu số {s.world.documents[0]}, trang 2",
                 f"{name['delegate02']} điểm danh có mặt", "bỏ phiếu kín"):
        assert line in text, line
    # The secret poll's result line carries totals only.
    assert "Kết thúc biểu quyết: Đồng ý: 1, Không đồng ý: 2, Không biểu quyết: 0" in text


async def test_who_may_replay(scripted: Scripted) -> None:
    s, w = scripted, scripted.world
    for who, status in (("chair", 200), ("secretary", 200), ("admin", 200),
                        ("delegate01", 403), ("display", 403), ("guest", 403),
                        ("outsider", 403), ("inspector", 403)):
        async with http(s.server, w, who) as client:
            r = await client.get(f"{s.base}/replay/room")
            assert r.status_code == status, (who, r.text)
    async with http(s.server, w, "admin") as client:
        r = await client.put(f"/api/inspectors/{w.users['inspector']}")
        assert r.status_code == 200, r.text
    async with http(s.server, w, "inspector") as client:
        assert (await client.get(f"{s.base}/replay/room")).status_code == 200
        assert (await client.get(f"{s.base}/replay")).status_code == 200
    async with http(s.server, w, "admin") as client:
        r = await client.get("/api/inspectors")
        assert [i["user_id"] for i in r.json()["inspectors"]] == [w.users["inspector"]]
        r = await client.delete(f"/api/inspectors/{w.users['inspector']}")
        assert r.status_code == 200, r.text
    async with http(s.server, w, "inspector") as client:
        assert (await client.get(f"{s.base}/replay/room")).status_code == 403
    audited = await sql(w, "SELECT action FROM audit_log WHERE target = $1 AND action LIKE"
                           " 'replay.%'", f"meeting:{w.meeting_id}")
    assert {"replay.view", "replay.timeline"} <= {a["action"] for a in audited}


async def test_bad_moment_and_a_meeting_not_ended(scripted: Scripted) -> None:
    s = scripted
    async with http(s.server, s.world, "chair") as client:
        r = await client.get(f"{s.base}/replay/room", params={"at": "hôm qua"})
        assert r.status_code == 400 and "ISO 8601" in r.json()["error"]["message"], r.text
        r = await client.get(f"{s.base}/replay/room", params={"at": "2026-12-03T08:00:00"})
        assert r.status_code == 400, r.text
    other = await build_world(s.server.database_url)
    async with http(s.server, other, "chair") as client:
        r = await client.get(f"/api/meetings/{other.meeting_id}/replay")
        assert r.status_code == 409, r.text


def test_history_is_kept_for_the_room_and_the_ink_only() -> None:
    from collab_server.storage.docs import replayed_meeting

    assert replayed_meeting("meeting/12/room") == 12
    assert replayed_meeting("meeting/12/ink") == 12
    for personal in ("meeting/12/notes/3/user/4", "meeting/12/inbox/user/4",
                     "meeting/12/minutes", "meeting/12/roomx"):
        assert replayed_meeting(personal) is None, personal


async def test_no_personal_document_enters_the_history(scripted: Scripted) -> None:
    names = await sql(scripted.world, "SELECT DISTINCT name FROM doc_history")
    assert {r["name"] for r in names} <= {f"meeting/{scripted.world.meeting_id}/room",
                                          f"meeting/{scripted.world.meeting_id}/ink"}
