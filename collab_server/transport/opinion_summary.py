"""The summary of written opinions (tổng hợp ý kiến): drafted from the
answers, edited by the office as plain text, issued once the deadline has
passed or everyone has answered: frozen, its PDF made in the layout of
Decree 30/2020/NĐ-CP and stored, the hashes in the audit log."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from collab_server.documents import official
from collab_server.domain import calendar, signing
from collab_server.domain import minutes as m
from collab_server.domain import opinions as o
from collab_server.errors import BadRequest, Conflict, Forbidden, NotFound
from collab_server.storage import files
from collab_server.storage.accounts import User
from collab_server.storage.opinions import Closed
from collab_server.storage.opinions import Request as OpinionRequest
from collab_server.transport import notifications
from collab_server.transport.auth import client_ip
from collab_server.transport.http import Fields, read_json, record
from collab_server.transport.minutes import BLANK_NUMBER, RENDER_TIMEOUT, _attachment
from collab_server.transport.opinion_access import access_of, detail, now, store
from collab_server.transport.responses import JSONResponse


def _layout(req: OpinionRequest, issuer: User) -> dict[str, Any]:
    title = signing.own_title(issuer.title).upper() or "NGƯỜI TỔNG HỢP"
    return {
        "organ": req.body_name,
        "place_date": m.place_and_date(req.body_place, calendar.local_day(now())),
        "kind": "BÁO CÁO",
        "subject": o.summary_subject(req.body_name, req.title),
        "signatures": [[title, issuer.full_name]],
        "recipients": list(m.bullet_list(["Chủ tịch (để báo cáo)",
                                          "Các thành viên được lấy ý kiến", "Lưu: VT"])),
    }


def _document(layout: dict[str, Any], number: str, text: str, author: str
              ) -> official.OfficialDocument:
    return official.OfficialDocument(
        organ=str(layout["organ"]), place_date=str(layout["place_date"]),
        number=f"Số: {number}" if number else BLANK_NUMBER + "/BC",
        kind=str(layout["kind"]), subject=str(layout["subject"]), text=text,
        signatures=tuple(official.Signature(str(t), str(n)) for t, n in layout["signatures"]),
        recipients=tuple(str(r) for r in layout["recipients"]), author=author)


async def _drafted(request: Request, req: OpinionRequest) -> str:
    opinions = store(request)
    answers = {k: a for k, (a, _, _) in (await opinions.answers(req.id)).items()}
    return o.draft_summary(req.title, await opinions.questions(req.id),
                           await opinions.members(req.id), answers, req.deadline_day)


async def summary(request: Request) -> Response:
    """The office's and chair's working copy (the saved text, else the draft from
    the answers); once issued, the issued text for everyone who sees the request."""
    access = await access_of(request)
    req = access.request
    if req.status == "issued":
        return JSONResponse({"status": "issued", "text": req.summary_text,
                             "number": req.summary_number,
                             "sha256": req.summary_sha256.hex() if req.summary_sha256 else None,
                             "issued_at": calendar.iso(req.issued_at) if req.issued_at else None,
                             "pdf": f"/api/opinions/{req.id}/summary.pdf"})
    if not (access.office or access.chair):
        raise Forbidden("Bản tổng hợp chưa ban hành; chỉ văn phòng và chủ tọa được xem.",
                        "The summary is not issued; only the office and the chair see it.")
    if req.status != "open":
        raise Conflict("Phiếu chưa gửi; chưa có ý kiến để tổng hợp.",
                       "The request has not gone out; there is nothing to sum up.")
    draft = await _drafted(request, req)
    return JSONResponse({"status": "draft", "draft": draft,
                         "text": req.summary_text or draft, "number": req.summary_number,
                         "saved": bool(req.summary_text),
                         "closed": not o.is_open(req.status, req.closes_at, now())})


def _summary_fields(fields: Fields) -> tuple[str, str]:
    raw = fields.data.get("text")
    if not isinstance(raw, str) or not m.clean(raw) or len(raw) > 100_000:
        raise BadRequest("Trường 'text' phải có nội dung (tối đa 100 000 ký tự).",
                         "Field 'text' must have text (up to 100,000 characters).")
    return m.clean(raw), fields.text("number", limit=60, required=False, empty=True)


async def save_summary(request: Request) -> Response:
    access = await access_of(request)
    access.require_office()
    text, number = _summary_fields(Fields(await read_json(request)))
    try:
        await store(request).save_summary(access.request.id, text, number)
    except Closed:
        raise Conflict("Chỉ sửa bản tổng hợp khi phiếu đã gửi và chưa ban hành.",
                       "The summary is edited between sending and issuing only.") from None
    await record(request, access.user, "opinion.summary_edit", f"opinion:{access.request.id}")
    return JSONResponse({"ok": True})


async def issue(request: Request) -> Response:
    """`POST .../summary/issue` `{"text", "number"?}`: after the deadline, or once
    every member has answered; frozen, its PDF stored, audited."""
    access = await access_of(request)
    access.require_office()
    req = access.request
    if req.status != "open":
        raise Conflict("Chỉ ban hành tổng hợp của phiếu đã gửi và chưa ban hành.",
                       "Only a request that is out and not yet summed up can be issued.")
    text, number = _summary_fields(Fields(await read_json(request)))
    opinions = store(request)
    members = await opinions.members(req.id)
    questions = await opinions.questions(req.id)
    answered = {k for k in await opinions.answers(req.id)}
    everyone = all((q, mb.user_id) in answered for q, _ in questions for mb in members)
    if o.is_open(req.status, req.closes_at, now()) and not everyone:
        raise Conflict("Chưa hết hạn trả lời và còn thành viên chưa trả lời.",
                       "The deadline has not passed and some members have not answered.")
    layout = _layout(req, access.user)
    pdf: bytes = await request.app.state.workers.run(
        official.render, _document(layout, number, text, access.user.full_name),
        timeout=RENDER_TIMEOUT)
    try:
        await opinions.issue(req.id, text, number, layout, pdf, access.user.id, client_ip(request),
                             also=notifications.on_opinion_closed(req.id))
    except Closed:
        raise Conflict("Tổng hợp đã được ban hành.", "The summary is already issued.") from None
    return JSONResponse({"opinion": await detail(request, await access_of(request))},
                        status_code=201)


async def summary_pdf(request: Request) -> Response:
    access = await access_of(request)
    req = access.request
    if req.status != "issued" or req.summary_pdf is None:
        raise NotFound("Chưa ban hành bản tổng hợp.", "No summary issued yet.")
    data = await files.get(request.app.state.pool, req.summary_pdf)
    if data is None:
        raise NotFound("Không tìm thấy tệp tổng hợp.", "The summary's file is missing.")
    await record(request, access.user, "opinion.summary_download", f"opinion:{req.id}")
    return _attachment(data, f"Tổng hợp ý kiến - {req.title}", "pdf", "application/pdf")
