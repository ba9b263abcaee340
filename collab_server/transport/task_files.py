"""A task's files over HTTP: the responsible attaches reports (the same
limits and type checks as a meeting's documents), everyone who sees the task
downloads them."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from collab_server.documents import convert
from collab_server.documents.errors import EmptyPdf, NotPdf, UnsupportedType
from collab_server.documents.names import content_disposition, stored_name
from collab_server.documents.validate import clean_pdf, inspect_pdf
from collab_server.domain import tasks as t
from collab_server.errors import BadRequest, Conflict, Forbidden, NotFound
from collab_server.transport.auth import client_ip, current_user
from collab_server.transport.documents import _read_body
from collab_server.transport.http import path_id
from collab_server.transport.responses import JSONResponse
from collab_server.transport.tasks import task_store, visible_task


async def attach(request: Request) -> Response:
    """`POST /api/tasks/{id}/attachments?filename=`: the body is the file. The
    same limits and type checks as a meeting's documents: a whole PDF, or an
    Office file whose content is what its name says (within the zip limits);
    kept as it was sent, never converted."""
    user = await current_user(request)
    task, seat = await visible_task(request, user)
    if not seat.responsible:
        raise Forbidden("Chỉ người hoặc đơn vị được giao việc được đính kèm báo cáo.",
                        "Only the person or unit responsible may attach files.")
    if task.state.status is t.Status.DONE:
        raise Conflict("Việc đã hoàn thành.", "The task is done.")
    filename = request.query_params.get("filename", "").strip()
    if not filename or len(filename) > 255 or "/" in filename or "\\" in filename:
        raise BadRequest("Cần tên tệp (filename) hợp lệ.", "A valid 'filename' is required.")
    settings = request.app.state.settings
    data = await _read_body(request, settings.max_upload_bytes)
    if not data:
        raise EmptyPdf("Tệp trống (0 byte); vui lòng tải lên tệp có nội dung.",
                       "The file is empty (0 bytes); upload one with content.")
    if data.startswith(b"%PDF-"):
        await request.app.state.workers.run(inspect_pdf, data, timeout=120,
                                            max_pages=settings.max_pages)
        # Kept as its cleaned copy, like every PDF served: no scripts,
        # attachments or launch actions for the office's PDF reader to run.
        data = await request.app.state.workers.run(clean_pdf, data, timeout=120)
        kind, extension = "application/pdf", "pdf"
    elif filename.lower().endswith(".pdf"):
        raise NotPdf()
    elif convert.supported(filename):
        # What the content is, not what it is named (as a document's upload).
        extension = await asyncio.to_thread(convert.sniff, data, filename)
        kind = convert.media_type(filename)
    else:
        raise UnsupportedType()
    name = stored_name(filename, extension)
    attachment_id = await task_store(request).attach(task.id, name, kind, data, user.id,
                                                 client_ip(request))
    return JSONResponse({"attachment": {"id": attachment_id, "name": name,
                                        "url": f"/api/tasks/{task.id}/attachments/"
                                               f"{attachment_id}"}}, status_code=201)


async def attachment(request: Request) -> Response:
    """`GET /api/tasks/{id}/attachments/{attachment_id}`."""
    user = await current_user(request)
    task, _ = await visible_task(request, user)
    found = await task_store(request).attachment(task.id, path_id(request, "attachment_id"))
    if found is None:
        raise NotFound("Không có tệp đính kèm này.", "No such attachment.")
    name, media_type, data = found
    return Response(data, media_type=media_type, headers={
        "content-disposition": content_disposition(name), "cache-control": "no-store"})
