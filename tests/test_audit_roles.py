"""The production deployment's database roles (deploy/database-roles.sql,
deploy/database-grants.sql): an owner role migrates, the server runs as a
role that owns nothing and can only add to the audit log, so it cannot switch
the triggers off or change a sealed entry; the server still works."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import PASSWORD, ROOT, Server, audit_verify, build_world, new_database


def as_role(url: str, role: str) -> str:
    """The same database, connected as `role` (the test cluster trusts local logins)."""
    assert url.startswith("postgresql://postgres:@")
    return url.replace("postgresql://postgres:@", f"postgresql://{role}:@", 1)


async def _sql_file(url: str, name: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute((ROOT / "deploy" / name).read_text(encoding="utf-8"))
    finally:
        await conn.close()


async def _cli(url: str, *args: str, data_dir: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "collab_server", "--database-url", url, "--data-dir",
        str(data_dir), *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def _refused(conn: asyncpg.Connection, statement: str) -> str:
    try:
        await conn.execute(statement)
    except (asyncpg.InsufficientPrivilegeError, asyncpg.RaiseError) as exc:
        return type(exc).__name__
    raise AssertionError(f"the application's role could run: {statement}")


async def test_the_server_runs_as_a_role_that_cannot_touch_the_audit_log(
        pg_uri: str, tmp_path: Path) -> None:
    superuser = await new_database(pg_uri)
    await _sql_file(superuser, "database-roles.sql")
    owner, app = as_role(superuser, "phonghop_owner"), as_role(superuser, "phonghop_app")

    # Before the owner migrates, the application's role cannot create the schema.
    code, out = await _cli(app, "migrate", data_dir=tmp_path)
    assert code != 0 and "permission denied" in out, out
    code, out = await _cli(owner, "migrate", data_dir=tmp_path)
    assert code == 0, out
    await _sql_file(owner, "database-grants.sql")
    conn = await asyncpg.connect(superuser)
    try:
        assert await conn.fetchval("SELECT tableowner FROM pg_tables"
                                   " WHERE tablename = 'audit_log'") == "phonghop_owner"
    finally:
        await conn.close()

    world = await build_world(superuser)
    server = Server(app, tmp_path / "server")
    (tmp_path / "server").mkdir()
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.http,
                                     headers={"origin": server.http}) as client:
            r = await client.post("/api/login", json={
                "username": await _username(superuser, world.users["chair"]),
                "password": PASSWORD})
            assert r.status_code == 200, r.text
            headers = {"authorization": f"Bearer {r.json()['token']}"}
            r = await client.get(f"/api/meetings/{world.meeting_id}", headers=headers)
            assert r.status_code == 200, r.text
        # The server, as the application's role, seals the login's entry.
        conn = await asyncpg.connect(app)
        try:
            deadline = time.monotonic() + 20
            while not await conn.fetchval(
                    "SELECT bool_and(seq IS NOT NULL) FROM audit_log WHERE action = 'login'"):
                assert time.monotonic() < deadline, server.log_tail()
                await asyncio.sleep(0.1)
            entry = await conn.fetchval("SELECT id FROM audit_log WHERE action = 'login'")

            refusals = [await _refused(conn, statement) for statement in (
                "ALTER TABLE audit_log DISABLE TRIGGER USER",
                "ALTER TABLE audit_log DISABLE TRIGGER audit_sealing_only",
                "ALTER TABLE minutes_versions DISABLE TRIGGER USER",
                "DROP TRIGGER audit_sealing_only ON audit_log",
                f"UPDATE audit_log SET target = 'user:0' WHERE id = {entry}",
                f"UPDATE audit_log SET at = at - interval '1 day' WHERE id = {entry}",
                f"DELETE FROM audit_log WHERE id = {entry}",
                "TRUNCATE audit_log",
                "UPDATE audit_chain_start SET keyed_after = keyed_after + 1",
                "UPDATE minutes_versions SET text = 'x'",
                "DELETE FROM minutes_versions",
                "UPDATE server_keys SET fingerprint = 'x'",
                "DELETE FROM schema_migrations",
                "CREATE TABLE intruder (id int)",
            )]
            assert set(refusals) == {"InsufficientPrivilegeError"}, refusals
            # What it adds is dated now, and unsealed, whatever it says.
            forged = await conn.fetchrow(
                "INSERT INTO audit_log (at, action, seq, hash) VALUES"
                " (now() - interval '3 days', 'login', 999999, '\\x00') RETURNING at, seq, hash")
            assert forged["seq"] is None and forged["hash"] is None
            assert await conn.fetchval("SELECT now() - $1 < interval '1 minute'", forged["at"])
            # The seal columns it may write once, and never again.
            assert await _refused(
                conn, f"UPDATE audit_log SET seq = NULL, hash = NULL WHERE id = {entry}"
            ) == "RaiseError"
        finally:
            await conn.close()
        code, out = await audit_verify(app, server.workdir)
        assert code == 0, out
    finally:
        await server.stop()
    assert "Traceback" not in server.log_text(), server.log_tail()


async def test_a_server_with_migrations_pending_names_the_owner(
        pg_uri: str, tmp_path: Path) -> None:
    superuser = await new_database(pg_uri)
    await _sql_file(superuser, "database-roles.sql")
    conn = await asyncpg.connect(as_role(superuser, "phonghop_owner"))
    try:
        from collab_server.storage import db

        old = tmp_path / "schema"
        old.mkdir()
        for path in sorted(db.schema_dir().glob("*.sql")):
            if path.name[:3].isdigit() and path.name < "012":
                (old / path.name).write_text(path.read_text(encoding="utf-8"))
        await db.migrate(conn, old)
    finally:
        await conn.close()
    # What an earlier release's grants gave the application's role.
    conn = await asyncpg.connect(as_role(superuser, "phonghop_owner"))
    try:
        await conn.execute("GRANT USAGE ON SCHEMA public TO phonghop_app;"
                           " GRANT SELECT ON ALL TABLES IN SCHEMA public TO phonghop_app")
    finally:
        await conn.close()
    code, out = await _cli(as_role(superuser, "phonghop_app"), "migrate", data_dir=tmp_path)
    assert code == 2, out
    assert "012_audit_keyed.sql" in out and "`phonghop migrate` as the database's owner" in out
    assert "Traceback" not in out, out


async def _username(url: str, user_id: int) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("SELECT username FROM users WHERE id = $1", user_id))
    finally:
        await conn.close()

