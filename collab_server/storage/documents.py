"""Documents of a meeting: metadata, page text, who opened them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from collab_server.documents.text import fold
from collab_server.domain.calendar import iso
from collab_server.storage import files
from collab_server.storage.also import InTransaction

DOCUMENT_FIELDS = ("title", "confidentiality", "secrecy", "allow_download", "agenda_item_id")


@dataclass(frozen=True, slots=True)
class NewDocument:
    meeting_id: int
    title: str
    original_name: str
    original_type: str
    original: bytes
    pdf: bytes
    pages: list[tuple[float, float, str]]  # width, height (pt), text
    confidentiality: str
    secrecy: str
    allow_download: bool
    agenda_item_id: int | None
    uploaded_by: int
    # What pades.verify said of the original, when it carried signatures.
    signatures: list[dict[str, Any]] | None = None
    serve_original: bool = False


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    meeting_id: int
    title: str
    page_count: int
    pdf_sha256: bytes | None
    original_sha256: bytes | None
    original_name: str
    original_type: str
    confidentiality: str
    secrecy: str
    allow_download: bool
    agenda_item_id: int | None
    created_at: str
    signatures: list[dict[str, Any]] | None = None
    signatures_checked_at: str | None = None
    serve_original: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "meeting_id": self.meeting_id,
            "title": self.title,
            "page_count": self.page_count,
            "original_name": self.original_name,
            "original_type": self.original_type,
            "confidentiality": self.confidentiality,
            "secrecy": self.secrecy,
            "allow_download": self.allow_download,
            "agenda_item_id": self.agenda_item_id,
            "created_at": self.created_at,
            "signatures": self.signatures or [],
            "signatures_checked_at": self.signatures_checked_at,
            "serve_original": self.serve_original,
        }


_COLUMNS = (
    "id, meeting_id, title, page_count, pdf_sha256, original_sha256, original_name,"
    " original_type, confidentiality, secrecy, allow_download, agenda_item_id, created_at,"
    " signatures, signatures_checked_at, serve_original"
)


def _document(r: asyncpg.Record) -> DocumentRow:
    return DocumentRow(
        id=r["id"],
        meeting_id=r["meeting_id"],
        title=r["title"],
        page_count=r["page_count"],
        pdf_sha256=bytes(r["pdf_sha256"]) if r["pdf_sha256"] is not None else None,
        original_sha256=bytes(r["original_sha256"]) if r["original_sha256"] is not None else None,
        original_name=r["original_name"],
        original_type=r["original_type"],
        confidentiality=r["confidentiality"],
        secrecy=r["secrecy"],
        allow_download=r["allow_download"],
        agenda_item_id=r["agenda_item_id"],
        created_at=iso(r["created_at"]),
        signatures=r["signatures"],
        serve_original=r["serve_original"],
        signatures_checked_at=(iso(r["signatures_checked_at"])
                               if r["signatures_checked_at"] is not None else None),
    )


class PgDocuments:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add(self, new: NewDocument, *,
                  also: Callable[[int], InTransaction] | None = None) -> int:
        """Files, document and page text in one transaction: all or nothing."""
        async with self.pool.acquire() as conn, conn.transaction():
            original = await files.put(conn, new.original)
            pdf = original if new.pdf is new.original else await files.put(conn, new.pdf)
            document_id: int = await conn.fetchval(
                "INSERT INTO documents (meeting_id, title, title_folded, page_count, pdf_sha256,"
                " original_sha256, original_name, original_type, confidentiality, secrecy,"
                " allow_download, agenda_item_id, uploaded_by, signatures, signatures_checked_at,"
                " serve_original)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,"
                " CASE WHEN $14::jsonb IS NULL THEN NULL ELSE now() END, $15) RETURNING id",
                new.meeting_id,
                new.title,
                fold(new.title),
                len(new.pages),
                pdf,
                original,
                new.original_name,
                new.original_type,
                new.confidentiality,
                new.secrecy,
                new.allow_download,
                new.agenda_item_id,
                new.uploaded_by,
                new.signatures or None,
                new.serve_original,
            )
            await conn.copy_records_to_table(
                "document_pages",
                records=[
                    (document_id, i, w, h, text, fold(text))
                    for i, (w, h, text) in enumerate(new.pages, start=1)
                ],
                columns=["document_id", "page_no", "width_pt", "height_pt", "text", "text_folded"],
            )
            if also is not None:
                await also(document_id)(conn)
        return document_id

    async def get(self, document_id: int) -> DocumentRow | None:
        async with self.pool.acquire() as conn:
            r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM documents WHERE id = $1", document_id)
        return _document(r) if r is not None else None

    async def of_meeting(self, meeting_id: int) -> list[DocumentRow]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM documents WHERE meeting_id = $1 ORDER BY id", meeting_id
            )
        return [_document(r) for r in rows]

    async def update(self, document_id: int, fields: dict[str, Any]) -> None:
        names = [n for n in DOCUMENT_FIELDS if n in fields]
        if not names:
            return
        sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
        values = [fields[n] for n in names]
        if "title" in fields:
            sets += f", title_folded = ${len(names) + 2}"
            values.append(fold(fields["title"]))
        async with self.pool.acquire() as conn:
            await conn.execute(f"UPDATE documents SET {sets} WHERE id = $1", document_id, *values)

    async def remove(self, document_id: int) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute("DELETE FROM documents WHERE id = $1", document_id)

    async def page_text(self, document_id: int, page_no: int) -> str | None:
        async with self.pool.acquire() as conn:
            text: str | None = await conn.fetchval(
                "SELECT text FROM document_pages WHERE document_id = $1 AND page_no = $2",
                document_id,
                page_no,
            )
        return text

    async def opened(self, document_id: int, user_id: int) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO document_opens (document_id, user_id, page_views) VALUES ($1, $2, 1)"
                " ON CONFLICT (document_id, user_id) DO UPDATE SET last_at = now(),"
                " page_views = document_opens.page_views + 1",
                document_id,
                user_id,
            )

    async def opens(self, document_id: int) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT o.user_id, u.full_name, u.unit, o.first_at, o.last_at, o.page_views"
                " FROM document_opens o JOIN users u ON u.id = o.user_id"
                " WHERE o.document_id = $1 ORDER BY o.first_at",
                document_id,
            )
        return [
            {"user_id": r["user_id"], "full_name": r["full_name"], "unit": r["unit"],
             "first_at": iso(r["first_at"]), "last_at": iso(r["last_at"]),
             "page_views": r["page_views"]}
            for r in rows
        ]
