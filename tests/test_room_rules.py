"""Rules of the room: check-in only in the session window (and by room code or
the secretary), opening early only when confirmed, people found without
diacritics or by unit, the read marker of messages, and the chair's control
of speaking time."""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import orjson
import pycrdt
import pytest

from collab_server.documents.text import fold
from collab_server.domain import checkin
from collab_server.keys import ServerKeys
from tests.conftest import Server, World, build_world
from tests.yclient import YClient, wait_until

PEOPLE = ("chair", "secretary", "delegate01", "delegate02", "delegate03", "display")


async def connect(server: Server, world: World) -> dict[str, YClient]:
    return {who: await YClient(server.ws, f"meeting/{world.meeting_id}/room", world.token(who),
                               device=f"may-{who}").connect() for who in PEOPLE}


async def close(clients: dict[str, YClient]) -> None:
    for client in clients.values():
        await client.close()


async def ok(client: YClient, kind: str, args: dict[str, object] | None = None) -> dict:
    reply = await client.intent(kind, args or {})
    assert reply["ok"], (kind, reply)
    return reply


async def refused(client: YClient, kind: str, args: dict[str, object] | None,
                  code: str) -> dict:
    reply = await client.intent(kind, args or {})
    assert not reply["ok"] and reply["error"]["code"] == code, (kind, reply)
    return reply["error"]


async def db(world: World, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(world.url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def http(server: Server, world: World, who: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.http, timeout=10,
                             headers={"authorization": f"Bearer {world.token(who)}"})


@pytest.fixture
async def tomorrow(server: Server) -> AsyncIterator[tuple[World, dict[str, YClient]]]:
    """A meeting that starts tomorrow, everyone's laptop already on its page."""
    world = await build_world(server.database_url, delegates=3, starts_in=timedelta(days=1))
    clients = await connect(server, world)
    yield world, clients
    await close(clients)


@pytest.fixture
async def soon(server: Server) -> AsyncIterator[tuple[World, dict[str, YClient]]]:
    """A meeting that starts in half an hour: inside the check-in window."""
    world = await build_world(server.database_url, delegates=3)
    clients = await connect(server, world)
    yield world, clients
    await close(clients)


# -- check-in and opening ------------------------------------------------------------


async def test_the_day_before_nobody_is_present_and_opening_needs_confirmation(
        tomorrow: tuple[World, dict[str, YClient]]) -> None:
    world, c = tomorrow
    await wait_until(lambda: c["display"].map("quorum").get("members") == 4)
    # Every laptop has the meeting open: nobody is present for it.
    assert c["display"].map("quorum")["present"] == 0
    assert c["display"].map("quorum")["met"] is False
    assert not c["display"].map("attendance")
    error = await refused(c["delegate01"], "attendance.check_in", {}, "too_early")
    assert "Chưa đến giờ điểm danh" in error["message"]
    await refused(c["secretary"], "attendance.mark",
                  {"user": world.users["delegate02"], "present": True}, "too_early")
    # Absent with a reason is known ahead.
    await ok(c["secretary"], "attendance.mark",
             {"user": world.users["delegate03"], "present": False, "reason": "Đi công tác"})
    assert c["display"].map("quorum")["present"] == 0

    error = await refused(c["chair"], "session.open", {}, "too_early")
    assert "khai mạc sớm" in error["message"] and "early" in error["message_en"]
    await refused(c["chair"], "session.open", {"early": "yes"}, "bad_intent")
    assert c["display"].map("session").get("state") in (None, "not_started")
    await ok(c["chair"], "session.open", {"early": True})
    await wait_until(lambda: c["delegate01"].map("session").get("state") == "open")
    # Once the chair opened the session (present by opening it), people check in.
    await ok(c["delegate01"], "attendance.check_in")
    await wait_until(lambda: c["display"].map("quorum").get("present") == 2)
    events = await db(world, "SELECT kind, data FROM meeting_events WHERE meeting_id = $1"
                             " AND kind = 'session.open'", world.meeting_id)
    assert len(events) == 1 and '"early": true' in str(events[0]["data"]).replace("True", "true")


async def test_in_the_window_people_check_in_and_the_chair_opens_unasked(
        soon: tuple[World, dict[str, YClient]]) -> None:
    world, c = soon
    await ok(c["delegate01"], "attendance.check_in")
    await ok(c["secretary"], "attendance.mark",
             {"user": world.users["delegate02"], "present": True})
    await wait_until(lambda: c["display"].map("quorum").get("present") == 2)
    assert c["display"].map("quorum")["members"] == 4
    await ok(c["chair"], "session.open")
    # Marked by someone else: on the record with who did it.
    rows = await db(world, "SELECT actor_id, details FROM audit_log"
                           " WHERE action = 'intent.attendance.mark' AND actor_id = $1",
                    world.users["secretary"])
    assert rows and str(world.users["delegate02"]) in str(rows[0]["details"])


def _key(server: Server, world: World) -> bytes:
    return ServerKeys(server.workdir / "keys").derive(
        checkin.KEY_NAME, f"meeting:{world.meeting_id}".encode())


async def test_room_codes_check_in_only_whoever_opens_them_and_expire(
        server: Server, soon: tuple[World, dict[str, YClient]]) -> None:
    world, c = soon
    base = f"/api/meetings/{world.meeting_id}/checkin-code"
    async with http(server, world, "delegate01") as api:
        assert (await api.get(base)).status_code == 403
    async with http(server, world, "display") as api:
        assert (await api.get(base, params={"user": world.users["delegate01"]})).status_code \
            == 403
        shown = (await api.get(base)).json()
    assert shown["path"] == f"/#/checkin/{world.meeting_id}/{shown['code']}"
    assert shown["expires_ms"] - time.time() * 1000 <= checkin.CODE_TTL_S * 1000
    async with http(server, world, "secretary") as api:
        personal = (await api.get(base, params={"user": world.users["delegate02"]})).json()
        assert (await api.get(base, params={"user": 999999999})).status_code == 404

    # The room code checks in whoever opens it, once logged in.
    await ok(c["delegate01"], "attendance.check_in", {"code": shown["code"]})
    await ok(c["delegate03"], "attendance.check_in", {"code": shown["code"]})
    # A personal code forwarded to someone else checks in nobody.
    error = await refused(c["delegate03"], "attendance.check_in", {"code": personal["code"]},
                          "bad_checkin_code")
    assert "người khác" in error["message"]
    await refused(c["delegate01"], "attendance.check_in", {"code": shown["code"] + "x"},
                  "bad_checkin_code")
    # Expired, though signed with the right key.
    expired = checkin.sign(_key(server, world), world.meeting_id, None,
                           int(time.time() * 1000) - 1000)
    error = await refused(c["delegate02"], "attendance.check_in", {"code": expired},
                          "bad_checkin_code")
    assert "hết hạn" in error["message"]
    # Another meeting's code, signed with that meeting's key, is not this one's.
    other = checkin.sign(ServerKeys(server.workdir / "keys").derive(
        checkin.KEY_NAME, f"meeting:{world.meeting_id + 1}".encode()),
        world.meeting_id + 1, None, int(time.time() * 1000) + 60_000)
    await refused(c["delegate02"], "attendance.check_in", {"code": other}, "bad_checkin_code")
    await ok(c["delegate02"], "attendance.check_in", {"code": personal["code"]})
    await wait_until(lambda: c["display"].map("quorum").get("present") == 3)
    present = c["display"].map("attendance")
    assert {int(k) for k, v in present.items() if v["present"]} == {
        world.users[w] for w in ("delegate01", "delegate02", "delegate03")}
    handed = await db(world, "SELECT actor_id FROM audit_log WHERE action = 'attendance.code'")
    assert [r["actor_id"] for r in handed] == [world.users["secretary"]]
    by_code = await db(world, "SELECT data FROM meeting_events WHERE meeting_id = $1"
                              " AND kind = 'attendance.check_in'", world.meeting_id)
    assert len(by_code) == 3 and all("by_code" in str(r["data"]) for r in by_code)


async def test_the_room_code_on_a_screen_lives_half_a_minute_and_is_renewed_often(
        server: Server) -> None:
    """A photo of the code sent by chat is stale within half a minute."""
    world = await build_world(server.database_url, delegates=1)
    async with http(server, world, "display") as api:
        shown = (await api.get(f"/api/meetings/{world.meeting_id}/checkin-code")).json()
    assert shown["expires_ms"] - time.time() * 1000 <= 31_000
    assert shown["refresh_s"] <= 15
    assert shown["expires_ms"] - time.time() * 1000 >= 2 * shown["refresh_s"] * 1000 - 1000


async def room_with_networks(server: Server, world: World, networks: list[str]) -> int:
    """The meeting is held in a room whose networks the body's admin sets."""
    [row] = await db(world, "INSERT INTO rooms (body_id, name) VALUES ($1, 'Phòng họp số 1')"
                            " RETURNING id", world.body_id)
    await db(world, "UPDATE meetings SET room_id = $2 WHERE id = $1", world.meeting_id, row["id"])
    async with http(server, world, "outsider") as api:
        r = await api.patch(f"/api/rooms/{row['id']}", json={"networks": networks})
        assert r.status_code == 200, r.text
    return int(row["id"])


async def test_a_room_code_checks_in_only_from_the_rooms_networks(
        server: Server) -> None:
    world = await build_world(server.database_url, delegates=3, admin="outsider")
    room = await room_with_networks(server, world, ["10.99.0.0/24"])
    c = await connect(server, world)
    # Someone at home sends a forged X-Forwarded-For: this server trusts no
    # proxy, so the header is ignored and the connection's address counts.
    forged = await YClient(server.ws, f"meeting/{world.meeting_id}/room",
                           world.token("delegate02"), device="nha-rieng",
                           headers={"X-Forwarded-For": "10.99.0.7"}).connect()
    try:
        async with http(server, world, "display") as api:
            shown = (await api.get(f"/api/meetings/{world.meeting_id}/checkin-code")).json()
        async with http(server, world, "secretary") as api:
            personal = (await api.get(f"/api/meetings/{world.meeting_id}/checkin-code",
                                      params={"user": world.users["delegate03"]})).json()
        error = await refused(c["delegate01"], "attendance.check_in", {"code": shown["code"]},
                              "outside_room")
        assert "mạng của phòng họp" in error["message"]
        assert "room's network" in error["message_en"]
        await refused(forged, "attendance.check_in", {"code": shown["code"]}, "outside_room")
        # Pressing "Điểm danh" from elsewhere is the same claim: refused too.
        await refused(c["delegate01"], "attendance.check_in", {}, "outside_room")
        # The desk's acts are not bound: a personal code, the secretary's mark.
        await ok(c["delegate03"], "attendance.check_in", {"code": personal["code"]})
        await ok(c["secretary"], "attendance.mark",
                 {"user": world.users["delegate02"], "present": True})
        await wait_until(lambda: c["display"].map("quorum").get("present") == 2)
        assert str(world.users["delegate01"]) not in c["display"].map("attendance")

        refusals = await db(world, "SELECT actor_id, details, ip FROM audit_log"
                                   " WHERE action = 'intent.attendance.check_in.refused'"
                                   " AND target = $1 ORDER BY id", f"meeting:{world.meeting_id}")
        assert [r["actor_id"] for r in refusals] == [
            world.users["delegate01"], world.users["delegate02"], world.users["delegate01"]]
        details = [orjson.loads(r["details"]) for r in refusals]
        assert all(d["address"] == "127.0.0.1" and d["networks"] == ["10.99.0.0/24"]
                   and d["code"] == "outside_room" for d in details)
        assert [d["by_code"] for d in details] == [True, True, False]

        # Once the room's networks include where the laptop is, it checks in.
        async with http(server, world, "outsider") as api:
            r = await api.patch(f"/api/rooms/{room}",
                                json={"networks": ["10.99.0.0/24", "127.0.0.0/8"]})
            assert r.status_code == 200
        await ok(c["delegate01"], "attendance.check_in", {"code": shown["code"]})
        await wait_until(lambda: c["display"].map("quorum").get("present") == 3)
    finally:
        await forged.close()
        await close(c)


async def test_a_trusted_proxy_gives_the_address_the_room_is_checked_against(
        server: Server, tmp_path: Path) -> None:
    """Behind nginx (PHONGHOP_TRUSTED_PROXIES), the address nginx forwarded
    is the laptop's."""
    # A second server of the same database holds the same keys (keys.ensure_known).
    shutil.copytree(server.workdir / "keys", tmp_path / "keys")
    proxied = Server(server.database_url, tmp_path, {"PHONGHOP_TRUSTED_PROXIES": "127.0.0.1"})
    await proxied.start()
    try:
        world = await build_world(server.database_url, delegates=2, admin="outsider")
        await room_with_networks(proxied, world, ["10.99.0.0/24"])
        async with http(proxied, world, "display") as api:
            shown = (await api.get(f"/api/meetings/{world.meeting_id}/checkin-code")).json()
        path = f"meeting/{world.meeting_id}/room"
        inside = await YClient(proxied.ws, path, world.token("delegate01"),
                               headers={"X-Forwarded-For": "10.99.0.7"}).connect()
        outside = await YClient(proxied.ws, path, world.token("delegate02"),
                                headers={"X-Forwarded-For": "203.0.113.9"}).connect()
        try:
            await ok(inside, "attendance.check_in", {"code": shown["code"]})
            await refused(outside, "attendance.check_in", {"code": shown["code"]},
                          "outside_room")
        finally:
            await inside.close()
            await outside.close()
        [entry] = await db(world, "SELECT details FROM audit_log"
                                  " WHERE action = 'intent.attendance.check_in.refused'"
                                  " AND target = $1", f"meeting:{world.meeting_id}")
        assert orjson.loads(entry["details"])["address"] == "203.0.113.9"
    finally:
        await proxied.stop()


async def test_only_the_admin_sets_a_rooms_networks_and_bad_ones_are_refused(
        server: Server) -> None:
    world = await build_world(server.database_url, delegates=1, admin="outsider")
    [row] = await db(world, "INSERT INTO rooms (body_id, name) VALUES ($1, 'Phòng 2')"
                            " RETURNING id", world.body_id)
    route = f"/api/rooms/{row['id']}"
    async with http(server, world, "secretary") as api:
        assert (await api.patch(route, json={"networks": ["10.0.0.0/8"]})).status_code == 403
    async with http(server, world, "outsider") as api:
        r = await api.patch(route, json={"networks": ["10.20.30.0/33"]})
        assert r.status_code == 400
        assert "không phải dải địa chỉ mạng" in r.json()["error"]["message"]
        assert (await api.patch(route, json={"networks": "10.0.0.0/8"})).status_code == 400
        r = await api.patch(route, json={"networks": [" 10.20.30.7/24 ", "fd00::/64",
                                                      "10.20.30.0/24", ""]})
        assert r.json()["networks"] == ["10.20.30.0/24", "fd00::/64"]
        listed = {x["id"]: x for x in (await api.get("/api/rooms")).json()["rooms"]}
        assert listed[row["id"]]["networks"] == ["10.20.30.0/24", "fd00::/64"]
    async with http(server, world, "secretary") as api:
        listed = {x["id"]: x for x in (await api.get("/api/rooms")).json()["rooms"]}
        assert "networks" not in listed[row["id"]]
    [entry] = await db(world, "SELECT details FROM audit_log WHERE action = 'room.update'"
                              " AND target = $1", f"room:{row['id']}")
    assert orjson.loads(entry["details"])["networks"] == ["10.20.30.0/24", "fd00::/64"]


async def test_a_room_code_before_the_window_checks_in_nobody(
        server: Server, tomorrow: tuple[World, dict[str, YClient]]) -> None:
    world, c = tomorrow
    async with http(server, world, "secretary") as api:
        shown = (await api.get(f"/api/meetings/{world.meeting_id}/checkin-code")).json()
    await refused(c["delegate01"], "attendance.check_in", {"code": shown["code"]}, "too_early")


# -- people search ---------------------------------------------------------------------


async def test_people_are_found_without_diacritics_and_by_unit(server: Server) -> None:
    world = await build_world(server.database_url, delegates=2)
    await db(world, "UPDATE users SET full_name = 'Nguyễn Thị Hương', unit = 'Sở Tài chính',"
                    " title = 'Phó Giám đốc' WHERE id = $1", world.users["delegate01"])
    await db(world, "UPDATE users SET full_name = 'Trần Văn Đức', unit = 'Văn phòng UBND tỉnh'"
                    " WHERE id = $1", world.users["delegate02"])
    await db(world, "UPDATE users SET can_prepare = true WHERE id = $1",
             world.users["secretary"])

    async def found(q: str) -> set[int]:
        async with http(server, world, "secretary") as api:
            r = await api.get("/api/users", params={"q": q, "body": "mine"})
            assert r.status_code == 200, r.text
            return {u["id"] for u in r.json()["users"]}

    hương, đức = world.users["delegate01"], world.users["delegate02"]
    assert await found("huong") == {hương}
    assert await found("HƯƠNG") == {hương}
    assert await found("nguyen huong") == {hương}
    assert await found("tai chinh") == {hương}
    assert await found("Sở Tài chính") == {hương}
    assert await found("giam doc") == {hương}
    assert await found("duc") == {đức}
    assert await found("van phong") == {đức}
    assert await found("huong van phong") == set()
    assert len(await found("")) >= 7


async def test_the_sql_fold_agrees_with_the_python_fold(database_url: str) -> None:
    letters = ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ")
    text = letters + letters.lower() + " Quảng Bình ĐẮK LẮK"
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT fold_text($1)", text) == fold(text)
    finally:
        await conn.close()


# -- messages: the read marker ---------------------------------------------------------


def _inbox_read(client: YClient) -> object:
    return client.doc.get("read", type=pycrdt.Map).get("at")


async def test_the_read_marker_is_the_persons_own_and_survives_a_reload(
        server: Server, soon: tuple[World, dict[str, YClient]]) -> None:
    world, c = soon
    path = f"meeting/{world.meeting_id}/inbox"
    inbox = {who: await YClient(server.ws, path, world.token(who)).connect()
             for who in ("delegate01", "secretary")}
    try:
        sent = await ok(c["delegate01"], "message.send",
                        {"to": "secretary", "kind": "document_request", "text": "Xin tài liệu"})
        message = str(sent["result"]["message"])
        await wait_until(lambda: message in inbox["secretary"].map("messages"))
        assert _inbox_read(inbox["secretary"]) is None
        at = int(inbox["secretary"].map("messages")[message]["at"])
        await ok(c["secretary"], "message.read", {"upto": at})
        await wait_until(lambda: _inbox_read(inbox["secretary"]) == at)
        # Older positions never move the marker back.
        await ok(c["secretary"], "message.read", {"upto": at - 5000})
        await ok(c["secretary"], "message.reply", {"message": int(message), "text": "Đã gửi"})
        await wait_until(lambda: inbox["delegate01"].map("messages")[message]["replies"])
        assert _inbox_read(inbox["delegate01"]) is None
        assert _inbox_read(inbox["secretary"]) == at
        await refused(c["display"], "message.read", {"upto": at}, "forbidden")
        await refused(c["delegate01"], "message.read", {}, "bad_intent")
    finally:
        for client in inbox.values():
            await client.close()
    again = await YClient(server.ws, path, world.token("secretary")).connect()
    try:
        assert _inbox_read(again) == at
    finally:
        await again.close()


# -- speaking time ---------------------------------------------------------------------


async def test_the_chair_sets_speaking_time_per_item_and_speaker_and_adds_time(
        soon: tuple[World, dict[str, YClient]]) -> None:
    world, c = soon
    item = world.agenda[0]
    await refused(c["delegate01"], "agenda.speech_limit", {"item": item, "seconds": 180},
                  "forbidden")
    await refused(c["secretary"], "agenda.speech_limit", {"item": item, "seconds": 180},
                  "forbidden")
    await refused(c["chair"], "agenda.speech_limit", {"item": item, "seconds": 5}, "bad_intent")
    await refused(c["chair"], "agenda.speech_limit", {"item": 999999999, "seconds": 180},
                  "not_found")
    await ok(c["chair"], "agenda.speech_limit", {"item": item, "seconds": 180})
    await ok(c["chair"], "agenda.goto", {"item": item})
    await ok(c["chair"], "session.open")

    first = (await ok(c["delegate01"], "speaker.request", {"kind": "speech"}))["result"]
    second = (await ok(c["delegate02"], "speaker.request", {"kind": "speech"}))["result"]
    await refused(c["chair"], "speaker.extend", {"seconds": 60}, "conflict")
    await ok(c["chair"], "speaker.grant", {"request": first["request"]})
    await wait_until(lambda: c["display"].map("floor").get("limit_s") == 180)
    started = c["display"].map("floor")["started"]
    await refused(c["delegate01"], "speaker.extend", {"seconds": 60}, "forbidden")
    await refused(c["chair"], "speaker.extend", {"seconds": 0}, "bad_intent")
    await ok(c["chair"], "speaker.extend", {"seconds": 60})
    await wait_until(lambda: c["display"].map("floor").get("limit_s") == 240)
    assert c["display"].map("floor")["started"] == started  # start plus a longer duration
    rows = await db(world, "SELECT limit_s FROM speeches WHERE request_id = $1",
                    first["request"])
    assert rows[0]["limit_s"] == 240

    await refused(c["chair"], "speaker.grant", {"request": second["request"], "limit_s": 10},
                  "bad_intent")
    await ok(c["chair"], "speaker.grant", {"request": second["request"], "limit_s": 120})
    await wait_until(lambda: c["display"].map("floor").get("limit_s") == 120)
    stored = await db(world, "SELECT speech_limit_s FROM agenda_items WHERE id = $1", item)
    assert stored[0]["speech_limit_s"] == 180
    agenda = c["display"].doc.get("agenda", type=pycrdt.Array).to_py()
    assert [e["speech_limit_s"] for e in agenda if int(e["id"]) == item] == [180]
    assert [int(e["id"]) for e in agenda] == world.agenda


def test_the_window_reads_the_start_as_the_room_does() -> None:
    """A start without a zone is Vietnam time, as everywhere in the rooms."""
    aware = checkin.starts_ms("2026-12-15T08:00:00+07:00")
    assert aware is not None and checkin.starts_ms("2026-12-15T08:00:00") == aware
    assert checkin.starts_ms("mai") is None and checkin.starts_ms(None) is None
    assert checkin.early("2026-12-15T08:00:00+07:00", aware - checkin.WINDOW_MS - 1)
    assert not checkin.early("2026-12-15T08:00:00+07:00", aware - checkin.WINDOW_MS)
    assert not checkin.early(None, 0)  # no start: nothing to be early for


async def test_the_status_route_asks_for_the_same_confirmation(server: Server) -> None:
    """Moving the meeting to "in session" over HTTP is the same act as opening
    it in the room: a day early, it needs `early: true` too."""
    world = await build_world(server.database_url, delegates=1, starts_in=timedelta(days=1))
    route = f"/api/meetings/{world.meeting_id}/status"
    async with httpx.AsyncClient(base_url=server.http) as http:
        headers = {"authorization": f"Bearer {world.token('chair')}"}
        refused = await http.post(route, json={"to": "in_session"}, headers=headers)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "too_early"
        assert "khai mạc sớm" in refused.json()["error"]["message"]
        bad = await http.post(route, json={"to": "in_session", "early": "yes"}, headers=headers)
        assert bad.status_code == 400, bad.text
        opened = await http.post(route, json={"to": "in_session", "early": True},
                                 headers=headers)
        assert opened.status_code == 200, opened.text
    rows = await db(world, "SELECT details FROM audit_log WHERE action = 'meeting.status'"
                           " AND target = $1", f"meeting:{world.meeting_id}")
    assert any('"early": true' in str(r["details"]).replace("True", "true") for r in rows)


async def test_the_chair_who_opens_the_session_is_present(
        soon: tuple[World, dict[str, YClient]]) -> None:
    """Whoever opens the session is in the room: the minutes must never call
    the chair absent because they did not also press "Điểm danh"."""
    world, c = soon
    await ok(c["chair"], "session.open")
    await wait_until(lambda: c["display"].map("quorum").get("present") == 1)
    assert c["display"].map("attendance")[str(world.users["chair"])]["present"] is True
    rows = await db(world, "SELECT present FROM attendance WHERE meeting_id = $1"
                           " AND user_id = $2", world.meeting_id, world.users["chair"])
    assert [r["present"] for r in rows] == [True]
