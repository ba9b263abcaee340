"""Agenda items of a meeting, kept in order."""

from __future__ import annotations

from typing import Any

import asyncpg

from collab_server.documents.text import fold
from collab_server.domain.calendar import iso

ITEM_FIELDS = ("title", "presenter", "presenter_user_id", "duration_min", "speech_limit_s")


class PgAgenda:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def items(self, meeting_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT a.id, a.position, a.title, a.presenter, a.presenter_user_id,"
                " a.duration_min, a.speech_limit_s, a.started_at, a.ended_at,"
                " coalesce(array_agg(d.id ORDER BY d.id)"
                "   FILTER (WHERE d.id IS NOT NULL), '{}') AS documents"
                " FROM agenda_items a LEFT JOIN documents d ON d.agenda_item_id = a.id"
                " WHERE a.meeting_id = $1 GROUP BY a.id ORDER BY a.position",
                meeting_id,
            )
        return [
            {
                "id": r["id"],
                "position": r["position"],
                "title": r["title"],
                "presenter": r["presenter"],
                "presenter_user_id": r["presenter_user_id"],
                "duration_min": r["duration_min"],
                "speech_limit_s": r["speech_limit_s"],
                "started_at": iso(r["started_at"]) if r["started_at"] else None,
                "ended_at": iso(r["ended_at"]) if r["ended_at"] else None,
                "documents": list(r["documents"]),
            }
            for r in rows
        ]

    async def add(self, meeting_id: int, fields: dict[str, Any]) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            # Serialise additions to one meeting so two get different positions.
            await conn.execute("SELECT id FROM meetings WHERE id = $1 FOR UPDATE", meeting_id)
            position = await conn.fetchval(
                "SELECT coalesce(max(position), 0) + 1 FROM agenda_items WHERE meeting_id = $1",
                meeting_id,
            )
            item_id: int = await conn.fetchval(
                "INSERT INTO agenda_items (meeting_id, position, title, title_folded, presenter,"
                " presenter_user_id, duration_min, speech_limit_s)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
                meeting_id,
                position,
                fields["title"],
                fold(fields["title"]),
                fields.get("presenter", ""),
                fields.get("presenter_user_id"),
                fields.get("duration_min", 0),
                fields.get("speech_limit_s"),
            )
        return item_id

    async def exists(self, meeting_id: int, item_id: int) -> bool:
        async with self.pool.acquire() as conn:
            return bool(
                await conn.fetchval(
                    "SELECT 1 FROM agenda_items WHERE id = $1 AND meeting_id = $2",
                    item_id,
                    meeting_id,
                )
            )

    async def update(self, meeting_id: int, item_id: int, fields: dict[str, Any]) -> bool:
        names = [name for name in ITEM_FIELDS if name in fields]
        values = [fields[name] for name in names]
        sets = [f"{name} = ${i}" for i, name in enumerate(names, start=3)]
        if "title" in fields:
            values.append(fold(fields["title"]))
            sets.append(f"title_folded = ${len(values) + 2}")
        if not sets:
            return await self.exists(meeting_id, item_id)
        async with self.pool.acquire() as conn:
            done = await conn.fetchval(
                f"UPDATE agenda_items SET {', '.join(sets)} WHERE id = $1 AND meeting_id = $2"
                " RETURNING id",
                item_id,
                meeting_id,
                *values,
            )
        return done is not None

    async def remove(self, meeting_id: int, item_id: int) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                "DELETE FROM agenda_items WHERE id = $1 AND meeting_id = $2 RETURNING id",
                item_id,
                meeting_id,
            )
            if done is None:
                return False
            await conn.execute(
                "UPDATE agenda_items a SET position = o.n FROM (SELECT id, row_number() OVER"
                " (ORDER BY position) AS n FROM agenda_items WHERE meeting_id = $1) o"
                " WHERE a.id = o.id",
                meeting_id,
            )
        return True

    async def reorder(self, meeting_id: int, order: list[int]) -> bool:
        """Set the order; `order` must name every item of the meeting exactly once."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT id FROM meetings WHERE id = $1 FOR UPDATE", meeting_id)
            current = {
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM agenda_items WHERE meeting_id = $1", meeting_id
                )
            }
            if set(order) != current or len(order) != len(current):
                return False
            # The unique (meeting, position) constraint is deferred to commit.
            await conn.execute(
                "UPDATE agenda_items a SET position = o.n FROM unnest($2::bigint[])"
                " WITH ORDINALITY AS o(id, n) WHERE a.id = o.id AND a.meeting_id = $1",
                meeting_id,
                order,
            )
        return True
