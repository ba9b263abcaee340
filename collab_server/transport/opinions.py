"""Written opinions over HTTP (docs/opinions.md): the office prepares a
request (questions, members asked, chair), sends it with a deadline in
working days, and members answer until the deadline. Who sees what is in
opinion_access.py, the documents in opinion_documents.py, the summary in
opinion_summary.py; every route is listed here."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collab_server.documents.names import clean_text
from collab_server.domain import minutes as m
from collab_server.domain import opinions as o
from collab_server.errors import BadRequest, Conflict, Forbidden
from collab_server.storage.opinions import Closed
from collab_server.transport import notifications, opinion_documents, opinion_summary
from collab_server.transport.auth import client_ip, current_user
from collab_server.transport.documents import CONFIDENTIALITY
from collab_server.transport.http import Fields, read_json, record
from collab_server.transport.opinion_access import (
    access_of,
    detail,
    is_office,
    load,
    now,
    store,
)
from collab_server.transport.responses import JSONResponse

log = logging.getLogger(__name__)
P = "/api/opinions/{opinion_id}"


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
    known = await store(request).body_users(body_id, ids)
    if set(ids) - known:
        raise BadRequest("Có người không thuộc cơ quan (hoặc tài khoản đã khóa).",
                         "Someone is not an active person of the body.")
    return ids


async def _chair(request: Request, fields: Fields, body_id: int) -> int | None:
    chair = fields.integer("chair_id", minimum=1, required=False)
    if chair is not None and not await store(request).body_users(body_id, [chair]):
        raise BadRequest("Chủ tọa phải là người của cơ quan.", "The chair must be of the body.")
    return chair

# -- requests ------------------------------------------------------------------------------


async def list_requests(request: Request) -> Response:
    user = await current_user(request)
    found = await store(request).visible_to(user.id, user.body_id, is_office(user))
    # `answered`: whether the caller, if asked, has answered (null: not asked).
    return JSONResponse({"opinions": [{**r.to_json(), "answered": answered}
                                      for r, answered in found],
                         "may_create": is_office(user)})


async def create(request: Request) -> Response:
    user = await current_user(request)
    if not is_office(user):
        raise Forbidden("Chỉ văn phòng (người chuẩn bị của cơ quan) được lập phiếu lấy ý kiến.",
                        "Only the body's office may ask for opinions.")
    fields = Fields(await read_json(request))
    title = clean_text(fields.text("title", limit=300))
    description = fields.text("description", limit=5000, required=False, empty=True)
    confidentiality = fields.choice("confidentiality", CONFIDENTIALITY, "internal")
    request_id = await store(request).create(
        user.body_id, title, description, confidentiality, _questions(fields),
        await _members(request, fields, user.body_id),
        await _chair(request, fields, user.body_id), user.id)
    await record(request, user, "opinion.create", f"opinion:{request_id}")
    access = await load(request, user, request_id)
    return JSONResponse({"opinion": await detail(request, access)}, status_code=201)


async def get_request(request: Request) -> Response:
    access = await access_of(request)
    return JSONResponse({"opinion": await detail(request, access)})


async def update(request: Request) -> Response:
    access = await access_of(request)
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
        await store(request).update(access.request.id, changes)
    except Closed:
        raise Conflict("Phiếu đã gửi; không sửa được nữa.",
                       "The request has gone out; it can no longer be edited.") from None
    await record(request, access.user, "opinion.update", f"opinion:{access.request.id}",
                 fields=sorted(changes))
    return JSONResponse({"opinion": await detail(request, await access_of(request))})


async def send(request: Request) -> Response:
    """`POST .../send` `{"working_days": n}`: out to the members, the deadline set."""
    access = await access_of(request)
    access.require_office()
    fields = Fields(await read_json(request))
    days = fields.integer("working_days", minimum=1, maximum=o.MAX_WORKING_DAYS)
    assert days is not None
    req = access.request
    if req.status != "draft":
        raise Conflict("Phiếu đã được gửi.", "The request has already gone out.")
    holidays = await request.app.state.directory.holiday_dates(req.body_id)
    moment = now()
    deadline = o.deadline_day(moment, days, holidays)
    # The members are told, and every reminder queued for its time, in the
    # transaction that sends it (docs/notifications.md).
    reminders = o.reminder_times(moment, deadline, holidays)
    if not await store(request).send(req.id, days, deadline, o.closes_at(deadline),
                                      access.user.id, client_ip(request),
                                      also=notifications.on_opinion_sent(request, req.id,
                                                                         reminders)):
        raise Conflict("Phiếu đã được gửi.", "The request has already gone out.")
    notifications.wake(request)
    log.info("opinion %s: reminders at %s", req.id,
             ", ".join(r.isoformat() for r in reminders) or "-")
    return JSONResponse({"opinion": await detail(request, await access_of(request))})


# -- answering -----------------------------------------------------------------------------


async def answer(request: Request) -> Response:
    """`PUT .../answer` `{"answers": [{"question_id", "choice", "comment"}]}`, every
    question once; replaces the member's earlier answer until the deadline."""
    access = await access_of(request)
    if not access.member:
        raise Forbidden("Chỉ thành viên được lấy ý kiến mới trả lời phiếu.",
                        "Only the members asked answer.")
    questions = {q for q, _ in await store(request).questions(access.request.id)}
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
        changed = await store(request).answer(
            access.request.id, access.user.id, given, client_ip(request),
            also=notifications.on_opinion_answered(access.request.id, access.user.id))
    except Closed:
        raise Conflict("Phiếu đã hết hạn trả lời hoặc đã ban hành tổng hợp; không trả lời "
                       "hay sửa được nữa.",
                       "The request is past its deadline or summed up; answers are closed."
                       ) from None
    return JSONResponse({"opinion": await detail(request, access), "changed": changed})


def routes() -> list[BaseRoute]:
    return [
        Route("/api/opinions", list_requests),
        Route("/api/opinions", create, methods=["POST"]),
        Route(P, get_request),
        Route(P, update, methods=["PATCH"]),
        Route(f"{P}/send", send, methods=["POST"]),
        Route(f"{P}/answer", answer, methods=["PUT"]),
        Route(f"{P}/documents", opinion_documents.upload, methods=["POST"]),
        Route(f"{P}/documents/{{document_id}}", opinion_documents.remove, methods=["DELETE"]),
        Route(f"{P}/documents/{{document_id}}/pages/{{page_no}}", opinion_documents.page_image),
        Route(f"{P}/summary", opinion_summary.summary),
        Route(f"{P}/summary", opinion_summary.save_summary, methods=["PUT"]),
        Route(f"{P}/summary/issue", opinion_summary.issue, methods=["POST"]),
        Route(f"{P}/summary.pdf", opinion_summary.summary_pdf),
    ]
