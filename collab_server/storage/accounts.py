"""Users, password hashes and login sessions."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Argon2id at OWASP's first recommended setting (Password Storage Cheat
# Sheet): 19 MiB of memory, 2 passes, one lane. About 50 ms of one core per
# hash, so a room of 92 signs in at once within about 2.5 s on two cores;
# the library's default (64 MiB, 3 passes, 4 lanes) took 340 ms of CPU each
# and a room 10 s. A hash stored with other parameters is made again at the
# owner's next login (`check_needs_rehash`).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("phonghop-dummy-password")
# Off the event loop, one hash per core the process may run on: argon2-cffi
# releases the GIL for the hash (tests/test_pin_cores.py shows the loop
# running while a hash is computed), so two logins hash in parallel on a
# 2-core server, and never more at once than the cores can take while the
# room goes on.
_HASHING = asyncio.Semaphore(max(1, len(os.sched_getaffinity(0)))
                             if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2)


async def _verify(stored: str, password: str) -> bool:
    async with _HASHING:
        try:
            return await asyncio.to_thread(_hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            return False


async def hash_password_async(password: str) -> str:
    async with _HASHING:
        return await asyncio.to_thread(_hasher.hash, password)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class User:
    id: int
    body_id: int
    username: str
    full_name: str
    title: str
    unit: str
    is_admin: bool
    can_prepare: bool = False
    # Creates bodies and names their first admin (schema/022); set by the operator.
    is_site_admin: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "body_id": self.body_id,
            "username": self.username,
            "full_name": self.full_name,
            "title": self.title,
            "unit": self.unit,
            "is_admin": self.is_admin,
            "can_prepare": self.can_prepare,
            "is_site_admin": self.is_site_admin,
        }


_USER_COLUMNS = (
    "u.id, u.body_id, u.username, u.full_name, u.title, u.unit, u.is_admin, u.can_prepare,"
    " u.is_site_admin"
)


def _user(row: asyncpg.Record) -> User:
    return User(
        row["id"],
        row["body_id"],
        row["username"],
        row["full_name"],
        row["title"],
        row["unit"],
        row["is_admin"],
        row["can_prepare"],
        row["is_site_admin"],
    )


class Accounts:
    def __init__(self, pool: asyncpg.Pool, *, session_ttl: timedelta,
                 idle_timeout: timedelta = timedelta(hours=2)) -> None:
        self.pool = pool
        self.session_ttl = session_ttl
        self.idle_timeout = idle_timeout

    async def create_user(
        self,
        body_id: int,
        username: str,
        full_name: str,
        password: str,
        *,
        title: str = "",
        unit: str = "",
        is_admin: bool = False,
        can_prepare: bool = False,
        conn: asyncpg.Connection | None = None,
        password_hash: str | None = None,
        room_id: int | None = None,
    ) -> int:
        """Add a user. `password_hash` lets a batch share one hash of one password;
        `room_id` makes it the display account of that room."""
        sql = (
            "INSERT INTO users (body_id, username, full_name, title, unit, password_hash, is_admin,"
            " can_prepare, room_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
        )
        hashed = password_hash or await hash_password_async(password)
        args = (body_id, username, full_name, title, unit, hashed, is_admin, can_prepare,
                room_id)
        if conn is not None:
            return int(await conn.fetchval(sql, *args))
        async with self.pool.acquire() as c:
            return int(await c.fetchval(sql, *args))

    async def authenticate(self, username: str, password: str) -> User | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_USER_COLUMNS}, u.password_hash FROM users u"
                " WHERE lower(u.username) = lower($1) AND u.is_active",
                username,
            )
        stored = row["password_hash"] if row is not None else _DUMMY_HASH
        if not await _verify(stored, password) or row is None:
            return None
        if _hasher.check_needs_rehash(stored):
            async with self.pool.acquire() as conn:
                await conn.execute(
                    "UPDATE users SET password_hash = $2 WHERE id = $1",
                    row["id"],
                    await hash_password_async(password),
                )
        return _user(row)

    async def by_username(self, username: str) -> User | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_USER_COLUMNS} FROM users u WHERE lower(u.username) = lower($1)"
                " AND u.is_active", username[:100])
        return _user(row) if row is not None else None

    async def open_session(self, user_id: int, user_agent: str) -> str:
        token = secrets.token_urlsafe(32)
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at, user_agent)"
                " VALUES ($1, $2, now() + $3::interval, $4)",
                _token_hash(token),
                user_id,
                self.session_ttl,
                user_agent[:200],
            )
        return token

    async def session_user(self, token: str) -> User | None:
        """The user of a live session. Its last use is written at most once a
        minute: a write is a commit, and a room opening its sockets, or
        fetching a page image each, would otherwise wait on a disk flush per
        request (and queue on the row when one session has several sockets)."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"WITH live AS (SELECT s.token_hash, s.last_seen_at, {_USER_COLUMNS}"
                f"  FROM sessions s JOIN users u ON u.id = s.user_id"
                f"  WHERE s.token_hash = $1 AND s.expires_at > now()"
                f"  AND s.last_seen_at > now() - $2::interval AND u.is_active),"
                f" touched AS (UPDATE sessions SET last_seen_at = now()"
                f"  WHERE token_hash = $1 AND last_seen_at < now() - interval '1 minute'"
                f"  AND EXISTS (SELECT 1 FROM live))"
                f" SELECT * FROM live",
                _token_hash(token),
                self.idle_timeout,
            )
        return _user(row) if row is not None else None

    async def session_user_in(self, token: str, meeting_id: int
                              ) -> tuple[User, str | None] | None:
        """`session_user` and the user's role in a meeting (`ROLE_SQL`: None if
        none), in one round trip: what every socket asks when it opens, and a
        room of 91 laptops, or a hundred rooms, opens them all at once."""
        from collab_server.storage.meetings import ROLE_SQL

        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"WITH live AS (SELECT s.token_hash, s.last_seen_at, {_USER_COLUMNS}"
                f"  FROM sessions s JOIN users u ON u.id = s.user_id"
                f"  WHERE s.token_hash = $1 AND s.expires_at > now()"
                f"  AND s.last_seen_at > now() - $2::interval AND u.is_active),"
                f" touched AS (UPDATE sessions SET last_seen_at = now()"
                f"  WHERE token_hash = $1 AND last_seen_at < now() - interval '1 minute'"
                f"  AND EXISTS (SELECT 1 FROM live))"
                f" SELECT l.*, (SELECT {ROLE_SQL} FROM meetings m JOIN users u ON u.id = l.id"
                f"  LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.user_id = u.id"
                f"  WHERE m.id = $3) AS meeting_role FROM live l",
                _token_hash(token),
                self.idle_timeout,
                meeting_id,
            )
        if row is None:
            return None
        return _user(row), row["meeting_role"]

    async def close_all_sessions(self, user_id: int) -> int:
        async with self.pool.acquire() as conn:
            closed = await conn.execute("DELETE FROM sessions WHERE user_id = $1", user_id)
        return int(closed.split()[-1])

    async def session_hashes(self, user_id: int) -> list[bytes]:
        """The stored hashes of the person's sessions (to close their sockets)."""
        rows = await self.pool.fetch("SELECT token_hash FROM sessions WHERE user_id = $1",
                                     user_id)
        return [bytes(r["token_hash"]) for r in rows]

    async def check_password(self, user_id: int, password: str) -> bool:
        """Whether `password` is the active user's current one."""
        async with self.pool.acquire() as conn:
            stored = await conn.fetchval(
                "SELECT password_hash FROM users WHERE id = $1 AND is_active", user_id)
        return await _verify(stored or _DUMMY_HASH, password) and stored is not None

    async def set_password(self, user_id: int, password: str, *,
                           keep_token: str | None = None) -> int:
        """A new password; every session of the user ends but `keep_token`'s
        (the laptop that changed it). Returns the sessions ended."""
        hashed = await hash_password_async(password)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1",
                               user_id, hashed)
            closed = await conn.execute(
                "DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2",
                user_id, _token_hash(keep_token) if keep_token is not None else None)
        return int(closed.split()[-1])

    async def close_session(self, token: str) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute("DELETE FROM sessions WHERE token_hash = $1", _token_hash(token))


async def audit(
    pool: asyncpg.Pool,
    actor_id: int | None,
    action: str,
    target: str = "",
    *,
    ip: str = "",
    details: dict[str, object] | None = None,
) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO audit_log (actor_id, action, target, ip, details) VALUES ($1,$2,$3,$4,$5)",
            actor_id,
            action,
            target,
            ip,
            details or {},
        )
