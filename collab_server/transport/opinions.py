"""Written opinions over HTTP (docs/opinions.md): the office prepares a
request (documents, questions, members asked, chair), sends it with a
deadline in working days, members answer until the deadline, the office
edits the summary drafted from the answers and issues it as a PDF.

Who sees what:
- the office (people of the body who prepare meetings, and its admins) and the
  request's chair: everything, answers included, all along;
- a member asked: the request once sent, its documents, their own answer;
  others' answers only once the summary is issued (it names them all);
- anyone else, and anyone of another body: 403, whether or not it exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collab_server.documents import convert, official, render
from collab_server.documents.cache import WIDTHS
from collab_server.documents.errors import EmptyPdf, NotPdf, UnsupportedType
from collab_server.documents.ingest import ingest_pdf
from collab_server.documents.names import clean_text, stored_name
from collab_server.domain import calendar, signing
from collab_server.domain import minutes as m
from collab_server.domain import opinions as o
from collab_server.errors import BadRequest, Conflict, Forbidden, NotFound
from collab_server.storage import files
from collab_server.storage.accounts import User
from collab_server.storage.opinions import Closed, NewDocument, PgOpinions
from collab_server.storage.opinions import Request as OpinionRequest
from collab_server.transport.auth import client_ip, current_user
from collab_server.transport.documents import (
    CONFIDENTIALITY,
    FORMATS,
    MEDIA,
    _read_body,
    watermark_lines,
)
from collab_server.transport.http import Fields, path_id, read_json, record
from collab_server.transport.minutes import BLANK_NUMBER, RENDER_TIMEOUT, _attachment
from collab_server.transport.responses import JSONResponse

log = logging.getLogger(__name__)
P = "/api/opinions/{opinion_id}"


def _store(request: Request) -> PgOpinions:
    return PgOpinions(request.app.state.pool)


# -- who may -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Access:
    user: User
    request: OpinionRequest
    office: bool
    chair: bool
    member: bool

    @property
    def sees_answers(self) -> bool:
        return self.office or self.chair or self.request.status == "issued"

    def require_office(self) -> None:
        if not self.office:
            raise Forbidden("Chỉ văn phòng (người chuẩn bị của cơ quan) được làm việc này.",
                            "Only the body's office may do this.")


def _office(user: User) -> bool:
    return user.can_prepare or user.is_admin


def _hidden() -> Forbidden:
    return Forbidden("Bạn không được xem phiếu lấy ý kiến này.",
                     "You may not see this request for opinions.")


async def _access(request: Request) -> Access:
    user = await current_user(request)
    raw = str(request.path_params["opinion_id"])
    return await _load(request, user, int(raw) if raw.isdigit() and len(raw) <= 18 else None)


async def _load(request: Request, user: User, request_id: int | None) -> Access:
    found = await _store(request).get(request_id) if request_id is not None else None
    if found is None or found.body_id != user.body_id:
        raise _hidden()
    office = _office(user)
    chair = found.chair_id == user.id
    member = await _store(request).is_member(found.id, user.id)
    if not (office or chair or (member and found.status != "draft")):
        raise _hidden()
    return Access(user, found, office, chair, member)


def _now() -> datetime:
    return datetime.now(UTC)


# -- reading fields ------------------------------------------------------------------------


def _questions(fields: Fields) -> list[str]:
    value = fields.data.get("questions")
    if not isinstance(value, list) or not 1 <= len(value) <= o.MAX_QUESTIONS or not all(
            isinstance(q, str) and 0 < len(q.strip()) <= 1000 for q in value):
        raise BadRequest(f"Trường 'questions' phải là danh sách 1 đến {o.MAX_QUESTIONS} câu hỏi"
                         " (mỗi câu tối đa 1000 ký tự).",
                         f"Field 'questions' must list 1 to {o.MAX_QUESTIONS} questions.")
    return [clean_text(q.strip()) for q in value]


async def _members(request: Request, fields: Fields, body_id: int) -> list[int]:
    ids = fields.id_list("members")
    if not ids or len(ids) > 200:
        raise BadRequest("Cần chọn từ 1 đến 200 thành viên được lấy ý kiến.",
                         "Choose 1 to 200 members to ask.")
    known = await _store(request).body_users(body_id, ids)
    if set(ids) - known:
        raise BadRequest("Có người không thuộc cơ quan (hoặc tài khoản đã khóa).",
                         "Someone is not an active person of the body.")
    return ids


async def _chair(request: Request, fields: Fields, body_id: int) -> int | None:
    chair = fields.integer("chair_id", minimum=1, required=False)
    if chair is not None and not await _store(request).body_users(body_id, [chair]):
        raise BadRequest("Chủ tọa phải là người của cơ quan.", "The chair must be of the body.")
    return chair


# -- requests ------------------------------------------------------------------------------


async def list_requests(request: Request) -> Response:
    user = await current_user(request)
    found = await _store(request).visible_to(user.id, user.body_id, _office(user))
    return JSONResponse({"opinions": [r.to_json() for r in found],
                         "may_create": _office(user)})


async def create(request: Request) -> Response:
    user = await current_user(request)
    if not _office(user):
        raise Forbidden("Chỉ văn phòng (người chuẩn bị của cơ quan) được lập phiếu lấy ý kiến.",
                        "Only the body's office may ask for opinions.")
    fields = Fields(await read_json(request))
    title = clean_text(fields.text("title", limit=300))
    description = fields.text("description", limit=5000, required=False, empty=True)
    confidentiality = fields.choice("confidentiality", CONFIDENTIALITY, "internal")
    request_id = await _store(request).create(
        user.body_id, title, description, confidentiality, _questions(fields),
        await _members(request, fields, user.body_id),
        await _chair(request, fields, user.body_id), user.id)
    await record(request, user, "opinion.create", f"opinion:{request_id}")
    access = await _load(request, user, request_id)
    return JSONResponse({"opinion": await _detail(request, access)}, status_code=201)


async def _detail(request: Request, access: Access) -> dict[str, Any]:
    store = _store(request)
    req = access.request
    questions = await store.questions(req.id)
    members = await store.members(req.id)
    own = await store.answers(req.id, access.user.id) if access.member else {}
    out: dict[str, Any] = req.to_json()
    out["questions"] = [{"id": q, "text": t} for q, t in questions]
    out["documents"] = [d.to_json() for d in await store.documents(req.id)]
    out["you"] = {"office": access.office, "chair": access.chair, "member": access.member}
    out["accepting"] = o.is_open(req.status, req.closes_at, _now())
    out["rule"] = {"vi": o.RULE_VI, "en": o.RULE_EN}
    out["my_answer"] = ([{"question_id": q, "choice": a.choice, "comment": a.comment,
                          "at": calendar.iso(at), "changes": n}
                         for (q, _), (a, at, n) in own.items()] if access.member else None)
    if access.sees_answers:
        everything = await store.answers(req.id)
        out["members"] = [{"id": mb.user_id, "full_name": mb.name, "title": mb.title,
                           "answered": any((q, mb.user_id) in everything for q, _ in questions)}
                          for mb in members]
        out["answers"] = [{"question_id": q, "user_id": u, "choice": a.choice,
                           "comment": a.comment, "at": calendar.iso(at)}
                          for (q, u), (a, at, _) in everything.items()]
        out["tally"] = {str(q): o.tally(len(members), (
            everything[(q, mb.user_id)][0].choice for mb in members
            if (q, mb.user_id) in everything)).to_json() for q, _ in questions}
        if access.office and out["accepting"] and req.sent_at and req.deadline_day:
            holidays = await request.app.state.directory.holiday_dates(req.body_id)
            answered = {u for (_, u) in everything}
            out["reminders"] = [{"user_id": r.user_id, "at": calendar.iso(r.at)} for r in
                                o.reminders_due([mb.user_id for mb in members], answered,
                                                req.sent_at, req.deadline_day, holidays,
                                                _now())]
    else:
        # Before the summary is out a member sees who else is asked, never their answers.
        out["members"] = [{"id": mb.user_id, "full_name": mb.name, "title": mb.title}
                          for mb in members]
    return out


async def get_request(request: Request) -> Response:
    access = await _access(request)
    return JSONResponse({"opinion": await _detail(request, access)})


async def update(request: Request) -> Response:
    access = await _access(request)
    access.require_office()
    fields = Fields(await read_json(request))
    changes: dict[str, Any] = {}
    body_id = access.request.body_id
    if fields.has("title"):
        changes["title"] = clean_text(fields.text("title", limit=300))
    if fields.has("description"):
        changes["description"] = fields.text("description", limit=5000, empty=True)
    if fields.has("confidentiality"):
        changes["confidentiality"] = fields.choice("confidentiality", CONFIDENTIALITY)
    if fields.has("chair_id"):
        changes["chair_id"] = await _chair(request, fields, body_id)
    if fields.has("questions"):
        changes["questions"] = _questions(fields)
    if fields.has("members"):
        changes["members"] = await _members(request, fields, body_id)
    try:
        await _store(request).update(access.request.id, changes)
    except Closed:
        raise Conflict("Phiếu đã gửi; không sửa được nữa.",
                       "The request has gone out; it can no longer be edited.") from None
    await record(request, access.user, "opinion.update", f"opinion:{access.request.id}",
                 fields=sorted(changes))
    return JSONResponse({"opinion": await _detail(request, await _access(request))})


async def send(request: Request) -> Response:
    """`POST .../send` `{"working_days": n}`: out to the members, the deadline set."""
    access = await _access(request)
    access.require_office()
    fields = Fields(await read_json(request))
    days = fields.integer("working_days", minimum=1, maximum=o.MAX_WORKING_DAYS)
    assert days is not None
    req = access.request
    if req.status != "draft":
        raise Conflict("Phiếu đã được gửi.", "The request has already gone out.")
    holidays = await request.app.state.directory.holiday_dates(req.body_id)
    now = _now()
    deadline = o.deadline_day(now, days, holidays)
    if not await _store(request).send(req.id, days, deadline, o.closes_at(deadline),
                                      access.user.id, client_ip(request)):
        raise Conflict("Phiếu đã được gửi.", "The request has already gone out.")
    members = await _store(request).members(req.id)
    due = o.reminders_due([mb.user_id for mb in members], set(), now, deadline, holidays, now)
    # NOTIFY: once the e-mail outbox (branch `notify`) is merged, queue each reminder
    # of `due` here (and again after each one goes out, for those still silent).
    log.info("opinion %s: %d reminders due at %s", req.id, len(due),
             due[0].at.isoformat() if due else "-")
    return JSONResponse({"opinion": await _detail(request, await _access(request))})


# -- answering -----------------------------------------------------------------------------


async def answer(request: Request) -> Response:
    """`PUT .../answer` `{"answers": [{"question_id", "choice", "comment"}]}`, every
    question once; replaces the member's earlier answer until the deadline."""
    access = await _access(request)
    if not access.member:
        raise Forbidden("Chỉ thành viên được lấy ý kiến mới trả lời phiếu.",
                        "Only the members asked answer.")
    questions = {q for q, _ in await _store(request).questions(access.request.id)}
    raw = (await read_json(request)).get("answers")
    if not isinstance(raw, list) or len(raw) > o.MAX_QUESTIONS:
        raise BadRequest("Trường 'answers' phải là danh sách câu trả lời.",
                         "Field 'answers' must be a list of answers.")
    given: dict[int, o.Answer] = {}
    for item in raw:
        fields = Fields(item if isinstance(item, dict) else {})
        question = fields.integer("question_id", minimum=1)
        choice = fields.choice("choice", o.CHOICES)
        comment = m.clean(fields.text("comment", limit=o.MAX_COMMENT, required=False,
                                      empty=True))
        if choice == "other" and not comment:
            raise BadRequest("Ý kiến khác cần ghi rõ nội dung.",
                             "An other opinion needs its text.")
        assert question is not None
        given[question] = o.Answer(choice, comment)
    if set(given) != questions or len(given) != len(raw):
        raise BadRequest("Cần trả lời mỗi câu hỏi của phiếu đúng một lần.",
                         "Answer every question of the request exactly once.")
    try:
        changed = await _store(request).answer(access.request.id, access.user.id, given,
                                               client_ip(request))
    except Closed:
        raise Conflict("Phiếu đã hết hạn trả lời hoặc đã ban hành tổng hợp; không trả lời "
                       "hay sửa được nữa.",
                       "The request is past its deadline or summed up; answers are closed."
                       ) from None
    return JSONResponse({"opinion": await _detail(request, access), "changed": changed})


# -- the summary ---------------------------------------------------------------------------


def _layout(req: OpinionRequest, issuer: User) -> dict[str, Any]:
    title = signing.own_title(issuer.title).upper() or "NGƯỜI TỔNG HỢP"
    return {
        "organ": req.body_name,
        "place_date": m.place_and_date(req.body_place, calendar.local_day(_now())),
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
    store = _store(request)
    answers = {k: a for k, (a, _, _) in (await store.answers(req.id)).items()}
    return o.draft_summary(req.title, await store.questions(req.id), await store.members(req.id),
                           answers, req.deadline_day)


async def summary(request: Request) -> Response:
    """The office's and chair's working copy (the saved text, else the draft from
    the answers); once issued, the issued text for everyone who sees the request."""
    access = await _access(request)
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
                         "closed": not o.is_open(req.status, req.closes_at, _now())})


def _summary_fields(fields: Fields) -> tuple[str, str]:
    raw = fields.data.get("text")
    if not isinstance(raw, str) or not m.clean(raw) or len(raw) > 100_000:
        raise BadRequest("Trường 'text' phải có nội dung (tối đa 100 000 ký tự).",
                         "Field 'text' must have text (up to 100,000 characters).")
    return m.clean(raw), fields.text("number", limit=60, required=False, empty=True)


async def save_summary(request: Request) -> Response:
    access = await _access(request)
    access.require_office()
    text, number = _summary_fields(Fields(await read_json(request)))
    try:
        await _store(request).save_summary(access.request.id, text, number)
    except Closed:
        raise Conflict("Chỉ sửa bản tổng hợp khi phiếu đã gửi và chưa ban hành.",
                       "The summary is edited between sending and issuing only.") from None
    await record(request, access.user, "opinion.summary_edit", f"opinion:{access.request.id}")
    return JSONResponse({"ok": True})


async def issue(request: Request) -> Response:
    """`POST .../summary/issue` `{"text", "number"?}`: after the deadline, or once
    every member has answered; frozen, its PDF stored, audited."""
    access = await _access(request)
    access.require_office()
    req = access.request
    if req.status != "open":
        raise Conflict("Chỉ ban hành tổng hợp của phiếu đã gửi và chưa ban hành.",
                       "Only a request that is out and not yet summed up can be issued.")
    text, number = _summary_fields(Fields(await read_json(request)))
    store = _store(request)
    members = await store.members(req.id)
    questions = await store.questions(req.id)
    answered = {k for k in await store.answers(req.id)}
    everyone = all((q, mb.user_id) in answered for q, _ in questions for mb in members)
    if o.is_open(req.status, req.closes_at, _now()) and not everyone:
        raise Conflict("Chưa hết hạn trả lời và còn thành viên chưa trả lời.",
                       "The deadline has not passed and some members have not answered.")
    layout = _layout(req, access.user)
    pdf: bytes = await request.app.state.workers.run(
        official.render, _document(layout, number, text, access.user.full_name),
        timeout=RENDER_TIMEOUT)
    try:
        await store.issue(req.id, text, number, layout, pdf, access.user.id, client_ip(request))
    except Closed:
        raise Conflict("Tổng hợp đã được ban hành.", "The summary is already issued.") from None
    return JSONResponse({"opinion": await _detail(request, await _access(request))},
                        status_code=201)


async def summary_pdf(request: Request) -> Response:
    access = await _access(request)
    req = access.request
    if req.status != "issued" or req.summary_pdf is None:
        raise NotFound("Chưa ban hành bản tổng hợp.", "No summary issued yet.")
    data = await files.get(request.app.state.pool, req.summary_pdf)
    if data is None:
        raise NotFound("Không tìm thấy tệp tổng hợp.", "The summary's file is missing.")
    await record(request, access.user, "opinion.summary_download", f"opinion:{req.id}")
    return _attachment(data, f"Tổng hợp ý kiến - {req.title}", "pdf", "application/pdf")


# -- documents -----------------------------------------------------------------------------


async def upload(request: Request) -> Response:
    """The file is the body, as for a meeting's documents (same checks, same engine)."""
    access = await _access(request)
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
    original = await _read_body(request, settings.max_upload_bytes)
    if not original:
        raise EmptyPdf("Tệp trống (0 byte); vui lòng tải lên tệp có nội dung.",
                       "The file is empty (0 bytes); upload one with content.")
    if original.startswith(b"%PDF-"):
        kind, pdf, extension = "application/pdf", original, "pdf"
    elif filename.lower().endswith(".pdf"):
        raise NotPdf()
    elif convert.supported(filename):
        kind = convert.media_type(filename)
        limits = convert.Limits(memory=settings.convert_memory_mb * convert.MIB,
                                cpu=settings.convert_cpu_s,
                                file=settings.convert_file_mb * convert.MIB)
        async with request.app.state.conversions:
            pdf = await convert.convert_to_pdf(original, filename, limits=limits,
                                               timeout=settings.convert_timeout_s)
        extension = filename.rpartition(".")[2]
    else:
        raise UnsupportedType()
    name = stored_name(filename, extension)
    title = clean_text(request.query_params.get("title") or name.rpartition(".")[0])[:300]
    ingested = await request.app.state.workers.run(ingest_pdf, pdf, timeout=300,
                                                   max_pages=settings.max_pages)
    document_id = await _store(request).add_document(access.request.id, NewDocument(
        title=title or name, original_name=name, original_type=kind, original=original,
        pdf=ingested.pdf, confidentiality=confidentiality,
        pages=[(w, h, t) for (w, h), t in zip(ingested.info.page_sizes, ingested.texts,
                                              strict=True)]), access.user.id)
    await record(request, access.user, "opinion.document_upload",
                 f"opinion_document:{document_id}", opinion=access.request.id,
                 pages=ingested.info.page_count)
    return JSONResponse({"document_id": document_id}, status_code=201)


async def page_image(request: Request) -> Response:
    """A page of one of the request's documents: rendered once (the page cache
    shared with meetings), watermarked with the reader's name unless public."""
    access = await _access(request)
    document_id = path_id(request, "document_id")
    document = next((d for d in await _store(request).documents(access.request.id)
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


def routes() -> list[BaseRoute]:
    return [
        Route("/api/opinions", list_requests),
        Route("/api/opinions", create, methods=["POST"]),
        Route(P, get_request),
        Route(P, update, methods=["PATCH"]),
        Route(f"{P}/send", send, methods=["POST"]),
        Route(f"{P}/answer", answer, methods=["PUT"]),
        Route(f"{P}/documents", upload, methods=["POST"]),
        Route(f"{P}/documents/{{document_id}}/pages/{{page_no}}", page_image),
        Route(f"{P}/summary", summary),
        Route(f"{P}/summary", save_summary, methods=["PUT"]),
        Route(f"{P}/summary/issue", issue, methods=["POST"]),
        Route(f"{P}/summary.pdf", summary_pdf),
    ]
