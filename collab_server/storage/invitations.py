"""Invitation letters as sent (schema/017), and the facts they are written from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from collab_server.documents.text import terms
from collab_server.domain.calendar import iso
from collab_server.domain.invitation import InvitationFacts, Invitee


@dataclass(frozen=True, slots=True)
class Issued:
    version: int
    sha256: str
    notice_days: int
    by_name: str
    at: datetime

    def to_json(self, meeting_id: int) -> dict[str, Any]:
        return {"version": self.version, "sha256": self.sha256, "notice_days": self.notice_days,
                "issued_by": self.by_name, "issued_at": iso(self.at),
                "pdf": f"/api/meetings/{meeting_id}/invitation.pdf"}


_ISSUED = ("SELECT i.version, i.sha256, i.notice_days, u.full_name AS by_name, i.issued_at"
           " FROM meeting_invitations i JOIN users u ON u.id = i.issued_by")


def _issued(r: asyncpg.Record) -> Issued:
    return Issued(r["version"], bytes(r["sha256"]).hex(), r["notice_days"], r["by_name"],
                  r["issued_at"])


class PgInvitations:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def facts(self, meeting_id: int) -> InvitationFacts | None:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                                  readonly=True):
            row = await conn.fetchrow(
                "SELECT m.title, m.starts_at, m.ends_at, coalesce(r.name, '') AS room,"
                " b.name AS body, b.place, b.short_name, b.signing_authority, b.head_title"
                " FROM meetings m JOIN bodies b ON b.id = m.body_id"
                " LEFT JOIN rooms r ON r.id = m.room_id WHERE m.id = $1", meeting_id)
            if row is None:
                return None
            people = await conn.fetch(
                "SELECT u.full_name, u.title, u.unit, p.role, p.user_id"
                " FROM meeting_participants p"
                " JOIN users u ON u.id = p.user_id WHERE p.meeting_id = $1"
                " ORDER BY CASE p.role WHEN 'chair' THEN 0 WHEN 'delegate' THEN 1"
                " WHEN 'guest' THEN 2 ELSE 3 END, u.full_name, p.user_id", meeting_id)
            agenda = await conn.fetch(
                "SELECT title FROM agenda_items WHERE meeting_id = $1 ORDER BY position",
                meeting_id)
        return InvitationFacts(
            title=row["title"], starts_at=row["starts_at"], ends_at=row["ends_at"],
            room=row["room"], body=row["body"], place=row["place"],
            short_name=row["short_name"], signing_authority=row["signing_authority"],
            head_title=row["head_title"],
            people=tuple(Invitee(p["full_name"], p["title"], p["unit"], p["role"],
                                 p["user_id"]) for p in people),
            agenda=tuple(a["title"] for a in agenda))

    async def issue(self, meeting_id: int, pdf: bytes, notice_days: int, by: int) -> Issued:
        """The next version; versions are numbered under a lock on the meeting."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM meetings WHERE id = $1 FOR UPDATE", meeting_id)
            version = await conn.fetchval(
                "INSERT INTO meeting_invitations (meeting_id, version, pdf, sha256, notice_days,"
                " issued_by) SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5"
                " FROM meeting_invitations WHERE meeting_id = $1 RETURNING version",
                meeting_id, pdf, hashlib.sha256(pdf).digest(), notice_days, by)
            row = await conn.fetchrow(
                f"{_ISSUED} WHERE i.meeting_id = $1 AND i.version = $2", meeting_id, version)
        return _issued(row)

    async def latest(self, meeting_id: int) -> Issued | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"{_ISSUED} WHERE i.meeting_id = $1 ORDER BY i.version DESC LIMIT 1",
                meeting_id)
        return _issued(row) if row is not None else None

    async def pdf(self, meeting_id: int, version: int | None = None
                  ) -> tuple[Issued, bytes] | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"{_ISSUED.replace('SELECT ', 'SELECT i.pdf, ', 1)} WHERE i.meeting_id = $1"
                " AND ($2::int IS NULL OR i.version = $2) ORDER BY i.version DESC LIMIT 1",
                meeting_id, version)
        return (_issued(row), bytes(row["pdf"])) if row is not None else None

    async def deputy_candidates(self, meeting_id: int, body_id: int, caller: int,
                                query: str = "", limit: int = 500) -> list[dict[str, Any]]:
        """Active people of the meeting's body who take no part in it yet: whom
        an invitee may send. Never an account that is not a person at a
        meeting: a display account (it belongs to a room) or an admin account
        (it runs the system). `query`: every word in the name, title or unit,
        with or without diacritics (schema/019_people_search.sql)."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT u.id, u.full_name, u.title, u.unit FROM users u"
                " WHERE u.body_id = $2 AND u.is_active AND u.room_id IS NULL AND u.id <> $3"
                " AND NOT u.is_admin AND NOT u.is_site_admin"
                " AND NOT EXISTS (SELECT 1 FROM meeting_participants p"
                "   WHERE p.meeting_id = $1 AND p.user_id = u.id)"
                " AND (SELECT bool_and(strpos(fold_text(u.full_name || ' '"
                "      || coalesce(u.title, '') || ' ' || coalesce(u.unit, '')), word) > 0)"
                "      FROM unnest($4::text[]) AS word) IS NOT FALSE"
                " ORDER BY u.full_name, u.id LIMIT $5", meeting_id, body_id, caller,
                terms(query), limit)
        return [{"user_id": r["id"], "full_name": r["full_name"], "title": r["title"],
                 "unit": r["unit"]} for r in rows]
