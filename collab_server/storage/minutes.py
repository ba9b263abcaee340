"""After the session in PostgreSQL: the record the minutes are drafted from,
frozen minutes and conclusion notices, reuse of a meeting and its documents,
and what an export needs.

Approved minutes and issued notices are rows no one changes: the table
triggers of schema/006_minutes.sql refuse UPDATE, DELETE and TRUNCATE, and a
CHECK ties each row's SHA-256 to its text.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson

from collab_server.documents.text import fold
from collab_server.domain import minutes as m
from collab_server.domain import signing
from collab_server.domain.calendar import iso
from collab_server.storage.also import InTransaction


@dataclass(frozen=True, slots=True)
class Frozen:
    """One approved version of the minutes, or one issued notice."""

    meeting_id: int
    version: int
    number: str
    text: str
    sha256: bytes
    layout: dict[str, Any]
    by: int
    by_name: str
    at: datetime
    minutes_version: int | None = None
    deadline: date | None = None

    def to_json(self, *, text: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": self.version,
            "number": self.number,
            "sha256": self.sha256.hex(),
            "by": {"id": self.by, "full_name": self.by_name},
            "at": iso(self.at),
            "chars": len(self.text),
        }
        if self.minutes_version is not None:
            out["minutes_version"] = self.minutes_version
        if self.deadline is not None:
            out["deadline"] = self.deadline.isoformat()
        if text:
            out["text"] = self.text
        return out


@dataclass(frozen=True, slots=True)
class BodyInfo:
    id: int
    code: str
    name: str
    place: str
    retention_years: int | None


def _frozen(r: asyncpg.Record) -> Frozen:
    return Frozen(
        meeting_id=r["meeting_id"], version=r["version"], number=r["number"], text=r["text"],
        sha256=bytes(r["sha256"]), layout=r["layout"], by=r["by_id"], by_name=r["by_name"],
        at=r["at"], minutes_version=r.get("minutes_version"), deadline=r.get("deadline"),
    )


_MINUTES_SELECT = (
    "SELECT v.meeting_id, v.version, v.number, v.text, v.sha256, v.layout,"
    " v.approved_by AS by_id, u.full_name AS by_name, v.approved_at AS at"
    " FROM minutes_versions v JOIN users u ON u.id = v.approved_by"
)
_NOTICE_SELECT = (
    "SELECT n.meeting_id, n.version, n.number, n.text, n.sha256, n.layout,"
    " n.issued_by AS by_id, u.full_name AS by_name, n.issued_at AS at, n.minutes_version,"
    " n.deadline FROM conclusion_notices n JOIN users u ON u.id = n.issued_by"
)


class PgMinutes:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # -- the record ---------------------------------------------------------------------

    async def record(self, meeting_id: int) -> m.MinutesRecord | None:
        """Everything the draft is written from, read in one snapshot."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                                  readonly=True):
            meeting = await conn.fetchrow(
                "SELECT m.id, m.title, m.starts_at, m.opened_at, b.name AS body, b.place,"
                " b.signing_authority, b.head_title, coalesce(r.name, '') AS room"
                " FROM meetings m JOIN bodies b ON b.id = m.body_id"
                " LEFT JOIN rooms r ON r.id = m.room_id WHERE m.id = $1", meeting_id)
            if meeting is None:
                return None
            people = await conn.fetch(
                "SELECT p.user_id, u.full_name, u.title, u.unit, p.role, p.stands_in_for,"
                " p.response, p.response_reason, p.deputy_user_id, p.deputy_status"
                " FROM meeting_participants p JOIN users u ON u.id = p.user_id"
                " WHERE p.meeting_id = $1 ORDER BY CASE p.role WHEN 'chair' THEN 0"
                " WHEN 'secretary' THEN 1 WHEN 'delegate' THEN 2 WHEN 'guest' THEN 3 ELSE 4 END,"
                " u.full_name, p.user_id", meeting_id)
            presence = await conn.fetch(
                "SELECT user_id, present, reason FROM attendance WHERE meeting_id = $1",
                meeting_id)
            items = await conn.fetch(
                "SELECT a.id, a.position, a.title, coalesce(nullif(a.presenter, ''),"
                " pu.full_name, '') AS presenter, a.started_at, a.ended_at FROM agenda_items a"
                " LEFT JOIN users pu ON pu.id = a.presenter_user_id"
                " WHERE a.meeting_id = $1 ORDER BY a.position", meeting_id)
            speeches = await conn.fetch(
                "SELECT s.user_id, u.full_name, s.kind, s.item_id, s.started_at, s.ended_at"
                " FROM speeches s JOIN users u ON u.id = s.user_id WHERE s.meeting_id = $1"
                " ORDER BY s.started_at, s.id", meeting_id)
            polls = [await _poll(conn, r) for r in await conn.fetch(
                f"{_POLL_COLUMNS} WHERE meeting_id = $1 ORDER BY id", meeting_id)]
            events = await conn.fetch(
                "SELECT at, kind, data FROM meeting_events WHERE meeting_id = $1"
                " AND kind LIKE 'session.%' ORDER BY id", meeting_id)
            closed = await _ended_at(conn, meeting_id)
        return m.MinutesRecord(
            meeting_id=meeting["id"], title=meeting["title"], body=meeting["body"],
            place=signing.place_of(meeting["place"], meeting["body"]), room=meeting["room"],
            signing_authority=meeting["signing_authority"], head_title=meeting["head_title"],
            starts_at=meeting["starts_at"],
            opened_at=meeting["opened_at"], closed_at=closed,
            people=tuple(m.Person(
                r["user_id"], r["full_name"], r["title"], r["unit"], r["role"],
                r["stands_in_for"], r["response"], r["response_reason"], r["deputy_user_id"],
                r["deputy_status"]) for r in people),
            presence=tuple(m.Presence(r["user_id"], r["present"], r["reason"])
                           for r in presence),
            items=tuple(m.Item(r["id"], r["position"], r["title"], r["presenter"],
                               r["started_at"], r["ended_at"]) for r in items),
            speeches=tuple(m.Speech(r["user_id"], r["full_name"], r["kind"], r["item_id"],
                                    r["started_at"], r["ended_at"]) for r in speeches),
            polls=tuple(polls),
            events=tuple(m.Event(r["at"], r["kind"], r["data"] or {}) for r in events),
        )

    async def ended_at(self, meeting_id: int) -> datetime | None:
        async with self.pool.acquire() as conn:
            return await _ended_at(conn, meeting_id)

    async def body(self, body_id: int) -> BodyInfo:
        async with self.pool.acquire() as conn:
            r = await conn.fetchrow(
                "SELECT id, code, name, place, retention_years FROM bodies WHERE id = $1",
                body_id)
        return BodyInfo(r["id"], r["code"], r["name"], r["place"], r["retention_years"])

    async def poll(self, poll_id: int) -> tuple[int, m.Poll] | None:
        """A poll with its meeting; named ballots only for a closed named poll."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(f"{_POLL_COLUMNS} WHERE id = $1", poll_id)
            if row is None:
                return None
            return int(row["meeting_id"]), await _poll(conn, row)

    # -- frozen texts ---------------------------------------------------------------------

    async def versions(self, meeting_id: int) -> list[Frozen]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"{_MINUTES_SELECT} WHERE v.meeting_id = $1 ORDER BY v.version", meeting_id)
        return [_frozen(r) for r in rows]

    async def version(self, meeting_id: int, version: int | None = None) -> Frozen | None:
        """One version, or the latest when `version` is None."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"{_MINUTES_SELECT} WHERE v.meeting_id = $1 AND ($2::int IS NULL"
                " OR v.version = $2) ORDER BY v.version DESC LIMIT 1", meeting_id, version)
        return _frozen(row) if row is not None else None

    async def approve(self, meeting_id: int, text: str, number: str, layout: dict[str, Any],
                      by: int, ip: str = "") -> tuple[Frozen, bool]:
        """Store a new version, numbered after the last; (version, created).
        The same text and number as the latest version store nothing. The
        audit entry that vouches for the version's hash (`audit verify`) is
        written in the same transaction: never a version without it."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT id FROM meetings WHERE id = $1 FOR UPDATE", meeting_id)
            latest = await conn.fetchrow(
                f"{_MINUTES_SELECT} WHERE v.meeting_id = $1 ORDER BY v.version DESC LIMIT 1",
                meeting_id)
            if latest is not None and latest["text"] == text and latest["number"] == number:
                return _frozen(latest), False
            version = (latest["version"] if latest is not None else 0) + 1
            await conn.execute(
                "INSERT INTO minutes_versions (meeting_id, version, number, text, sha256, layout,"
                " approved_by, text_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                meeting_id, version, number, text, _digest(text), layout, by, fold(text))
            row = await conn.fetchrow(
                f"{_MINUTES_SELECT} WHERE v.meeting_id = $1 AND v.version = $2",
                meeting_id, version)
            await _event(conn, meeting_id, by, "minutes.approve", _approval(row), ip)
        return _frozen(row), True

    async def notice(self, meeting_id: int, version: int | None = None) -> Frozen | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"{_NOTICE_SELECT} WHERE n.meeting_id = $1 AND ($2::int IS NULL"
                " OR n.version = $2) ORDER BY n.version DESC LIMIT 1", meeting_id, version)
        return _frozen(row) if row is not None else None

    async def issue(self, meeting_id: int, text: str, number: str, layout: dict[str, Any],
                    minutes_version: int, deadline: date, by: int,
                    ip: str = "") -> tuple[Frozen, bool]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT id FROM meetings WHERE id = $1 FOR UPDATE", meeting_id)
            latest = await conn.fetchrow(
                f"{_NOTICE_SELECT} WHERE n.meeting_id = $1 ORDER BY n.version DESC LIMIT 1",
                meeting_id)
            if latest is not None and latest["text"] == text and latest["number"] == number:
                return _frozen(latest), False
            version = (latest["version"] if latest is not None else 0) + 1
            await conn.execute(
                "INSERT INTO conclusion_notices (meeting_id, version, number, text, sha256,"
                " layout, minutes_version, deadline, issued_by, text_folded)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                meeting_id, version, number, text, _digest(text), layout, minutes_version,
                deadline, by, fold(text))
            row = await conn.fetchrow(
                f"{_NOTICE_SELECT} WHERE n.meeting_id = $1 AND n.version = $2",
                meeting_id, version)
            await _event(conn, meeting_id, by, "conclusion.issue", _approval(row), ip)
        return _frozen(row), True

    # -- reuse ------------------------------------------------------------------------------

    async def copy_meeting(self, source: int, creator: int, title: str,
                           starts_at: datetime) -> int:
        """A new draft meeting with the source's settings, agenda and people
        (roles only: no answers, no deputies). The creator takes part as
        secretary unless they already had a role."""
        async with self.pool.acquire() as conn, conn.transaction():
            meeting_id: int = await conn.fetchval(
                "INSERT INTO meetings (body_id, room_id, title, title_folded, kind, starts_at,"
                " ends_at, confidentiality, created_by, quorum_rule, speech_limit_s, allow_proxy)"
                " SELECT body_id, room_id, $2, $3, kind, $4::timestamptz,"
                " CASE WHEN ends_at IS NULL THEN NULL"
                " ELSE $4::timestamptz + (ends_at - starts_at) END,"
                " confidentiality, $5, quorum_rule, speech_limit_s, allow_proxy"
                " FROM meetings WHERE id = $1 RETURNING id",
                source, title, fold(title), starts_at, creator)
            await conn.execute(
                "INSERT INTO meeting_participants (meeting_id, user_id, role)"
                " SELECT $2, p.user_id, p.role FROM meeting_participants p"
                " JOIN users u ON u.id = p.user_id"
                " WHERE p.meeting_id = $1 AND p.stands_in_for IS NULL AND u.is_active",
                source, meeting_id)
            await conn.execute(
                "INSERT INTO meeting_participants (meeting_id, user_id, role, response)"
                " VALUES ($1, $2, 'secretary', 'attend') ON CONFLICT DO NOTHING",
                meeting_id, creator)
            await conn.execute(
                "INSERT INTO agenda_items (meeting_id, position, title, title_folded, presenter,"
                " presenter_user_id, duration_min, speech_limit_s)"
                " SELECT $2, a.position, a.title, a.title_folded, a.presenter,"
                " (SELECT p.user_id FROM meeting_participants p WHERE p.meeting_id = $2"
                "   AND p.user_id = a.presenter_user_id),"
                " a.duration_min, a.speech_limit_s FROM agenda_items a WHERE a.meeting_id = $1",
                source, meeting_id)
            await _event(conn, meeting_id, creator, "meeting.copy", {"from": source})
        return meeting_id

    async def attach(self, document_id: int, meeting_id: int, item_id: int | None,
                     by: int, *, also: Callable[[int], InTransaction] | None = None) -> int:
        """The document again in another meeting: the same stored files (they
        are addressed by content) and a copy of its page text."""
        async with self.pool.acquire() as conn, conn.transaction():
            new_id: int = await conn.fetchval(
                "INSERT INTO documents (meeting_id, title, title_folded, page_count, pdf_sha256,"
                " original_sha256, original_name, original_type, confidentiality, secrecy,"
                " allow_download, agenda_item_id, uploaded_by)"
                " SELECT $2, title, title_folded, page_count, pdf_sha256, original_sha256,"
                " original_name, original_type, confidentiality, secrecy, allow_download, $3, $4"
                " FROM documents WHERE id = $1 RETURNING id",
                document_id, meeting_id, item_id, by)
            await conn.execute(
                "INSERT INTO document_pages (document_id, page_no, width_pt, height_pt, text,"
                " text_folded) SELECT $2, page_no, width_pt, height_pt, text, text_folded"
                " FROM document_pages WHERE document_id = $1", document_id, new_id)
            if also is not None:
                await also(new_id)(conn)
        return new_id

    # -- export ---------------------------------------------------------------------------------

    async def events(self, meeting_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT e.id, e.at, e.actor_id, u.full_name, e.kind, e.data"
                " FROM meeting_events e LEFT JOIN users u ON u.id = e.actor_id"
                " WHERE e.meeting_id = $1 ORDER BY e.id", meeting_id)
        return [{"id": r["id"], "at": iso(r["at"]), "actor_id": r["actor_id"],
                 "actor": r["full_name"], "kind": r["kind"], "data": r["data"]} for r in rows]

    async def file_chunks(self, digest: bytes) -> AsyncIterator[bytes]:
        """A stored file chunk by chunk (1 MiB each), never whole in memory."""
        async with self.pool.acquire() as conn, conn.transaction():
            async for row in conn.cursor(
                    "SELECT data FROM file_chunks WHERE sha256 = $1 ORDER BY seq", digest,
                    prefetch=2):
                yield bytes(row["data"])


_POLL_COLUMNS = (
    "SELECT id, meeting_id, item_id, question, options, kind, rule, status, result FROM polls"
)


async def _poll(conn: asyncpg.Connection, row: asyncpg.Record) -> m.Poll:
    named: tuple[m.Ballot, ...] = ()
    if row["kind"] == "named" and row["status"] == "closed":
        ballots = await conn.fetch(
            "SELECT u.full_name, b.choice, CASE WHEN b.cast_by <> b.member_id"
            " THEN c.full_name END AS cast_by FROM poll_ballots b"
            " JOIN users u ON u.id = b.member_id JOIN users c ON c.id = b.cast_by"
            " WHERE b.poll_id = $1 ORDER BY u.full_name, b.member_id", row["id"])
        named = tuple(m.Ballot(b["full_name"], b["choice"], b["cast_by"]) for b in ballots)
    return m.Poll(row["id"], row["item_id"], row["question"], tuple(row["options"]),
                  row["kind"], row["rule"], row["status"],
                  row["result"] if row["status"] == "closed" else None, named)


async def _ended_at(conn: asyncpg.Connection, meeting_id: int) -> datetime | None:
    """When the session closed; for a meeting ended over HTTP, the transition."""
    ended: datetime | None = await conn.fetchval(
        "SELECT coalesce(m.closed_at, (SELECT min(t.at) FROM meeting_transitions t"
        " WHERE t.meeting_id = m.id AND t.to_status = 'ended'))"
        " FROM meetings m WHERE m.id = $1", meeting_id)
    return ended


async def _event(conn: asyncpg.Connection, meeting_id: int, actor: int, kind: str,
                 data: dict[str, Any], audit_ip: str | None = None) -> None:
    """The meeting's event, and with `audit_ip` its audit entry too."""
    await conn.execute(
        "INSERT INTO meeting_events (meeting_id, actor_id, kind, data) VALUES ($1, $2, $3, $4)",
        meeting_id, actor, kind, data)
    if audit_ip is None:
        return
    await conn.execute(
        "INSERT INTO audit_log (actor_id, action, target, ip, details) VALUES ($1, $2, $3, $4, $5)",
        actor, kind, f"meeting:{meeting_id}", audit_ip, data)


def record_digest(row: asyncpg.Record) -> bytes:
    """SHA-256 of everything an official PDF prints besides the text: the
    number, the layout (issuing body, place and date, signers, recipients),
    who approved or issued it and when, and for a notice its minutes version
    and deadline. The approval entry records it beside the text's hash."""
    fields: dict[str, Any] = {
        "number": row["number"], "layout": row["layout"], "by": row["by_id"],
        "at": row["at"].astimezone(UTC).isoformat(timespec="microseconds"),
    }
    if "deadline" in row.keys():
        fields |= {"minutes_version": row["minutes_version"],
                   "deadline": row["deadline"].isoformat()}
    return hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).digest()


def _approval(row: asyncpg.Record) -> dict[str, Any]:
    return {"version": row["version"], "sha256": bytes(row["sha256"]).hex(),
            "record": record_digest(row).hex()}


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


async def frozen_digests(
        conn: asyncpg.Connection
) -> AsyncIterator[tuple[str, int, int, bytes, bytes, bytes]]:
    """Every approved minutes version and issued notice as (kind, meeting,
    version, stored SHA-256, SHA-256 of its text now, `record_digest` now),
    for `audit verify` to hold against the approval entries of the chain: the
    stored hash and its CHECK are in the database, where the table's owner
    can change both. Runs inside the caller's transaction (a cursor)."""
    for kind, select in (("minutes", _MINUTES_SELECT), ("notice", _NOTICE_SELECT)):
        async for r in conn.cursor(f"{select} ORDER BY 1, 2"):
            yield (kind, r["meeting_id"], r["version"], bytes(r["sha256"]), _digest(r["text"]),
                   record_digest(r))


