"""After the session over HTTP: the minutes (draft, approval, versions, PDF),
the conclusion notice and its deadline, poll results as PDF and CSV, reuse
of a meeting and of its documents, and the export of the whole record.

The minutes are edited live in `meeting/{id}/minutes` (a `Y.Text` named
"text", written by the secretary and the chair). The server only reads that
text: pycrdt counts `Text` offsets in UTF-8 bytes where Yjs counts UTF-16
units, so an edit made here after a Vietnamese letter could break browsers.
The browser seeds the empty text from the draft route.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import IO, Any
from urllib.parse import quote

import orjson
import pycrdt
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from collab_server.documents.official import OfficialDocument, Signature, render
from collab_server.domain import calendar, signing
from collab_server.domain import minutes as m
from collab_server.domain.access import MeetingAccess
from collab_server.domain.lifecycle import DOCUMENTS_OPEN, Status
from collab_server.domain.roles import Role
from collab_server.errors import BadJson, BadRequest, Conflict, Forbidden, NotFound, TooLarge
from collab_server.live.hub import Hub
from collab_server.storage import files
from collab_server.storage.accounts import User
from collab_server.storage.minutes import Frozen, PgMinutes
from collab_server.transport import notifications
from collab_server.transport.auth import client_ip, current_user
from collab_server.transport.documents import (
    _secret_allowed,
    served_digest,
    served_name,
    visible_document,
)
from collab_server.transport.http import (
    MAX_JSON_BODY,
    Fields,
    caller_and_meeting,
    meeting_access,
    path_id,
    record,
)
from collab_server.transport.invitations import notice_warnings
from collab_server.transport.responses import JSONResponse
from collab_server.transport.spreadsheet import csv_bytes

TEXT_ROOT = "text"
# An unnumbered document leaves room for the clerk to write the number in.
BLANK_NUMBER = "Số:" + "\u00a0" * 10
RENDER_TIMEOUT = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def live_name(meeting_id: int) -> str:
    """The live minutes document (DocKind.MINUTES in live/names.py)."""
    return f"meeting/{meeting_id}/minutes"


def minutes_store(request: Request) -> PgMinutes:
    return PgMinutes(request.app.state.pool)


# -- who may -------------------------------------------------------------------------------


def _require_preparer(access: MeetingAccess) -> None:
    """Secretary, chair or an admin of the body."""
    if not access.can_prepare:
        raise Forbidden("Chỉ thư ký, chủ tọa hoặc quản trị của cơ quan được làm việc này.",
                        "Only the secretary, the chair or a body admin may.")


def _require_signer(access: MeetingAccess) -> None:
    """Approving minutes or issuing a notice is the secretary's or the chair's act."""
    if access.role not in (Role.SECRETARY, Role.CHAIR):
        raise Forbidden("Chỉ thư ký hoặc chủ tọa cuộc họp được phê duyệt, ban hành.",
                        "Only the meeting's secretary or chair may approve or issue.")


def _require_reader(access: MeetingAccess) -> None:
    """Approved texts: everyone who took part (not the projector), and body admins."""
    if not (access.body_admin or (access.role is not None and access.role != Role.DISPLAY)):
        raise Forbidden("Bạn không tham dự cuộc họp này.", "You take no part in this meeting.")


def _require_ended(access: MeetingAccess) -> None:
    if access.status is Status.ARCHIVED:
        raise Conflict("Cuộc họp đã lưu trữ; hồ sơ chỉ còn được đọc.",
                       "The meeting is archived; its record is read-only.")
    if access.status is not Status.ENDED:
        raise Conflict("Cuộc họp chưa kết thúc.", "The meeting has not ended.")


# -- reading requests ----------------------------------------------------------------------


async def _optional_json(request: Request) -> dict[str, Any]:
    """A JSON object, or {} for an empty body."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise TooLarge()
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadJson() from exc
    if not isinstance(data, dict):
        raise BadJson("Nội dung phải là một đối tượng JSON.", "The body must be a JSON object.")
    return data


def _recipients(fields: Fields, default: list[str]) -> tuple[str, ...]:
    value = fields.data.get("recipients")
    if value is None:
        return m.bullet_list(default)
    if not isinstance(value, list) or len(value) > 30 or not all(
            isinstance(v, str) and 0 < len(v.strip()) <= 300 for v in value):
        raise BadRequest("Trường 'recipients' phải là danh sách tối đa 30 dòng.",
                         "Field 'recipients' must be a list of up to 30 lines.")
    return m.bullet_list(value)


def _checked_text(raw: str) -> str:
    text = m.clean(raw)
    if not text.strip():
        raise Conflict("Văn bản trống: hãy soạn từ bản nháp trước khi phê duyệt.",
                       "The text is empty: write it (from the draft) before approving.")
    if len(text) > m.MAX_TEXT:
        raise TooLarge(f"Văn bản dài quá {m.MAX_TEXT} ký tự.",
                       f"The text is longer than {m.MAX_TEXT} characters.")
    return text


async def live_text(hub: Hub, meeting_id: int) -> str:
    """The shared minutes as this process knows them: the live replica when
    it is loaded (it holds what is not stored yet), else storage. Read into a
    fresh document: nothing is ever written to the shared one."""
    name = live_name(meeting_id)
    live = hub.docs.get(name)
    updates = [live.doc.get_update()] if live is not None else await hub.store.load(name)
    doc: pycrdt.Doc[Any] = pycrdt.Doc()
    if updates:
        doc.apply_update(updates[0] if len(updates) == 1 else pycrdt.merge_updates(*updates))
    return str(doc.get(TEXT_ROOT, type=pycrdt.Text))


# -- minutes -------------------------------------------------------------------------------


async def _record(request: Request, meeting_id: int) -> m.MinutesRecord:
    found = await minutes_store(request).record(meeting_id)
    if found is None:
        raise NotFound()
    return found


async def draft(request: Request) -> Response:
    """`GET /api/meetings/{id}/minutes/draft`: the minutes as the record tells them."""
    _, access = await caller_and_meeting(request)
    _require_preparer(access)
    minutes = await _record(request, access.meeting_id)
    return JSONResponse({"meeting_id": access.meeting_id, "text": m.draft(minutes),
                         "generated_at": calendar.iso(datetime.now(UTC))})


def _minutes_layout(minutes: m.MinutesRecord, recipients: tuple[str, ...]) -> dict[str, Any]:
    """The header and signers as they are at approval, frozen with the text."""
    chair, secretary = minutes.role("chair"), minutes.role("secretary")
    return {
        "organ": minutes.body,
        "place_date": m.place_and_date(minutes.place, minutes.day),
        "kind": "BIÊN BẢN",
        "subject": minutes.title,
        "signatures": [["THƯ KÝ", secretary.name if secretary else ""],
                       ["CHỦ TỌA", chair.name if chair else ""]],
        "recipients": list(recipients),
    }


async def approve(request: Request) -> Response:
    """`POST /api/meetings/{id}/minutes/approve`: freeze the current text as
    the next version. `{"text"}` gives the text; otherwise the live one."""
    user, access = await caller_and_meeting(request)
    _require_signer(access)
    _require_ended(access)
    fields = Fields(await _optional_json(request))
    if fields.has("text"):
        raw = fields.data["text"]
        if not isinstance(raw, str):
            raise BadRequest("Trường 'text' phải là chuỗi.", "Field 'text' must be a string.")
    else:
        raw = await live_text(request.app.state.hub, access.meeting_id)
    text = _checked_text(raw)
    number = fields.text("number", limit=60, required=False)
    minutes = await _record(request, access.meeting_id)
    layout = _minutes_layout(minutes, _recipients(
        fields, ["Các thành viên dự họp", "Lưu: VT, hồ sơ cuộc họp"]))
    frozen, created = await minutes_store(request).approve(access.meeting_id, text, number, layout,
                                                    user.id, client_ip(request))
    return JSONResponse({"minutes": _with_pdf(frozen, access.meeting_id),
                         "unchanged": not created}, status_code=201 if created else 200)


def _with_pdf(frozen: Frozen, meeting_id: int, *, text: bool = True) -> dict[str, Any]:
    out = frozen.to_json(text=text)
    out["pdf"] = f"/api/meetings/{meeting_id}/minutes/{frozen.version}.pdf"
    return out


async def list_minutes(request: Request) -> Response:
    """`GET /api/meetings/{id}/minutes`: approved versions, newest last; for
    those who draft them, the live text as it stands."""
    user, access = await caller_and_meeting(request)
    _require_reader(access)
    versions = await minutes_store(request).versions(access.meeting_id)
    signed = await request.app.state.signed.of_meeting("minutes", access.meeting_id)
    body: dict[str, Any] = {
        "versions": [_with_signatures(_with_pdf(v, access.meeting_id, text=False), v,
                                      signed.get(v.version, []), user, access,
                                      f"/api/meetings/{access.meeting_id}/minutes/{v.version}/sign")
                     for v in versions],
        "signing_key": await has_signing_key(request, access.body_id),
        "can_approve": access.role in (Role.SECRETARY, Role.CHAIR)
        and access.status is Status.ENDED,
    }
    if access.can_prepare:
        body["current"] = await live_text(request.app.state.hub, access.meeting_id)
    return JSONResponse(body)


def _with_signatures(out: dict[str, Any], frozen: Frozen, applied: list[Any], user: User,
                     access: MeetingAccess, url: str) -> dict[str, Any]:
    """A version as listed, with its digital signatures and whether the
    caller is to sign it (transport/signing.py)."""
    block = signing.signer_block(frozen.layout.get("signatures", []), user.full_name,
                                 access.role == Role.SECRETARY, access.role == Role.CHAIR)
    out["signatures"] = [a.to_json() for a in applied]
    out["sign"] = url if block is not None and all(a.signer_id != user.id for a in applied) \
        else None
    return out


async def signing_key(request: Request, body_id: int) -> Any | None:
    """The body's signing key as configured (documents/pades.SignerSpec), or None."""
    keys: dict[str, Any] = request.app.state.signing_keys
    if not keys:
        return None
    code = await request.app.state.pool.fetchval("SELECT code FROM bodies WHERE id = $1", body_id)
    return keys.get(str(code))


async def has_signing_key(request: Request, body_id: int) -> bool:
    return await signing_key(request, body_id) is not None


def _document(layout: dict[str, Any], number: str, text: str, default_number: str,
              author: str) -> OfficialDocument:
    return OfficialDocument(
        organ=str(layout["organ"]),
        number=f"Số: {number}" if number else default_number,
        place_date=str(layout["place_date"]),
        kind=str(layout["kind"]),
        subject=str(layout["subject"]),
        text=text,
        signatures=tuple(Signature(str(t), str(n)) for t, n in layout.get("signatures", [])),
        recipients=tuple(str(r) for r in layout.get("recipients", [])),
        author=author,
    )


def _download_name(stem: str) -> tuple[str, str]:
    """A file name as UTF-8, and folded to ASCII for clients that ignore `filename*`."""
    name = " ".join(_UNSAFE.sub(" ", unicodedata.normalize("NFC", stem)).split())[:150]
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    return name, folded.encode("ascii", "ignore").decode() or "tai-lieu"


def _attachment(data: bytes, stem: str, extension: str, media_type: str) -> Response:
    name, ascii_name = _download_name(stem)
    headers = {
        "content-disposition": f"attachment; filename=\"{ascii_name}.{extension}\"; "
                               f"filename*=UTF-8''{quote(name)}.{extension}",
        "cache-control": "no-store",
    }
    return Response(data, media_type=media_type, headers=headers)


async def render_minutes(request: Request, frozen: Frozen) -> bytes:
    document = _document(frozen.layout, frozen.number, frozen.text, BLANK_NUMBER + "/BB",
                         frozen.by_name)
    pdf: bytes = await request.app.state.workers.run(render, document, timeout=RENDER_TIMEOUT)
    return pdf


async def signed_or_rendered(request: Request, kind: str, frozen: Frozen) -> bytes:
    """The version's file: as its last digital signature left it
    (transport/signing.py), or as rendered now."""
    applied = await request.app.state.signed.of(kind, frozen.meeting_id, frozen.version)
    if applied:
        data = await files.get(request.app.state.pool, applied[-1].pdf_sha256)
        if data is None:
            raise NotFound("Không tìm thấy tệp đã ký.", "The signed file is missing.")
        return bytes(data)
    if kind == "minutes":
        return await render_minutes(request, frozen)
    return await render_notice(request, frozen)


def version_in_path(request: Request) -> int:
    raw = str(request.path_params["version"])
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound("Không có phiên bản này.", "No such version.")
    return int(raw)


async def minutes_pdf(request: Request) -> Response:
    """`GET /api/meetings/{id}/minutes/{version}.pdf`."""
    user, access = await caller_and_meeting(request)
    _require_reader(access)
    frozen = await minutes_store(request).version(access.meeting_id, version_in_path(request))
    if frozen is None:
        raise NotFound("Không có phiên bản biên bản này.", "No such version of the minutes.")
    pdf = await signed_or_rendered(request, "minutes", frozen)
    await record(request, user, "minutes.download", f"meeting:{access.meeting_id}",
                 version=frozen.version)
    return _attachment(pdf, f"Biên bản {frozen.layout['subject']} (v{frozen.version})", "pdf",
                       "application/pdf")


# -- the conclusion notice -----------------------------------------------------------------


async def _deadline(request: Request,
                    access: MeetingAccess) -> tuple[datetime, date, set[date]]:
    """When the meeting ended, the notice's deadline, and the body's days off."""
    ended = await minutes_store(request).ended_at(access.meeting_id)
    if ended is None or access.status not in (Status.ENDED, Status.ARCHIVED):
        raise Conflict("Cuộc họp chưa kết thúc.", "The meeting has not ended.")
    holidays: set[date] = await request.app.state.directory.holiday_dates(access.body_id)
    return ended, m.conclusion_deadline(ended, holidays), holidays


def _notice_layout(minutes: m.MinutesRecord, recipients: tuple[str, ...]) -> dict[str, Any]:
    """Titled "Kết luận của <title> <name> tại ...", signed in the body's own
    form (TM./KT./TL., domain/signing.py) by the chair."""
    chair = minutes.role("chair")
    return {
        "organ": minutes.body,
        "place_date": m.place_and_date(minutes.place,
                                       calendar.local_day(datetime.now(UTC))),
        "kind": "THÔNG BÁO",
        "subject": m.notice_subtitle(chair.titled() if chair else "chủ tọa", minutes.title,
                                     minutes.day),
        "signatures": [[signing.signature_title(minutes.signing_authority, minutes.head_title,
                                                chair.title if chair else "", "CHỦ TỌA"),
                        chair.name if chair else ""]],
        "recipients": list(recipients),
    }


async def conclusion(request: Request) -> Response:
    """`GET /api/meetings/{id}/conclusion`: the deadline (5 working days after
    the meeting), whether the notice is out, and a draft for those who write it."""
    user, access = await caller_and_meeting(request)
    _require_reader(access)
    ended, deadline, holidays = await _deadline(request, access)
    store = minutes_store(request)
    notice = await store.notice(access.meeting_id)
    today = calendar.local_day(datetime.now(UTC))
    left = m.working_days_left(today, deadline, holidays)
    body: dict[str, Any] = {
        "ended_at": calendar.iso(ended),
        "deadline": deadline.isoformat(),
        "status": "issued" if notice is not None else "pending",
        "days_left": left,
        "overdue": notice is None and left < 0,
        "draft": None,
        "notice": None,
    }
    if notice is not None:
        body["notice"] = notice.to_json()
        body["notice"]["pdf"] = f"/api/meetings/{access.meeting_id}/conclusion.pdf"
        applied = await request.app.state.signed.of("conclusion", access.meeting_id,
                                                    notice.version)
        _with_signatures(body["notice"], notice, applied, user, access,
                         f"/api/meetings/{access.meeting_id}/conclusion/{notice.version}/sign")
        body["signing_key"] = await has_signing_key(request, access.body_id)
        body["issued_on_time"] = calendar.local_day(notice.at) <= deadline
    if access.can_prepare:
        approved = await store.version(access.meeting_id)
        if approved is not None:
            body["draft"] = m.notice_draft(await _record(request, access.meeting_id),
                                           approved.text)
            body["minutes_version"] = approved.version
    return JSONResponse(body)


async def issue_conclusion(request: Request) -> Response:
    """`POST /api/meetings/{id}/conclusion` `{"text", "number"?, "recipients"?}`."""
    user, access = await caller_and_meeting(request)
    _require_signer(access)
    _require_ended(access)
    fields = Fields(await _optional_json(request))
    store = minutes_store(request)
    approved = await store.version(access.meeting_id)
    if approved is None:
        raise Conflict("Chưa có biên bản được phê duyệt để thông báo kết luận.",
                       "No approved minutes to draw the conclusions from.")
    raw = fields.data.get("text")
    if not isinstance(raw, str):
        raise BadRequest("Trường 'text' phải là chuỗi.", "Field 'text' must be a string.")
    text = _checked_text(raw)
    number = fields.text("number", limit=60, required=False)
    _, deadline, _ = await _deadline(request, access)
    minutes = await _record(request, access.meeting_id)
    layout = _notice_layout(minutes, _recipients(
        fields, ["Các thành viên dự họp", "Các cơ quan, đơn vị liên quan", "Lưu: VT"]))
    frozen, created = await store.issue(access.meeting_id, text, number, layout,
                                        approved.version, deadline, user.id, client_ip(request))
    out = frozen.to_json()
    out["pdf"] = f"/api/meetings/{access.meeting_id}/conclusion.pdf"
    return JSONResponse({"notice": out, "unchanged": not created},
                        status_code=201 if created else 200)


async def render_notice(request: Request, frozen: Frozen) -> bytes:
    document = _document(frozen.layout, frozen.number, frozen.text, BLANK_NUMBER + "/TB",
                         frozen.by_name)
    pdf: bytes = await request.app.state.workers.run(render, document, timeout=RENDER_TIMEOUT)
    return pdf


async def conclusion_pdf(request: Request) -> Response:
    """`GET /api/meetings/{id}/conclusion.pdf` (`?version=n`, else the latest)."""
    user, access = await caller_and_meeting(request)
    _require_reader(access)
    raw = request.query_params.get("version")
    version = int(raw) if raw is not None and raw.isdigit() and len(raw) < 9 else None
    frozen = await minutes_store(request).notice(access.meeting_id, version)
    if frozen is None:
        raise NotFound("Chưa ban hành thông báo kết luận.", "No conclusion notice issued.")
    pdf = await signed_or_rendered(request, "conclusion", frozen)
    await record(request, user, "conclusion.download", f"meeting:{access.meeting_id}",
                 version=frozen.version)
    return _attachment(pdf, f"Thông báo kết luận (v{frozen.version})", "pdf",
                       "application/pdf")


# -- poll results --------------------------------------------------------------------------


async def _closed_poll(request: Request) -> tuple[User, MeetingAccess, m.Poll]:
    """The poll in the path, to participants of its meeting (anyone else gets
    403 whether or not it exists), once closed."""
    user = await current_user(request)
    found = await minutes_store(request).poll(path_id(request, "poll_id"))
    if found is None:
        raise Forbidden("Bạn không tham dự cuộc họp này.", "You take no part in this meeting.")
    meeting_id, poll = found
    access = await meeting_access(request, user, meeting_id)
    if access.role is None:
        raise Forbidden("Chỉ người tham dự cuộc họp được xem biểu quyết.",
                        "Only participants may see the polls.")
    if poll.status != "closed" or poll.result is None:
        raise Conflict("Cuộc biểu quyết chưa kết thúc hoặc đã bị hủy.",
                       "The poll is not closed, or was cancelled.")
    return user, access, poll


def poll_csv(poll: m.Poll, meeting_title: str) -> bytes:
    return csv_bytes(m.poll_rows(poll, meeting_title))


async def poll_result_csv(request: Request) -> Response:
    """`GET /api/polls/{id}/result.csv`."""
    user, access, poll = await _closed_poll(request)
    minutes = await _record(request, access.meeting_id)
    await record(request, user, "poll.export", f"poll:{poll.id}", format="csv")
    return _attachment(poll_csv(poll, minutes.title), f"Kết quả biểu quyết {poll.id}", "csv",
                       "text/csv; charset=utf-8")


def _poll_document(poll: m.Poll, minutes: m.MinutesRecord) -> OfficialDocument:
    return OfficialDocument(
        organ=minutes.body, number="",
        place_date=m.place_and_date(minutes.place, minutes.day),
        kind="KẾT QUẢ BIỂU QUYẾT", subject=minutes.title, text=m.poll_text(poll),
        author=minutes.body)


async def poll_result_pdf(request: Request) -> Response:
    """`GET /api/polls/{id}/result.pdf`."""
    user, access, poll = await _closed_poll(request)
    minutes = await _record(request, access.meeting_id)
    pdf: bytes = await request.app.state.workers.run(render, _poll_document(poll, minutes),
                                                     timeout=RENDER_TIMEOUT)
    await record(request, user, "poll.export", f"poll:{poll.id}", format="pdf")
    return _attachment(pdf, f"Kết quả biểu quyết {poll.id}", "pdf", "application/pdf")


# -- reuse ---------------------------------------------------------------------------------


async def copy_meeting(request: Request) -> Response:
    """`POST /api/meetings/{id}/copy` `{"title", "starts_at"}`: a new draft with
    this meeting's agenda, people (roles) and settings."""
    user, access = await caller_and_meeting(request)
    if user.body_id != access.body_id or not (user.is_admin or user.can_prepare):
        raise Forbidden("Chỉ người chuẩn bị họp của cơ quan được sao chép cuộc họp.",
                        "Only preparers of the meeting's body may copy it.")
    fields = Fields(await _optional_json(request))
    title = fields.text("title", limit=300)
    starts_at = fields.moment("starts_at")
    assert starts_at is not None
    meeting_id = await minutes_store(request).copy_meeting(access.meeting_id, user.id, title,
                                                    starts_at)
    await record(request, user, "meeting.copy", f"meeting:{meeting_id}",
                 source=access.meeting_id)
    return JSONResponse({"meeting": await request.app.state.meetings.detail(meeting_id)},
                        status_code=201)


async def attach_document(request: Request) -> Response:
    """`POST /api/meetings/{id}/documents/attach` `{"document_id", "agenda_item"?}`:
    a document of another meeting the caller may see, without uploading it again."""
    user, access = await caller_and_meeting(request)
    access.require_prepare()
    if access.status not in DOCUMENTS_OPEN:
        raise Conflict("Cuộc họp đã kết thúc; không thêm tài liệu được.",
                       "The meeting has ended; no more documents.")
    fields = Fields(await _optional_json(request))
    document_id = fields.integer("document_id", minimum=1)
    item_id = fields.integer("agenda_item", minimum=1, required=False)
    assert document_id is not None
    source_access, source = await visible_document(request, user, document_id)
    if source.meeting_id == access.meeting_id:
        raise Conflict("Tài liệu đã có trong cuộc họp này.", "Already in this meeting.")
    # Attaching hands the whole file to new readers: only what the caller
    # could take out of the old meeting anyway.
    if not (source_access.can_prepare or source.allow_download):
        raise Forbidden("Tài liệu này không được phép dùng lại ngoài cuộc họp của nó.",
                        "This document may not leave its meeting.")
    await _secret_allowed(request, access, source.secrecy)
    if item_id is not None and not await request.app.state.agenda.exists(access.meeting_id,
                                                                         item_id):
        raise NotFound("Không có mục này trong chương trình.", "No such agenda item.")
    new_id = await minutes_store(request).attach(
        source.id, access.meeting_id, item_id, user.id,
        also=notifications.on_document_added(
            request, access.meeting_id, title=source.title,
            public=source.confidentiality == "public" and source.secrecy == "none"))
    notifications.wake(request)
    await record(request, user, "document.attach", f"document:{new_id}",
                 meeting=access.meeting_id, source=source.id)
    warnings = [] if access.status is Status.DRAFT else await notice_warnings(request, access)
    document = await request.app.state.documents.get(new_id)
    return JSONResponse({"document": document.to_json(), "warnings": warnings},
                        status_code=201)


# -- export --------------------------------------------------------------------------------


class _Zip:
    """A zip file written in a worker thread into a spooled temporary file
    (memory first, disk past 32 MB), so the event loop never waits on it."""

    def __init__(self) -> None:
        self.spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
        self.zip = zipfile.ZipFile(self.spool, "w")
        self.names: set[str] = set()

    def _name(self, name: str) -> str:
        stem, dot, extension = name.rpartition(".")
        candidate, n = name, 1
        while candidate in self.names:
            n += 1
            candidate = f"{stem} ({n}).{extension}" if dot else f"{name} ({n})"
        self.names.add(candidate)
        return candidate

    async def add(self, name: str, data: bytes, *, compress: bool) -> None:
        method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        await asyncio.to_thread(self.zip.writestr, self._name(name), data, method)

    async def add_stream(self, name: str, chunks: AsyncIterator[bytes]) -> None:
        info = zipfile.ZipInfo(self._name(name), date_time=datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED
        target = await asyncio.to_thread(self.zip.open, info, "w", force_zip64=True)
        try:
            async for chunk in chunks:
                await asyncio.to_thread(target.write, chunk)
        finally:
            await asyncio.to_thread(target.close)

    async def finish(self) -> int:
        await asyncio.to_thread(self.zip.close)
        size = self.spool.tell()
        self.spool.seek(0)
        return size

    async def stream(self) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(self.spool.read, 256 * 1024):
                yield chunk
        finally:
            self.spool.close()


def _entry(name: str) -> str:
    return _download_name(name)[0] or "tep"


async def export_zip(request: Request) -> Response:
    """`GET /api/meetings/{id}/export.zip`: the originals of the documents,
    the latest approved minutes and the issued notice as PDF, every closed
    poll as CSV, and the event log as JSON."""
    user, access = await caller_and_meeting(request)
    _require_preparer(access)
    store = minutes_store(request)
    minutes = await _record(request, access.meeting_id)
    archive = _Zip()
    try:
        for document in await request.app.state.documents.of_meeting(access.meeting_id):
            # What every other route serves: a PDF as its cleaned copy.
            digest = served_digest(document)
            if digest is None:
                continue
            await archive.add_stream(f"tai-lieu/{document.id} - {_entry(served_name(document))}",
                                     store.file_chunks(digest))
        approved = await store.version(access.meeting_id)
        if approved is not None:
            await archive.add(f"bien-ban-v{approved.version}.pdf",
                              await signed_or_rendered(request, "minutes", approved),
                              compress=False)
        notice = await store.notice(access.meeting_id)
        if notice is not None:
            await archive.add("thong-bao-ket-luan.pdf",
                              await signed_or_rendered(request, "conclusion", notice),
                              compress=False)
        for poll in minutes.polls:
            if poll.status == "closed" and poll.result is not None:
                await archive.add(f"bieu-quyet/bieu-quyet-{poll.id}.csv",
                                  poll_csv(poll, minutes.title), compress=True)
        log = {"meeting": {"id": access.meeting_id, "title": minutes.title,
                           "body": minutes.body},
               "events": await store.events(access.meeting_id)}
        await archive.add("nhat-ky-su-kien.json", orjson.dumps(log, option=orjson.OPT_INDENT_2),
                          compress=True)
        size = await archive.finish()
    except BaseException:
        with contextlib.suppress(OSError):
            archive.spool.close()
        raise
    await record(request, user, "meeting.export", f"meeting:{access.meeting_id}", bytes=size)
    name, ascii_name = _download_name(f"Hồ sơ cuộc họp {access.meeting_id}")
    headers = {
        "content-disposition": f"attachment; filename=\"{ascii_name}.zip\"; "
                               f"filename*=UTF-8''{quote(name)}.zip",
        "content-length": str(size),
        "cache-control": "no-store",
    }
    # The stream closes the file when it ends; the task, if the client leaves first.
    return StreamingResponse(archive.stream(), media_type="application/zip", headers=headers,
                             background=BackgroundTask(archive.spool.close))
