"""Who takes part in a meeting, their invitations and their answers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from collab_server.domain.calendar import iso
from collab_server.errors import Conflict
from collab_server.storage.also import InTransaction

_COLUMNS = (
    "p.user_id, u.full_name, u.title, u.unit, ub.name AS body, p.role, p.invited_at,"
    " p.response, p.response_reason, p.responded_at, p.deputy_user_id, p.deputy_status,"
    " d.full_name AS deputy_name, p.stands_in_for"
)


def _row(r: asyncpg.Record, *, full: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "user_id": r["user_id"],
        "full_name": r["full_name"],
        "title": r["title"],
        "unit": r["unit"],
        "body": r["body"],
        "role": r["role"],
        "stands_in_for": r["stands_in_for"],
    }
    if full:
        item.update(
            {
                "invited_at": iso(r["invited_at"]) if r["invited_at"] else None,
                "response": r["response"],
                "response_reason": r["response_reason"],
                "responded_at": iso(r["responded_at"]) if r["responded_at"] else None,
                "deputy": (
                    {"user_id": r["deputy_user_id"], "full_name": r["deputy_name"],
                     "status": r["deputy_status"]}
                    if r["deputy_user_id"] is not None else None
                ),
            }
        )
    return item


class PgParticipants:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def list(self, meeting_id: int, *, full: bool) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM meeting_participants p JOIN users u ON u.id = p.user_id"
                " JOIN bodies ub ON ub.id = u.body_id"
                " LEFT JOIN users d ON d.id = p.deputy_user_id WHERE p.meeting_id = $1"
                " ORDER BY CASE p.role WHEN 'chair' THEN 0 WHEN 'secretary' THEN 1"
                " WHEN 'delegate' THEN 2 WHEN 'guest' THEN 3 ELSE 4 END, u.full_name",
                meeting_id,
            )
        return [_row(r, full=full) for r in rows]

    async def get(self, meeting_id: int, user_id: int) -> dict[str, Any] | None:
        async with self.pool.acquire() as conn:
            r = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM meeting_participants p JOIN users u ON u.id = p.user_id"
                " JOIN bodies ub ON ub.id = u.body_id"
                " LEFT JOIN users d ON d.id = p.deputy_user_id"
                " WHERE p.meeting_id = $1 AND p.user_id = $2",
                meeting_id,
                user_id,
            )
        return _row(r, full=True) if r is not None else None

    async def add(self, meeting_id: int, user_id: int, role: str, *, invited: bool,
                  replace_chair: bool = False, also: InTransaction | None = None) -> bool:
        """False if the person already takes part. `replace_chair`: a new chair
        takes the place of the one before, who becomes a delegate."""
        async with self.pool.acquire() as conn, _one_chair(), conn.transaction():
            if replace_chair and role == "chair":
                await _step_down(conn, meeting_id, user_id)
            done = await conn.fetchval(
                "INSERT INTO meeting_participants (meeting_id, user_id, role, invited_at)"
                " VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END)"
                " ON CONFLICT (meeting_id, user_id) DO NOTHING RETURNING user_id",
                meeting_id,
                user_id,
                role,
                invited,
            )
            if done is not None and also is not None:
                await also(conn)
        return done is not None

    async def role_of(self, meeting_id: int, user_id: int) -> str | None:
        async with self.pool.acquire() as conn:
            role: str | None = await conn.fetchval(
                "SELECT role FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2",
                meeting_id, user_id)
        return role

    async def has_chair(self, meeting_id: int) -> bool:
        async with self.pool.acquire() as conn:
            return bool(await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM meeting_participants WHERE meeting_id = $1"
                " AND role = 'chair')", meeting_id))

    async def set_role(self, meeting_id: int, user_id: int, role: str, *, was: str,
                       replace_chair: bool = False) -> bool:
        """False unless the person still has the role `was` the change was
        judged on. `replace_chair`: as for `add`."""
        async with self.pool.acquire() as conn, _one_chair(), conn.transaction():
            if replace_chair and role == "chair":
                await _step_down(conn, meeting_id, user_id)
            done = await conn.fetchval(
                "UPDATE meeting_participants SET role = $3 WHERE meeting_id = $1"
                " AND user_id = $2 AND role = $4 RETURNING user_id",
                meeting_id,
                user_id,
                role,
                was,
            )
        return done is not None

    async def remove(self, meeting_id: int, user_id: int, *, was: str | None = None,
                     also: InTransaction | None = None) -> bool:
        """False if the person takes no part (or no longer has the role `was`)."""
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                "DELETE FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2"
                " AND ($3::text IS NULL OR role = $3) RETURNING user_id",
                meeting_id,
                user_id,
                was,
            )
            if done is not None and also is not None:
                await also(conn)
        return done is not None

    async def respond(
        self, meeting_id: int, user_id: int, response: str, reason: str, deputy: int | None
    ) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                "UPDATE meeting_participants SET response = $3, response_reason = $4,"
                " responded_at = now(), deputy_user_id = $5,"
                " deputy_status = CASE WHEN $5::bigint IS NULL THEN NULL ELSE 'pending' END"
                " WHERE meeting_id = $1 AND user_id = $2",
                meeting_id,
                user_id,
                response,
                reason,
                deputy,
            )

    async def decide_deputy(self, meeting_id: int, member: int, approve: bool) -> int | None:
        """Approve or reject the deputy a member named. On approval the deputy
        joins as a delegate standing in for the member. Returns the deputy."""
        async with self.pool.acquire() as conn, conn.transaction():
            deputy: int | None = await conn.fetchval(
                "UPDATE meeting_participants SET deputy_status = $3 WHERE meeting_id = $1"
                " AND user_id = $2 AND deputy_status = 'pending' RETURNING deputy_user_id",
                meeting_id,
                member,
                "approved" if approve else "rejected",
            )
            if deputy is not None and approve:
                # A deputy stands in for one member: someone already in the
                # meeting (in their own right or for another) is refused, and
                # the approval with it (the transaction).
                joined = await conn.fetchval(
                    "INSERT INTO meeting_participants (meeting_id, user_id, role, invited_at,"
                    " response, responded_at, stands_in_for)"
                    " VALUES ($1, $2, 'delegate', now(), 'attend', now(), $3)"
                    " ON CONFLICT (meeting_id, user_id) DO NOTHING RETURNING user_id",
                    meeting_id,
                    deputy,
                    member,
                )
                if joined is None:
                    raise Conflict("Người dự thay này đã tham dự cuộc họp (hoặc đã dự thay cho"
                                   " thành viên khác); không đồng ý được.",
                                   "This deputy already takes part in the meeting (or stands"
                                   " in for another member).")
        return deputy


async def _step_down(conn: asyncpg.Connection, meeting_id: int, new_chair: int) -> None:
    await conn.execute("UPDATE meeting_participants SET role = 'delegate'"
                       " WHERE meeting_id = $1 AND role = 'chair' AND user_id <> $2",
                       meeting_id, new_chair)


@contextlib.asynccontextmanager
async def _one_chair() -> AsyncIterator[None]:
    """A second chair is refused by the database (schema/015)."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != "meeting_participants_one_chair":
            raise
        raise Conflict("Cuộc họp đã có chủ tọa; một cuộc họp chỉ có một chủ tọa.",
                       "The meeting already has a chair.") from exc
