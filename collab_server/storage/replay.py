"""What replay reads: a live document's updates with their times (the log not yet
compacted and the history compaction keeps, schema/031), the meeting's event
log, and who reads replays without taking part (inspectors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


class PgReplay:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def updates(self, name: str, until: datetime | None) -> tuple[list[bytes], bool]:
        """Every update of `name` stored at or before `until` (all of them
        without), in the order they were stored; and whether the history is
        whole (False when the document was compacted before its history was
        kept, so its beginning is only in the snapshot)."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            rows = await conn.fetch(
                "SELECT id, data FROM ("
                " SELECT id, data, created_at FROM doc_history WHERE name = $1"
                " UNION ALL"
                " SELECT id, data, created_at FROM doc_updates WHERE name = $1) AS u"
                " WHERE $2::timestamptz IS NULL OR created_at <= $2 ORDER BY id",
                name, until)
            snapshot = await conn.fetchval(
                "SELECT 1 FROM doc_snapshots WHERE name = $1", name)
            kept = await conn.fetchval(
                "SELECT count(*) FROM doc_history WHERE name = $1", name)
        return [bytes(r["data"]) for r in rows], not (snapshot and not kept)

    async def bounds(self, name: str) -> tuple[datetime | None, datetime | None]:
        """The times of the first and the last stored update of `name`."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT min(created_at) AS first, max(created_at) AS last FROM ("
                " SELECT created_at FROM doc_history WHERE name = $1"
                " UNION ALL SELECT created_at FROM doc_updates WHERE name = $1) AS u", name)
        return (row["first"], row["last"]) if row else (None, None)

    async def events(self, meeting_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT e.id, e.at, e.actor_id, u.full_name, e.kind, e.data"
                " FROM meeting_events e LEFT JOIN users u ON u.id = e.actor_id"
                " WHERE e.meeting_id = $1 ORDER BY e.id", meeting_id)
        return [{"id": r["id"], "at": r["at"], "actor_id": r["actor_id"],
                 "actor": r["full_name"] or "", "kind": r["kind"], "data": r["data"]}
                for r in rows]

    # -- inspectors ------------------------------------------------------------------------

    async def inspector_body(self, user_id: int) -> int | None:
        """The body whose ended meetings this account may replay, if any."""
        value = await self.pool.fetchval(
            "SELECT body_id FROM replay_readers WHERE user_id = $1", user_id)
        return int(value) if value is not None else None

    async def grant(self, user_id: int, body_id: int, by: int) -> None:
        await self.pool.execute(
            "INSERT INTO replay_readers (user_id, body_id, granted_by) VALUES ($1, $2, $3)"
            " ON CONFLICT (user_id) DO UPDATE SET body_id = excluded.body_id,"
            " granted_by = excluded.granted_by, granted_at = now()", user_id, body_id, by)

    async def revoke(self, user_id: int) -> bool:
        status: str = await self.pool.execute(
            "DELETE FROM replay_readers WHERE user_id = $1", user_id)
        return status.endswith(" 1")

    async def inspectors(self, body_id: int) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT r.user_id, u.full_name, u.username, r.granted_at FROM replay_readers r"
            " JOIN users u ON u.id = r.user_id WHERE r.body_id = $1 ORDER BY u.full_name",
            body_id)
        return [{"user_id": r["user_id"], "full_name": r["full_name"],
                 "username": r["username"]} for r in rows]
