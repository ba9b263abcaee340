"""Live documents in PostgreSQL: a snapshot per document plus its update log."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import pycrdt

from collab_server.live.ports import Record

EMPTY_UPDATE = b"\x00\x00"


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31


class PgDocStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def load(self, name: str) -> list[bytes]:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            return await self._load(conn, name)

    @staticmethod
    async def _load(conn: asyncpg.Connection, name: str) -> list[bytes]:
        snapshot = await conn.fetchval("SELECT data FROM doc_snapshots WHERE name = $1", name)
        rows = await conn.fetch("SELECT data FROM doc_updates WHERE name = $1 ORDER BY id", name)
        updates = [bytes(r["data"]) for r in rows]
        return [bytes(snapshot), *updates] if snapshot is not None else updates

    async def initialize(self, name: str, update: bytes) -> list[bytes]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(name))
            existing = await self._load(conn, name)
            if existing:
                return existing
            await conn.execute("INSERT INTO doc_updates (name, data) VALUES ($1, $2)", name, update)
            return [update]

    async def append(self, batch: Sequence[tuple[str, bytes]]) -> None:
        async with self.pool.acquire() as conn:
            await conn.executemany("INSERT INTO doc_updates (name, data) VALUES ($1, $2)", batch)

    async def commit_intent(self, name: str, update: bytes, record: Record | None,
                            writes: Sequence[Callable[[Any], Awaitable[None]]] = ()) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            for write in writes:
                await write(conn)
            if update != EMPTY_UPDATE:
                await conn.execute("INSERT INTO doc_updates (name, data) VALUES ($1, $2)",
                                   name, update)
            if record is None:
                return
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
            merged = pycrdt.merge_updates(*parts)
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
