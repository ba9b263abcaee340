"""Attendance and quorum: who is in the room, live.

Present only by an act in the session window (domain/checkin.py): the person
checks in, opens a room code, or the secretary marks them; never by opening
the meeting page. Absent with a reason may be recorded at any time before
the close."""

from __future__ import annotations

from typing import Any

from collab_server.domain import checkin, room
from collab_server.domain.intents import (
    Change,
    Context,
    int_arg,
    intent,
    require_session,
    text_arg,
)
from collab_server.domain.roles import Role
from collab_server.errors import BadIntent, Forbidden, NotFound, TooEarly
from collab_server.live.ports import YDoc


def _record(ctx: Context, user: int, present: bool, reason: str) -> Change:
    entry = {"present": present, "at": ctx.now, "device": ctx.identity.device if
             user == ctx.user_id else "", "by": ctx.user_id, "reason": reason}

    def apply(doc: YDoc) -> None:
        room.put(doc, room.ATTENDANCE, str(user), entry)
        room.refresh_quorum(doc)

    write = ctx.store.attendance(ctx.meeting_id, user, present, device=str(entry["device"]),
                                 reason=reason, by=ctx.user_id, at_ms=ctx.now)
    return Change(apply, "attendance.check_in" if user == ctx.user_id else "attendance.mark",
                  {"user": user, "present": present, "reason": reason}, writes=[write])


def require_window(ctx: Context) -> None:
    """Present is recorded from the window before the start, or once the
    chair opened the session (early, with confirmation)."""
    if room.session_state(ctx.doc) in ("open", "suspended"):
        return
    starts_at = room.starts_at(ctx.doc)
    if checkin.early(starts_at, ctx.now):
        raise TooEarly(
            f"Chưa đến giờ điểm danh: điểm danh mở {checkin.WINDOW_MIN} phút trước giờ họp "
            "hoặc khi chủ tọa khai mạc.",
            f"Check-in opens {checkin.WINDOW_MIN} minutes before the start, or when the "
            "session opens.")


@intent("attendance.check_in")
async def check_in(ctx: Context, args: dict[str, Any]) -> Change:
    """The person at this laptop is in the room: pressed "Điểm danh" or opened
    a room code (`code`), which checks in the caller and nobody else."""
    if ctx.identity.role == Role.DISPLAY:
        raise Forbidden("Màn hình trình chiếu không điểm danh.", "A display does not check in.")
    require_session(ctx, "not_started", "open", "suspended")
    code = args.get("code")
    if code is not None:
        if not isinstance(code, str) or len(code) > 200:
            raise BadIntent("Tham số 'code' phải là mã điểm danh.", "Bad 'code'.")
        checkin.verify(ctx.store.checkin_key(ctx.meeting_id), code, ctx.meeting_id,
                       ctx.user_id, ctx.now)
    require_window(ctx)
    change = _record(ctx, ctx.user_id, True, "")
    if code is not None:
        change.data["by_code"] = True
    return change


@intent("attendance.mark")
async def mark(ctx: Context, args: dict[str, Any]) -> Change:
    """The secretary (or chair) marks someone present, or absent with a reason."""
    ctx.require(Role.SECRETARY, Role.CHAIR)
    require_session(ctx, "not_started", "open", "suspended")
    user = int_arg(args, "user")
    present = args.get("present")
    if not isinstance(present, bool):
        raise BadIntent("Tham số 'present' phải là true hoặc false.", "Bad 'present'.")
    person = room.people(ctx.doc).get(user)
    if person is None or person.get("role") == Role.DISPLAY:
        raise NotFound("Người này không tham dự cuộc họp.", "Not a participant.")
    if present:
        require_window(ctx)
    reason = "" if present else text_arg(args, "reason", limit=500, required=False)
    return _record(ctx, user, present, reason)
