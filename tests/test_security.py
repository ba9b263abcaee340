"""Sessions, login throttling and the audit log's hash chain."""

from __future__ import annotations

import asyncpg
import httpx

from tests.conftest import PASSWORD, Server, World, audit_verify


async def _username(world: World, who: str) -> str:
    conn = await asyncpg.connect(world.url)
    try:
        return str(await conn.fetchval("SELECT username FROM users WHERE id = $1",
                                       world.users[who]))
    finally:
        await conn.close()


async def test_login_throttle_per_account_not_per_room(server: Server, world: World) -> None:
    target = await _username(world, "delegate03")
    neighbour = await _username(world, "delegate04")
    async with httpx.AsyncClient(base_url=server.http, headers={"origin": server.http}) as client:
        for _ in range(5):
            r = await client.post("/api/login", json={"username": target, "password": "sai"})
            assert r.status_code == 401
        # Slowed now, even with the right password, for a second or two (never a
        # fifteen-minute wall); same answer as for a stranger.
        r = await client.post("/api/login", json={"username": target, "password": PASSWORD})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= 2
        for _ in range(5):
            await client.post("/api/login", json={"username": "khong-ton-tai", "password": "x"})
        ghost = await client.post("/api/login", json={"username": "khong-ton-tai",
                                                      "password": "x"})
        assert ghost.status_code == 429
        assert ghost.json()["error"]["code"] == r.json()["error"]["code"]
        assert ghost.headers["retry-after"] == r.headers["retry-after"]
        # Another laptop behind the same wifi address logs in as usual.
        r = await client.post("/api/login", json={"username": neighbour, "password": PASSWORD})
        assert r.status_code == 200


async def test_forwarded_for_is_ignored_without_a_trusted_proxy(server: Server,
                                                                world: World) -> None:
    """Without `PHONGHOP_TRUSTED_PROXIES` a client cannot choose the address
    the audit log and the throttle see."""
    async with httpx.AsyncClient(base_url=server.http) as client:
        r = await client.post("/api/login", json={"username": "ke-gia-mao", "password": "x"},
                              headers={"x-forwarded-for": "198.51.100.66"})
        assert r.status_code == 401
    conn = await asyncpg.connect(world.url)
    try:
        ip = await conn.fetchval("SELECT ip FROM audit_log WHERE action = 'login.failed'"
                                 " AND target = 'username:ke-gia-mao'")
    finally:
        await conn.close()
    assert ip == "127.0.0.1"


async def test_idle_sessions_expire_and_logout_everywhere(server: Server, world: World) -> None:
    name = await _username(world, "delegate05")
    async with httpx.AsyncClient(base_url=server.http, headers={"origin": server.http}) as client:
        tokens = []
        for _ in range(2):
            r = await client.post("/api/login", json={"username": name, "password": PASSWORD})
            tokens.append(r.json()["token"])
        client.cookies.clear()
        headers = [{"authorization": f"Bearer {t}"} for t in tokens]
        assert (await client.get("/api/me", headers=headers[0])).status_code == 200
        r = await client.post("/api/logout/everywhere", headers=headers[0])
        assert r.status_code == 200 and r.json()["sessions"] >= 2
        for h in headers:
            assert (await client.get("/api/me", headers=h)).status_code == 401
        # A session left idle too long ends.
        r = await client.post("/api/login", json={"username": name, "password": PASSWORD})
        idle = {"authorization": f"Bearer {r.json()['token']}"}
        conn = await asyncpg.connect(world.url)
        try:
            await conn.execute("UPDATE sessions SET last_seen_at = now() - interval '3 hours'"
                               " WHERE user_id = $1", world.users["delegate05"])
        finally:
            await conn.close()
        assert (await client.get("/api/me", headers=idle)).status_code == 401


async def test_audit_log_is_chained_and_append_only(server: Server, world: World) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        for _ in range(3):
            await client.get(f"/api/meetings/{world.meeting_id}",
                             headers={"authorization": f"Bearer {world.token('chair')}"})
            await client.post("/api/login", json={"username": "ai-do", "password": "x"})
    code, out = await audit_verify(world.url, server.workdir)
    assert code == 0, out
    conn = await asyncpg.connect(world.url)
    try:
        try:
            await conn.execute("UPDATE audit_log SET action = 'x' WHERE id = 1")
            raise AssertionError("an audit entry was edited")
        except asyncpg.RaiseError as exc:
            assert "append-only" in str(exc)
        try:
            await conn.execute("DELETE FROM audit_log")
            raise AssertionError("audit entries were deleted")
        except asyncpg.RaiseError:
            pass
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM audit_log ORDER BY id")]
        # Someone with the power to switch triggers off edits one entry and deletes another.
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        await conn.execute("UPDATE audit_log SET target = 'user:0' WHERE id = $1", ids[1])
        await conn.execute("DELETE FROM audit_log WHERE id = $1", ids[3])
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    finally:
        await conn.close()
    code, out = await audit_verify(world.url, server.workdir)
    assert code == 1
    assert f"mục {ids[1]}: the entry was edited" in out
    assert f"mục {ids[4]}: an entry before it was deleted or moved" in out
