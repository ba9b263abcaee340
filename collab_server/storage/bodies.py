"""The bodies of the installation, as the site admin sees them: a name, a
place and how many people each has; never their people or meetings."""

from __future__ import annotations

from typing import Any

import asyncpg

from collab_server.storage.accounts import hash_password_async


class PgBodies:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def list(self) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT b.id, b.code, b.name, b.place,"
            " (SELECT count(*) FROM users u WHERE u.body_id = b.id AND u.is_active"
            "   AND u.room_id IS NULL) AS people,"
            " (SELECT count(*) FROM users u WHERE u.body_id = b.id AND u.is_active"
            "   AND u.is_admin) AS admins"
            " FROM bodies b ORDER BY lower(b.name), b.id")
        return [dict(r) for r in rows]

    async def create(self, *, code: str, name: str, place: str, admin_username: str,
                     admin_full_name: str, admin_title: str, password: str
                     ) -> tuple[int, int]:
        """The body and its first admin, together or not at all. Raises
        UniqueViolationError (constraint `bodies_code_key` or
        `users_username_key`) when the code or the login name is taken."""
        hashed = await hash_password_async(password)
        async with self.pool.acquire() as conn, conn.transaction():
            body: int = await conn.fetchval(
                "INSERT INTO bodies (code, name, place) VALUES ($1, $2, $3) RETURNING id",
                code, name, place)
            admin: int = await conn.fetchval(
                "INSERT INTO users (body_id, username, full_name, title, password_hash,"
                " is_admin) VALUES ($1, $2, $3, $4, $5, true) RETURNING id",
                body, admin_username, admin_full_name, admin_title, hashed)
        return body, admin
