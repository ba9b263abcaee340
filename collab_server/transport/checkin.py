"""Room check-in codes: the QR code the secretary's console shows in the room
(or one made for a single person's laptop). What a code may do is decided in
domain/checkin.py; opening one is the `attendance.check_in` intent."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain import checkin
from collab_server.domain.lifecycle import Status
from collab_server.domain.roles import Role
from collab_server.errors import Conflict, Forbidden, NotFound
from collab_server.transport.http import caller_and_meeting, record
from collab_server.transport.responses import JSONResponse

# Who may show the room's code: the desk and the projector in the room.
SHOW_ROLES = frozenset({Role.CHAIR, Role.SECRETARY, Role.DISPLAY})
# Who may make a code for one person's laptop.
PERSONAL_ROLES = frozenset({Role.CHAIR, Role.SECRETARY})


async def checkin_code(request: Request) -> Response:
    """GET /api/meetings/{id}/checkin-code[?user=N]: a fresh signed code and
    the link a phone or a seat's laptop opens."""
    user, access = await caller_and_meeting(request)
    raw = request.query_params.get("user")
    target: int | None = None
    if raw is not None:
        if not raw.isdigit() or int(raw) < 1:
            raise NotFound("Không có người này trong cuộc họp.", "No such participant.")
        target = int(raw)
    if access.role not in (PERSONAL_ROLES if target else SHOW_ROLES):
        raise Forbidden("Chỉ thư ký, chủ tọa (hoặc màn hình phòng họp) được hiện mã điểm danh.",
                        "Only the secretary, the chair or the room's display shows the code.")
    if access.status not in (Status.INVITED, Status.IN_SESSION):
        raise Conflict("Cuộc họp chưa gửi giấy mời hoặc đã kết thúc; không có điểm danh.",
                       "No check-in for a meeting that is not invited or in session.")
    if target is not None:
        role = await request.app.state.meetings.role_of(access.meeting_id, target)
        if role is None or role == Role.DISPLAY:
            raise NotFound("Không có người này trong cuộc họp.", "No such participant.")
    ttl = checkin.PERSONAL_TTL_S if target else checkin.CODE_TTL_S
    expires = int(time.time() * 1000) + ttl * 1000
    key = request.app.state.hub.session.checkin_key(access.meeting_id)
    code = checkin.sign(key, access.meeting_id, target, expires)
    if target is not None:
        # A code that checks one person in is handed to someone: on the record.
        await record(request, user, "attendance.code", f"meeting:{access.meeting_id}",
                     user=target, expires_ms=expires)
    return JSONResponse({
        "code": code,
        "path": f"/#/checkin/{access.meeting_id}/{code}",
        "user": target,
        "expires_ms": expires,
        "refresh_s": checkin.CODE_REFRESH_S,
        "window_min": checkin.WINDOW_MIN,
    })
