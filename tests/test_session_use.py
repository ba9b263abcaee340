"""A session's last use slides the idle timeout, written at most once a minute."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from collab_server.storage.accounts import Accounts


async def test_last_use_is_written_once_a_minute(pool: asyncpg.Pool) -> None:
    accounts = Accounts(pool, session_ttl=timedelta(hours=8), idle_timeout=timedelta(hours=2))
    body = await pool.fetchval(
        "INSERT INTO bodies (code, name) VALUES ('t', 'Sở thử') RETURNING id")
    user_id = await accounts.create_user(body, "nguoidung", "Người dùng", "",
                                         password_hash="x")
    token = await accounts.open_session(user_id, "test")

    async def seen_ago() -> float:
        return float(await pool.fetchval(
            "SELECT extract(epoch FROM now() - last_seen_at) FROM sessions WHERE user_id = $1",
            user_id))

    await pool.execute("UPDATE sessions SET last_seen_at = now() - interval '30 seconds'")
    user = await accounts.session_user(token)
    assert user is not None and user.id == user_id
    assert 29 < await seen_ago() < 60, "used within the minute: not written again"

    await pool.execute("UPDATE sessions SET last_seen_at = now() - interval '90 minutes'")
    assert await accounts.session_user(token) is not None
    assert await seen_ago() < 5, "used after a minute: the idle timeout starts again"

    await pool.execute("UPDATE sessions SET last_seen_at = now() - interval '121 minutes'")
    assert await accounts.session_user(token) is None, "idle for longer than the timeout"
    assert await seen_ago() > 120 * 60, "an idle session is not brought back"
