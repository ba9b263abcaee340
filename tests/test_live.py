"""The live core against a real server and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import asyncpg
import httpx
import pycrdt
import pytest
import websockets

from collab_server.protocol import AwarenessUpdate, encode_intent, encode_sync_update
from collab_server.protocol.lib0 import var_uint
from collab_server.status import Close
from tests.conftest import PASSWORD, Server, World
from tests.yclient import YClient, wait_until


async def room(server: Server, world: World, who: str, **kw: object) -> YClient:
    return await YClient(server.ws, f"meeting/{world.meeting_id}/room", world.token(who),
                         **kw).connect()  # type: ignore[arg-type]


# -- HTTP --------------------------------------------------------------------------


async def test_login_me_meetings_logout(server: Server, world: World) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        bad = await client.post("/api/login", json={"username": "x", "password": "y"})
        assert bad.status_code == 401
        assert bad.json()["error"]["code"] == "login_failed"
        username = (await _username(world, "chair"))
        r = await client.post("/api/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert (await client.get("/api/me")).json()["user"]["username"] == username
        meetings = (await client.get("/api/meetings")).json()["meetings"]
        assert [(m["id"], m["role"]) for m in meetings] == [(world.meeting_id, "chair")]
        detail = (await client.get(f"/api/meetings/{world.meeting_id}")).json()["meeting"]
        assert [a["id"] for a in detail["agenda"]] == world.agenda
        # A browser names the page a state-changing request comes from.
        forged = await client.post("/api/logout", headers={"origin": "http://evil.example"})
        assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf"
        assert (await client.post("/api/logout")).status_code == 403  # cookie, no origin
        assert (await client.get("/api/me")).status_code == 200
        assert (await client.post("/api/logout",
                                  headers={"origin": server.http})).status_code == 200
        client.cookies.clear()
        assert (await client.get("/api/me")).status_code == 401
        # The token is revoked on the server, not only forgotten by the browser.
        bearer = {"authorization": f"Bearer {r.json()['token']}"}
        again = await client.get("/api/me", headers=bearer)
        assert again.status_code == 401


async def _username(world: World, who: str) -> str:
    conn = await asyncpg.connect(world.url)
    try:
        return str(await conn.fetchval("SELECT username FROM users WHERE id=$1", world.users[who]))
    finally:
        await conn.close()


async def test_http_errors_have_one_shape(server: Server, world: World) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        for response in (
            await client.get("/api/me"),
            await client.post("/api/login", content=b"{nope"),
            await client.get(f"/api/meetings/{world.meeting_id}",
                             headers={"authorization": f"Bearer {world.token('outsider')}"}),
            await client.get("/api/meetings/abc",
                             headers={"authorization": f"Bearer {world.token('chair')}"}),
        ):
            assert response.status_code in (400, 401, 403, 404)
            error = response.json()["error"]
            assert set(error) == {"code", "message", "message_en"}


async def test_health_reports_database(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        response = await client.get("/-/health")
    body = response.json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_cross_site_sockets_are_refused(server: Server, world: World) -> None:
    url = f"{server.ws}/ws/meeting/{world.meeting_id}/room?token={world.token('chair')}"
    async with websockets.connect(url, origin="http://evil.example") as ws:  # type: ignore[arg-type]
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == Close.FORBIDDEN
    same = await YClient(server.ws, f"meeting/{world.meeting_id}/room",
                         world.token("chair")).connect()
    await same.close()


# -- sync and intents ----------------------------------------------------------------


async def test_room_syncs_and_chair_moves_cursor_everywhere(server: Server, world: World) -> None:
    chair = await room(server, world, "chair")
    delegate = await room(server, world, "delegate01")
    display = await room(server, world, "display")
    try:
        assert [int(a["id"]) for a in chair.doc.get("agenda", type=pycrdt.Array).to_py()] == \
            world.agenda
        reply = await chair.intent("agenda.goto", {"item": world.agenda[2]})
        assert reply["ok"], reply
        for client in (chair, delegate, display):
            await wait_until(lambda c=client: c.map("cursor").get("item") == world.agenda[2])
        reply = await chair.intent("agenda.goto", {"step": 1})
        assert reply["ok"]
        await wait_until(lambda: display.map("cursor").get("item") == world.agenda[3])
        # The reply comes after the update: whoever sees "ok" already has the change.
        assert chair.map("cursor").get("item") == world.agenda[3]
    finally:
        for c in (chair, delegate, display):
            await c.close()
    conn = await asyncpg.connect(world.url)
    try:
        events = await conn.fetch("SELECT kind, actor_id FROM meeting_events WHERE meeting_id=$1"
                                  " ORDER BY id", world.meeting_id)
        audits = await conn.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'intent.%'")
    finally:
        await conn.close()
    assert [e["kind"] for e in events][-2:] == ["agenda.goto", "agenda.goto"]
    assert events[-1]["actor_id"] == world.users["chair"]
    assert audits >= 2


async def test_intent_roles_and_validation(server: Server, world: World) -> None:
    chair = await room(server, world, "chair")
    delegate = await room(server, world, "delegate02")
    try:
        before = delegate.map("cursor")
        denied = await delegate.intent("agenda.goto", {"step": 1})
        assert denied["error"]["code"] == "forbidden"
        cases = [
            ("agenda.goto", {"item": 999999}, "not_found"),
            ("agenda.goto", {}, "bad_intent"),
            ("agenda.goto", {"step": 2}, "bad_intent"),
            ("present.page", {"document": world.documents[0], "page": 11}, "not_found"),
            ("present.page", {"document": 424242, "page": 1}, "not_found"),
            ("present.page", {"document": world.documents[0], "page": "1"}, "bad_intent"),
            ("present.page", {"document": world.documents[0], "page": 1, "zoom": 99},
             "bad_intent"),
            ("presenter.set", {"user": world.users["outsider"]}, "not_found"),
            ("nonsense.intent", {}, "unknown_intent"),
        ]
        for kind, args, code in cases:
            reply = await chair.intent(kind, args)
            assert reply["error"]["code"] == code, (kind, args, reply)
        await chair.ws.send(encode_intent("{broken"))
        await wait_until(lambda: None in chair.results)
        assert chair.results[None]["error"]["code"] == "bad_json"
        assert delegate.map("cursor") == before
        assert not chair.closed.is_set() and not delegate.closed.is_set()
    finally:
        await chair.close()
        await delegate.close()


async def test_named_presenter_presents_pages(server: Server, world: World) -> None:
    chair = await room(server, world, "chair")
    presenter = await room(server, world, "delegate03")
    other = await room(server, world, "delegate04")
    try:
        page = {"document": world.documents[1], "page": 4}
        assert (await presenter.intent("present.page", page))["error"]["code"] == "forbidden"
        assert (await chair.intent("presenter.set", {"user": world.users["delegate03"]}))["ok"]
        assert (await presenter.intent("present.page", {**page, "zoom": 1.5}))["ok"]
        await wait_until(lambda: other.map("presenting").get("page") == 4)
        assert other.map("presenting")["document"] == world.documents[1]
        assert (await other.intent("present.page", page))["error"]["code"] == "forbidden"
        assert (await chair.intent("presenter.set", {"user": None}))["ok"]
        assert (await presenter.intent("present.page", page))["error"]["code"] == "forbidden"
    finally:
        for c in (chair, presenter, other):
            await c.close()


async def test_notes_are_private_and_follow_the_person(server: Server, world: World) -> None:
    path = f"meeting/{world.meeting_id}/notes/{world.documents[0]}"
    laptop = await YClient(server.ws, path, world.token("delegate01"), device="may-1").connect()
    tablet = await YClient(server.ws, path, world.token("delegate01"), device="may-2").connect()
    stranger = await YClient(server.ws, path, world.token("delegate02")).connect()
    try:
        with laptop.doc.transaction():
            laptop.doc.get("notes", type=pycrdt.Map)["p1"] = "Ghi chú: cần hỏi về ngân sách"
        await laptop.send_update(laptop.doc.get_update())
        await wait_until(lambda: tablet.map("notes").get("p1") == "Ghi chú: cần hỏi về ngân sách")
        # Same URL, another person: another document, which stays empty.
        await asyncio.sleep(0.05)
        assert stranger.map("notes") == {}
    finally:
        for c in (laptop, tablet, stranger):
            await c.close()


async def test_display_has_no_notes(server: Server, world: World) -> None:
    path = f"meeting/{world.meeting_id}/notes/{world.documents[0]}"
    display = await YClient(server.ws, path, world.token("display")).connect(wait_sync=False)
    assert await display.wait_closed() == Close.FORBIDDEN


async def test_ink_is_written_by_the_presenter_only(server: Server, world: World) -> None:
    path = f"meeting/{world.meeting_id}/ink"
    chair = await YClient(server.ws, path, world.token("chair")).connect()
    viewer = await YClient(server.ws, path, world.token("delegate05")).connect()
    try:
        chair.doc.get("strokes", type=pycrdt.Array).append("M 0 0 L 10 10")
        await chair.send_update(chair.doc.get_update())
        await wait_until(lambda: len(viewer.doc.get("strokes", type=pycrdt.Array)) == 1)
        viewer.doc.get("strokes", type=pycrdt.Array).append("forged")
        await viewer.send_update(viewer.doc.get_update())
        assert await viewer.wait_closed() == Close.FORBIDDEN
        assert viewer.denied
        assert len(chair.doc.get("strokes", type=pycrdt.Array)) == 1
    finally:
        await chair.close()


async def test_awareness_carries_authenticated_presence(server: Server, world: World) -> None:
    a = await room(server, world, "delegate01")
    b = await room(server, world, "delegate02")
    try:
        await a.set_awareness(12345, 1, {"user": {"name": "Giả mạo"}, "cursor": 3})
        await wait_until(lambda: 12345 in b.awareness)
        state = b.awareness[12345]
        assert state is not None and state["user"]["id"] == world.users["delegate01"]
        assert state["user"]["name"] == "Người delegate01" and state["cursor"] == 3
        # b cannot speak for a's client id.
        await b.set_awareness(12345, 5, {"user": {}, "cursor": 99})
        await b.set_awareness(777, 1, {"here": True})
        await wait_until(lambda: 777 in a.awareness)
        assert a.awareness[12345]["cursor"] == 3  # type: ignore[index]
        await a.close()
        await wait_until(lambda: b.awareness.get(12345, 0) is None, what="presence removal")
    finally:
        await b.close()


# -- bad input ----------------------------------------------------------------------------


async def test_bad_sockets_are_refused_with_named_codes(server: Server, world: World) -> None:
    mid = world.meeting_id
    cases = [
        (f"meeting/{mid}/room", None, Close.UNAUTHORIZED),
        (f"meeting/{mid}/room", "not-a-token", Close.UNAUTHORIZED),
        (f"meeting/{mid}/room", world.token("outsider"), Close.FORBIDDEN),
        (f"meeting/{mid}/minutes-x", world.token("chair"), Close.NOT_FOUND),
        ("meeting/999999/room", world.token("chair"), Close.FORBIDDEN),
    ]
    for path, token, code in cases:
        client = await YClient(server.ws, path, token).connect(wait_sync=False)
        assert await client.wait_closed() == code, path


async def test_bad_frames_close_only_the_sender(server: Server, world: World) -> None:
    watcher = await room(server, world, "delegate05")
    chair = await room(server, world, "chair")
    big = bytes([0, 2]) + var_uint(1024 * 1024 + 10) + b"\x00" * (1024 * 1024 + 10)
    frames: list[tuple[bytes | str, int]] = [
        (bytes([0, 2, 10, 1]), Close.BAD_REQUEST),  # truncated
        (bytes([42]), Close.BAD_REQUEST),  # unknown type
        ("hello", Close.BAD_REQUEST),  # text frame
        (big, Close.TOO_LARGE),
        (encode_sync_update(b"\x07\x07\x07garbage"), Close.BAD_REQUEST),  # undecodable update
        (bytes([101]) + var_uint(2) + b"{}", Close.BAD_REQUEST),  # server-only type
    ]
    try:
        for frame, code in frames:
            bad = await room(server, world, "delegate04")
            await bad.ws.send(frame)
            assert await bad.wait_closed() == code, frame[:8]
        # Writing to the room, which only the server writes.
        bad = await room(server, world, "delegate04")
        forged = pycrdt.Doc()
        forged.get("cursor", type=pycrdt.Map)["item"] = 1
        await bad.send_update(forged.get_update())
        assert await bad.wait_closed() == Close.FORBIDDEN
        assert bad.denied == ["read-only document"]
        # The room carries on for everyone else.
        target = world.agenda[0] if watcher.map("cursor").get("item") != world.agenda[0] \
            else world.agenda[1]
        assert (await chair.intent("agenda.goto", {"item": target}))["ok"]
        await wait_until(lambda: watcher.map("cursor").get("item") == target)
        assert not watcher.closed.is_set()
        assert watcher.map("cursor").get("item") != 1 or world.agenda[0] == 1
    finally:
        await watcher.close()
        await chair.close()


async def test_reconnecting_replica_resends_known_state_quietly(server: Server,
                                                                world: World) -> None:
    """A client that reconnects repeats what it has (with the whole delete set) in its
    step 2: on a read-only document that must not count as a write."""
    chair = await room(server, world, "chair")
    first = await room(server, world, "delegate03")
    for item in world.agenda[:3]:
        assert (await chair.intent("agenda.goto", {"item": item}))["ok"]
    await wait_until(lambda: first.map("cursor").get("item") == world.agenda[2])
    await first.close()
    again = await YClient(server.ws, f"meeting/{world.meeting_id}/room",
                          world.token("delegate03"), doc=first.doc).connect()
    try:
        await again.send_update(again.doc.get_update())
        assert (await chair.intent("agenda.goto", {"item": world.agenda[4]}))["ok"]
        await wait_until(lambda: again.map("cursor").get("item") == world.agenda[4])
        assert not again.closed.is_set()
    finally:
        await again.close()
        await chair.close()


async def test_intent_rate_limit(server: Server, world: World) -> None:
    chair = await room(server, world, "chair")
    try:
        replies = await asyncio.gather(*(chair.intent("agenda.goto", {"step": 1})
                                         for _ in range(60)))
        codes = {r["error"]["code"] for r in replies if not r["ok"]}
        assert codes == {"rate_limited"}
        assert not chair.closed.is_set()
    finally:
        await chair.close()


async def test_no_secret_in_logs(server: Server, world: World) -> None:
    client = await room(server, world, "delegate01")
    await client.close()
    text = server.log_text()
    assert world.token("delegate01") not in text
    assert re.search(r"token=(?!\*\*\*)", text) is None


async def test_websocket_rejects_plain_http(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        r = await client.get("/ws/meeting/1/room")
    assert r.status_code in (400, 403, 404, 426)


async def test_query_awareness_is_always_answered(server: Server, world: World) -> None:
    client = await room(server, world, "guest")
    try:
        before = client.awareness_frames
        await client.ws.send(bytes([3]))
        await wait_until(lambda: client.awareness_frames > before, what="awareness reply")
    finally:
        await client.close()


async def test_display_path_redirects_to_its_folder(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        r = await client.get("/display")
    assert r.status_code == 308 and r.headers["location"] == "/display/"


async def test_metrics_in_prometheus_text(server: Server, world: World) -> None:
    chair = await room(server, world, "chair")
    try:
        assert (await chair.intent("agenda.goto", {"step": 1}))["ok"]
        async with httpx.AsyncClient(base_url=server.http) as client:
            r = await client.get("/-/metrics")
    finally:
        await chair.close()
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    values = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    for name in ("phonghop_connections", "phonghop_documents_loaded", "phonghop_frames_in_total",
                 "phonghop_bytes_out_total", "phonghop_dropped_clients_total",
                 "phonghop_send_queue_max", "phonghop_db_errors_total",
                 "phonghop_redis_errors_total", 'phonghop_intent_seconds_bucket{le="+Inf"}'):
        assert name in values, name
    assert values["phonghop_frames_in_total"] > 0
    assert values["phonghop_intent_seconds_count"] >= 1
    # What stops every socket at once is measured from the start.
    assert values["phonghop_event_loop_lag_seconds_count"] >= 1
    assert 'phonghop_gc_pause_seconds_bucket{le="0.05"}' in values


class ClockedClient(YClient):
    """Also remembers the clock of every presence state it receives."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.clocks: dict[int, int] = {}

    def handle(self, message: Any) -> None:
        if isinstance(message, AwarenessUpdate):
            for entry in message.entries:
                self.clocks[entry.client_id] = entry.clock
        super().handle(message)


async def test_presence_ids_stay_their_persons(server: Server, world: World) -> None:
    """A presence id is its person's for the life of the room document: nobody
    takes it when its owner leaves, and the owner's return wins, with a clock
    that replicas which saw it removed accept."""
    path = f"meeting/{world.meeting_id}/room"
    watcher = await ClockedClient(server.ws, path, world.token("chair")).connect()
    owner = await room(server, world, "delegate01", device="may-1")
    thief = await room(server, world, "delegate02")
    mine = world.users["delegate01"]
    try:
        await owner.set_awareness(55501, 1, {"page": 1})
        await wait_until(lambda: (watcher.awareness.get(55501) or {}).get("page") == 1)
        await owner.close()
        await wait_until(lambda: 55501 in watcher.awareness and watcher.awareness[55501] is None,
                         what="the owner's presence to go")
        removed_at = watcher.clocks[55501]
        await thief.set_awareness(55501, 50, {"page": 99})
        await thief.set_awareness(55502, 1, {"page": 7})  # after the attempt, same socket
        await wait_until(lambda: 55502 in watcher.awareness)
        assert watcher.awareness[55501] is None
        # The owner comes back on another laptop, with the clock it had.
        back = await room(server, world, "delegate01", device="may-2")
        await back.set_awareness(55501, 2, {"page": 3})
        await wait_until(lambda: (watcher.awareness.get(55501) or {}).get("page") == 3,
                         what="the owner's return")
        state = watcher.awareness[55501]
        assert state is not None and state["user"]["id"] == mine
        assert state["user"]["device"] == "may-2"
        assert watcher.clocks[55501] > removed_at
        # A second socket of the same person takes the id over from the first.
        tablet = await room(server, world, "delegate01", device="may-3")
        await tablet.set_awareness(55501, 1, {"page": 4})
        await wait_until(lambda: (watcher.awareness.get(55501) or {}).get("page") == 4,
                         what="the person's other socket")
        # The first socket closing does not remove what the second now holds.
        await back.close()
        await tablet.set_awareness(55503, 1, {"page": 1})
        await wait_until(lambda: 55503 in watcher.awareness)
        assert (watcher.awareness[55501] or {}).get("page") == 4
        await tablet.close()
    finally:
        for client in (watcher, owner, thief):
            await client.close()
