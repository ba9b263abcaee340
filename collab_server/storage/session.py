"""Rows of the running session, written inside the intent's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from collab_server.domain import checkin
from collab_server.domain.ports import Write
from collab_server.errors import Unavailable
from collab_server.keys import ServerKeys

_SEQUENCES = frozenset({"speaker_requests_id_seq", "polls_id_seq", "messages_id_seq"})


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class PgSession:
    def __init__(self, pool: asyncpg.Pool, keys: ServerKeys | None = None) -> None:
        self.pool = pool
        self.keys = keys

    def checkin_key(self, meeting_id: int) -> bytes:
        if self.keys is None:
            raise Unavailable("Máy chủ chưa có khóa điểm danh.", "No check-in key.")
        return self.keys.derive(checkin.KEY_NAME, f"meeting:{meeting_id}".encode())

    async def next_id(self, sequence: str) -> int:
        if sequence not in _SEQUENCES:
            raise ValueError(sequence)
        async with self.pool.acquire() as conn:
            value: int = await conn.fetchval("SELECT nextval($1::regclass)", sequence)
        return value

    def open_session(self, meeting_id: int, actor: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            status = await conn.fetchval(
                "SELECT status FROM meetings WHERE id = $1 FOR UPDATE", meeting_id)
            await conn.execute(
                "UPDATE meetings SET status = 'in_session', opened_at = now(), opened_by = $2"
                " WHERE id = $1", meeting_id, actor)
            await conn.execute(
                "INSERT INTO meeting_transitions (meeting_id, from_status, to_status, actor_id)"
                " SELECT $1, $2, 'in_session', $3 WHERE $2 <> 'in_session'",
                meeting_id, status, actor)

        return write

    def close_session(self, meeting_id: int, actor: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "UPDATE meetings SET status = 'ended', closed_at = now() WHERE id = $1",
                meeting_id)
            await conn.execute(
                "INSERT INTO meeting_transitions (meeting_id, from_status, to_status, actor_id)"
                " VALUES ($1, 'in_session', 'ended', $2)", meeting_id, actor)

        return write

    def item_times(self, meeting_id: int, started: int | None, ended: int | None,
                   at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            if ended is not None:
                await conn.execute(
                    "UPDATE agenda_items SET ended_at = $3 WHERE id = $2 AND meeting_id = $1",
                    meeting_id, ended, _at(at_ms))
            if started is not None:
                await conn.execute(
                    "UPDATE agenda_items SET started_at = coalesce(started_at, $3)"
                    " WHERE id = $2 AND meeting_id = $1", meeting_id, started, _at(at_ms))

        return write

    def attendance(self, meeting_id: int, user_id: int, present: bool, *, device: str,
                   reason: str, by: int, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO attendance (meeting_id, user_id, present, at, device, reason,"
                " marked_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT (meeting_id, user_id) DO UPDATE SET present = $3, at = $4,"
                " device = $5, reason = $6, marked_by = $7",
                meeting_id, user_id, present, _at(at_ms), device, reason, by)

        return write

    def speaker_request(self, meeting_id: int, request_id: int, user_id: int, kind: str,
                        item_id: int | None, rank: float, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO speaker_requests (id, meeting_id, user_id, kind, item_id,"
                " requested_at, rank) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                request_id, meeting_id, user_id, kind, item_id, _at(at_ms), rank)

        return write

    def request_status(self, request_id: int, status: str) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute("UPDATE speaker_requests SET status = $2 WHERE id = $1",
                               request_id, status)

        return write

    def request_ranks(self, ranks: dict[int, float]) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.executemany("UPDATE speaker_requests SET rank = $2 WHERE id = $1",
                                   list(ranks.items()))

        return write

    def speech_start(self, meeting_id: int, request_id: int, user_id: int, kind: str,
                     item_id: int | None, at_ms: int, limit_s: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO speeches (meeting_id, request_id, user_id, kind, item_id,"
                " started_at, limit_s) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                meeting_id, request_id, user_id, kind, item_id, _at(at_ms), limit_s)

        return write

    def speech_limit(self, request_id: int, limit_s: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "UPDATE speeches SET limit_s = $2 WHERE request_id = $1 AND ended_at IS NULL",
                request_id, limit_s)

        return write

    def item_speech_limit(self, meeting_id: int, item_id: int, limit_s: int | None) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "UPDATE agenda_items SET speech_limit_s = $3 WHERE id = $2 AND meeting_id = $1",
                meeting_id, item_id, limit_s)

        return write

    def speech_end(self, request_id: int, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "UPDATE speeches SET ended_at = $2 WHERE request_id = $1 AND ended_at IS NULL",
                request_id, _at(at_ms))

        return write

    def message(self, meeting_id: int, message_id: int, sender: int, to_role: str, kind: str,
                text: str, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO messages (id, meeting_id, sender_id, to_role, kind, text, sent_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                message_id, meeting_id, sender, to_role, kind, text, _at(at_ms))

        return write

    def message_reply(self, message_id: int, by: int, text: str, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO message_replies (message_id, user_id, text, sent_at)"
                " VALUES ($1, $2, $3, $4)", message_id, by, text, _at(at_ms))

        return write
