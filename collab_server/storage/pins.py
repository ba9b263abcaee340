"""People's PINs: the keyed hash, and the count of wrong PINs in a row
(domain/pin.py, schema/026)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import asyncpg

from collab_server.domain import pin as pins


class Outcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # counted; `left` tries remain
    LOCKED_NOW = "locked_now"  # this wrong try was the last one
    LOCKED = "locked"  # locked before this try; nothing compared
    NONE = "none"  # the person has no PIN


@dataclass(frozen=True, slots=True)
class Check:
    outcome: Outcome
    left: int = 0


class PgPins:
    def __init__(self, pool: asyncpg.Pool, key: bytes) -> None:
        self.pool = pool
        self.key = key

    async def status(self, user_id: int) -> dict[str, object]:
        row = await self.pool.fetchrow(
            "SELECT set_at, locked_at FROM user_pins WHERE user_id = $1", user_id)
        return {"set": row is not None,
                "set_at": row["set_at"].isoformat() if row is not None else None,
                "locked": row is not None and row["locked_at"] is not None}

    async def set(self, user_id: int, pin: str) -> bool:
        """Set or replace the PIN (unlocked, no failures). True if it replaced one."""
        replaced: bool = await self.pool.fetchval(
            "WITH old AS (SELECT 1 FROM user_pins WHERE user_id = $1)"
            " INSERT INTO user_pins (user_id, pin_mac) VALUES ($1, $2)"
            " ON CONFLICT (user_id) DO UPDATE SET pin_mac = EXCLUDED.pin_mac, set_at = now(),"
            "  failures = 0, locked_at = NULL"
            " RETURNING EXISTS (SELECT 1 FROM old)", user_id, pins.mac(self.key, user_id, pin))
        return replaced

    async def remove(self, user_id: int) -> bool:
        done: str = await self.pool.execute("DELETE FROM user_pins WHERE user_id = $1", user_id)
        return done != "DELETE 0"

    async def check(self, user_id: int, pin: str, device_id: int) -> Check:
        """Compare under the row's lock, so that parallel tries cannot pass
        the limit: each one sees the failures of those before it. A right
        PIN also marks the room's laptop as used (same commit)."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT pin_mac, failures, locked_at FROM user_pins WHERE user_id = $1"
                " FOR UPDATE", user_id)
            if row is None:
                return Check(Outcome.NONE)
            if row["locked_at"] is not None:
                return Check(Outcome.LOCKED)
            if pins.matches(self.key, user_id, pin, bytes(row["pin_mac"])):
                if row["failures"]:
                    await conn.execute("UPDATE user_pins SET failures = 0 WHERE user_id = $1",
                                       user_id)
                await conn.execute(
                    "UPDATE room_devices SET last_used_at = now() WHERE id = $1 AND"
                    " (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
                    device_id)
                return Check(Outcome.OK)
            failures = int(row["failures"]) + 1
            locked = failures >= pins.MAX_FAILURES
            await conn.execute(
                "UPDATE user_pins SET failures = $2,"
                " locked_at = CASE WHEN $3 THEN now() END WHERE user_id = $1",
                user_id, failures, locked)
        if locked:
            return Check(Outcome.LOCKED_NOW)
        return Check(Outcome.WRONG, pins.MAX_FAILURES - failures)

    async def unlock(self, user_id: int) -> bool:
        """After a password login: the count starts again. True if it was locked."""
        was: bool | None = await self.pool.fetchval(
            "UPDATE user_pins p SET failures = 0, locked_at = NULL"
            " FROM (SELECT locked_at FROM user_pins WHERE user_id = $1 FOR UPDATE) old"
            " WHERE p.user_id = $1 AND (p.failures > 0 OR p.locked_at IS NOT NULL)"
            " RETURNING old.locked_at IS NOT NULL", user_id)
        return bool(was)
