"""Polls and ballots in PostgreSQL.

Writes run inside the transaction that commits the intent (see
`domain.ports.Write`). A cast takes a share lock on its poll row and closing
takes an update lock, so a ballot is either counted by the close or refused
because the poll is no longer open, whichever process it came through.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg

from collab_server.documents.text import fold
from collab_server.domain.calendar import iso
from collab_server.domain.ports import Tally, Write
from collab_server.errors import Conflict, Forbidden
from collab_server.keys import ServerKeys
from collab_server.storage.accounts import audit
from collab_server.storage.sealing import BadSeal, Sealer

log = logging.getLogger(__name__)

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
                         choice: int | None, at_ms: int, sealed: bytes | None = None) -> None:
    try:
        await conn.execute(
            "INSERT INTO poll_ballots (poll_id, member_id, cast_by, cast_at, choice, sealed)"
            " VALUES ($1, $2, $3, $4, $5, $6)", poll_id, member, by, _at(at_ms), choice, sealed)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == ONE_BALLOT:
            raise _already_voted() from exc
        raise


class TallyRefused(Conflict):
    """The stored ballots do not add up: a sealed choice that does not open,
    or choice rows nobody cast. The poll stays open and nothing is published."""

    code = "tally_refused"


def _refused(reason: str) -> TallyRefused:
    return TallyRefused(
        "Không công bố kết quả: các phiếu lưu trong cơ sở dữ liệu không khớp với số phiếu đã bỏ"
        f" ({reason}). Sự việc đã được ghi vào nhật ký kiểm toán; hãy báo quản trị hệ thống.",
        f"No result published: the stored ballots do not add up ({reason}). This was written"
        " to the audit log; tell the system administrator.")


async def _secret_choices(conn: asyncpg.Connection, sealer: Sealer, poll_id: int,
                          options: int) -> list[tuple[str, int]]:
    """Every (receipt, choice) of an open secret poll, one per ballot, or
    TallyRefused. Sealed values are opened here, in memory only."""
    ballots = await conn.fetch(
        "SELECT member_id, cast_by, sealed FROM poll_ballots WHERE poll_id = $1", poll_id)
    stored = [(r["receipt"], r["choice"]) for r in await conn.fetch(
        "SELECT receipt, choice FROM poll_secret_choices WHERE poll_id = $1", poll_id)]
    opened: list[tuple[str, int]] = []
    unsealed = 0
    for b in ballots:
        if b["sealed"] is None:
            unsealed += 1
            continue
        try:
            choice, receipt = sealer.open(poll_id, b["member_id"], b["cast_by"],
                                          bytes(b["sealed"]))
        except BadSeal as exc:
            raise _refused("một phiếu kín không mở được / a sealed ballot does not open") \
                from exc
        opened.append((receipt, choice))
    # Every ballot is sealed, and no choice row exists before the close: a
    # plain one was written by someone other than this server (or by the old
    # code, for a poll left open across the upgrade to schema/011).
    if unsealed:
        raise _refused("phiếu không có niêm phong / a ballot without a seal")
    if stored:
        raise _refused(f"{len(stored)} lựa chọn không thuộc phiếu nào / {len(stored)} choices"
                       " belong to no ballot")
    every = opened
    if any(not 0 <= choice < options for _, choice in every):
        raise _refused("lựa chọn ngoài danh sách / a choice out of range")
    if len({receipt for receipt, _ in every}) != len(every):
        raise _refused("mã biên nhận trùng / a receipt twice")
    return every


async def _tally(conn: asyncpg.Connection, sealer: Sealer, poll_id: int, options: int,
                 secret: bool) -> Tally:
    counts = [0] * options
    if secret:
        for _, choice in await _secret_choices(conn, sealer, poll_id, options):
            counts[choice] += 1
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


async def _publish(conn: asyncpg.Connection, poll_id: int,
                   choices: list[tuple[str, int]]) -> None:
    """Write the choices of a closing secret poll in one batch, ordered by
    choice and then by receipt (random): the rows, their place in the heap
    and in every index, and their transaction (the close's) tell nothing but
    the counts. The sealed values are erased in the same transaction."""
    ordered = sorted(choices, key=lambda rc: (rc[1], rc[0]))
    await conn.execute("DELETE FROM poll_secret_choices WHERE poll_id = $1", poll_id)
    await conn.execute(
        "INSERT INTO poll_secret_choices (poll_id, receipt, choice)"
        " SELECT $1, r, c FROM unnest($2::text[], $3::smallint[]) WITH ORDINALITY AS t(r, c, n)"
        " ORDER BY n",
        poll_id, [r for r, _ in ordered], [c for _, c in ordered])
    await _erase(conn, poll_id)


async def _erase(conn: asyncpg.Connection, poll_id: int) -> None:
    await conn.execute(
        "UPDATE poll_ballots SET sealed = NULL WHERE poll_id = $1 AND sealed IS NOT NULL",
        poll_id)


class PgVoting:
    def __init__(self, pool: asyncpg.Pool, keys: ServerKeys) -> None:
        self.pool = pool
        self.sealer = Sealer(keys)
        self._vacuums: set[asyncio.Task[None]] = set()

    # -- polls -------------------------------------------------------------------------

    def open_poll(self, meeting_id: int, poll_id: int, *, item_id: int | None, question: str,
                  options: tuple[str, ...], kind: str, rule: str, allow_change: bool,
                  by: int, at_ms: int, receipts: bool = True) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            try:
                await conn.execute(
                    "INSERT INTO polls (id, meeting_id, item_id, question, options, kind, rule,"
                    " allow_change, opened_by, opened_at, question_folded, receipts)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    poll_id, meeting_id, item_id, question, list(options), kind, rule,
                    allow_change, by, _at(at_ms), fold(question), receipts)
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name == ONE_OPEN:
                    raise Conflict("Đang có một cuộc biểu quyết chưa kết thúc.",
                                   "Another poll is still open.") from exc
                raise

        return write

    async def tally(self, poll_id: int, options: int, *, secret: bool,
                    by: int | None = None) -> Tally:
        async with self.pool.acquire() as conn:
            try:
                return await _tally(conn, self.sealer, poll_id, options, secret)
            except TallyRefused as exc:
                await self._report(poll_id, by, exc)
                raise

    async def _report(self, poll_id: int, by: int | None, exc: TallyRefused) -> None:
        """In a transaction of its own: the close's is rolled back."""
        log.warning("tally refused", extra={"poll": poll_id})
        await audit(self.pool, by, "poll.tally_refused", f"poll:{poll_id}",
                    details={"reason": exc.message_en})

    def close_poll(self, poll_id: int, expected: Tally, result: dict[str, Any], *,
                   secret: bool, by: int, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            status = await conn.fetchval(
                "SELECT status FROM polls WHERE id = $1 FOR UPDATE", poll_id)
            if status != "open":
                raise _not_open()
            # Counted again under the lock: a ballot committed through another
            # process since the chair's tally would otherwise be left out.
            options = len(expected.counts)
            try:
                choices = await _secret_choices(conn, self.sealer, poll_id, options) \
                    if secret else []
                counted = await _tally(conn, self.sealer, poll_id, options, secret)
            except TallyRefused as exc:
                await self._report(poll_id, by, exc)
                raise
            if counted != expected:
                raise Conflict("Có phiếu mới trong lúc kết thúc biểu quyết; hãy thử lại.",
                               "Ballots arrived while closing; try again.")
            await conn.execute(
                "UPDATE polls SET status = 'closed', closed_by = $2, closed_at = $3,"
                " result = $4 WHERE id = $1", poll_id, by, _at(at_ms), result)
            if secret:
                await _publish(conn, poll_id, choices)
                self._vacuum_after(poll_id)

        return write

    def cancel_poll(self, poll_id: int, *, secret: bool, by: int, at_ms: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            done = await conn.execute(
                "UPDATE polls SET status = 'cancelled', closed_by = $2, closed_at = $3"
                " WHERE id = $1 AND status = 'open'", poll_id, by, _at(at_ms))
            if done != "UPDATE 1":
                raise _not_open()
            if secret:
                # Nothing of a cancelled poll is ever counted: its choices go.
                await conn.execute("DELETE FROM poll_secret_choices WHERE poll_id = $1",
                                   poll_id)
                await _erase(conn, poll_id)
                self._vacuum_after(poll_id)

        return write

    def _vacuum_after(self, poll_id: int) -> None:
        """Once the closing transaction ends, vacuum the ballot tables so the
        dead rows (sealed values, rows of polls from before schema/011) leave
        the disk. A supplement: the design does not rely on it."""
        task = asyncio.create_task(self._vacuum(poll_id), name=f"vacuum-poll-{poll_id}")
        self._vacuums.add(task)
        task.add_done_callback(self._vacuums.discard)

    async def _vacuum(self, poll_id: int) -> None:
        try:
            async with self.pool.acquire() as conn:
                # Waits on the closing transaction's row lock: runs after its end.
                status = await conn.fetchval(
                    "SELECT status FROM polls WHERE id = $1 FOR SHARE", poll_id)
                if status in ("closed", "cancelled"):
                    await conn.execute("VACUUM poll_ballots, poll_secret_choices")
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            log.warning("vacuum after a secret poll failed: %s", type(exc).__name__)

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
        sealed = self.sealer.seal(poll_id, member, by, choice, receipt)

        async def write(conn: asyncpg.Connection) -> None:
            await _lock_open(conn, poll_id)
            await _insert_ballot(conn, poll_id, member, by, None, at_ms, sealed)

        return write

    def change_secret(self, poll_id: int, member: int, by: int, choice: int,
                      receipt: str) -> Write:
        sealed = self.sealer.seal(poll_id, member, by, choice, receipt)

        async def write(conn: asyncpg.Connection) -> None:
            await _lock_open(conn, poll_id, change=True)
            row = await conn.fetchrow(
                "SELECT cast_by, sealed FROM poll_ballots WHERE poll_id = $1 AND member_id = $2"
                " FOR UPDATE", poll_id, member)
            if row is None:
                raise Conflict("Chưa có phiếu để thay đổi.", "No ballot to change.")
            if row["cast_by"] != by:
                raise Forbidden("Chỉ người đã bỏ phiếu này được thay đổi nó.",
                                "Only whoever cast this ballot may change it.")
            if row["sealed"] is None:
                raise Conflict("Phiếu bỏ trước khi nâng cấp hệ thống không thay đổi được.",
                               "A ballot cast before the upgrade cannot be changed.")
            await conn.execute(
                "UPDATE poll_ballots SET sealed = $3 WHERE poll_id = $1 AND member_id = $2",
                poll_id, member, sealed)

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

    async def cast_by(self, poll_id: int, user: int) -> bool:
        """Whether `user` cast a ballot in this poll (for themselves or as a
        deputy or proxy): who voted is public to the meeting, what is not."""
        async with self.pool.acquire() as conn:
            return bool(await conn.fetchval(
                "SELECT true FROM poll_ballots WHERE poll_id = $1 AND cast_by = $2 LIMIT 1",
                poll_id, user))

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
    " p.allow_change, p.receipts, p.status, p.opened_at, p.closed_at, p.result,"
    " (SELECT count(*) FROM poll_ballots b WHERE b.poll_id = p.id) AS ballots"
    " FROM polls p"
)


def _poll_json(row: asyncpg.Record) -> dict[str, Any]:
    poll: dict[str, Any] = {
        "id": row["id"], "meeting": row["meeting_id"], "item": row["item_id"],
        "question": row["question"], "options": list(row["options"]), "kind": row["kind"],
        "rule": row["rule"], "allow_change": row["allow_change"], "status": row["status"],
        "receipts": row["receipts"] and row["kind"] == "secret",
        "opened_at": iso(row["opened_at"]),
        "closed_at": iso(row["closed_at"]) if row["closed_at"] else None,
        "cast": row["ballots"],
    }
    # Counts are only ever shown once the poll is closed.
    if row["status"] == "closed" and row["result"] is not None:
        poll["result"] = row["result"]
    return poll
