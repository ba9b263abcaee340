"""The audit chain stays valid while many transactions write to it at once
(every server process writes to the one log), and writers never wait for
each other: the chain is sealed behind them (schema/009_audit_sealing.sql)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg

from collab_server.storage import audit, db
from tests.conftest import audit_verify, new_database

INSERT = "INSERT INTO audit_log (action, target) VALUES ($1, $2)"


async def test_writers_do_not_wait_for_each_other(database_url: str, tmp_path: Path) -> None:
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
    code, out = await audit_verify(database_url, tmp_path)
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


async def test_a_sealed_entry_cannot_be_changed_or_unsealed(database_url: str,
                                                             tmp_path: Path) -> None:
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
        sealer = audit.Sealer(b"k" * 32, tmp_path / "heads")
        assert await sealer.seal(conn) >= 1
        for change in ("seq = NULL", "seq = seq + 1000", "hash = NULL", "target = 'b'",
                       "sealed_at = now()"):
            try:
                await conn.execute(f"UPDATE audit_log SET {change} WHERE id = $1", entry)
                raise AssertionError(f"changed: {change}")
            except asyncpg.RaiseError as exc:
                assert "append-only" in str(exc)
    finally:
        await conn.close()


async def test_many_writers_at_once_leave_a_valid_chain(database_url: str,
                                                        tmp_path: Path) -> None:
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
    code, out = await audit_verify(database_url, tmp_path)
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
    code, out = await audit_verify(url, tmp_path)
    assert code == 0, out


async def test_an_upgrade_keeps_the_unkeyed_chain_and_keys_what_follows(
        pg_uri: str, tmp_path: Path) -> None:
    """Entries sealed by the old SHA-256 sealer stay verifiable up to the
    recorded boundary; the keyed chain starts from the last of them, so the
    old part cannot be rewritten either once a keyed entry follows."""
    old = tmp_path / "schema"
    old.mkdir()
    for path in sorted(db.schema_dir().glob("*.sql")):
        if path.name[:3].isdigit() and path.name < "012":
            shutil.copy(path, old / path.name)
    url = await new_database(pg_uri)
    conn = await asyncpg.connect(url)
    try:
        await db.migrate(conn, old)
        for n in range(3):
            await conn.execute(INSERT, "test.old", str(n))
        assert await conn.fetchval("SELECT audit_seal()") == 3
        for n in range(3, 5):  # written by the old server, not yet sealed
            await conn.execute(INSERT, "test.old", str(n))
        assert "012_audit_keyed.sql" in await db.migrate(conn)
        assert await conn.fetchval("SELECT keyed_after FROM audit_chain_start") == 5
        for n in range(3):
            await conn.execute(INSERT, "test.new", str(n))
    finally:
        await conn.close()
    code, out = await audit_verify(url, tmp_path)
    assert code == 0, out
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT id, seq, action, target, sealed_at FROM audit_log"
                                " ORDER BY seq")
        assert [(r["seq"], r["action"], r["sealed_at"] is None) for r in rows] == [
            (1, "test.old", True), (2, "test.old", True), (3, "test.old", True),
            (4, "test.old", True), (5, "test.old", True),
            (6, "test.new", False), (7, "test.new", False), (8, "test.new", False)]
        # What passed `audit verify` before the key: an old entry rewritten and
        # the SHA-256 chain recomputed up to the boundary.
        async with conn.transaction():
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
            await conn.execute("UPDATE audit_log SET target = 'forged' WHERE seq = 2")
            prev = bytes(await conn.fetchval("SELECT hash FROM audit_log WHERE seq = 1"))
            for r in await conn.fetch(
                    "SELECT seq, id, at, actor_id, action, target, ip, details::text AS details"
                    " FROM audit_log WHERE seq BETWEEN 2 AND 5 ORDER BY seq"):
                at = r["at"].astimezone(audit.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
                digest = audit.entry_hash(r["seq"], r["id"], at, r["actor_id"], r["action"],
                                          r["target"], r["ip"], r["details"], prev)
                await conn.execute("UPDATE audit_log SET prev_hash = $2, hash = $3"
                                   " WHERE seq = $1", r["seq"], prev, digest)
                prev = digest
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    finally:
        await conn.close()
    code, out = await audit_verify(url, tmp_path)
    assert code == 1, out
    assert f"mục {rows[5]['id']}: an entry before it was deleted or moved" in out
