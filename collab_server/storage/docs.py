"""Live documents in PostgreSQL: a snapshot per document plus its update log."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import pycrdt

from collab_server.live.ports import Record

EMPTY_UPDATE = b"\x00\x00"


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31


def merge_parts(parts: list[bytes]) -> bytes:
    """Module level, so a worker process can run it."""
    return pycrdt.merge_updates(*parts)


Merge = Callable[[list[bytes]], Awaitable[bytes]]


async def _merge_here(parts: list[bytes]) -> bytes:
    return merge_parts(parts)


class PgDocStore:
    def __init__(self, pool: asyncpg.Pool, *, merge: Merge = _merge_here) -> None:
        """`merge` squashes a log for compaction. pycrdt keeps the GIL while it
        merges (measured: a 55 ms merge in a thread held the event loop for
        147 ms, so a thread would not help), and the server passes one that
        runs in a worker process; without one it merges right here."""
        self.pool = pool
        self._merge = merge

    async def load(self, name: str) -> list[bytes]:
        return (await self.load_positioned(name))[0]

    async def load_positioned(self, name: str) -> tuple[list[bytes], int]:
        """Everything stored, and the id of the last update row (0 if none)."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            return await self._load(conn, name)

    @staticmethod
    async def _load(conn: asyncpg.Connection, name: str) -> tuple[list[bytes], int]:
        snapshot = await conn.fetchval("SELECT data FROM doc_snapshots WHERE name = $1", name)
        rows = await conn.fetch(
            "SELECT id, data FROM doc_updates WHERE name = $1 ORDER BY id", name)
        updates = [bytes(r["data"]) for r in rows]
        last = rows[-1]["id"] if rows else 0
        return ([bytes(snapshot), *updates] if snapshot is not None else updates), last

    async def since(self, name: str, after_id: int) -> tuple[list[bytes], int]:
        """Updates stored after row `after_id`. If compaction squashed rows this
        replica had not seen, the snapshot comes first (applying it twice is
        harmless: CRDT updates are idempotent)."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            rows = await conn.fetch(
                "SELECT id, data FROM doc_updates WHERE name = $1 AND id > $2 ORDER BY id",
                name, after_id)
            first = await conn.fetchval(
                "SELECT min(id) FROM doc_updates WHERE name = $1", name)
            updates = [bytes(r["data"]) for r in rows]
            if first is None or first > after_id + 1:
                snapshot = await conn.fetchval(
                    "SELECT data FROM doc_snapshots WHERE name = $1", name)
                if snapshot is not None:
                    updates.insert(0, bytes(snapshot))
        return updates, (rows[-1]["id"] if rows else after_id)

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Held by one process at a time: intents on a room served by several
        processes validate and commit one after another."""
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _lock_key("x:" + name))
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key("x:" + name))

    async def initialize(self, name: str, update: bytes) -> tuple[list[bytes], int]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(name))
            existing, last = await self._load(conn, name)
            if existing:
                return existing, last
            row: int = await conn.fetchval(
                "INSERT INTO doc_updates (name, data) VALUES ($1, $2) RETURNING id", name, update)
            return [update], row

    async def append(self, batch: Sequence[tuple[str, bytes]]) -> None:
        async with self.pool.acquire() as conn:
            await conn.executemany("INSERT INTO doc_updates (name, data) VALUES ($1, $2)", batch)

    async def commit_intent(self, name: str, update: bytes, record: Record | None,
                            writes: Sequence[Callable[[Any], Awaitable[None]]] = ()) -> int:
        """Returns the id of the stored update row (0 if there was none)."""
        async with self.pool.acquire() as conn, conn.transaction():
            for write in writes:
                await write(conn)
            row = 0
            if update != EMPTY_UPDATE:
                row = await conn.fetchval(
                    "INSERT INTO doc_updates (name, data) VALUES ($1, $2) RETURNING id",
                    name, update)
            if record is None:
                return row
            await conn.execute(
                "INSERT INTO meeting_events (meeting_id, actor_id, kind, data)"
                " VALUES ($1, $2, $3, $4)",
                record.meeting_id,
                record.actor_id,
                record.kind,
                record.data,
            )
            await conn.execute(
                "INSERT INTO audit_log (actor_id, action, target, details) VALUES ($1, $2, $3, $4)",
                record.actor_id,
                f"intent.{record.kind}",
                f"meeting:{record.meeting_id}",
                record.data,
            )
        return row

    async def compact(self, name: str) -> int:
        """Merge the log into the snapshot (item ids kept) and delete what was merged,
        in one transaction, so a crash leaves either the old rows or the new snapshot."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(name))
            rows = await conn.fetch(
                "SELECT id, data FROM doc_updates WHERE name = $1 ORDER BY id", name
            )
            if len(rows) < 2:
                return 0
            snapshot = await conn.fetchval("SELECT data FROM doc_snapshots WHERE name = $1", name)
            parts = ([bytes(snapshot)] if snapshot is not None else []) + [
                bytes(r["data"]) for r in rows
            ]
            merged = await self._merge(parts)
            await conn.execute(
                "INSERT INTO doc_snapshots (name, data, updated_at) VALUES ($1, $2, now())"
                " ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = now()",
                name,
                merged,
            )
            await conn.execute(
                "DELETE FROM doc_updates WHERE name = $1 AND id <= $2", name, rows[-1]["id"]
            )
            return len(rows)
