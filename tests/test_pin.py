"""Signing in with a PIN on a laptop registered to a room (domain/pin.py),
against a real server and database: the PIN needs the password to be set,
works only on a registered, unrevoked laptop of the room, on its networks,
for someone invited there today; five wrong PINs lock it until a password
login; the stored row verifies only with the server's key."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import PASSWORD, Server, World, build_world

PIN = "483920"


@dataclass
class Room:
    world: World
    room_id: int
    other_room: int
    usernames: dict[str, str]


async def sql(world: World, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(world.url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


def bearer(world: World, who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {world.tokens[who]}"}


@pytest.fixture(scope="module")
async def room(server: Server) -> Room:
    """A room whose meeting is today (starting now), with delegate01..04,
    chair, secretary, guest and the display; the outsider administers the
    body and takes no part."""
    world = await build_world(server.database_url, delegates=4, admin="outsider")
    rows = await sql(world, "INSERT INTO rooms (body_id, name) VALUES ($1, 'Phòng họp số 1'),"
                     " ($1, 'Phòng họp số 2') RETURNING id", world.body_id)
    room_id, other = rows[0]["id"], rows[1]["id"]
    await sql(world, "UPDATE meetings SET room_id = $2, starts_at = now() WHERE id = $1",
              world.meeting_id, room_id)
    names = {r["id"]: r["username"] for r in await sql(
        world, "SELECT id, username FROM users WHERE body_id = $1", world.body_id)}
    return Room(world, room_id, other, {who: names[uid] for who, uid in world.users.items()})


@pytest.fixture
async def laptop(server: Server, room: Room) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of the room: registered by the admin, then the admin gone."""
    async with httpx.AsyncClient(base_url=server.http, timeout=60,
                                 headers={"origin": server.http}) as client:
        r = await client.post(f"/api/rooms/{room.room_id}/devices", json={"name": "Ghế 12"},
                              headers=bearer(room.world, "outsider"))
        assert r.status_code == 201, r.text
        assert "phonghop_room" in client.cookies
        client.headers.pop("authorization", None)
        yield client


async def set_pin(http: httpx.AsyncClient, room: Room, who: str, pin: str = PIN,
                  password: str = PASSWORD) -> httpx.Response:
    return await http.put("/api/me/pin", json={"current_password": password, "pin": pin},
                          headers=bearer(room.world, who))


async def audit_actions(room: Room, target: str) -> list[str]:
    rows = await sql(room.world, "SELECT action FROM audit_log WHERE target = $1 ORDER BY id",
                     target)
    return [r["action"] for r in rows]


async def until_not_throttled(call: Any, deadline_s: float = 30) -> httpx.Response:
    """Wrong tries slow the next one down (domain/throttle.py): poll past the wait."""
    deadline = time.monotonic() + deadline_s
    while True:
        r: httpx.Response = await call()
        if r.status_code != 429 or time.monotonic() > deadline:
            return r
        await asyncio.sleep(0.2)


async def test_setting_a_pin_needs_the_password(http: httpx.AsyncClient, room: Room) -> None:
    uid = room.world.users["delegate01"]
    r = await http.put("/api/me/pin", json={"pin": PIN}, headers=bearer(room.world, "delegate01"))
    assert r.status_code == 400 and "mật khẩu" in r.json()["error"]["message"]
    r = await set_pin(http, room, "delegate01", password="not-the-password")
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_password"
    for weak in ("12345", "1234567", "abcdef", "111111", "345678", "987654", "123456"):
        r = await set_pin(http, room, "delegate01", pin=weak)
        assert r.status_code == 422, (weak, r.text)
        assert r.json()["error"]["code"] == "weak_pin"
    assert not (await http.get("/api/me/pin", headers=bearer(room.world, "delegate01"))
                ).json()["set"]
    r = await set_pin(http, room, "delegate01")
    assert r.status_code == 200 and r.json()["set"] is True
    r = await set_pin(http, room, "delegate01", pin="902817")
    assert r.status_code == 200
    r = await http.put("/api/me/pin", json={"pin": PIN}, headers={})
    assert r.status_code == 401
    assert await audit_actions(room, f"user:{uid}") == ["pin.set_failed", "pin.set", "pin.change"]


async def test_a_pin_signs_in_on_the_rooms_laptop(server: Server, http: httpx.AsyncClient,
                                                  laptop: httpx.AsyncClient, room: Room) -> None:
    assert (await set_pin(http, room, "delegate02")).status_code == 200
    status = (await laptop.get("/api/room-device")).json()
    assert status["device"]["room"] == "Phòng họp số 1"
    names = {p["full_name"] for p in status["people"]}
    # The people of today's meeting there: not the projector, not the admin.
    assert names == {"Người chair", "Người secretary", "Người guest",
                     *(f"Người delegate{i:02d}" for i in range(1, 5))}
    assert all("username" not in p for p in status["people"])
    uid = room.world.users["delegate02"]
    r = await laptop.post("/api/login/pin", json={"user_id": uid, "pin": PIN})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == uid
    me = await laptop.get("/api/me")
    assert me.status_code == 200 and me.json()["user"]["id"] == uid
    rows = await sql(room.world, "SELECT details->>'method' AS method, details->>'room' AS room"
                     " FROM audit_log WHERE action = 'login' AND target = $1", f"user:{uid}")
    assert [(r["method"], r["room"]) for r in rows] == [("pin", str(room.room_id))]
    # By login name too, case as typed.
    await laptop.post("/api/logout")
    r = await laptop.post("/api/login/pin", json={"username": room.usernames["delegate02"].upper(),
                                                  "pin": PIN})
    assert r.status_code == 200, r.text
    # Logout ends the person's session and keeps the laptop the room's.
    assert (await laptop.post("/api/logout")).status_code == 200
    assert (await laptop.get("/api/me")).status_code == 401
    assert "phonghop_session" not in laptop.cookies
    assert (await laptop.get("/api/room-device")).json()["device"]["room"] == "Phòng họp số 1"


async def test_an_unregistered_laptop_is_refused(http: httpx.AsyncClient, room: Room) -> None:
    assert (await set_pin(http, room, "delegate03")).status_code == 200
    assert (await http.get("/api/room-device")).json() == {"device": None}
    r = await http.post("/api/login/pin", json={"user_id": room.world.users["delegate03"],
                                                "pin": PIN})
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["code"] == "not_room_device"
    assert error["message"].startswith("Máy này chưa được đăng ký là máy của phòng họp")
    # A made-up cookie is no better.
    http.cookies.set("phonghop_room", secrets.token_urlsafe(32), path="/api")
    r = await http.post("/api/login/pin", json={"user_id": room.world.users["delegate03"],
                                                "pin": PIN})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_room_device"


async def test_a_revoked_laptop_is_refused(http: httpx.AsyncClient, laptop: httpx.AsyncClient,
                                           room: Room) -> None:
    assert (await set_pin(http, room, "delegate03")).status_code == 200
    devices = (await http.get(f"/api/rooms/{room.room_id}/devices",
                              headers=bearer(room.world, "outsider"))).json()["devices"]
    newest = max(devices, key=lambda d: d["id"])
    assert newest["name"] == "Ghế 12" and newest["revoked_at"] is None
    r = await http.delete(f"/api/rooms/{room.room_id}/devices/{newest['id']}",
                          headers=bearer(room.world, "outsider"))
    assert r.status_code == 200
    assert (await laptop.get("/api/room-device")).json() == {"device": None}
    r = await laptop.post("/api/login/pin", json={"user_id": room.world.users["delegate03"],
                                                  "pin": PIN})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_room_device"
    actions = await audit_actions(room, f"room:{room.room_id}")
    assert "room_device.register" in actions and actions[-1] == "room_device.revoke"
    # Another body's admin cannot see or revoke the room's devices.
    other = await build_world(room.world.url, delegates=1, admin="outsider")
    r = await http.get(f"/api/rooms/{room.room_id}/devices", headers=bearer(other, "outsider"))
    assert r.status_code == 404


async def test_only_people_invited_there_today(http: httpx.AsyncClient, laptop: httpx.AsyncClient,
                                               room: Room) -> None:
    world = room.world
    # The outsider (the admin) takes no part in the meeting.
    assert (await set_pin(http, room, "outsider")).status_code == 200
    r = await laptop.post("/api/login/pin", json={"user_id": world.users["outsider"], "pin": PIN})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "not_in_room_today"
    assert "không có cuộc họp nào hôm nay tại phòng này" in r.json()["error"]["message"]
    # Invited, but to a meeting in another room, or in this room tomorrow.
    assert (await set_pin(http, room, "delegate04")).status_code == 200
    uid = world.users["delegate04"]
    for room_id, when in ((room.other_room, "now()"),
                          (room.room_id, "now() + interval '1 day'")):
        rows = await sql(world, "INSERT INTO meetings (body_id, title, starts_at, status, room_id)"
                         f" VALUES ($1, 'Họp khác', {when}, 'invited', $2) RETURNING id",
                         world.body_id, room_id)
        await sql(world, "INSERT INTO meeting_participants (meeting_id, user_id, role)"
                  " VALUES ($1, $2, 'delegate')", rows[0]["id"], uid)
    await sql(world, "DELETE FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2",
              world.meeting_id, uid)
    try:
        r = await laptop.post("/api/login/pin", json={"user_id": uid, "pin": PIN})
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_in_room_today"
        # An unknown name gets the same answer.
        r = await laptop.post("/api/login/pin", json={"username": "khong-co-ai", "pin": PIN})
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_in_room_today"
    finally:
        await sql(world, "INSERT INTO meeting_participants (meeting_id, user_id, role)"
                  " VALUES ($1, $2, 'delegate')", world.meeting_id, uid)
    r = await until_not_throttled(
        lambda: laptop.post("/api/login/pin", json={"user_id": uid, "pin": PIN}))
    assert r.status_code == 200, r.text


async def test_outside_the_rooms_networks(http: httpx.AsyncClient, laptop: httpx.AsyncClient,
                                          room: Room) -> None:
    assert (await set_pin(http, room, "guest")).status_code == 200
    admin = bearer(room.world, "outsider")
    r = await http.patch(f"/api/rooms/{room.room_id}", json={"networks": ["10.99.0.0/16"]},
                         headers=admin)
    assert r.status_code == 200
    try:
        status = (await laptop.get("/api/room-device")).json()
        assert status["device"]["inside"] is False and status["people"] == []
        r = await laptop.post("/api/login/pin", json={"user_id": room.world.users["guest"],
                                                      "pin": PIN})
        assert r.status_code == 403 and r.json()["error"]["code"] == "outside_room_network"
    finally:
        await http.patch(f"/api/rooms/{room.room_id}", json={"networks": ["127.0.0.0/8"]},
                         headers=admin)
    r = await laptop.post("/api/login/pin", json={"user_id": room.world.users["guest"],
                                                  "pin": PIN})
    assert r.status_code == 200, r.text
    await http.patch(f"/api/rooms/{room.room_id}", json={"networks": []}, headers=admin)


async def test_five_wrong_pins_lock_it_until_a_password_login(
        http: httpx.AsyncClient, laptop: httpx.AsyncClient, room: Room) -> None:
    assert (await set_pin(http, room, "secretary")).status_code == 200
    uid = room.world.users["secretary"]

    async def attempt(pin: str) -> httpx.Response:
        return await until_not_throttled(
            lambda: laptop.post("/api/login/pin", json={"user_id": uid, "pin": pin}))

    for left in (4, 3, 2, 1):
        r = await attempt("000001")
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "wrong_pin"
        assert f"còn {left} lần thử" in r.json()["error"]["message"]
    r = await attempt("000001")
    assert r.status_code == 403 and r.json()["error"]["code"] == "pin_locked"
    assert "sai 5 lần liên tiếp" in r.json()["error"]["message"]
    # Now even the right PIN is refused.
    r = await attempt(PIN)
    assert r.status_code == 403 and r.json()["error"]["code"] == "pin_locked"
    assert (await http.get("/api/me/pin", headers=bearer(room.world, "secretary"))
            ).json()["locked"] is True
    actions = await audit_actions(room, f"user:{uid}")
    assert actions.count("login.pin_failed") == 5 and "pin.locked" in actions
    # The password opens it again.
    r = await until_not_throttled(lambda: laptop.post(
        "/api/login", json={"username": room.usernames["secretary"], "password": PASSWORD}))
    assert r.status_code == 200, r.text
    assert "pin.unlock" in await audit_actions(room, f"user:{uid}")
    await laptop.post("/api/logout")
    r = await attempt(PIN)
    assert r.status_code == 200, r.text


async def test_parallel_guesses_do_not_pass_the_limit(
        http: httpx.AsyncClient, laptop: httpx.AsyncClient, room: Room) -> None:
    """Twenty guesses at once: at most five are compared before the lock."""
    assert (await set_pin(http, room, "chair")).status_code == 200
    uid = room.world.users["chair"]
    answers = await asyncio.gather(*(laptop.post("/api/login/pin", json={
        "user_id": uid, "pin": f"{100000 + n}"}) for n in range(20)))
    wrong = [r for r in answers if r.status_code == 401]
    assert len(wrong) <= 4, [r.text for r in answers]
    rows = await sql(room.world, "SELECT failures FROM user_pins WHERE user_id = $1", uid)
    assert rows[0]["failures"] <= 5


async def test_the_stored_pin_needs_the_servers_key(server: Server, http: httpx.AsyncClient,
                                                    laptop: httpx.AsyncClient,
                                                    room: Room) -> None:
    world = room.world
    pin = "730194"
    assert (await set_pin(http, room, "delegate01", pin=pin)).status_code == 200
    uid = world.users["delegate01"]
    stored = bytes((await sql(world, "SELECT pin_mac FROM user_pins WHERE user_id = $1",
                              uid))[0]["pin_mac"])
    key = bytes.fromhex((server.workdir / "keys" / "pin.key").read_text().strip())
    assert stored == hmac.new(key, f"pin:{uid}:{pin}".encode(), hashlib.sha256).digest()
    # Without the key, nothing computed from the PIN alone is the row.
    keyless = [hashlib.sha256(pin.encode()).digest(),
               hashlib.sha256(f"pin:{uid}:{pin}".encode()).digest(),
               hmac.new(b"", f"pin:{uid}:{pin}".encode(), hashlib.sha256).digest(),
               hmac.new(secrets.token_bytes(32), f"pin:{uid}:{pin}".encode(),
                        hashlib.sha256).digest()]
    assert stored not in keyless
    assert pin.encode() not in stored and len(stored) == 32
    # Copied onto another account, the row does not open it with this PIN.
    other = world.users["delegate03"]
    await sql(world, "INSERT INTO user_pins (user_id, pin_mac) VALUES ($1, $2)"
              " ON CONFLICT (user_id) DO UPDATE SET pin_mac = $2, failures = 0,"
              " locked_at = NULL", other, stored)
    r = await until_not_throttled(
        lambda: laptop.post("/api/login/pin", json={"user_id": other, "pin": pin}))
    assert r.status_code == 401 and r.json()["error"]["code"] == "wrong_pin"


async def test_a_new_password_removes_the_pin(http: httpx.AsyncClient, room: Room) -> None:
    assert (await set_pin(http, room, "delegate04")).status_code == 200
    r = await http.post("/api/me/password", headers=bearer(room.world, "delegate04"),
                        json={"current_password": PASSWORD,
                              "new_password": "song-Nhat-Le-2026-moi"})
    assert r.status_code == 200, r.text
    status = (await http.get("/api/me/pin", headers=bearer(room.world, "delegate04"))).json()
    assert status["set"] is False
    r = await http.delete("/api/me/pin", headers=bearer(room.world, "delegate04"))
    assert r.status_code == 200


async def test_bad_requests_have_clear_answers(laptop: httpx.AsyncClient, room: Room) -> None:
    for body in ({"pin": PIN}, {"user_id": "x", "pin": PIN},
                 {"user_id": 1, "username": "a", "pin": PIN},
                 {"user_id": room.world.users["guest"], "pin": "12ab56"},
                 {"user_id": room.world.users["guest"]}):
        r = await laptop.post("/api/login/pin", json=body)
        assert r.status_code == 400, (body, r.text)
        assert set(r.json()["error"]) == {"code", "message", "message_en"}


async def test_without_a_pin_the_laptop_says_so(http: httpx.AsyncClient,
                                                laptop: httpx.AsyncClient, room: Room) -> None:
    assert (await set_pin(http, room, "guest")).status_code == 200
    r = await http.delete("/api/me/pin", headers=bearer(room.world, "guest"))
    assert r.status_code == 200 and r.json()["set"] is False
    assert "pin.remove" in await audit_actions(room, f"user:{room.world.users['guest']}")
    r = await until_not_throttled(lambda: laptop.post(
        "/api/login/pin", json={"user_id": room.world.users["guest"], "pin": PIN}))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "no_pin"
    assert r.json()["error"]["message"].startswith("Bạn chưa đặt mã PIN")
