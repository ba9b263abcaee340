"""Meetings as the live core and the HTTP API read them."""

from __future__ import annotations

from typing import Any

import asyncpg

from collab_server.live.ports import AgendaItem, DocumentInfo, MeetingInfo


class PgMeetings:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def meeting(self, meeting_id: int) -> MeetingInfo | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT m.id, m.title, b.name AS body, coalesce(r.name, '') AS room,"
                " m.starts_at, m.status FROM meetings m JOIN bodies b ON b.id = m.body_id"
                " LEFT JOIN rooms r ON r.id = m.room_id WHERE m.id = $1",
                meeting_id,
            )
            if row is None:
                return None
            items = await conn.fetch(
                "SELECT id, position, title, presenter, duration_min FROM agenda_items"
                " WHERE meeting_id = $1 ORDER BY position",
                meeting_id,
            )
            documents = await conn.fetch(
                "SELECT id, title, page_count FROM documents WHERE meeting_id = $1 ORDER BY id",
                meeting_id,
            )
        return MeetingInfo(
            id=row["id"],
            title=row["title"],
            body=row["body"],
            room=row["room"],
            starts_at=row["starts_at"].isoformat(),
            status=row["status"],
            agenda=tuple(
                AgendaItem(
                    r["id"], r["position"], r["title"], r["presenter"], r["duration_min"]
                )
                for r in items
            ),
            documents=tuple(DocumentInfo(r["id"], r["title"], r["page_count"]) for r in documents),
        )

    async def role_of(self, meeting_id: int, user_id: int) -> str | None:
        async with self.pool.acquire() as conn:
            role: str | None = await conn.fetchval(
                "SELECT role FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2",
                meeting_id,
                user_id,
            )
        return role

    async def of_user(self, user_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT m.id, m.title, m.starts_at, m.status, p.role, b.name AS body,"
                " coalesce(r.name, '') AS room FROM meeting_participants p"
                " JOIN meetings m ON m.id = p.meeting_id JOIN bodies b ON b.id = m.body_id"
                " LEFT JOIN rooms r ON r.id = m.room_id WHERE p.user_id = $1"
                " ORDER BY m.starts_at DESC",
                user_id,
            )
        return [
            {
                "id": r["id"],
                "title": r["title"],
                "starts_at": r["starts_at"].isoformat(),
                "status": r["status"],
                "role": r["role"],
                "body": r["body"],
                "room": r["room"],
            }
            for r in rows
        ]
