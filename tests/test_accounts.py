"""Accounts over HTTP: changing one's own password, an admin's reset, taking a
user back after deactivation, and logging out with a session that ended."""

from __future__ import annotations

import hashlib
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import PASSWORD, Server, World, build_world

NEW_PASSWORD = "song-Lam-chieu-thu-2026"


@pytest.fixture(scope="module")
async def people(server: Server) -> World:
    return await build_world(server.database_url, delegates=4, admin="outsider")


@pytest.fixture(scope="module")
async def elsewhere(server: Server) -> World:
    return await build_world(server.database_url, delegates=1, admin="outsider")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def sql(world: World, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(world.url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def username(world: World, who: str) -> str:
    rows = await sql(world, "SELECT username FROM users WHERE id = $1", world.users[who])
    return str(rows[0]["username"])


async def log_in(http: httpx.AsyncClient, name: str, password: str) -> httpx.Response:
    http.cookies.clear()
    r = await http.post("/api/login", json={"username": name, "password": password})
    http.cookies.clear()
    return r


async def audit_of(world: World, action: str) -> list[dict[str, Any]]:
    rows = await sql(world, "SELECT actor_id, target, details FROM audit_log WHERE action = $1"
                     " ORDER BY id", action)
    return [dict(r) for r in rows]


async def test_change_own_password(http: httpx.AsyncClient, people: World) -> None:
    name = await username(people, "delegate01")
    here = (await log_in(http, name, PASSWORD)).json()["token"]
    other = (await log_in(http, name, PASSWORD)).json()["token"]
    # The current password is required, and the policy applies.
    r = await http.post("/api/me/password", headers=bearer(here),
                        json={"current_password": "khong-phai-no", "new_password": NEW_PASSWORD})
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_password", r.text
    r = await http.post("/api/me/password", headers=bearer(here),
                        json={"current_password": PASSWORD, "new_password": "matkhau@123"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "weak_password", r.text
    r = await http.post("/api/me/password", headers=bearer(here),
                        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    # The laptop that changed it stays signed in; every other session ends.
    assert (await http.get("/api/me", headers=bearer(here))).status_code == 200
    assert (await http.get("/api/me", headers=bearer(other))).status_code == 401
    assert (await log_in(http, name, PASSWORD)).status_code == 401
    assert (await log_in(http, name, NEW_PASSWORD)).status_code == 200
    entries = await audit_of(people, "password.change")
    assert [e["actor_id"] for e in entries] == [people.users["delegate01"]]
    assert NEW_PASSWORD not in str(entries) and PASSWORD not in str(entries)


async def test_admin_resets_a_password(http: httpx.AsyncClient, people: World,
                                       elsewhere: World) -> None:
    target = people.users["delegate02"]
    name = await username(people, "delegate02")
    session = (await log_in(http, name, PASSWORD)).json()["token"]
    admin = bearer(people.token("outsider"))
    # Not for a plain user, nor for the admin of another body.
    for who, status in ((bearer(people.token("chair")), 403),
                        (bearer(elsewhere.token("outsider")), 404)):
        r = await http.patch(f"/api/users/{target}", headers=who,
                             json={"password": NEW_PASSWORD})
        assert r.status_code == status, r.text
    r = await http.patch(f"/api/users/{target}", headers=admin, json={"password": "123456789a"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "weak_password", r.text
    assert (await http.get("/api/me", headers=bearer(session))).status_code == 200
    r = await http.patch(f"/api/users/{target}", headers=admin, json={"password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    # The reset takes effect and ends the person's sessions.
    assert (await http.get("/api/me", headers=bearer(session))).status_code == 401
    assert (await log_in(http, name, PASSWORD)).status_code == 401
    assert (await log_in(http, name, NEW_PASSWORD)).status_code == 200
    entries = await audit_of(people, "user.password_reset")
    assert [(e["actor_id"], e["target"]) for e in entries] == [
        (people.users["outsider"], f"user:{target}")]
    assert NEW_PASSWORD not in str(entries)
    # An admin changes their own password with the current one, not by a reset.
    r = await http.patch(f"/api/users/{people.users['outsider']}", headers=admin,
                         json={"password": NEW_PASSWORD})
    assert r.status_code == 409, r.text


async def test_admin_deactivates_and_reactivates(http: httpx.AsyncClient, people: World,
                                                 elsewhere: World) -> None:
    target = people.users["delegate03"]
    name = await username(people, "delegate03")
    admin = bearer(people.token("outsider"))
    r = await http.patch(f"/api/users/{target}", headers=admin, json={"is_active": False})
    assert r.status_code == 200, r.text
    assert (await log_in(http, name, PASSWORD)).status_code == 401
    # Admins find the deactivated user; nobody else takes them back.
    listed = await http.get("/api/users", headers=admin, params={"inactive": "1"})
    assert listed.status_code == 200, listed.text
    row = next(u for u in listed.json()["users"] if u["id"] == target)
    assert row["is_active"] is False
    for who, status in ((bearer(people.token("chair")), 403),
                        (bearer(elsewhere.token("outsider")), 404)):
        r = await http.patch(f"/api/users/{target}", headers=who, json={"is_active": True})
        assert r.status_code == status, r.text
    r = await http.patch(f"/api/users/{target}", headers=admin, json={"is_active": True})
    assert r.status_code == 200, r.text
    assert (await log_in(http, name, PASSWORD)).status_code == 200
    actions = [(e["target"]) for e in await audit_of(people, "user.reactivate")]
    assert actions == [f"user:{target}"]
    assert [e["target"] for e in await audit_of(people, "user.deactivate")] == [f"user:{target}"]


async def test_logout_with_an_ended_session_still_clears_the_laptop(
        http: httpx.AsyncClient, people: World) -> None:
    name = await username(people, "delegate04")
    r = await log_in(http, name, PASSWORD)
    token = r.json()["token"]
    await sql(people, "UPDATE sessions SET expires_at = now() - interval '1 minute'"
              " WHERE user_id = $1", people.users["delegate04"])
    r = await http.post("/api/logout", headers={"cookie": f"phonghop_session={token}"})
    assert r.status_code in (200, 204), r.text
    assert "clear-site-data" in r.headers
    cleared = [c for c in r.headers.get_list("set-cookie") if c.startswith("phonghop_session=")]
    assert cleared and ("max-age=0" in cleared[0].lower() or "expires=" in cleared[0].lower())
    assert not await sql(people, "SELECT 1 FROM sessions WHERE token_hash = $1",
                         hashlib.sha256(token.encode()).digest())
