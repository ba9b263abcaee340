"""People, rooms and holidays of a body."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from collab_server.documents.text import terms

USER_FIELDS = ("full_name", "title", "unit", "is_admin", "can_prepare", "is_active", "room_id")


class LastAdmin(Exception):
    """The change would leave the body without an active admin."""


class PgDirectory:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def users(self, caller_id: int, body_id: int, query: str = "", *,
                    own_body_only: bool = False, inactive: bool = False
                    ) -> list[dict[str, Any]]:
        """The people a user may see: those of their own body, and those of the
        meetings they take part in (guests from other bodies), filtered by name,
        username, title or unit, with or without diacritics. `inactive` adds
        the deactivated users of their own body."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT u.id, u.username, u.full_name, u.title, u.unit, u.is_admin,"
                " u.can_prepare, u.is_active, u.room_id, u.body_id, b.name AS body FROM users u"
                " JOIN bodies b ON b.id = u.body_id"
                " WHERE (u.is_active OR ($5 AND u.body_id = $2))"
                " AND (u.body_id = $2 OR (NOT $4 AND EXISTS ("
                "   SELECT 1 FROM meeting_participants mine JOIN meeting_participants them"
                "   ON them.meeting_id = mine.meeting_id"
                "   WHERE mine.user_id = $1 AND them.user_id = u.id)))"
                # Every word of the query, without diacritics, in the name,
                # login, title or unit (schema/019_people_search.sql).
                " AND (SELECT bool_and(strpos(fold_text(u.full_name || ' ' || u.username"
                "      || ' ' || coalesce(u.title, '') || ' ' || coalesce(u.unit, '')),"
                "      word) > 0) FROM unnest($3::text[]) AS word) IS NOT FALSE"
                " ORDER BY b.name, u.full_name LIMIT 500",
                caller_id,
                body_id,
                terms(query),
                own_body_only,
                inactive,
            )
        return [dict(r) for r in rows]

    async def invitable(self, caller_id: int, caller_body: int, meeting_body: int,
                        user_id: int) -> asyncpg.Record | None:
        """The person, if the caller may put them in a meeting of `meeting_body`:
        active, and of that body, of the caller's, or met in a meeting of the
        caller's (as the directory shows people). None otherwise: an id guessed
        across bodies is no one."""
        async with self.pool.acquire() as conn:
            row: asyncpg.Record | None = await conn.fetchrow(
                "SELECT u.id, u.body_id, u.room_id FROM users u WHERE u.id = $4 AND u.is_active"
                " AND (u.body_id IN ($2, $3) OR EXISTS ("
                "   SELECT 1 FROM meeting_participants mine JOIN meeting_participants them"
                "   ON them.meeting_id = mine.meeting_id"
                "   WHERE mine.user_id = $1 AND them.user_id = u.id))",
                caller_id, caller_body, meeting_body, user_id)
        return row

    async def user_body(self, user_id: int) -> int | None:
        async with self.pool.acquire() as conn:
            body: int | None = await conn.fetchval(
                "SELECT body_id FROM users WHERE id = $1 AND is_active", user_id
            )
        return body

    async def person(self, user_id: int) -> dict[str, Any] | None:
        """A user, active or not, for their body's admins."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT id, body_id, username, full_name, is_active, is_admin, room_id,"
                " is_site_admin FROM users WHERE id = $1", user_id)
        return dict(row) if row is not None else None

    async def update_user(self, user_id: int, fields: dict[str, Any]) -> None:
        """Raises LastAdmin rather than leave the person's body without an
        active admin. The body row is locked first, so two admins taking each
        other's rights at once cannot both succeed."""
        names = [n for n in USER_FIELDS if n in fields]
        if not names:
            return
        sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
        async with self.pool.acquire() as conn, conn.transaction():
            body = await conn.fetchval(
                "SELECT b.id FROM bodies b JOIN users u ON u.body_id = b.id WHERE u.id = $1"
                " FOR UPDATE OF b", user_id)
            await conn.execute(
                f"UPDATE users SET {sets} WHERE id = $1", user_id, *[fields[n] for n in names]
            )
            if (fields.get("is_admin") is False or fields.get("is_active") is False) and \
                    not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE"
                                            " body_id = $1 AND is_admin AND is_active)", body):
                raise LastAdmin()
            if fields.get("is_active") is False:
                await conn.execute("DELETE FROM sessions WHERE user_id = $1", user_id)

    async def rooms(self, body_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT id, name, seats, networks::text[] AS networks FROM rooms"
                " WHERE body_id = $1 ORDER BY name", body_id
            )
        return [dict(r) for r in rows]

    async def add_room(self, body_id: int, name: str, seats: int) -> int:
        async with self.pool.acquire() as conn:
            room: int = await conn.fetchval(
                "INSERT INTO rooms (body_id, name, seats) VALUES ($1, $2, $3) RETURNING id",
                body_id,
                name,
                seats,
            )
        return room

    async def room_body(self, room_id: int) -> int | None:
        async with self.pool.acquire() as conn:
            body: int | None = await conn.fetchval(
                "SELECT body_id FROM rooms WHERE id = $1", room_id
            )
        return body

    async def holidays(self, body_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT day, name, body_id FROM holidays WHERE body_id IS NULL OR body_id = $1"
                " ORDER BY day",
                body_id,
            )
        return [{"day": r["day"].isoformat(), "name": r["name"],
                 "national": r["body_id"] is None} for r in rows]

    async def holiday_dates(self, body_id: int) -> set[date]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT day FROM holidays WHERE body_id IS NULL OR body_id = $1", body_id
            )
        return {r["day"] for r in rows}

    async def add_holiday(self, body_id: int, day: date, name: str) -> bool:
        async with self.pool.acquire() as conn:
            done = await conn.fetchval(
                "INSERT INTO holidays (day, body_id, name) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING RETURNING day",
                day,
                body_id,
                name,
            )
        return done is not None

    async def remove_holiday(self, body_id: int, day: date) -> bool:
        async with self.pool.acquire() as conn:
            done = await conn.fetchval(
                "DELETE FROM holidays WHERE body_id = $1 AND day = $2 RETURNING day",
                body_id,
                day,
            )
        return done is not None
