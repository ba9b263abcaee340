"""Replay of an ended meeting over HTTP (docs/replay.md): the timeline, the room
as it was at a moment, the timeline as a PDF report, and the inspectors a
body admin lets read replays.

Who replays: the meeting's chair and secretary, admins of its body, and an
inspector of its body (`replay_readers`). Not delegates, guests or the
projector's account: the replay shows everyone's attendance and every
speaker at once, which is the record's business. Every view is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from collab_server.documents.official import OfficialDocument, render
from collab_server.domain import calendar, replay
from collab_server.domain import minutes as m
from collab_server.domain.access import MeetingAccess
from collab_server.domain.lifecycle import Status
from collab_server.domain.roles import Role
from collab_server.errors import BadRequest, Conflict, Forbidden, NotFound
from collab_server.storage.accounts import User
from collab_server.storage.replay import PgReplay
from collab_server.transport.auth import current_user
from collab_server.transport.http import path_id, record
from collab_server.transport.minutes import RENDER_TIMEOUT, _attachment, _record
from collab_server.transport.responses import JSONResponse

ENDED = (Status.ENDED, Status.ARCHIVED)


def _store(request: Request) -> PgReplay:
    return PgReplay(request.app.state.pool)


def room_name(meeting_id: int) -> str:
    return f"meeting/{meeting_id}/room"


def ink_name(meeting_id: int) -> str:
    return f"meeting/{meeting_id}/ink"


async def _replayer(request: Request) -> tuple[User, MeetingAccess]:
    """The caller, if they may replay the meeting in the path; 403 whether or not
    it exists for anyone else, 409 before it has ended."""
    user = await current_user(request)
    meeting_id = path_id(request, "meeting_id")
    access: MeetingAccess | None = await request.app.state.meetings.access(meeting_id, user.id)
    allowed = access is not None and (
        access.body_admin or access.role in (Role.CHAIR, Role.SECRETARY)
        or await _store(request).inspector_body(user.id) == access.body_id)
    if access is None or not allowed:
        raise Forbidden("Chỉ chủ tọa, thư ký, quản trị của cơ quan hoặc thanh tra được xem lại"
                        " cuộc họp.",
                        "Only the chair, the secretary, a body admin or an inspector may"
                        " replay the meeting.")
    if access.status not in ENDED:
        raise Conflict("Cuộc họp chưa kết thúc; xem lại khi đã bế mạc.",
                       "The meeting has not ended.")
    return user, access


def _moment(request: Request) -> datetime | None:
    raw = request.query_params.get("at")
    if raw is None or raw == "":
        return None
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise BadRequest("Tham số 'at' phải là thời điểm ISO 8601 có múi giờ.",
                         "'at' must be an ISO 8601 time with a time zone.")
    return at


async def _room_at(request: Request, meeting_id: int,
                   at: datetime | None) -> tuple[dict[str, Any], list[Any], bool]:
    store = _store(request)
    updates, whole = await store.updates(room_name(meeting_id), at)
    doc = replay.rebuild(updates)
    replay.redact(doc)
    state = replay.room_state(doc)
    ink_updates, _ = await store.updates(ink_name(meeting_id), at)
    ink = replay.ink_on_screen(replay.rebuild(ink_updates), state["presenting"])
    return state, ink, whole


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def timeline(request: Request) -> Response:
    """`GET /api/meetings/{id}/replay`: the session's moments and the span of the record."""
    user, access = await _replayer(request)
    store = _store(request)
    moments = replay.timeline(await store.events(access.meeting_id))
    first, last = await store.bounds(room_name(access.meeting_id))
    await record(request, user, "replay.timeline", f"meeting:{access.meeting_id}")
    return JSONResponse({
        "meeting_id": access.meeting_id,
        "from": _iso(first) if first else None,
        "to": _iso(last) if last else None,
        "moments": [{"id": mo.id, "at": _iso(mo.at), "kind": mo.kind, "actor_id": mo.actor_id,
                     "actor": mo.actor, "data": mo.data} for mo in moments],
    })


async def room_at(request: Request) -> Response:
    """`GET /api/meetings/{id}/replay/room?at=…`: the room as its replicas held it
    at that moment (at the end of the record without `at`)."""
    user, access = await _replayer(request)
    at = _moment(request)
    state, ink, whole = await _room_at(request, access.meeting_id, at)
    await record(request, user, "replay.view", f"meeting:{access.meeting_id}",
                 at=_iso(at) if at else None)
    return JSONResponse({"meeting_id": access.meeting_id, "at": _iso(at) if at else None,
                         "complete": whole, "room": state, "ink": ink})


def report_text(moments: list[replay.Moment], names: replay.Names) -> str:
    lines = [f"{mo.at.astimezone(calendar.LOCAL_TZ):%H:%M:%S} — {replay.describe(mo, names)}"
             for mo in moments]
    return "\n".join(lines) if lines else "Không có diễn biến nào được ghi lại."


async def report_pdf(request: Request) -> Response:
    """`GET /api/meetings/{id}/replay.pdf`: the timeline as a report in the layout
    of Decree 30 (the header of the body, no signatures: it is a record, not an act)."""
    user, access = await _replayer(request)
    store = _store(request)
    moments = replay.timeline(await store.events(access.meeting_id))
    state, _, _ = await _room_at(request, access.meeting_id, None)
    minutes = await _record(request, access.meeting_id)
    document = OfficialDocument(
        organ=minutes.body, number="",
        place_date=m.place_and_date(minutes.place, minutes.day),
        kind="DIỄN BIẾN PHIÊN HỌP", subject=minutes.title,
        text=report_text(moments, replay.Names.of(state)), author=minutes.body)
    pdf: bytes = await request.app.state.workers.run(render, document, timeout=RENDER_TIMEOUT)
    await record(request, user, "replay.export", f"meeting:{access.meeting_id}", format="pdf")
    return _attachment(pdf, f"Diễn biến phiên họp {access.meeting_id}", "pdf",
                       "application/pdf")


# -- inspectors ------------------------------------------------------------------------------


async def _body_admin(request: Request) -> User:
    user = await current_user(request)
    if not user.is_admin:
        raise Forbidden("Chỉ quản trị của cơ quan được thực hiện.", "Body admins only.")
    return user


async def list_inspectors(request: Request) -> Response:
    """`GET /api/inspectors`: who may replay the meetings of the admin's body."""
    user = await _body_admin(request)
    return JSONResponse({"inspectors": await _store(request).inspectors(user.body_id)})


async def grant_inspector(request: Request) -> Response:
    """`PUT /api/inspectors/{user_id}`: a person of the admin's own body may
    replay its ended meetings from now on."""
    user = await _body_admin(request)
    target = path_id(request, "user_id")
    person = await request.app.state.directory.person(target)
    if person is None or person["body_id"] != user.body_id:
        raise NotFound("Không có người dùng này trong cơ quan.", "No such user in this body.")
    await _store(request).grant(target, user.body_id, user.id)
    await record(request, user, "replay.inspector_grant", f"user:{target}",
                 body=user.body_id)
    return JSONResponse({"user_id": target, "inspector": True})


async def revoke_inspector(request: Request) -> Response:
    """`DELETE /api/inspectors/{user_id}`."""
    user = await _body_admin(request)
    target = path_id(request, "user_id")
    person = await request.app.state.directory.person(target)
    if person is None or person["body_id"] != user.body_id:
        raise NotFound("Không có người dùng này trong cơ quan.", "No such user in this body.")
    removed = await _store(request).revoke(target)
    await record(request, user, "replay.inspector_revoke", f"user:{target}", removed=removed)
    return JSONResponse({"user_id": target, "inspector": False})


def routes() -> list[Route]:
    return [
        Route("/api/meetings/{meeting_id}/replay", timeline),
        Route("/api/meetings/{meeting_id}/replay/room", room_at),
        Route("/api/meetings/{meeting_id}/replay.pdf", report_pdf),
        Route("/api/inspectors", list_inspectors),
        Route("/api/inspectors/{user_id}", grant_inspector, methods=["PUT"]),
        Route("/api/inspectors/{user_id}", revoke_inspector, methods=["DELETE"]),
    ]
