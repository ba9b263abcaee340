"""Attendance and quorum: who is in the room, live."""

from __future__ import annotations

from typing import Any

from collab_server.domain import room
from collab_server.domain.intents import (
    Change,
    Context,
    int_arg,
    intent,
    require_session,
    text_arg,
)
from collab_server.domain.roles import Role
from collab_server.errors import BadIntent, Forbidden, NotFound
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


@intent("attendance.check_in")
async def check_in(ctx: Context, args: dict[str, Any]) -> Change:
    """The person at this laptop is in the room."""
    if ctx.identity.role == Role.DISPLAY:
        raise Forbidden("Màn hình trình chiếu không điểm danh.", "A display does not check in.")
    require_session(ctx, "not_started", "open", "suspended")
    return _record(ctx, ctx.user_id, True, "")


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
    reason = "" if present else text_arg(args, "reason", limit=500, required=False)
    return _record(ctx, user, present, reason)
