"""Polls and ballots in PostgreSQL.

Writes run inside the transaction that commits the intent (see
`domain.ports.Write`). A cast takes a share lock on its poll row and closing
takes an update lock, so a ballot is either counted by the close or refused
because the poll is no longer open, whichever process it came through.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import asyncpg

from collab_server.documents.text import fold
from collab_server.domain.calendar import iso
from collab_server.domain.ports import Tally, Write
from collab_server.errors import Conflict, NotFound

ONE_BALLOT = "poll_ballots_one_per_member"
ONE_OPEN = "polls_one_open_idx"


class AlreadyVoted(Conflict):
    """One ballot per member: told apart from other conflicts, so a client can
    say "your ballot is already counted" without reading the message."""

    code = "already_voted"


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _already_voted() -> Conflict:
    return AlreadyVoted(
        "Bạn đã biểu quyết (hoặc thành viên này đã có phiếu); mỗi thành viên chỉ có một phiếu.",
        "A ballot is already counted for this member; one ballot per member.",
    )


def _not_open() -> Conflict:
    return Conflict("Cuộc biểu quyết không còn mở.", "The poll is not open.")


async def _lock_open(conn: asyncpg.Connection, poll_id: int, *, change: bool = False) -> None:
    """Share-lock the poll row for the rest of the transaction: the poll
    cannot close until this ballot is committed or rolled back."""
    row = await conn.fetchrow(
        "SELECT status, allow_change FROM polls WHERE id = $1 FOR SHARE", poll_id)
    if row is None or row["status"] != "open":
        raise _not_open()
    if change and not row["allow_change"]:
        raise Conflict("Cuộc biểu quyết này không cho phép thay đổi phiếu.",
                       "This poll does not allow changing a ballot.")


async def _insert_ballot(conn: asyncpg.Connection, poll_id: int, member: int, by: int,
                         choice: int | None, at_ms: int) -> None:
    try:
        await conn.execute(
            "INSERT INTO poll_ballots (poll_id, member_id, cast_by, cast_at, choice)"
            " VALUES ($1, $2, $3, $4, $5)", poll_id, member, by, _at(at_ms), choice)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == ONE_BALLOT:
            raise _already_voted() from exc
        raise


async def _reshuffle(conn: asyncpg.Connection, poll_id: int) -> None:
    """Rewrite a secret poll's choices in random order, in this transaction:
    afterwards every row carries the same inserting transaction and a place
    in the table that says nothing about when it was cast."""
    rows = await conn.fetch(
        "DELETE FROM poll_secret_choices WHERE poll_id = $1 RETURNING receipt, choice", poll_id)
    shuffled = list(rows)
    secrets.SystemRandom().shuffle(shuffled)
    await conn.execute(
        "INSERT INTO poll_secret_choices (poll_id, receipt, choice)"
        " SELECT $1, r, c FROM unnest($2::text[], $3::smallint[]) WITH ORDINALITY AS t(r, c, n)"
        " ORDER BY n",
        poll_id, [r["receipt"] for r in shuffled], [r["choice"] for r in shuffled])


async def _tally(conn: asyncpg.Connection, poll_id: int, options: int, secret: bool) -> Tally:
    counts = [0] * options
    if secret:
        for row in await conn.fetch(
                "SELECT choice, count(*) AS n FROM poll_secret_choices WHERE poll_id = $1"
                " GROUP BY choice", poll_id):
            counts[row["choice"]] = row["n"]
        ballots = await conn.fetchval(
            "SELECT count(*) FROM poll_ballots WHERE poll_id = $1", poll_id)
        return Tally(tuple(counts), ballots)
    rows = await conn.fetch(
        "SELECT member_id, cast_by, choice FROM poll_ballots WHERE poll_id = $1"
        " ORDER BY member_id", poll_id)
    for row in rows:
        counts[row["choice"]] += 1
    return Tally(tuple(counts), len(rows),
                 tuple((r["member_id"], r["cast_by"], r["choice"]) for r in rows))


class PgVoting:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # -- polls -------------------------------------------------------------------------

    def open_poll(self, meeting_id: int, poll_id: int, *, item_id: int | None, question: str,
                  options: tuple[str, ...], kind: str, rule: str, allow_change: bool,
                  by: int, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            try:
                await conn.execute(
                    "INSERT INTO polls (id, meeting_id, item_id, question, options, kind, rule,"
                    " allow_change, opened_by, opened_at, question_folded)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    poll_id, meeting_id, item_id, question, list(options), kind, rule,
                    allow_change, by, _at(at_ms), fold(question))
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name == ONE_OPEN:
                    raise Conflict("Đang có một cuộc biểu quyết chưa kết thúc.",
                                   "Another poll is still open.") from exc
                raise

        return write

    async def tally(self, poll_id: int, options: int, *, secret: bool) -> Tally:
        async with self.pool.acquire() as conn:
            return await _tally(conn, poll_id, options, secret)

    def close_poll(self, poll_id: int, expected: Tally, result: dict[str, Any], *,
                   secret: bool, by: int, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            status = await conn.fetchval(
                "SELECT status FROM polls WHERE id = $1 FOR UPDATE", poll_id)
            if status != "open":
                raise _not_open()
            # Counted again under the lock: a ballot committed through another
            # process since the chair's tally would otherwise be left out.
            if await _tally(conn, poll_id, len(expected.counts), secret) != expected:
                raise Conflict("Có phiếu mới trong lúc kết thúc biểu quyết; hãy thử lại.",
                               "Ballots arrived while closing; try again.")
            await conn.execute(
                "UPDATE polls SET status = 'closed', closed_by = $2, closed_at = $3,"
                " result = $4 WHERE id = $1", poll_id, by, _at(at_ms), result)
            if secret:
                await _reshuffle(conn, poll_id)

        return write

    def cancel_poll(self, poll_id: int, *, secret: bool, by: int, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            done = await conn.execute(
                "UPDATE polls SET status = 'cancelled', closed_by = $2, closed_at = $3"
                " WHERE id = $1 AND status = 'open'", poll_id, by, _at(at_ms))
            if done != "UPDATE 1":
                raise _not_open()
            if secret:
                await _reshuffle(conn, poll_id)

        return write

    # -- ballots -------------------------------------------------------------------------

    def cast_named(self, poll_id: int, member: int, by: int, choice: int,
                   at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await _lock_open(conn, poll_id)
            await _insert_ballot(conn, poll_id, member, by, choice, at_ms)

        return write

    def change_named(self, poll_id: int, member: int, by: int, choice: int,
                     at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await _lock_open(conn, poll_id, change=True)
            done = await conn.execute(
                "UPDATE poll_ballots SET choice = $3, cast_by = $4, cast_at = $5"
                " WHERE poll_id = $1 AND member_id = $2", poll_id, member, choice, by,
                _at(at_ms))
            if done != "UPDATE 1":
                raise Conflict("Chưa có phiếu để thay đổi.", "No ballot to change.")

        return write

    def cast_secret(self, poll_id: int, member: int, by: int, choice: int, receipt: str,
                    at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await _lock_open(conn, poll_id)
            await _insert_ballot(conn, poll_id, member, by, None, at_ms)
            await conn.execute(
                "INSERT INTO poll_secret_choices (poll_id, receipt, choice) VALUES ($1, $2, $3)",
                poll_id, receipt, choice)

        return write

    def change_secret(self, poll_id: int, member: int, receipt: str, choice: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            await _lock_open(conn, poll_id, change=True)
            voted = await conn.fetchval(
                "SELECT true FROM poll_ballots WHERE poll_id = $1 AND member_id = $2",
                poll_id, member)
            if not voted:
                raise Conflict("Chưa có phiếu để thay đổi.", "No ballot to change.")
            done = await conn.execute(
                "UPDATE poll_secret_choices SET choice = $3 WHERE poll_id = $1 AND receipt = $2",
                poll_id, receipt, choice)
            if done != "UPDATE 1":
                raise NotFound("Mã biên nhận không đúng.", "No ballot has this receipt.")

        return write

    async def has_ballot(self, poll_id: int, member: int) -> bool:
        async with self.pool.acquire() as conn:
            return bool(await conn.fetchval(
                "SELECT true FROM poll_ballots WHERE poll_id = $1 AND member_id = $2",
                poll_id, member))

    # -- proxies ---------------------------------------------------------------------------

    def proxy_request(self, meeting_id: int, member: int, to: int, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            # An approved proxy is not replaced by a new request.
            done = await conn.execute(
                "INSERT INTO proxies (meeting_id, member_id, proxy_id, status, requested_at)"
                " VALUES ($1, $2, $3, 'requested', $4)"
                " ON CONFLICT (meeting_id, member_id) DO UPDATE SET proxy_id = $3,"
                " status = 'requested', requested_at = $4, decided_by = NULL, decided_at = NULL"
                " WHERE proxies.status <> 'approved'",
                meeting_id, member, to, _at(at_ms))
            if done != "INSERT 0 1":
                raise Conflict("Bạn đã ủy quyền biểu quyết rồi.", "Your proxy is already approved.")

        return write

    def proxy_status(self, meeting_id: int, member: int, status: str, by: int,
                     at_ms: int) -> Write:
        before = ["requested", "approved"] if status == "withdrawn" else ["requested"]

        async def write(conn: asyncpg.Connection) -> None:
            done = await conn.execute(
                "UPDATE proxies SET status = $3, decided_by = $4, decided_at = $5"
                " WHERE meeting_id = $1 AND member_id = $2 AND status = ANY($6::text[])",
                meeting_id, member, status, by, _at(at_ms), before)
            if done != "UPDATE 1":
                raise Conflict("Yêu cầu ủy quyền không còn ở trạng thái này.",
                               "The proxy is no longer in that state.")

        return write

    # -- reading, for HTTP ---------------------------------------------------------------

    async def meeting_polls(self, meeting_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"{_POLL_SELECT} WHERE p.meeting_id = $1 ORDER BY p.id", meeting_id)
        return [_poll_json(r) for r in rows]

    async def poll(self, poll_id: int) -> dict[str, Any] | None:
        """One poll with its result; for a closed named poll, who chose what."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(f"{_POLL_SELECT} WHERE p.id = $1", poll_id)
            if row is None:
                return None
            poll = _poll_json(row)
            if row["kind"] == "named" and row["status"] == "closed":
                ballots = await conn.fetch(
                    "SELECT b.member_id, u.full_name, b.choice, b.cast_by"
                    " FROM poll_ballots b JOIN users u ON u.id = b.member_id"
                    " WHERE b.poll_id = $1 ORDER BY u.full_name, b.member_id", poll_id)
                poll["named"] = [{"user": b["member_id"], "name": b["full_name"],
                                  "choice": b["choice"], "by": b["cast_by"]} for b in ballots]
        return poll

    async def receipts(self, poll_id: int) -> list[dict[str, Any]]:
        """Every receipt of a secret poll with its choice, in receipt order
        (which is random, so it says nothing about who or when)."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT receipt, choice FROM poll_secret_choices WHERE poll_id = $1"
                " ORDER BY receipt", poll_id)
        return [{"receipt": r["receipt"], "choice": r["choice"]} for r in rows]


_POLL_SELECT = (
    "SELECT p.id, p.meeting_id, p.item_id, p.question, p.options, p.kind, p.rule,"
    " p.allow_change, p.status, p.opened_at, p.closed_at, p.result,"
    " (SELECT count(*) FROM poll_ballots b WHERE b.poll_id = p.id) AS ballots"
    " FROM polls p"
)


def _poll_json(row: asyncpg.Record) -> dict[str, Any]:
    poll: dict[str, Any] = {
        "id": row["id"], "meeting": row["meeting_id"], "item": row["item_id"],
        "question": row["question"], "options": list(row["options"]), "kind": row["kind"],
        "rule": row["rule"], "allow_change": row["allow_change"], "status": row["status"],
        "opened_at": iso(row["opened_at"]),
        "closed_at": iso(row["closed_at"]) if row["closed_at"] else None,
        "cast": row["ballots"],
    }
    # Counts are only ever shown once the poll is closed.
    if row["status"] == "closed" and row["result"] is not None:
        poll["result"] = row["result"]
    return poll
