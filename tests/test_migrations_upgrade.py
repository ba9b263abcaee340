"""Upgrading a database that holds what a later rule forbids: the upgrade
finishes, and what it changed is on the audit record."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import asyncpg
import pytest

from collab_server.storage import db, migration_audit
from tests.conftest import PASSWORD, Server, audit_verify, new_database


def _schema_up_to(number: int, folder: Path) -> Path:
    for path in db.schema_dir().glob("*.sql"):
        if path.name[:3].isdigit() and int(path.name[:3]) <= number:
            shutil.copy(path, folder / path.name)
    return folder


async def _audit_rows(conn: asyncpg.Connection, meeting: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT actor_id, action, details FROM audit_log WHERE target = $1"
        " AND action = 'participant.role' ORDER BY id", f"meeting:{meeting}"))


async def test_two_chairs_upgrade_keeps_the_earliest_named_and_audits_the_other(
        pg_uri: str, tmp_path: Path) -> None:
    url = await new_database(pg_uri)
    conn = await asyncpg.connect(url)
    try:
        (tmp_path / "schema").mkdir()
        await db.migrate(conn, _schema_up_to(14, tmp_path / "schema"))
        body = await conn.fetchval(
            "INSERT INTO bodies (code, name) VALUES ('so-tn', 'Sở thử nghiệm') RETURNING id")
        ids = {}
        for name in ("first", "second", "secretary"):
            ids[name] = await conn.fetchval(
                "INSERT INTO users (body_id, username, full_name, password_hash)"
                " VALUES ($1, $2, $3, $4) RETURNING id", body, name, f"Người {name}", PASSWORD)
        meeting = await conn.fetchval(
            "INSERT INTO meetings (body_id, title, starts_at, status)"
            " VALUES ($1, 'Họp hai chủ tọa', now(), 'invited') RETURNING id", body)
        for name, role in (("first", "chair"), ("second", "chair"), ("secretary", "secretary")):
            await conn.execute("INSERT INTO meeting_participants (meeting_id, user_id, role)"
                               " VALUES ($1, $2, $3)", meeting, ids[name], role)
        # Named in the other order than their ids: "second" (the higher id)
        # was named chair first, so "second" stays chair.
        for name in ("second", "first"):
            await conn.execute(
                "INSERT INTO audit_log (actor_id, action, target, details)"
                " VALUES ($1, 'participant.add', $2, $3)", ids["secretary"],
                f"meeting:{meeting}", json.dumps({"user": ids[name], "role": "chair"}))
        # Another meeting with one chair is left as it was.
        other = await conn.fetchval(
            "INSERT INTO meetings (body_id, title, starts_at) VALUES ($1, 'Họp khác', now())"
            " RETURNING id", body)
        await conn.execute("INSERT INTO meeting_participants (meeting_id, user_id, role)"
                           " VALUES ($1, $2, 'chair')", other, ids["first"])

        applied = await db.migrate(conn)
        assert "015_one_chair.sql" in applied
        roles = dict(await conn.fetch(
            "SELECT user_id, role FROM meeting_participants WHERE meeting_id = $1", meeting))
        assert roles == {ids["second"]: "chair", ids["first"]: "delegate",
                         ids["secretary"]: "secretary"}
        assert await conn.fetchval("SELECT role FROM meeting_participants WHERE meeting_id = $1",
                                   other) == "chair"
        # The database now keeps the rule itself.
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute("UPDATE meeting_participants SET role = 'chair'"
                               " WHERE meeting_id = $1 AND user_id = $2", meeting, ids["first"])
    finally:
        await conn.close()

    # The server writes the demotion to the audit chain when it starts.
    server = Server(url, tmp_path / "server")
    server.workdir.mkdir()
    await server.start()
    try:
        conn = await asyncpg.connect(url)
        try:
            deadline = time.monotonic() + 15
            while True:
                rows = await _audit_rows(conn, meeting)
                sealed = await conn.fetchval(
                    "SELECT count(*) FROM audit_log WHERE seq IS NULL")
                if rows and not sealed:
                    break
                assert time.monotonic() < deadline, (rows, sealed)
                await asyncio.sleep(0.1)
            assert len(rows) == 1
            entry = rows[0]
            assert entry["actor_id"] is None  # the upgrade, not a person
            details = json.loads(entry["details"])
            assert details["user"] == ids["first"]
            assert (details["from"], details["to"]) == ("chair", "delegate")
            assert details["chair"] == ids["second"]
            assert details["migration"] == "015_one_chair.sql"
            assert await _audit_rows(conn, other) == []
            assert await conn.fetchval("SELECT count(*) FROM migration_audit") == 0
        finally:
            await conn.close()
    finally:
        await server.stop()
    # Written once: a second start adds nothing.
    await server.start()
    await server.stop()
    conn = await asyncpg.connect(url)
    try:
        assert len(await _audit_rows(conn, meeting)) == 1
    finally:
        await conn.close()
    code, out = await audit_verify(url, server.workdir)
    assert code == 0, out


async def test_a_database_that_applied_the_earlier_one_chair_rule_still_starts(
        pg_uri: str, tmp_path: Path) -> None:
    """Upgraded through schema/015 as it first was (a bare unique index, no
    `migration_audit`): the later migrations give it what the server reads at
    start."""
    url = await new_database(pg_uri)
    (tmp_path / "schema").mkdir()
    conn = await asyncpg.connect(url)
    try:
        await db.migrate(conn, _schema_up_to(14, tmp_path / "schema"))
        await conn.execute("CREATE UNIQUE INDEX meeting_participants_one_chair"
                           " ON meeting_participants (meeting_id) WHERE role = 'chair'")
        await conn.execute("INSERT INTO schema_migrations (name) VALUES ('015_one_chair.sql')")
        applied = await db.migrate(conn)
        assert "015_one_chair.sql" not in applied and "021_room_networks.sql" in applied
    finally:
        await conn.close()
    pool = await db.create_pool(url, min_size=1, max_size=2)
    try:
        assert await migration_audit.write_pending(pool) == 0
    finally:
        await pool.close()
