"""Invitations over HTTP: the notice a meeting gives (Decision 45/2018/QĐ-TTg),
the letter (giấy mời, Decree 30/2020/NĐ-CP template 1.7) produced when the
invitations are sent, and the invitee's side: their answer and the people
they may send as a deputy.

The letter is rendered before the meeting's status moves, so a letter that
cannot be made (no chair to name and sign) sends nothing, and stored once it
moved; it is served as stored, so every invitee downloads the same bytes.

Beside it, each invitee has a personal letter (`?user=N`, "Kính gửi: Ông/Bà
..."): made on request from the meeting as it stands, dated the day the
invitations went out; an invitee reads only their own.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from collab_server.documents.official import OfficialDocument, Signature, render
from collab_server.domain import calendar, invitation
from collab_server.domain.access import MeetingAccess
from collab_server.domain.lifecycle import Status
from collab_server.domain.roles import Role
from collab_server.errors import Forbidden, NotFound
from collab_server.storage.accounts import User
from collab_server.storage.invitations import Issued, PgInvitations
from collab_server.transport.http import caller_and_meeting, record
from collab_server.transport.responses import JSONResponse

RENDER_TIMEOUT = 120


def _store(request: Request) -> PgInvitations:
    return PgInvitations(request.app.state.pool)


def may_read(access: MeetingAccess) -> bool:
    """Everyone invited (not the projector), and the body's admins."""
    return access.body_admin or (access.role is not None and access.role != Role.DISPLAY)


# -- the notice period -----------------------------------------------------------------------


async def _days_from(request: Request, access: MeetingAccess, starts_at: datetime,
                     day: date) -> int:
    holidays = await request.app.state.directory.holiday_dates(access.body_id)
    return invitation.notice_days(day, calendar.local_day(starts_at), holidays)


async def notice_now(request: Request, access: MeetingAccess,
                     starts_at: datetime) -> dict[str, Any]:
    """The notice the meeting would get if sent today."""
    today = calendar.local_day(datetime.now(UTC))
    return invitation.notice(await _days_from(request, access, starts_at, today), sent_on=None)


async def notice_warnings(request: Request, access: MeetingAccess) -> list[dict[str, Any]]:
    """Decision 45: invitations and documents go out at least 3 working days
    ahead. Late is allowed, but the secretary is told, for every kind of meeting."""
    meeting = await request.app.state.meetings.detail(access.meeting_id)
    found = await notice_now(request, access, datetime.fromisoformat(meeting["starts_at"]))
    if found["met"]:
        return []
    days = found["working_days"]
    return [{"code": "no_notice" if days == 0 else "short_notice_one" if days == 1
             else "short_notice", "working_days": days, "required": found["required"],
             "message": found["message"], "message_en": found["message_en"]}]


async def meeting_extras(request: Request, user: User, access: MeetingAccess,
                         meeting: dict[str, Any]) -> None:
    """What GET /api/meetings/{id} adds: the notice (as sent, or as it would be
    today), the letter, and the caller's own answer."""
    issued = await _store(request).latest(access.meeting_id)
    starts = datetime.fromisoformat(meeting["starts_at"])
    if issued is not None and access.status is not Status.DRAFT:
        meeting["notice"] = invitation.notice(issued.notice_days,
                                              sent_on=calendar.local_day(issued.at))
    elif access.status in (Status.DRAFT, Status.INVITED):
        meeting["notice"] = await notice_now(request, access, starts)
    else:
        meeting["notice"] = None
    meeting["invitation"] = (issued.to_json(access.meeting_id)
                             if issued is not None and may_read(access) else None)
    if meeting["invitation"] is not None:
        # The invitee's own letter ("Kính gửi: Ông/Bà ..."); the chair invites.
        mine = access.role in (Role.DELEGATE, Role.GUEST) and access.status is not Status.DRAFT
        meeting["invitation"]["mine"] = (
            f"/api/meetings/{access.meeting_id}/invitation.pdf?user={user.id}" if mine else None)
    meeting["my_answer"] = None
    if access.role is not None and access.role != Role.DISPLAY:
        me = await request.app.state.participants.get(access.meeting_id, user.id)
        if me is not None:
            meeting["my_answer"] = {k: me[k] for k in (
                "response", "response_reason", "responded_at", "deputy", "stands_in_for")}


# -- the letter ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Letter:
    pdf: bytes
    notice_days: int


def _document(parts: dict[str, Any], author: str) -> OfficialDocument:
    return OfficialDocument(
        organ=parts["organ"], number=parts["number"], place_date=parts["place_date"],
        kind=parts["kind"], subject=parts["subject"], text=parts["text"],
        signatures=tuple(Signature(t, n) for t, n in parts["signatures"]),
        recipients=tuple(parts["recipients"]), author=author)


async def render_letter(request: Request, user: User, access: MeetingAccess) -> Letter:
    """Write and render the letter, before the meeting's status moves.
    Raises NoChair (409) when the meeting has no chair."""
    facts = await _store(request).facts(access.meeting_id)
    if facts is None:
        raise NotFound()
    today = calendar.local_day(datetime.now(UTC))
    days = await _days_from(request, access, facts.starts_at, today)
    parts = invitation.letter(facts, today)
    pdf: bytes = await request.app.state.workers.run(render, _document(parts, user.full_name),
                                                     timeout=RENDER_TIMEOUT)
    return Letter(pdf, days)


async def issue(request: Request, user: User, access: MeetingAccess, letter: Letter) -> Issued:
    """Store the letter as sent, once the status moved; audited with its hash."""
    issued = await _store(request).issue(access.meeting_id, letter.pdf, letter.notice_days,
                                         user.id)
    await record(request, user, "invitation.issue", f"meeting:{access.meeting_id}",
                 version=issued.version, sha256=issued.sha256, notice_days=letter.notice_days,
                 notice_met=letter.notice_days >= calendar.NOTICE_WORKING_DAYS,
                 bytes=len(letter.pdf))
    return issued


def _pdf_response(pdf: bytes, filename: str, name: str) -> Response:
    headers = {
        "content-disposition": f"inline; filename=\"{filename}\"; "
                               f"filename*=UTF-8''{quote(name)}.pdf",
        "cache-control": "no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


async def invitation_pdf(request: Request) -> Response:
    """`GET /api/meetings/{id}/invitation.pdf` (`?version=n`, else the latest);
    `?user=N`: the personal letter of invitee N."""
    user, access = await caller_and_meeting(request)
    if not may_read(access):
        raise Forbidden("Bạn không có giấy mời của cuộc họp này.", "You were not invited.")
    if "user" in request.query_params:
        return await _personal_letter(request, user, access)
    raw = request.query_params.get("version")
    version = int(raw) if raw and raw.isdigit() and len(raw) < 9 else None
    if raw is not None and version is None:
        raise NotFound("Không có phiên bản này.", "No such version.")
    found = await _store(request).pdf(access.meeting_id, version)
    if found is None:
        raise NotFound("Chưa gửi giấy mời của cuộc họp này.", "No invitation sent yet.")
    issued, pdf = found
    await record(request, user, "invitation.download", f"meeting:{access.meeting_id}",
                 version=issued.version)
    return _pdf_response(pdf, f"giay-moi-{access.meeting_id}.pdf",
                         f"Giấy mời cuộc họp {access.meeting_id}")


# Personal letters made lately, by what is in them: an invitee opening their
# letter again, or a secretary going through the list twice, costs a render
# once (about a tenth of a second of a core), not once per click.
LETTERS_KEPT = 128
_letters: OrderedDict[OfficialDocument, bytes] = OrderedDict()


async def _rendered(request: Request, document: OfficialDocument) -> bytes:
    pdf = _letters.get(document)
    if pdf is not None:
        _letters.move_to_end(document)
        return pdf
    pdf = await request.app.state.workers.run(render, document, timeout=RENDER_TIMEOUT)
    assert isinstance(pdf, bytes)
    _letters[document] = pdf
    while len(_letters) > LETTERS_KEPT:
        _letters.popitem(last=False)
    return pdf


async def _personal_letter(request: Request, user: User, access: MeetingAccess) -> Response:
    """Those who prepare the meeting read every invitee's letter; an invitee
    only their own (another's answers 403, as if it were the whole list)."""
    raw = request.query_params["user"]
    target = int(raw) if raw.isdigit() and len(raw) < 19 else None
    if target is None:
        raise NotFound("Không có người được mời này.", "No such invitee.")
    if target != user.id and not access.sees_everything:
        raise Forbidden("Bạn chỉ xem được giấy mời gửi chính mình.",
                        "You may read only your own letter.")
    store = _store(request)
    issued = await store.latest(access.meeting_id)
    if issued is None or access.status is Status.DRAFT:
        raise NotFound("Chưa gửi giấy mời của cuộc họp này.", "No invitation sent yet.")
    facts = await store.facts(access.meeting_id)
    if facts is None:
        raise NotFound()
    to = next((p for p in invitation.invitees(facts) if p.user_id == target), None)
    if to is None:
        raise NotFound("Người này không có trong thành phần được mời.",
                       "This person is not among the invitees.")
    parts = invitation.letter(facts, calendar.local_day(issued.at), to=to)
    pdf = await _rendered(request, _document(parts, issued.by_name))
    await record(request, user, "invitation.download", f"meeting:{access.meeting_id}",
                 version=issued.version, user=target)
    return _pdf_response(pdf, f"giay-moi-{access.meeting_id}-{target}.pdf",
                         f"Giấy mời {to.name}")


# -- the invitee's side ----------------------------------------------------------------------


async def deputy_candidates(request: Request) -> Response:
    """`GET /api/meetings/{id}/deputies?q=`: whom the caller may send in their
    place: active people of the meeting's body not taking part yet, found by
    name, title or unit without diacritics; the first 50."""
    user, access = await caller_and_meeting(request)
    if access.role not in (Role.DELEGATE, Role.GUEST):
        raise Forbidden("Chỉ đại biểu được mời mới cử người dự thay.",
                        "Only invited delegates and guests send a deputy.")
    query = request.query_params.get("q", "")[:100]
    people = await _store(request).deputy_candidates(access.meeting_id, access.body_id,
                                                     user.id, query, limit=50)
    return JSONResponse({"people": people})


async def deputy_candidate_ids(request: Request, access: MeetingAccess, caller: int) -> set[int]:
    people = await _store(request).deputy_candidates(access.meeting_id, access.body_id, caller,
                                                     limit=100_000)
    return {int(p["user_id"]) for p in people}
