"""The audit chain stays valid while many transactions write to it at once
(every server process writes to the one log), and writers never wait for
each other: the chain is sealed behind them (schema/009_audit_sealing.sql)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg

from collab_server.storage import db
from tests.conftest import audit_verify, new_database

INSERT = "INSERT INTO audit_log (action, target) VALUES ($1, $2)"


async def test_writers_do_not_wait_for_each_other(database_url: str) -> None:
    """An audited action of one meeting never waits for another's commit (and its
    disk flush); the chain is sealed behind them, in a valid order."""
    first = await asyncpg.connect(database_url)
    second = await asyncpg.connect(database_url)
    try:
        one = first.transaction()
        await one.start()
        await first.execute(INSERT, "test.first", "a")
        # While the first transaction is open, another writes and commits.
        await asyncio.wait_for(second.execute(INSERT, "test.second", "b"), 5)
        await first.execute(INSERT, "test.first", "c")
        await one.commit()
        assert await first.fetchval("SELECT count(*) FROM audit_log WHERE seq IS NULL") >= 3
    finally:
        await first.close()
        await second.close()
    code, out = await audit_verify(database_url)
    assert code == 0, out
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE seq IS NULL") == 0
        rows = await conn.fetch(
            "SELECT target FROM audit_log WHERE action LIKE 'test.%' ORDER BY seq")
        # b committed first, but a has the lower id: sealed in id order once both are in.
        assert [r["target"] for r in rows] == ["a", "b", "c"]
    finally:
        await conn.close()


async def test_a_sealed_entry_cannot_be_changed_or_unsealed(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(INSERT, "test.entry", "a")
        entry = await conn.fetchval("SELECT id FROM audit_log WHERE action = 'test.entry'")
        # Before sealing, the content cannot change either.
        for change in ("target = 'b'", "at = now() - interval '1 day'",
                       "actor_id = NULL, ip = 'x'"):
            try:
                await conn.execute(f"UPDATE audit_log SET {change} WHERE id = $1", entry)
                raise AssertionError(f"changed: {change}")
            except asyncpg.RaiseError as exc:
                assert "append-only" in str(exc)
        assert await conn.fetchval("SELECT audit_seal()") >= 1
        for change in ("seq = NULL", "seq = seq + 1000", "hash = NULL", "target = 'b'"):
            try:
                await conn.execute(f"UPDATE audit_log SET {change} WHERE id = $1", entry)
                raise AssertionError(f"changed: {change}")
            except asyncpg.RaiseError as exc:
                assert "append-only" in str(exc)
    finally:
        await conn.close()


async def test_many_writers_at_once_leave_a_valid_chain(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=8, max_size=8)
    try:
        async def writer(n: int) -> None:
            for k in range(25):
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute(INSERT, "test.burst", f"{n}.{k}.1")
                    await conn.execute(INSERT, "test.burst", f"{n}.{k}.2")

        await asyncio.gather(*(writer(n) for n in range(8)))
        rows = await pool.fetch("SELECT target FROM audit_log WHERE action = 'test.burst'")
        assert len(rows) == 400
    finally:
        await pool.close()
    code, out = await audit_verify(database_url)
    assert code == 0, out


async def test_an_upgrade_seals_the_chain_written_before(pg_uri: str, tmp_path: Path) -> None:
    """A database chained by the old trigger (up to 008) comes out of the
    upgrade sealed and valid, every entry kept."""
    old = tmp_path / "schema"
    old.mkdir()
    for path in sorted(db.schema_dir().glob("*.sql")):
        if path.name[:3].isdigit() and path.name < "009":
            shutil.copy(path, old / path.name)
    url = await new_database(pg_uri)
    conn = await asyncpg.connect(url)
    try:
        await db.migrate(conn, old)
        for n in range(5):
            await conn.execute(INSERT, "test.old", str(n))
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE hash IS NULL") == 0
        assert "009_audit_sealing.sql" in await db.migrate(conn)
        rows = await conn.fetch("SELECT target, seq FROM audit_log WHERE action = 'test.old'"
                                " ORDER BY seq")
        assert [r["target"] for r in rows] == ["0", "1", "2", "3", "4"]
        assert all(r["seq"] is not None for r in rows)
    finally:
        await conn.close()
    code, out = await audit_verify(url)
    assert code == 0, out
