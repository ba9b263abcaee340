"""Which sessions of the open sockets are still valid: the periodic check
behind `live.access` (expiry, idle timeout, a session deleted by hand, a
revocation whose relay was lost while Redis was away).

An open socket is use of its session: the check also moves its last use
forward, so a projector that only holds sockets is not logged out as idle in
the middle of a long session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from collab_server.live.sessions import TAG_LENGTH, TAG_PREFIX


class PgSocketSessions:
    def __init__(self, pool: asyncpg.Pool, *, idle_timeout: timedelta) -> None:
        self.pool = pool
        self.idle_timeout = idle_timeout

    async def valid(self, user_ids: Sequence[int], tags: Sequence[str]) -> set[str]:
        """The tags (`live.sessions.session_tag`) among `tags`, of sessions of
        `user_ids`, that are still valid; their last use becomes now."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "WITH valid AS ("
                "  SELECT s.token_hash,"
                "         left(encode(sha256($3::bytea || s.token_hash), 'hex'), $4) AS tag"
                "  FROM sessions s JOIN users u ON u.id = s.user_id"
                "  WHERE s.user_id = ANY($1::bigint[]) AND s.expires_at > now()"
                "  AND s.last_seen_at > now() - $2::interval AND u.is_active),"
                " open AS (SELECT * FROM valid WHERE tag = ANY($5::text[])),"
                " touched AS (UPDATE sessions SET last_seen_at = now()"
                "  WHERE token_hash IN (SELECT token_hash FROM open)"
                "  AND last_seen_at < now() - interval '1 minute')"
                " SELECT tag FROM open",
                list(user_ids), self.idle_timeout, TAG_PREFIX, TAG_LENGTH, list(tags))
        return {row["tag"] for row in rows}
