"""What a room's display should show: the meeting in session there, else the
next one planned there. A display account belongs to one room
(`users.room_id`, schema 016); nobody else asks."""

from __future__ import annotations

from typing import Any

import asyncpg

from collab_server.domain.calendar import iso

_FIELDS = "m.id, m.title, m.starts_at, m.ends_at, m.status, b.name AS body"


def _meeting(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": row["id"], "title": row["title"], "starts_at": iso(row["starts_at"]),
            "ends_at": iso(row["ends_at"]) if row["ends_at"] else None,
            "status": row["status"], "body": row["body"]}


async def room_now(pool: asyncpg.Pool, user_id: int) -> dict[str, Any] | None:
    """{room, meeting, next} for a display account, or None when the user
    belongs to no room. `meeting` is the meeting in session (the latest to
    start, should two overlap); `next` the first invited one still to come.
    Drafts are not announced: their participants have not been told."""
    async with pool.acquire() as conn:
        room = await conn.fetchrow(
            "SELECT r.id, r.name FROM users u JOIN rooms r ON r.id = u.room_id"
            " WHERE u.id = $1 AND u.is_active", user_id)
        if room is None:
            return None
        current = await conn.fetchrow(
            f"SELECT {_FIELDS} FROM meetings m JOIN bodies b ON b.id = m.body_id"
            " WHERE m.room_id = $1 AND m.status = 'in_session'"
            " ORDER BY m.starts_at DESC, m.id DESC LIMIT 1", room["id"])
        upcoming = await conn.fetchrow(
            f"SELECT {_FIELDS} FROM meetings m JOIN bodies b ON b.id = m.body_id"
            " WHERE m.room_id = $1 AND m.status = 'invited'"
            " AND coalesce(m.ends_at, m.starts_at + interval '4 hours') > now()"
            " ORDER BY m.starts_at, m.id LIMIT 1", room["id"])
    return {"room": {"id": room["id"], "name": room["name"]}, "meeting": _meeting(current),
            "next": _meeting(upcoming)}
