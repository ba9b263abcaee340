"""The documents of a request for written opinions: uploaded like a
meeting's (the same checks, conversion and text extraction), read as page
images rendered once by the shared page cache and watermarked with the
reader's name unless public."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collab_server.documents import render
from collab_server.documents.cache import WIDTHS
from collab_server.documents.ingest import ingest_pdf
from collab_server.documents.names import clean_text, stored_name
from collab_server.errors import BadRequest, Conflict, NotFound
from collab_server.storage import files
from collab_server.storage.opinions import Closed, NewDocument
from collab_server.transport.documents import (
    CONFIDENTIALITY,
    FORMATS,
    MEDIA,
    received_pdf,
    watermark_lines,
)
from collab_server.transport.http import path_id, record
from collab_server.transport.opinion_access import access_of, store
from collab_server.transport.responses import JSONResponse


async def upload(request: Request) -> Response:
    """The file is the body, as for a meeting's documents (same checks, same engine)."""
    access = await access_of(request)
    access.require_office()
    if access.request.status != "draft":
        raise Conflict("Phiếu đã gửi; không thêm tài liệu được.",
                       "The request has gone out; no more documents.")
    filename = request.query_params.get("filename", "").strip()
    if not filename or len(filename) > 255 or "/" in filename or "\\" in filename:
        raise BadRequest("Cần tên tệp (filename) hợp lệ.", "A valid 'filename' is required.")
    confidentiality = request.query_params.get("confidentiality",
                                               access.request.confidentiality)
    if confidentiality not in CONFIDENTIALITY:
        raise BadRequest("Mức độ tài liệu không hợp lệ.", "Unknown confidentiality.")
    settings = request.app.state.settings
    original, kind, pdf, extension = await received_pdf(request, filename)
    name = stored_name(filename, extension)
    title = clean_text(request.query_params.get("title") or name.rpartition(".")[0])[:300]
    ingested = await request.app.state.workers.run(ingest_pdf, pdf, timeout=300,
                                                   max_pages=settings.max_pages)
    document_id = await store(request).add_document(access.request.id, NewDocument(
        title=title or name, original_name=name, original_type=kind, original=original,
        pdf=ingested.pdf, confidentiality=confidentiality,
        pages=[(w, h, t) for (w, h), t in zip(ingested.info.page_sizes, ingested.texts,
                                              strict=True)]), access.user.id)
    await record(request, access.user, "opinion.document_upload",
                 f"opinion_document:{document_id}", opinion=access.request.id,
                 pages=ingested.info.page_count)
    return JSONResponse({"document_id": document_id}, status_code=201)


async def remove(request: Request) -> Response:
    access = await access_of(request)
    access.require_office()
    document_id = path_id(request, "document_id")
    try:
        removed = await store(request).remove_document(access.request.id, document_id)
    except Closed:
        raise Conflict("Phiếu đã gửi; không gỡ tài liệu được.",
                       "The request has gone out; its documents stay.") from None
    if not removed:
        raise NotFound("Phiếu không có tài liệu này.", "No such document in this request.")
    await record(request, access.user, "opinion.document_remove",
                 f"opinion_document:{document_id}", opinion=access.request.id)
    return JSONResponse({"ok": True})


async def page_image(request: Request) -> Response:
    """A page of one of the request's documents: rendered once (the page cache
    shared with meetings), watermarked with the reader's name unless public."""
    access = await access_of(request)
    document_id = path_id(request, "document_id")
    document = next((d for d in await store(request).documents(access.request.id)
                     if d.id == document_id), None)
    if document is None:
        raise NotFound("Phiếu không có tài liệu này.", "No such document in this request.")
    page = path_id(request, "page_no")
    if not 1 <= page <= document.page_count:
        raise NotFound(f"Tài liệu có {document.page_count} trang.",
                       f"The document has {document.page_count} pages.")
    raw_fmt = request.query_params.get("fmt", "webp")
    if raw_fmt not in FORMATS:
        raise BadRequest("Định dạng ảnh không hợp lệ.", "Unknown image format.")
    fmt = FORMATS[raw_fmt]
    state = request.app.state
    digest = document.pdf_sha256

    async def load() -> bytes:
        data = await files.get(state.pool, digest)
        if data is None:
            raise NotFound("Không tìm thấy tệp của tài liệu.", "The document's file is missing.")
        return data

    marked = document.confidentiality != "public"
    base: bytes = await state.pages.get(digest.hex(), page, WIDTHS["laptop"],
                                        "webp" if marked and fmt == "jpeg" else fmt, load)
    media = next(k for k, v in MEDIA.items() if v == fmt)
    if not marked:
        return Response(base, media_type=media, headers={"cache-control": "private, max-age=3600"})
    await record(request, access.user, "opinion.page_view", f"opinion_document:{document.id}",
                 page=page)
    image = await state.workers.run(render.watermark, base, watermark_lines(access.user), fmt,
                                    timeout=30)
    return Response(image, media_type=media, headers={"cache-control": "no-store"})
