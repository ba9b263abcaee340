"""Laptops registered to a room, and who may sign in on them today
(domain/pin.py, schema/026)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import asyncpg

from collab_server.storage.accounts import _USER_COLUMNS, User, _user

# Meetings whose people may sign in with a PIN on the room's laptops: those
# sent out or in session, starting today as the room reads the clock
# (domain/calendar.py: UTC+7, no daylight saving).
_TODAY = ("m.status IN ('invited', 'in_session')"
          " AND (m.starts_at AT TIME ZONE 'UTC' + interval '7 hours')::date"
          "   = (now() AT TIME ZONE 'UTC' + interval '7 hours')::date")
# People, not the projector's account (which belongs to a room, not a seat).
_PERSON = "p.role IN ('chair', 'secretary', 'delegate', 'guest') AND u.room_id IS NULL"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(b"room-device:" + token.encode()).digest()


@dataclass(frozen=True, slots=True)
class RoomDevice:
    id: int
    room_id: int
    room_name: str
    body_id: int
    name: str
    networks: tuple[str, ...]


class PgRoomDevices:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def register(self, body_id: int, room_id: int, name: str, by: int,
                       replaces: str | None) -> tuple[int, str] | None:
        """A new device of the room: (id, token), the token answered once.
        `replaces`: the token this browser held before, revoked in the same
        transaction (a laptop belongs to one room). None if the room is not
        the body's."""
        token = secrets.token_urlsafe(32)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT 1 FROM rooms WHERE id = $1 AND body_id = $2",
                                       room_id, body_id):
                return None
            if replaces is not None:
                await conn.execute(
                    "UPDATE room_devices SET revoked_at = now(), revoked_by = $2"
                    " WHERE token_hash = $1 AND revoked_at IS NULL", token_hash(replaces), by)
            device: int = await conn.fetchval(
                "INSERT INTO room_devices (room_id, token_hash, name, registered_by)"
                " VALUES ($1, $2, $3, $4) RETURNING id", room_id, token_hash(token), name, by)
        return device, token

    async def of_room(self, body_id: int, room_id: int) -> list[dict[str, Any]] | None:
        """The room's devices, revoked ones last; None if not the body's room."""
        async with self.pool.acquire() as conn:
            if not await conn.fetchval("SELECT 1 FROM rooms WHERE id = $1 AND body_id = $2",
                                       room_id, body_id):
                return None
            rows = await conn.fetch(
                "SELECT d.id, d.name, d.registered_at, d.last_used_at, d.revoked_at,"
                " d.token_hash, coalesce(u.full_name, '') AS registered_by"
                " FROM room_devices d LEFT JOIN users u ON u.id = d.registered_by"
                " WHERE d.room_id = $1 ORDER BY d.revoked_at IS NOT NULL, d.id", room_id)
        return [{"id": r["id"], "name": r["name"], "registered_by": r["registered_by"],
                 "registered_at": r["registered_at"].isoformat(),
                 "last_used_at": r["last_used_at"].isoformat() if r["last_used_at"] else None,
                 "revoked_at": r["revoked_at"].isoformat() if r["revoked_at"] else None,
                 "hash": bytes(r["token_hash"])} for r in rows]

    async def revoke(self, body_id: int, room_id: int, device_id: int, by: int) -> str | None:
        """The device's name once revoked now or before; None if no such device
        in the body's room."""
        name: str | None = await self.pool.fetchval(
            "UPDATE room_devices d SET revoked_at = coalesce(d.revoked_at, now()),"
            " revoked_by = coalesce(d.revoked_by, $4) FROM rooms r"
            " WHERE d.id = $3 AND d.room_id = $2 AND r.id = d.room_id AND r.body_id = $1"
            " RETURNING d.name", body_id, room_id, device_id, by)
        return name

    async def device(self, token: str) -> RoomDevice | None:
        """The live device this token registers, or None (unknown or revoked)."""
        row = await self.pool.fetchrow(
            "SELECT d.id, d.room_id, d.name, r.name AS room_name, r.body_id,"
            " r.networks::text[] AS networks FROM room_devices d JOIN rooms r ON r.id = d.room_id"
            " WHERE d.token_hash = $1 AND d.revoked_at IS NULL", token_hash(token))
        if row is None:
            return None
        return RoomDevice(row["id"], row["room_id"], row["room_name"], row["body_id"],
                          row["name"], tuple(row["networks"] or ()))

    async def people_today(self, room_id: int) -> list[dict[str, Any]]:
        """Whom the room's laptops offer to sign in: the people of today's
        meetings there, by name (no login names: the list is on a shared screen)."""
        rows = await self.pool.fetch(
            "SELECT DISTINCT u.id, u.full_name, u.title, u.unit FROM meetings m"
            " JOIN meeting_participants p ON p.meeting_id = m.id JOIN users u ON u.id = p.user_id"
            f" WHERE m.room_id = $1 AND u.is_active AND {_PERSON} AND {_TODAY}"
            " ORDER BY u.full_name, u.id", room_id)
        return [{"id": r["id"], "full_name": r["full_name"], "title": r["title"],
                 "unit": r["unit"]} for r in rows]

    async def person(self, room_id: int, *, user_id: int | None,
                     username: str | None) -> tuple[User | None, bool]:
        """An active person by id or login name, and whether they are invited
        to a meeting in the room today (one round trip: a room signs in at once)."""
        where = "u.id = $2" if user_id is not None else "lower(u.username) = lower($2)"
        row = await self.pool.fetchrow(
            f"SELECT {_USER_COLUMNS}, EXISTS (SELECT 1 FROM meetings m"
            "  JOIN meeting_participants p ON p.meeting_id = m.id"
            f"  WHERE m.room_id = $1 AND p.user_id = u.id AND {_PERSON} AND {_TODAY}) AS invited"
            f" FROM users u WHERE {where} AND u.is_active",
            room_id, user_id if user_id is not None else (username or "")[:100])
        if row is None:
            return None, False
        return _user(row), bool(row["invited"])
