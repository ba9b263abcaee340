"""The admin screens' routes over HTTP: who may call them, what the audit log
keeps (never a password), deactivation ending sessions and sockets, the body
keeping an active admin, and an admin of one body touching nothing of another."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from collab_server.status import Close
from collab_server.storage.invitations import PgInvitations
from tests.conftest import Server, World, build_world, new_database
from tests.test_cli import phonghop
from tests.yclient import YClient


@pytest.fixture(scope="module")
async def body(server: Server) -> World:
    return await build_world(server.database_url, delegates=3, admin="outsider")


@pytest.fixture(scope="module")
async def other(server: Server) -> World:
    return await build_world(server.database_url, delegates=1, admin="outsider")


def bearer(world: World, who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {world.token(who)}"}


async def sql(world: World, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(world.url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def audit(world: World, action: str, target: str) -> list[dict[str, Any]]:
    rows = await sql(world, "SELECT actor_id, details FROM audit_log WHERE action = $1"
                     " AND target = $2 ORDER BY id", action, target)
    return [{"actor": r["actor_id"], **json.loads(r["details"])} for r in rows]


async def log_in(server: Server, username: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http, timeout=60) as client:
        return await client.post("/api/login", json={"username": username,
                                                     "password": password})


async def no_password_in_audit(world: World, *passwords: str) -> None:
    rows = await sql(world, "SELECT details::text AS d FROM audit_log")
    for password in passwords:
        assert all(password not in r["d"] for r in rows), "a password reached the audit log"


async def test_made_password_for_a_new_user_and_a_reset(
        server: Server, http: httpx.AsyncClient, body: World, other: World) -> None:
    admin = bearer(body, "outsider")
    r = await http.post("/api/users", headers=admin, json={
        "username": "tran.thi.lan", "full_name": "Trần Thị Lan", "unit": "Văn phòng",
        "can_prepare": True})
    assert r.status_code == 201, r.text
    new_id, first = r.json()["id"], r.json()["password"]
    assert (await log_in(server, "tran.thi.lan", first)).status_code == 200
    assert (await audit(body, "user.create", f"user:{new_id}"))[0]["password_made"] is True

    # Only the admins of the person's body make a new password; not their own.
    for who, status in ((bearer(body, "chair"), 403), (bearer(other, "outsider"), 404)):
        r = await http.post(f"/api/users/{new_id}/password", headers=who)
        assert r.status_code == status, r.text
    r = await http.post(f"/api/users/{body.users['outsider']}/password", headers=admin)
    assert r.status_code == 409, r.text
    assert "mật khẩu" in r.json()["error"]["message"]

    session = (await log_in(server, "tran.thi.lan", first)).cookies
    r = await http.post(f"/api/users/{new_id}/password", headers=admin)
    assert r.status_code == 201, r.text
    second = r.json()["password"]
    assert second != first
    async with httpx.AsyncClient(base_url=server.http, cookies=session) as old:
        assert (await old.get("/api/me")).status_code == 401, "the reset ends the session"
    assert (await log_in(server, "tran.thi.lan", first)).status_code == 401
    assert (await log_in(server, "tran.thi.lan", second)).status_code == 200
    [entry] = await audit(body, "user.password_reset", f"user:{new_id}")
    assert entry["password_made"] is True and entry["sessions_ended"] >= 1
    assert entry["actor"] == body.users["outsider"]
    await no_password_in_audit(body, first, second)


async def test_a_weak_password_set_by_the_admin_is_refused_in_vietnamese(
        http: httpx.AsyncClient, body: World) -> None:
    r = await http.patch(f"/api/users/{body.users['delegate02']}",
                         headers=bearer(body, "outsider"), json={"password": "matkhau123"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"].startswith("Mật khẩu")


async def test_deactivation_ends_the_session_and_the_open_socket(
        server: Server, http: httpx.AsyncClient) -> None:
    world = await build_world(server.database_url, delegates=1, admin="outsider")
    socket = await YClient(server.ws, f"meeting/{world.meeting_id}/room",
                           world.token("delegate01")).connect()
    try:
        r = await http.patch(f"/api/users/{world.users['delegate01']}",
                             headers=bearer(world, "outsider"), json={"is_active": False})
        assert r.status_code == 200, r.text
        assert await socket.wait_closed() == Close.UNAUTHORIZED
    finally:
        await socket.close()
    r = await http.get("/api/me", headers=bearer(world, "delegate01"))
    assert r.status_code == 401
    assert await sql(world, "SELECT 1 FROM sessions WHERE user_id = $1",
                     world.users["delegate01"]) == []
    assert await audit(world, "user.deactivate", f"user:{world.users['delegate01']}")


async def test_the_body_keeps_an_active_admin(server: Server, http: httpx.AsyncClient) -> None:
    world = await build_world(server.database_url, delegates=1, admin="outsider")
    one, two = world.users["outsider"], world.users["chair"]
    for change in ({"is_admin": False}, {"is_active": False}):
        r = await http.patch(f"/api/users/{one}", headers=bearer(world, "outsider"), json=change)
        assert r.status_code == 409, r.text
    await sql(world, "UPDATE users SET is_admin = true WHERE id = $1", two)
    # Two admins take each other's rights at the same moment: one of them stays.
    answers = await asyncio.gather(
        http.patch(f"/api/users/{two}", headers=bearer(world, "outsider"),
                   json={"is_admin": False}),
        http.patch(f"/api/users/{one}", headers=bearer(world, "chair"),
                   json={"is_admin": False}))
    # Whichever lands second is refused: as the last admin (409), or, when the
    # first had already finished, because its caller is no longer an admin (403).
    codes = sorted(r.status_code for r in answers)
    assert codes in ([200, 403], [200, 409]), [r.text for r in answers]
    refused = next(r for r in answers if r.status_code != 200)
    if refused.status_code == 409:
        assert refused.json()["error"]["message"] == \
            "Cơ quan phải còn ít nhất một quản trị đang hoạt động."
    admins = await sql(world, "SELECT id FROM users WHERE body_id = $1 AND is_admin"
                       " AND is_active", world.body_id)
    assert len(admins) == 1


async def test_rooms_and_their_display_accounts(
        server: Server, http: httpx.AsyncClient, body: World, other: World) -> None:
    admin = bearer(body, "outsider")
    rooms = []
    for name in ("Phòng họp số 1", "Phòng họp số 2"):
        r = await http.post("/api/rooms", headers=admin, json={"name": name, "seats": 30})
        assert r.status_code == 201, r.text
        rooms.append(r.json()["id"])
    r = await http.patch(f"/api/rooms/{rooms[0]}", headers=admin,
                         json={"name": "Phòng họp tầng 3", "seats": 45})
    assert r.status_code == 200, r.text
    listed = (await http.get("/api/rooms", headers=admin)).json()["rooms"]
    # (networks: check-in only from there, tests/test_room_rules.py)
    assert {"id": rooms[0], "name": "Phòng họp tầng 3", "seats": 45, "networks": []} in listed
    assert (await audit(body, "room.update", f"room:{rooms[0]}"))[0]["seats"] == 45
    r = await http.patch(f"/api/rooms/{rooms[0]}", headers=admin, json={"seats": -1})
    assert r.status_code == 400 and "seats" in r.json()["error"]["message"]

    r = await http.post(f"/api/rooms/{rooms[0]}/displays", headers=admin,
                        json={"username": "maychieu.tang3", "full_name": "Màn hình tầng 3"})
    assert r.status_code == 201, r.text
    display, password = r.json()["id"], r.json()["password"]
    assert (await log_in(server, "maychieu.tang3", password)).status_code == 200
    [row] = await sql(body, "SELECT room_id FROM users WHERE id = $1", display)
    assert row["room_id"] == rooms[0]
    r = await http.patch(f"/api/users/{display}", headers=admin, json={"room_id": rooms[1]})
    assert r.status_code == 200, r.text
    [row] = await sql(body, "SELECT room_id FROM users WHERE id = $1", display)
    assert row["room_id"] == rooms[1]
    assert (await audit(body, "user.update", f"user:{display}"))[0]["fields"] == ["room_id"]
    await no_password_in_audit(body, password)

    # Only display accounts carry a room; only rooms of the body; only its admins.
    r = await http.patch(f"/api/users/{body.users['delegate01']}", headers=admin,
                         json={"room_id": rooms[1]})
    assert r.status_code == 409, r.text
    foreign = (await http.post("/api/rooms", headers=bearer(other, "outsider"),
                               json={"name": "Phòng sở khác"})).json()["id"]
    r = await http.patch(f"/api/users/{display}", headers=admin, json={"room_id": foreign})
    assert r.status_code == 404, r.text
    for path, payload in ((f"/api/rooms/{rooms[0]}", {"name": "Chiếm"}),
                          (f"/api/rooms/{rooms[0]}/displays",
                           {"username": "maychieu.la", "full_name": "Lạ"})):
        method = http.patch if path.endswith(str(rooms[0])) else http.post
        assert (await method(path, headers=bearer(other, "outsider"),
                             json=payload)).status_code == 404
        assert (await method(path, headers=bearer(body, "chair"),
                             json=payload)).status_code == 403


async def test_units_of_the_body(http: httpx.AsyncClient, body: World, other: World) -> None:
    admin = bearer(body, "outsider")
    r = await http.post("/api/units", headers=admin, json={"name": "Phòng Tổng hợp"})
    assert r.status_code == 201, r.text
    unit = r.json()["id"]
    again = await http.post("/api/units", headers=admin, json={"name": "phòng tổng hợp"})
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "Cơ quan đã có đơn vị mang tên này."
    await sql(body, "UPDATE users SET unit = 'Phòng Tổng hợp' WHERE id = $1",
              body.users["delegate01"])
    r = await http.patch(f"/api/units/{unit}", headers=admin, json={"name": "Phòng Hành chính"})
    assert r.status_code == 200, r.text
    [row] = await sql(body, "SELECT unit FROM users WHERE id = $1", body.users["delegate01"])
    assert row["unit"] == "Phòng Hành chính", "the unit's people follow the new name"
    listed = (await http.get("/api/units", headers=bearer(body, "chair"))).json()["units"]
    assert {"id": unit, "name": "Phòng Hành chính", "people": 1} in listed
    assert "Phòng Tổng hợp" not in [u["name"] for u in listed]
    assert (await http.get("/api/units", headers=bearer(other, "outsider"))).json()["units"] \
        == []
    for method in ("PATCH", "DELETE"):
        r = await http.request(method, f"/api/units/{unit}", headers=bearer(other, "outsider"),
                               json={"name": "Chiếm"})
        assert r.status_code == 404, r.text
    # Nobody keeps a unit the list no longer offers: emptied first.
    r = await http.delete(f"/api/units/{unit}", headers=admin)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["message"].startswith("Đơn vị còn 1 người")
    r = await http.patch(f"/api/users/{body.users['delegate01']}", headers=admin,
                         json={"unit": ""})
    assert r.status_code == 200, r.text
    r = await http.delete(f"/api/units/{unit}", headers=admin)
    assert r.status_code == 200, r.text
    renamed = await audit(body, "unit.rename", f"unit:{unit}")
    assert renamed[0]["from"] == "Phòng Tổng hợp" and renamed[0]["to"] == "Phòng Hành chính"
    assert await audit(body, "unit.remove", f"unit:{unit}")


async def test_saved_groups_added_to_a_meeting(
        server: Server, http: httpx.AsyncClient, other: World) -> None:
    world = await build_world(server.database_url, delegates=3, admin="outsider")
    admin = bearer(world, "outsider")
    extra = [world.users["delegate01"], world.users["guest"]]
    await sql(world, "DELETE FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2",
              world.meeting_id, world.users["delegate01"])
    r = await http.post("/api/groups", headers=admin, json={
        "name": "Lãnh đạo các phòng", "members": [other.users["delegate01"]]})
    assert r.status_code == 400, "people of another body stay out"
    r = await http.post("/api/groups", headers=admin,
                        json={"name": "Lãnh đạo các phòng", "members": extra})
    assert r.status_code == 201, r.text
    group = r.json()["id"]
    assert (await audit(world, "group.create", f"group:{group}"))[0]["members"] == sorted(extra)
    r = await http.patch(f"/api/groups/{group}", headers=bearer(other, "outsider"),
                         json={"name": "Chiếm"})
    assert r.status_code == 404

    meeting = f"/api/meetings/{world.meeting_id}"
    r = await http.get(f"{meeting}/groups", headers=bearer(world, "secretary"))
    assert r.status_code == 200, r.text
    assert r.json()["groups"] == [{"id": group, "name": "Lãnh đạo các phòng", "size": 2}]
    r = await http.post(f"{meeting}/groups/{group}", headers=bearer(world, "delegate02"),
                        json={"role": "delegate"})
    assert r.status_code == 403
    r = await http.post(f"{meeting}/groups/{group}", headers=bearer(world, "secretary"),
                        json={"role": "chair"})
    assert r.status_code == 400, "a group brings delegates or guests"
    r = await http.post(f"{meeting}/groups/{group}", headers=bearer(world, "secretary"),
                        json={"role": "delegate"})
    assert r.status_code == 201, r.text
    assert r.json()["added"] == [world.users["delegate01"]]
    roles = {row["user_id"]: row["role"] for row in await sql(
        world, "SELECT user_id, role FROM meeting_participants WHERE meeting_id = $1",
        world.meeting_id)}
    assert roles[world.users["delegate01"]] == "delegate"
    assert roles[world.users["guest"]] == "guest", "those already in keep their role"
    [entry] = await audit(world, "participant.add_group", f"meeting:{world.meeting_id}")
    assert entry["group"] == group and entry["users"] == [world.users["delegate01"]]

    r = await http.delete(f"/api/groups/{group}", headers=admin)
    assert r.status_code == 200
    r = await http.post(f"{meeting}/groups/{group}", headers=bearer(world, "secretary"),
                        json={"role": "delegate"})
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "Không có nhóm này trong cơ quan."


async def test_retention_lists_the_bodys_archived_meetings_past_it(
        http: httpx.AsyncClient, body: World, other: World) -> None:
    admin = bearer(body, "outsider")
    r = await http.patch("/api/body", headers=admin, json={"retention_years": 101})
    assert r.status_code == 400
    r = await http.patch("/api/body", headers=admin, json={"retention_years": 2})
    assert r.status_code == 200 and r.json()["body"]["retention_years"] == 2
    await sql(other, "UPDATE bodies SET retention_years = 1 WHERE id = $1", other.body_id)
    for world, title in ((body, "Họp năm 2020"), (other, "Họp của sở khác")):
        await sql(world, "UPDATE meetings SET status = 'archived', title = $2 WHERE id = $1",
                  world.meeting_id, title)
        await sql(world, "INSERT INTO meeting_transitions (meeting_id, from_status, to_status,"
                  " at) VALUES ($1, 'ended', 'archived', now() - interval '3 years')",
                  world.meeting_id)
    r = await http.get("/api/retention", headers=admin)
    assert r.status_code == 200, r.text
    assert [(m["id"], m["title"], m["retention_years"]) for m in r.json()["meetings"]] == \
        [(body.meeting_id, "Họp năm 2020", 2)]
    assert (await http.get("/api/retention", headers=bearer(body, "chair"))).status_code == 403
    r = await http.patch("/api/body", headers=admin, json={"retention_years": None})
    assert r.json()["body"]["retention_years"] is None
    assert (await http.get("/api/retention", headers=admin)).json()["meetings"] == []
    entries = await audit(body, "body.update", f"body:{body.body_id}")
    assert [e["retention_years"] for e in entries][-2:] == [2, None]


async def test_the_units_people_are_in_are_listed_and_editable(
        server: Server, http: httpx.AsyncClient) -> None:
    """People given a unit (by the operator's tools, an older version or the
    admin's form) make the body's list of units; nobody is in a unit the
    admin cannot see or rename."""
    world = await build_world(server.database_url, delegates=2, admin="outsider")
    admin = bearer(world, "outsider")
    await sql(world, "UPDATE users SET unit = 'Sở Tài chính' WHERE id = ANY($1::bigint[])",
              [world.users["delegate01"], world.users["delegate02"]])
    r = await http.post("/api/users", headers=admin, json={
        "username": f"ke.toan.{world.body_id}", "full_name": "Đỗ Thị Kế",
        "unit": "Phòng Kế toán"})
    assert r.status_code == 201, r.text
    listed = (await http.get("/api/units", headers=admin)).json()["units"]
    assert [(u["name"], u["people"]) for u in listed] == [("Phòng Kế toán", 1),
                                                          ("Sở Tài chính", 2)]
    finance = next(u["id"] for u in listed if u["name"] == "Sở Tài chính")
    r = await http.patch(f"/api/units/{finance}", headers=admin,
                         json={"name": "Sở Tài chính tỉnh"})
    assert r.status_code == 200, r.text
    rows = await sql(world, "SELECT unit FROM users WHERE id = ANY($1::bigint[])",
                     [world.users["delegate01"], world.users["delegate02"]])
    assert {r["unit"] for r in rows} == {"Sở Tài chính tỉnh"}
    listed = (await http.get("/api/units", headers=admin)).json()["units"]
    assert [u["name"] for u in listed] == ["Phòng Kế toán", "Sở Tài chính tỉnh"]


async def test_a_room_name_is_taken_once_per_body(
        http: httpx.AsyncClient, body: World, other: World) -> None:
    admin = bearer(body, "outsider")
    r = await http.post("/api/rooms", headers=admin, json={"name": "Phòng họp số 7"})
    assert r.status_code == 201, r.text
    first = r.json()["id"]
    for name in ("Phòng họp số 7", "phòng họp số 7 "):
        r = await http.post("/api/rooms", headers=admin, json={"name": name})
        assert r.status_code == 409, (name, r.text)
        assert r.json()["error"]["message"] == "Cơ quan đã có phòng họp mang tên này."
    r = await http.post("/api/rooms", headers=admin, json={"name": "Phòng họp số 8"})
    second = r.json()["id"]
    r = await http.patch(f"/api/rooms/{second}", headers=admin, json={"name": "PHÒNG HỌP SỐ 7"})
    assert r.status_code == 409, r.text
    assert (await http.patch(f"/api/rooms/{first}", headers=admin,
                             json={"seats": 30})).status_code == 200
    # Another body names its rooms as it likes.
    r = await http.post("/api/rooms", headers=bearer(other, "outsider"),
                        json={"name": "Phòng họp số 7"})
    assert r.status_code == 201, r.text
    names = [x["name"] for x in (await http.get("/api/rooms", headers=admin)).json()["rooms"]]
    assert names.count("Phòng họp số 7") == 1 and "Phòng họp số 8" in names


async def test_login_names_are_letters_digits_and_dot_dash_underscore(
        http: httpx.AsyncClient, body: World) -> None:
    admin = bearer(body, "outsider")
    rooms = (await http.get("/api/rooms", headers=admin)).json()["rooms"]
    room = rooms[0]["id"] if rooms else (await http.post(
        "/api/rooms", headers=admin, json={"name": "Phòng đặt tên"})).json()["id"]
    for bad in ("a b/../", "nguyễn.văn.an", "an@so", ".an", "an-", "x" * 101, "an\\b"):
        for path, payload in (("/api/users", {"username": bad, "full_name": "Người thử"}),
                              (f"/api/rooms/{room}/displays",
                               {"username": bad, "full_name": "Màn hình thử"})):
            r = await http.post(path, headers=admin, json=payload)
            assert r.status_code == 422, (bad, path, r.text)
            error = r.json()["error"]
            assert error["code"] == "bad_username"
            assert error["message"].startswith("Tên đăng nhập"), error
    assert not await sql(body, "SELECT 1 FROM users WHERE username LIKE '%/%'"
                               " OR username LIKE '% %'")
    r = await http.post("/api/users", headers=admin, json={
        "username": "Nguyen.Van-An_2", "full_name": "Nguyễn Văn An"})
    assert r.status_code == 201, r.text


async def test_a_site_admin_creates_a_body_and_names_its_first_admin(
        server: Server, http: httpx.AsyncClient, body: World, other: World) -> None:
    site = await build_world(server.database_url, delegates=1, admin="outsider")
    await sql(site, "UPDATE users SET is_site_admin = true WHERE id = $1",
              site.users["outsider"])
    me = (await http.get("/api/me", headers=bearer(site, "outsider"))).json()["user"]
    assert me["is_site_admin"] is True
    plain_admin = (await http.get("/api/me", headers=bearer(body, "outsider"))).json()["user"]
    assert plain_admin["is_site_admin"] is False
    new = {"code": f"so-xay-dung-{site.body_id}", "name": "Sở Xây dựng tỉnh Quảng Bình",
           "place": "Quảng Bình", "admin_username": f"qt.sxd.{site.body_id}",
           "admin_full_name": "Trương Văn Định", "admin_title": "Chánh Văn phòng Sở"}
    # A body's own admin, or anyone else, creates no body.
    for who, status in ((bearer(body, "outsider"), 403), (bearer(site, "chair"), 403), ({}, 401)):
        assert (await http.post("/api/bodies", headers=who, json=new)).status_code == status
        assert (await http.get("/api/bodies", headers=who)).status_code == status
    site_admin = bearer(site, "outsider")
    for field, value, status in (("code", "Sở XD", 400), ("admin_username", "a b/../", 422)):
        r = await http.post("/api/bodies", headers=site_admin, json={**new, field: value})
        assert r.status_code == status, r.text
    r = await http.post("/api/bodies", headers=site_admin, json=new)
    assert r.status_code == 201, r.text
    created, admin = r.json()["id"], r.json()["admin"]
    assert admin["username"] == new["admin_username"]
    again = await http.post("/api/bodies", headers=site_admin, json=new)
    assert again.status_code == 409 and "mã" in again.json()["error"]["message"]
    taken = await http.post("/api/bodies", headers=site_admin,
                            json={**new, "code": f"khac-{site.body_id}"})
    assert taken.status_code == 409 and "Tên đăng nhập" in taken.json()["error"]["message"]
    listed = {b["id"]: b for b in (await http.get("/api/bodies", headers=site_admin)).json()[
        "bodies"]}
    assert listed[created]["name"] == new["name"] and listed[created]["admins"] == 1
    assert {body.body_id, other.body_id} <= set(listed)

    # The first admin logs in with the password made once, and runs the new body.
    login = await log_in(server, new["admin_username"], admin["password"])
    assert login.status_code == 200, login.text
    user = login.json()["user"]
    assert user["body_id"] == created and user["is_admin"] and not user["is_site_admin"]
    first = {"authorization": f"Bearer {login.json()['token']}"}
    r = await http.post("/api/rooms", headers=first, json={"name": "Phòng họp Sở"})
    assert r.status_code == 201, r.text
    # The site admin sees none of the new body's people.
    people = (await http.get("/api/users", headers=site_admin,
                             params={"q": "Trương Văn Định"})).json()["users"]
    assert people == []
    [entry] = await audit(site, "body.create", f"body:{created}")
    assert entry["actor"] == site.users["outsider"] and entry["admin"] == user["id"]
    assert (await audit(site, "user.create", f"user:{user['id']}"))[0]["password_made"]
    await no_password_in_audit(site, admin["password"])


async def test_the_operator_names_a_site_admin_and_the_demo_has_real_deputies(
        pg_uri: str, tmp_path: Path) -> None:
    url = await new_database(pg_uri)
    common = ("--database-url", url, "--data-dir", str(tmp_path))
    env = {"PHONGHOP_PASSWORD": "mot-mat-khau-dai"}
    code, out = await phonghop(*common, "demo")  # into an empty database only
    assert code == 0, out
    assert "phothu01 … phothu08" in out
    code, out = await phonghop(*common, "create-user", "--body", "so-tu-phap", "--body-name",
                               "Sở Tư pháp", "--username", "a b/../", "--full-name", "Lạ",
                               env=env)
    assert code == 2 and "Tên đăng nhập chỉ gồm" in out, out
    code, out = await phonghop(*common, "create-user", "--body", "so-tu-phap", "--body-name",
                               "Sở Tư pháp", "--username", "qt.he.thong", "--full-name",
                               "Quản trị hệ thống", "--site-admin", env=env)
    assert code == 0, out
    conn = await asyncpg.connect(url)
    try:
        site = await conn.fetch("SELECT username, is_admin FROM users WHERE is_site_admin"
                                " ORDER BY username")
        body = await conn.fetchval("SELECT id FROM bodies WHERE code = 'ubnd-demo'")
        meeting = await conn.fetchval("SELECT id FROM meetings WHERE body_id = $1", body)
        delegate = await conn.fetchval("SELECT id FROM users WHERE username = 'delegate01'")
        units = await conn.fetchval("SELECT count(*) FROM body_units WHERE body_id = $1", body)
    finally:
        await conn.close()
    assert sorted((r["username"], r["is_admin"]) for r in site) == [("qt.he.thong", True),
                                                                    ("quantri", True)]
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        people = await PgInvitations(pool).deputy_candidates(meeting, body, delegate)
        found = await PgInvitations(pool).deputy_candidates(meeting, body, delegate,
                                                            "pho giam doc tai chinh")
    finally:
        await pool.close()
    # Whom a demo delegate may send: the deputy heads, never the admin or the projector.
    assert len(people) == 8 and all(p["title"].startswith("Phó ") for p in people)
    assert [p["unit"] for p in found] == ["Sở Tài chính"]
    assert units >= 9, "the demo's units are listed for its admin"
