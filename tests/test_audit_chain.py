"""The audit chain follows the order of the ids even when transactions that
write audit entries overlap (every server process writes to the one log)."""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg

from tests.conftest import ROOT

INSERT = "INSERT INTO audit_log (action, target) VALUES ($1, $2)"


async def verify(url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "collab_server", "--database-url", url, "audit", "verify",
        cwd=ROOT, env=dict(os.environ), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_overlapping_writers_keep_the_chain_in_id_order(database_url: str) -> None:
    first = await asyncpg.connect(database_url)
    second = await asyncpg.connect(database_url)
    try:
        # One transaction writes an entry and holds the chain...
        one = first.transaction()
        await one.start()
        await first.execute(INSERT, "test.first", "a")
        # ...another starts its entry meanwhile and has to wait for it...
        waiting = asyncio.create_task(second.execute(INSERT, "test.second", "b"))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        # ...and the first writes one more entry before it commits.
        await first.execute(INSERT, "test.first", "c")
        await one.commit()
        await asyncio.wait_for(waiting, 10)
        rows = await first.fetch(
            "SELECT target FROM audit_log WHERE action LIKE 'test.%' ORDER BY id")
        assert [r["target"] for r in rows] == ["a", "c", "b"]
    finally:
        await first.close()
        await second.close()
    code, out = await verify(database_url)
    assert code == 0, out


async def test_many_writers_at_once_leave_a_valid_chain(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=8, max_size=8)
    try:
        async def writer(n: int) -> None:
            for k in range(25):
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute(INSERT, "test.burst", f"{n}.{k}.1")
                    await conn.execute(INSERT, "test.burst", f"{n}.{k}.2")

        await asyncio.gather(*(writer(n) for n in range(8)))
        # Nothing lost, and each transaction's entries are next to each other.
        rows = await pool.fetch(
            "SELECT target FROM audit_log WHERE action = 'test.burst' ORDER BY id")
        targets = [r["target"] for r in rows]
        assert len(targets) == 400
        assert all(targets[i].endswith(".1") and targets[i + 1] == targets[i][:-1] + "2"
                   for i in range(0, 400, 2))
    finally:
        await pool.close()
    code, out = await verify(database_url)
    assert code == 0, out
