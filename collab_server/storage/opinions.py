"""Written opinions in PostgreSQL: requests, questions, members asked,
answers, documents and the issued summary (schema/025_opinions.sql).

Every change that matters writes its audit entry in the same transaction as
the change: never an answer or an issued summary without its entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from collab_server.documents.text import fold
from collab_server.domain import opinions as o
from collab_server.domain.calendar import iso
from collab_server.storage import files
from collab_server.storage.also import InTransaction


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    body_id: int
    body_name: str
    body_place: str
    title: str
    description: str
    status: str
    confidentiality: str
    chair_id: int | None
    created_by: int
    created_at: datetime
    sent_at: datetime | None
    working_days: int | None
    deadline_day: date | None
    closes_at: datetime | None
    summary_text: str
    summary_number: str
    summary_sha256: bytes | None
    summary_pdf: bytes | None
    issued_by: int | None
    issued_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "description": self.description,
            "status": self.status, "confidentiality": self.confidentiality,
            "chair_id": self.chair_id, "created_by": self.created_by,
            "created_at": iso(self.created_at),
            "sent_at": iso(self.sent_at) if self.sent_at else None,
            "working_days": self.working_days,
            "deadline": self.deadline_day.isoformat() if self.deadline_day else None,
            "closes_at": iso(self.closes_at) if self.closes_at else None,
            "issued_at": iso(self.issued_at) if self.issued_at else None,
            "body": self.body_name,
        }


@dataclass(frozen=True, slots=True)
class NewDocument:
    title: str
    original_name: str
    original_type: str
    original: bytes
    pdf: bytes
    pages: list[tuple[float, float, str]]
    confidentiality: str


@dataclass(frozen=True, slots=True)
class Document:
    id: int
    request_id: int
    title: str
    page_count: int
    pdf_sha256: bytes
    confidentiality: str
    original_type: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "page_count": self.page_count,
                "confidentiality": self.confidentiality, "original_type": self.original_type}


_REQUEST = (
    "SELECT r.*, b.name AS body_name, b.place AS body_place FROM opinion_requests r"
    " JOIN bodies b ON b.id = r.body_id"
)


# Whether the caller ($1) is asked, and has answered.
_MINE = (
    "SELECT r.*, EXISTS (SELECT 1 FROM opinion_members m WHERE m.request_id = r.id"
    " AND m.user_id = $1) AS asked, EXISTS (SELECT 1 FROM opinion_answers a JOIN"
    " opinion_questions q ON q.id = a.question_id WHERE q.request_id = r.id"
    " AND a.user_id = $1) AS answered"
)


def _request(r: asyncpg.Record) -> Request:
    return Request(
        id=r["id"], body_id=r["body_id"], body_name=r["body_name"],
        body_place=r["body_place"] or "", title=r["title"], description=r["description"],
        status=r["status"], confidentiality=r["confidentiality"], chair_id=r["chair_id"],
        created_by=r["created_by"], created_at=r["created_at"], sent_at=r["sent_at"],
        working_days=r["working_days"], deadline_day=r["deadline_day"],
        closes_at=r["closes_at"], summary_text=r["summary_text"],
        summary_number=r["summary_number"],
        summary_sha256=bytes(r["summary_sha256"]) if r["summary_sha256"] else None,
        summary_pdf=bytes(r["summary_pdf"]) if r["summary_pdf"] else None,
        issued_by=r["issued_by"], issued_at=r["issued_at"])


async def _audit(conn: asyncpg.Connection, actor: int, action: str, target: str, ip: str,
                 details: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor_id, action, target, ip, details) VALUES ($1,$2,$3,$4,$5)",
        actor, action, target, ip, details)


class Closed(Exception):
    """The request takes no answers (or edits) now."""


class PgOpinions:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # -- requests ---------------------------------------------------------------------------

    async def create(self, body_id: int, title: str, description: str, confidentiality: str,
                     questions: list[str], members: list[int], chair_id: int | None,
                     by: int) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            request_id: int = await conn.fetchval(
                "INSERT INTO opinion_requests (body_id, title, title_folded, description,"
                " confidentiality, chair_id, created_by) VALUES ($1,$2,$3,$4,$5,$6,$7)"
                " RETURNING id", body_id, title, fold(title), description, confidentiality,
                chair_id, by)
            await self._set_questions(conn, request_id, questions)
            await self._set_members(conn, request_id, members)
        return request_id

    async def update(self, request_id: int, fields: dict[str, Any]) -> None:
        """Title, description, confidentiality, chair, questions, members: while a draft."""
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.fetchval(
                "SELECT status FROM opinion_requests WHERE id = $1 FOR UPDATE", request_id)
            if status != "draft":
                raise Closed()
            for name in ("title", "description", "confidentiality", "chair_id"):
                if name in fields:
                    await conn.execute(f"UPDATE opinion_requests SET {name} = $2 WHERE id = $1",
                                       request_id, fields[name])
            if "title" in fields:
                await conn.execute("UPDATE opinion_requests SET title_folded = $2 WHERE id = $1",
                                   request_id, fold(fields["title"]))
            if "questions" in fields:
                await conn.execute("DELETE FROM opinion_questions WHERE request_id = $1",
                                   request_id)
                await self._set_questions(conn, request_id, fields["questions"])
            if "members" in fields:
                await conn.execute("DELETE FROM opinion_members WHERE request_id = $1",
                                   request_id)
                await self._set_members(conn, request_id, fields["members"])

    async def _set_questions(self, conn: asyncpg.Connection, request_id: int,
                             questions: list[str]) -> None:
        await conn.executemany(
            "INSERT INTO opinion_questions (request_id, position, text, text_folded)"
            " VALUES ($1, $2, $3, $4)",
            [(request_id, n, q, fold(q)) for n, q in enumerate(questions, start=1)])

    async def _set_members(self, conn: asyncpg.Connection, request_id: int,
                           members: list[int]) -> None:
        await conn.executemany(
            "INSERT INTO opinion_members (request_id, user_id) VALUES ($1, $2)",
            [(request_id, m) for m in dict.fromkeys(members)])

    async def get(self, request_id: int) -> Request | None:
        row = await self.pool.fetchrow(f"{_REQUEST} WHERE r.id = $1", request_id)
        return _request(row) if row is not None else None

    async def visible_to(self, user_id: int, body_id: int,
                         office: bool) -> list[tuple[Request, bool | None]]:
        """The office sees every request of its body; a member those sent to them;
        the chair those they chair. With each, whether the caller has answered
        (None: not asked)."""
        rows = await self.pool.fetch(
            f"{_REQUEST.replace('SELECT r.*', _MINE)} WHERE r.body_id = $2 AND ($3 OR"
            " r.chair_id = $1 OR (r.status <> 'draft' AND EXISTS (SELECT 1 FROM"
            " opinion_members m WHERE m.request_id = r.id AND m.user_id = $1)))"
            " ORDER BY r.id DESC LIMIT 200", user_id, body_id, office)
        return [(_request(r), r["answered"] if r["asked"] else None) for r in rows]

    async def is_member(self, request_id: int, user_id: int) -> bool:
        return bool(await self.pool.fetchval(
            "SELECT 1 FROM opinion_members WHERE request_id = $1 AND user_id = $2",
            request_id, user_id))

    async def questions(self, request_id: int) -> list[tuple[int, str]]:
        rows = await self.pool.fetch(
            "SELECT id, text FROM opinion_questions WHERE request_id = $1 ORDER BY position",
            request_id)
        return [(r["id"], r["text"]) for r in rows]

    async def members(self, request_id: int) -> list[o.Member]:
        rows = await self.pool.fetch(
            "SELECT u.id, u.full_name, u.title FROM opinion_members m JOIN users u"
            " ON u.id = m.user_id WHERE m.request_id = $1 ORDER BY u.full_name, u.id",
            request_id)
        return [o.Member(r["id"], r["full_name"], r["title"]) for r in rows]

    async def answers(self, request_id: int, user_id: int | None = None
                      ) -> dict[tuple[int, int], tuple[o.Answer, datetime, int]]:
        """(question, member) -> (answer, when, times changed); one member's or all."""
        rows = await self.pool.fetch(
            "SELECT a.question_id, a.user_id, a.choice, a.comment, a.answered_at, a.changes"
            " FROM opinion_answers a JOIN opinion_questions q ON q.id = a.question_id"
            " WHERE q.request_id = $1 AND ($2::bigint IS NULL OR a.user_id = $2)",
            request_id, user_id)
        return {(r["question_id"], r["user_id"]): (o.Answer(r["choice"], r["comment"]),
                                                    r["answered_at"], r["changes"])
                for r in rows}

    async def body_users(self, body_id: int, ids: list[int]) -> set[int]:
        """Which of `ids` are active people of the body (not room displays)."""
        rows = await self.pool.fetch(
            "SELECT id FROM users WHERE body_id = $1 AND is_active AND room_id IS NULL"
            " AND id = ANY($2::bigint[])", body_id, ids)
        return {r["id"] for r in rows}

    # -- going out, answering -----------------------------------------------------------------

    async def send(self, request_id: int, working_days: int, deadline: date,
                   closes: datetime, by: int, ip: str, *,
                   also: InTransaction | None = None) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                "UPDATE opinion_requests SET status = 'open', sent_at = now(),"
                " working_days = $2, deadline_day = $3, closes_at = $4"
                " WHERE id = $1 AND status = 'draft' RETURNING 1",
                request_id, working_days, deadline, closes)
            if done:
                await _audit(conn, by, "opinion.send", f"opinion:{request_id}", ip,
                             {"working_days": working_days, "deadline": deadline.isoformat()})
                if also is not None:
                    await also(conn)
        return bool(done)

    async def answer(self, request_id: int, user_id: int,
                     answers: dict[int, o.Answer], ip: str, *,
                     also: InTransaction | None = None) -> bool:
        """Store the member's answers to every question, in one transaction, only
        while the request is open and before it closes (checked by the database's
        clock under the request's row lock, so an issue cannot slip in between).
        Whether anything was already answered before."""
        async with self.pool.acquire() as conn, conn.transaction():
            still_open = await conn.fetchval(
                "SELECT 1 FROM opinion_requests WHERE id = $1 AND status = 'open'"
                " AND clock_timestamp() < closes_at FOR SHARE", request_id)
            if not still_open:
                raise Closed()
            before = await conn.fetchval(
                "SELECT count(*) FROM opinion_answers a JOIN opinion_questions q"
                " ON q.id = a.question_id WHERE q.request_id = $1 AND a.user_id = $2",
                request_id, user_id)
            await conn.executemany(
                "INSERT INTO opinion_answers (question_id, user_id, choice, comment)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (question_id, user_id) DO UPDATE"
                " SET choice = EXCLUDED.choice, comment = EXCLUDED.comment,"
                " answered_at = clock_timestamp(), changes = opinion_answers.changes + 1",
                [(q, user_id, a.choice, a.comment) for q, a in answers.items()])
            # The audit entry keeps the choices, not the comments' text.
            await _audit(conn, user_id, "opinion.change" if before else "opinion.answer",
                         f"opinion:{request_id}", ip,
                         {"choices": {str(q): a.choice for q, a in answers.items()}})
            if also is not None:
                await also(conn)
        return bool(before)

    # -- the summary ------------------------------------------------------------------------

    async def save_summary(self, request_id: int, text: str, number: str) -> None:
        async with self.pool.acquire() as conn:
            done = await conn.fetchval(
                "UPDATE opinion_requests SET summary_text = $2, summary_number = $3"
                " WHERE id = $1 AND status = 'open' RETURNING 1", request_id, text, number)
        if not done:
            raise Closed()

    async def issue(self, request_id: int, text: str, number: str, layout: dict[str, Any],
                    pdf: bytes, by: int, ip: str, *,
                    also: InTransaction | None = None) -> None:
        """Freeze the summary and its PDF; from now on no answer changes."""
        digest = hashlib.sha256(text.encode()).digest()
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.fetchval(
                "SELECT status FROM opinion_requests WHERE id = $1 FOR UPDATE", request_id)
            if status != "open":
                raise Closed()
            pdf_sha = await files.put(conn, pdf)
            await conn.execute(
                "UPDATE opinion_requests SET status = 'issued', summary_text = $2,"
                " summary_number = $3, summary_layout = $4, summary_sha256 = $5,"
                " summary_pdf = $6, summary_folded = $7, issued_by = $8,"
                " issued_at = clock_timestamp() WHERE id = $1",
                request_id, text, number, layout, digest, pdf_sha, fold(text), by)
            await _audit(conn, by, "opinion.issue", f"opinion:{request_id}", ip,
                         {"sha256": digest.hex(), "pdf_sha256": pdf_sha.hex()})
            if also is not None:
                await also(conn)

    # -- documents --------------------------------------------------------------------------

    async def add_document(self, request_id: int, new: NewDocument, by: int) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            original = await files.put(conn, new.original)
            pdf = original if new.pdf is new.original else await files.put(conn, new.pdf)
            document_id: int = await conn.fetchval(
                "INSERT INTO opinion_documents (request_id, title, page_count, pdf_sha256,"
                " original_sha256, original_name, original_type, confidentiality, uploaded_by)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
                request_id, new.title, len(new.pages), pdf, original, new.original_name,
                new.original_type, new.confidentiality, by)
            await conn.executemany(
                "INSERT INTO opinion_document_pages (document_id, page_no, width_pt,"
                " height_pt, text) VALUES ($1, $2, $3, $4, $5)",
                [(document_id, i, w, h, text) for i, (w, h, text) in
                 enumerate(new.pages, start=1)])
        return document_id

    async def remove_document(self, request_id: int, document_id: int) -> bool:
        """While the request is a draft; whether a document was removed."""
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.fetchval(
                "SELECT status FROM opinion_requests WHERE id = $1 FOR UPDATE", request_id)
            if status != "draft":
                raise Closed()
            removed = await conn.fetchval(
                "DELETE FROM opinion_documents WHERE id = $1 AND request_id = $2 RETURNING 1",
                document_id, request_id)
        return bool(removed)

    async def documents(self, request_id: int) -> list[Document]:
        rows = await self.pool.fetch(
            "SELECT id, request_id, title, page_count, pdf_sha256, confidentiality,"
            " original_type FROM opinion_documents WHERE request_id = $1 ORDER BY id",
            request_id)
        return [Document(r["id"], r["request_id"], r["title"], r["page_count"],
                         bytes(r["pdf_sha256"]), r["confidentiality"], r["original_type"])
                for r in rows]

    # -- search -----------------------------------------------------------------------------

    async def search(self, user_id: int, query: str, limit: int) -> list[dict[str, Any]]:
        """Requests the caller may see whose title, questions or issued summary
        match (a `to_tsquery` of folded words, see storage/search.py). The
        summary's text only once it is issued: before, it is the office's draft."""
        rows = await self.pool.fetch(
            """
            WITH me AS (SELECT id, body_id, (can_prepare OR is_admin) AS office FROM users
                        WHERE id = $1 AND room_id IS NULL),
                 q AS (SELECT to_tsquery('simple', $2) AS q)
            SELECT r.id AS opinion_id, r.title,
                   CASE WHEN r.status = 'issued' THEN r.summary_text ELSE r.title END AS text,
                   ts_rank(to_tsvector('simple', r.title_folded || ' ' || CASE WHEN
                     r.status = 'issued' THEN r.summary_folded ELSE '' END), q.q) AS rank
              FROM opinion_requests r, me, q
             WHERE r.body_id = me.body_id
               AND (me.office OR r.chair_id = me.id OR (r.status <> 'draft' AND EXISTS
                    (SELECT 1 FROM opinion_members m WHERE m.request_id = r.id
                      AND m.user_id = me.id)))
               AND (to_tsvector('simple', r.title_folded || ' ' || CASE WHEN
                     r.status = 'issued' THEN r.summary_folded ELSE '' END) @@ q.q
                    OR EXISTS (SELECT 1 FROM opinion_questions x WHERE x.request_id = r.id
                      AND to_tsvector('simple', x.text_folded) @@ q.q))
             ORDER BY rank DESC, r.id DESC LIMIT $3
            """, user_id, query, limit)
        return [dict(r) for r in rows]
