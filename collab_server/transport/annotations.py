"""A person's own annotated copy of a document: their notes drawn into the PDF."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from collab_server.documents.annotate import export_notes
from collab_server.domain.calendar import LOCAL_TZ
from collab_server.domain.roles import MAY_TAKE_NOTES
from collab_server.errors import Forbidden, NotFound
from collab_server.live.hub import Hub
from collab_server.live.names import DocKey, DocKind
from collab_server.storage import files
from collab_server.transport.documents import document_for, watermark_lines
from collab_server.transport.http import record

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


async def _notes_updates(hub: Hub, key: DocKey) -> list[bytes]:
    """The notes as this process knows them: the live replica when it is
    loaded (it holds what is not stored yet), otherwise storage."""
    live = hub.docs.get(key.name)
    if live is not None:
        return [live.doc.get_update()]
    return await hub.store.load(key.name)


def filename(title: str) -> tuple[str, str]:
    """The download's name from the document title: as UTF-8, and folded to
    ASCII for clients that ignore `filename*`."""
    stem = " ".join(_UNSAFE.sub(" ", unicodedata.normalize("NFC", title)).split())[:120]
    name = f"{stem or 'tai-lieu'} (ghi chú).pdf"
    ascii_name = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = ascii_name.encode("ascii", "ignore").decode()
    return name, ascii_name


async def annotated(request: Request) -> Response:
    """`GET /api/documents/{document_id}/annotated`: the caller's own notes
    on the document as a PDF. Watermarked with the reader for internal and
    confidential documents; every export is audited."""
    user, access, document = await document_for(request)
    if access.role is None or access.role not in MAY_TAKE_NOTES:
        raise Forbidden("Chỉ người tham dự cuộc họp mới có bản ghi chú.",
                        "Only participants of the meeting have notes to export.")
    # A delegate takes their own notes home even where the original may not be
    # downloaded: the copy of an internal or confidential document carries the
    # reader's name on every page, and the export is audited.
    digest = document.pdf_sha256
    pdf = await files.get(request.app.state.pool, digest) if digest else None
    if pdf is None:
        raise NotFound("Không tìm thấy tệp của tài liệu.", "The document's file is missing.")
    key = DocKey(document.meeting_id, DocKind.NOTES, document.id, user.id)
    updates = await _notes_updates(request.app.state.hub, key)
    marked = document.confidentiality != "public"
    now = datetime.now(UTC).astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")
    data = await request.app.state.workers.run(
        export_notes, pdf, updates, title=document.title, owner=user.full_name,
        watermark=watermark_lines(user) if marked else None, exported_at=now, timeout=120)
    await record(request, user, "document.export_annotated", f"document:{document.id}",
                 meeting=document.meeting_id, watermarked=marked)
    name, ascii_name = filename(document.title)
    headers = {
        "content-disposition":
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        # Personal notes, and for internal documents a copy marked for one reader:
        # never kept by the browser or anything between.
        "cache-control": "no-store",
    }
    return Response(data, media_type="application/pdf", headers=headers)
