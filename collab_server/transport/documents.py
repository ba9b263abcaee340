"""A meeting's documents: upload, pages as images, text, originals, who read them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from collab_server.documents import convert, render
from collab_server.documents.cache import WIDTHS
from collab_server.documents.errors import EmptyPdf, NotPdf, UnsupportedType
from collab_server.documents.ingest import ingest_pdf
from collab_server.documents.names import clean_text, content_disposition, stored_name
from collab_server.documents.prepared import SILENCE_S, Job, PreparedPages, Reading
from collab_server.documents.render import ImageFormat
from collab_server.documents.shared_pages import RedisPages
from collab_server.domain.access import MeetingAccess
from collab_server.domain.calendar import LOCAL_TZ
from collab_server.domain.lifecycle import DOCUMENTS_OPEN, PREPARABLE, Status
from collab_server.domain.roles import Role
from collab_server.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooLarge,
    Unavailable,
)
from collab_server.storage import files
from collab_server.storage.accounts import User
from collab_server.storage.documents import DocumentRow, NewDocument
from collab_server.transport import notifications
from collab_server.transport.auth import current_user
from collab_server.transport.http import (
    Fields,
    caller_and_meeting,
    meeting_access,
    path_id,
    read_json,
    record,
)
from collab_server.transport.invitations import notice_warnings
from collab_server.transport.responses import JSONResponse

CONFIDENTIALITY = ("public", "internal", "confidential")
SECRECY = ("none", "mat", "toi_mat", "tuyet_mat")
MEDIA: dict[str, ImageFormat] = {"image/webp": "webp", "image/png": "png", "image/jpeg": "jpeg"}
FORMATS: dict[str, ImageFormat] = {"webp": "webp", "png": "png", "jpeg": "jpeg"}


class SecretNotDistributable(AppError):
    status = 403
    code = "secret_not_distributable"
    default_vi = ("Tài liệu có độ mật (Mật, Tối mật, Tuyệt mật) không được phân phối điện tử "
                  "theo quy định của cơ quan.")
    default_en = "Documents classified secret or above are not distributed electronically."


def _flag(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw not in ("0", "1", "true", "false"):
        raise BadRequest(f"Tham số '{name}' phải là 0 hoặc 1.", f"'{name}' must be 0 or 1.")
    return raw in ("1", "true")


def _choice(request: Request, name: str, options: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name, default)
    if value not in options:
        raise BadRequest(f"Tham số '{name}' phải là một trong: {', '.join(options)}.",
                         f"'{name}' must be one of: {', '.join(options)}.")
    return value


async def _secret_allowed(request: Request, access: MeetingAccess, secrecy: str) -> None:
    if secrecy == "none":
        return
    async with request.app.state.pool.acquire() as conn:
        allowed = await conn.fetchval(
            "SELECT allow_secret_distribution FROM bodies WHERE id = $1", access.body_id)
    if not allowed:
        raise SecretNotDistributable()


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"Tệp vượt quá giới hạn {limit // (1024 * 1024)} MB.", "File too large.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"Tệp vượt quá giới hạn {limit // (1024 * 1024)} MB.",
                           "File too large.")
    return bytes(body)


log = logging.getLogger(__name__)


async def _announce(request: Request, meeting_id: int) -> None:
    """Tell the open laptops that the document list changed (a digest in the
    room; they reload the list). The change itself is already stored: if the
    room cannot be written now, the laptops see it on their next load."""
    try:
        await request.app.state.hub.refresh_room(meeting_id)
    except Unavailable:
        log.warning("meeting %s: the room was not told of a document change", meeting_id)


async def upload(request: Request) -> Response:
    """The body is the file itself (streamed); everything else is in the query."""
    user, access = await caller_and_meeting(request)
    access.require_prepare()
    if access.status not in DOCUMENTS_OPEN:
        raise Conflict("Cuộc họp đã kết thúc; không thêm tài liệu được.",
                       "The meeting has ended; no more documents.")
    filename = request.query_params.get("filename", "").strip()
    if not filename or len(filename) > 255 or "/" in filename or "\\" in filename:
        raise BadRequest("Cần tên tệp (filename) hợp lệ.", "A valid 'filename' is required.")
    confidentiality = _choice(request, "confidentiality", CONFIDENTIALITY,
                              access.confidentiality)
    secrecy = _choice(request, "secrecy", SECRECY, "none")
    await _secret_allowed(request, access, secrecy)
    item = request.query_params.get("agenda_item")
    item_id = int(item) if item and item.isdigit() and len(item) < 18 else None
    if item_id is not None and not await request.app.state.agenda.exists(access.meeting_id,
                                                                         item_id):
        raise NotFound("Không có mục này trong chương trình.", "No such agenda item.")
    settings = request.app.state.settings
    original, kind, pdf, extension = await received_pdf(request, filename)
    # Stored and served as cleaned: no controls, NFC, the extension of the content.
    name = stored_name(filename, extension)
    title = clean_text(request.query_params.get("title") or name.rpartition(".")[0])[:300]
    # Validation, cleaning and text extraction hold the GIL for long stretches:
    # they run in the worker processes, never on the event loop.
    ingested = await request.app.state.workers.run(ingest_pdf, pdf, timeout=300,
                                                   max_pages=settings.max_pages)
    signatures = (await _signatures(request, original)) if kind == "application/pdf" else None
    document_id = await request.app.state.documents.add(NewDocument(
        meeting_id=access.meeting_id,
        title=title or name,
        original_name=name,
        original_type=kind,
        original=original,
        pdf=ingested.pdf,
        pages=[(w, h, text) for (w, h), text in zip(ingested.info.page_sizes, ingested.texts,
                                                    strict=True)],
        confidentiality=confidentiality,
        secrecy=secrecy,
        allow_download=_flag(request, "allow_download"),
        agenda_item_id=item_id,
        uploaded_by=user.id,
        signatures=signatures,
        # Signed, and nothing active removed: the file itself verifies and is safe to hand out.
        serve_original=bool(signatures) and not ingested.active,
    ), also=notifications.on_document_added(
        request, access.meeting_id, title=title or name,
        public=confidentiality == "public" and secrecy == "none"))
    notifications.wake(request)
    await record(request, user, "document.upload", f"document:{document_id}",
                 meeting=access.meeting_id, pages=ingested.info.page_count, type=kind,
                 signatures=[s["verdict"] for s in signatures or []])
    await _announce(request, access.meeting_id)
    warnings = [] if access.status is Status.DRAFT else await notice_warnings(request, access)
    document = await request.app.state.documents.get(document_id)
    return JSONResponse({"document": document.to_json(), "warnings": warnings},
                        status_code=201)


async def received_pdf(request: Request, filename: str) -> tuple[bytes, str, bytes, str]:
    """The uploaded file (the request's body) as a PDF: (original, media type,
    PDF, extension). A PDF is recognised by its content, an Office file by
    its extension and converted by LibreOffice; anything else, an empty file
    or a non-PDF named .pdf is refused with its own code."""
    settings = request.app.state.settings
    original = await _read_body(request, settings.max_upload_bytes)
    name_says_pdf = filename.lower().endswith(".pdf")
    if not original:
        raise EmptyPdf("Tệp trống (0 byte); vui lòng tải lên tệp có nội dung.",
                       "The file is empty (0 bytes); upload one with content.")
    if original.startswith(b"%PDF-") or (name_says_pdf and b"%PDF-" in original[:1024]):
        return original, "application/pdf", original, "pdf"
    if name_says_pdf:
        # A picture or a program named .pdf: say what is wrong with it.
        raise NotPdf()
    if not convert.supported(filename):
        raise UnsupportedType()
    limits = convert.Limits(memory=settings.convert_memory_mb * convert.MIB,
                            cpu=settings.convert_cpu_s,
                            file=settings.convert_file_mb * convert.MIB)
    async with request.app.state.conversions:
        pdf = await convert.convert_to_pdf(original, filename, limits=limits,
                                           timeout=settings.convert_timeout_s)
    return original, convert.media_type(filename), pdf, filename.rpartition(".")[2]


def trust_anchors(folder: Path | None) -> list[bytes]:
    """The certificates in `folder` (PEM or DER files), read at start, as DER."""
    if folder is None:
        return []
    from collab_server.documents import pades  # pyHanko: a second to import, when needed

    return [bytes(cert.dump()) for cert in
            pades.trust_anchors(sorted(p for p in folder.iterdir() if p.is_file()))]


async def _signatures(request: Request, pdf: bytes) -> list[dict[str, Any]] | None:
    """What the signatures of an uploaded PDF say (documents/pades.py), read
    in a worker process; None when it carries none."""
    if b"/ByteRange" not in pdf:  # no signature dictionary: nothing to read
        return None
    from collab_server.documents import pades

    anchors = request.app.state.trust_anchors
    checks = await request.app.state.workers.run(pades.verify_blocking, pdf, anchors,
                                                 timeout=60)
    return [check.to_json() for check in checks] or None


def hidden_document() -> Forbidden:
    """The one answer for a document that is not there, not the caller's to
    see, or not even a valid id: every route, same status, code and message,
    so ids reveal nothing."""
    return Forbidden("Bạn không có quyền xem tài liệu này.", "You may not see this document.")


async def visible_document(request: Request, user: User,
                           document_id: int | None) -> tuple[MeetingAccess, DocumentRow]:
    document = (await request.app.state.documents.get(document_id)
                if document_id is not None else None)
    if document is None:
        raise hidden_document()
    try:
        access = await meeting_access(request, user, document.meeting_id)
    except Forbidden:
        raise hidden_document() from None
    return access, document


async def document_for(request: Request) -> tuple[User, MeetingAccess, DocumentRow]:
    user = await current_user(request)
    raw = str(request.path_params["document_id"])
    document_id = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    access, document = await visible_document(request, user, document_id)
    return user, access, document


async def list_documents(request: Request) -> Response:
    _, access = await caller_and_meeting(request)
    documents = await request.app.state.documents.of_meeting(access.meeting_id)
    return JSONResponse({"documents": [d.to_json() for d in documents]})


async def get_document(request: Request) -> Response:
    _, access, document = await document_for(request)
    body: dict[str, Any] = document.to_json()
    body["can_download"] = document.allow_download or access.can_prepare
    return JSONResponse({"document": body})


async def update_document(request: Request) -> Response:
    user, access, document = await document_for(request)
    access.require_prepare()
    if access.status not in DOCUMENTS_OPEN:
        raise Conflict("Cuộc họp đã kết thúc; hồ sơ chỉ còn để đọc.",
                       "The meeting has ended; its record is read-only.")
    fields = Fields(await read_json(request))
    changes: dict[str, Any] = {}
    if fields.has("title"):
        changes["title"] = clean_text(fields.text("title", limit=300))
        if not changes["title"]:
            raise BadRequest("Trường 'title' phải có chữ.", "Field 'title' must have text.")
    if fields.has("confidentiality"):
        changes["confidentiality"] = fields.choice("confidentiality", CONFIDENTIALITY)
    if fields.has("secrecy"):
        changes["secrecy"] = fields.choice("secrecy", SECRECY)
        await _secret_allowed(request, access, changes["secrecy"])
    if fields.has("allow_download"):
        changes["allow_download"] = fields.boolean("allow_download")
    if fields.has("agenda_item_id"):
        item = fields.integer("agenda_item_id", minimum=1, required=False)
        if item is not None and not await request.app.state.agenda.exists(access.meeting_id,
                                                                         item):
            raise NotFound("Không có mục này trong chương trình.", "No such agenda item.")
        changes["agenda_item_id"] = item
    await request.app.state.documents.update(document.id, changes)
    await record(request, user, "document.update", f"document:{document.id}",
                 fields=sorted(changes))
    await _announce(request, access.meeting_id)
    updated = await request.app.state.documents.get(document.id)
    return JSONResponse({"document": updated.to_json()})


async def remove_document(request: Request) -> Response:
    user, access, document = await document_for(request)
    access.require_prepare()
    if access.status not in PREPARABLE:
        raise Conflict("Chỉ gỡ tài liệu trước khi họp.", "Documents are removed before the "
                                                          "meeting only.")
    await request.app.state.documents.remove(document.id)
    await record(request, user, "document.remove", f"document:{document.id}")
    await _announce(request, access.meeting_id)
    return JSONResponse({"ok": True})


def served_name(document: DocumentRow) -> str:
    """The name a file leaves with; rows stored before names were cleaned get
    the same cleaning on the way out."""
    if document.original_type == "application/pdf" or not document.original_name:
        return stored_name(document.original_name or document.title, "pdf")
    return clean_text(document.original_name)


def served_digest(document: DocumentRow) -> bytes | None:
    """A PDF leaves as its cleaned copy: JavaScript, embedded files and launch
    actions stay out of every copy served, the records office's export
    included. An Office original is the file itself."""
    if document.original_type == "application/pdf":
        # A signed PDF leaves byte for byte as it came, or its signatures
        # would no longer verify; but only without scripts, attachments or
        # launch actions in it (with them, the cleaned copy, and the
        # signatures show as changed in any other tool).
        return document.original_sha256 if document.serve_original else document.pdf_sha256
    return document.original_sha256 or document.pdf_sha256


def _page_no(request: Request, document: DocumentRow) -> int:
    page = path_id(request, "page_no")
    if not 1 <= page <= document.page_count:
        raise NotFound(f"Tài liệu có {document.page_count} trang.",
                       f"The document has {document.page_count} pages.")
    return page


def watermark_lines(user: User) -> list[str]:
    return [*_who(user), _stamp()]


def _who(user: User) -> tuple[str, str]:
    return (user.full_name, user.unit or user.username)


def _stamp() -> str:
    return datetime.now(UTC).astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


async def _seen(request: Request, user: User, document: DocumentRow, page: int,
                action: str) -> None:
    await request.app.state.documents.opened(document.id, user.id)
    if document.confidentiality != "public":
        await record(request, user, action, f"document:{document.id}", page=page)


# How a marked page is marked. The projector shows an internal page to the
# whole room: a light mark in its corners keeps it readable and traceable. A
# confidential page keeps the full mark, on the wall as on a laptop.
MARKS = {"full": render.watermark, "corner": render.corner_mark}
# Sizes a page turn asks for; thumbnails come in a run and are cheap, the
# wall's zoomed page has a single reader.
PREPARED_SIZES = ("laptop", "projector")


def _mark_of(projector: bool, confidentiality: str) -> str:
    return "corner" if projector and confidentiality == "internal" else "full"


async def page_image(request: Request) -> Response:
    user = await current_user(request)
    raw = str(request.path_params["document_id"])
    document_id = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    prepared: PreparedPages = request.app.state.prepared
    try:
        access, document = await visible_document(request, user, document_id)
    except Forbidden:
        # Removed from the meeting (or never in it): nothing more is made for them.
        if document_id is not None:
            prepared.forget(user.id, document_id)
        raise
    page = _page_no(request, document)
    size = _choice(request, "w", tuple(WIDTHS), "laptop")
    projector = access.role == Role.DISPLAY
    if projector:
        await _on_the_wall(request, access, document)
    if size == "zoomed" and not projector:
        # A 3840-px render costs four times a projector page: only the wall needs it.
        raise Forbidden("Ảnh trang độ phân giải cao chỉ dành cho màn hình trình chiếu.",
                        "Zoomed page images are for the room's display only.")
    fmt = FORMATS[_choice(request, "fmt", tuple(FORMATS), "webp")]
    digest = document.pdf_sha256
    if digest is None:
        raise NotFound("Tài liệu chưa có tệp.", "The document has no file.")
    state = request.app.state
    marked = document.confidentiality != "public"
    reading = Reading(
        user_id=user.id, document_id=document.id, meeting_id=document.meeting_id,
        digest=digest.hex(), label=document.confidentiality,
        mark=_mark_of(projector, document.confidentiality), width=WIDTHS[size], fmt=fmt,
        who=_who(user), page=page, page_count=document.page_count,
    ) if marked else None
    key = reading.key(page) if reading is not None else None
    # A page prepared for this reader needs no base image. It is taken (out of
    # the store: once) after all the checks above, and returned only after
    # the audit below, like any page.
    image = await prepared.fetch(key) if key is not None else None
    base = (None if image is not None
            else await _base_image(state, document, page, WIDTHS[size], fmt))
    await _seen(request, user, document, page, "document.page_view")
    if reading is None or key is None:
        media = next(m for m, f in MEDIA.items() if f == fmt)
        return Response(base, media_type=media,
                        headers={"cache-control": "private, max-age=3600"})
    if image is None:
        if base is None:  # the prepared copy expired a moment ago
            base = await _base_image(state, document, page, WIDTHS[size], fmt)
        # In the worker processes: the drawing holds the GIL, and a room's worth of
        # readers should use both cores.
        image = await state.workers.run(
            MARKS[reading.mark], base, watermark_lines(user), fmt, timeout=30)
    if size in PREPARED_SIZES:
        prepared.read(reading)
    media = next(m for m, f in MEDIA.items() if f == fmt)
    return Response(image, media_type=media, headers={"cache-control": "no-store"})


async def _base_image(state: Any, document: DocumentRow, page: int, width: int,
                      fmt: ImageFormat) -> bytes:
    """The page as every reader sees it before any mark (rendered once, cached)."""
    digest = document.pdf_sha256
    if digest is None:
        raise NotFound("Tài liệu chưa có tệp.", "The document has no file.")

    async def load() -> bytes:
        data = await files.get(state.pool, digest)
        if data is None:
            raise NotFound("Không tìm thấy tệp của tài liệu.", "The document's file is missing.")
        return data

    # A page to be watermarked starts from the cached WebP: it is decoded anyway.
    base: ImageFormat = ("webp" if document.confidentiality != "public" and fmt == "jpeg"
                         else fmt)
    image: bytes = await state.pages.get(digest.hex(), page, width, base, load)
    return image


def prepared_pages(state: Any) -> PreparedPages:
    """Pages made ahead for the recent readers of marked documents (see
    documents/prepared.py), the same image this route would make, after the
    same question: may this person still see this document?"""

    async def produce(job: Job) -> bytes | None:
        reading = job.reading
        access = await state.meetings.access(reading.meeting_id, reading.user_id)
        if access is None or not access.can_view:
            return None
        document = await state.documents.get(reading.document_id)
        if (document is None or document.pdf_sha256 is None
                or document.confidentiality != reading.label
                or document.pdf_sha256.hex() != reading.digest):
            return None
        if _mark_of(access.role == Role.DISPLAY, document.confidentiality) != reading.mark:
            return None
        image = await _base_image(state, document, job.page, reading.width, reading.fmt)
        marked: bytes = await state.workers.run(
            MARKS[reading.mark], image, [*reading.who, _stamp()], reading.fmt, timeout=30)
        return marked

    memory = state.settings.prepared_pages_mb << 20
    shared = (RedisPages(state.settings.redis_url, ttl=SILENCE_S)
              if state.settings.redis_url and memory > 0 else None)
    return PreparedPages(produce, memory_bytes=memory, shared=shared)


async def _on_the_wall(request: Request, access: MeetingAccess, document: DocumentRow) -> None:
    """The room's projector reads no more than the wall shows: pages of the
    document presented now, while the meeting is in session."""
    if access.status is not Status.IN_SESSION or \
            await request.app.state.hub.presented_document(access.meeting_id) != document.id:
        raise Forbidden("Màn hình phòng họp chỉ đọc tài liệu đang được trình chiếu.",
                        "The room's display reads only the document presented now.")


async def page_text(request: Request) -> Response:
    user, access, document = await document_for(request)
    if access.role == Role.DISPLAY:
        # The wall shows pages, never their text.
        raise Forbidden("Màn hình phòng họp không đọc văn bản của trang.",
                        "The room's display does not read page text.")
    page = _page_no(request, document)
    text = await request.app.state.documents.page_text(document.id, page)
    await _seen(request, user, document, page, "document.text_view")
    headers = {"cache-control": "no-store"} if document.confidentiality != "public" else {}
    return JSONResponse({"page": page, "text": text or ""}, headers=headers)


async def original(request: Request) -> Response:
    user, access, document = await document_for(request)
    if not (document.allow_download or access.can_prepare):
        raise Forbidden("Tài liệu này không cho phép tải bản gốc.",
                        "This document's original may not be downloaded.")
    digest = served_digest(document)
    data = await files.get(request.app.state.pool, digest) if digest else None
    if data is None:
        raise NotFound("Không tìm thấy tệp gốc.", "The original file is missing.")
    await record(request, user, "document.download", f"document:{document.id}")
    headers = {"content-disposition": content_disposition(served_name(document)),
               "cache-control": "no-store"}
    return Response(data, media_type=document.original_type or "application/octet-stream",
                    headers=headers)


async def opens(request: Request) -> Response:
    _, access, document = await document_for(request)
    if not access.sees_everything:
        raise Forbidden()
    return JSONResponse({"opens": await request.app.state.documents.opens(document.id)})
