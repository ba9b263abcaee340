"""Attendance and quorum: who is in the room, live.

Present only by an act in the session window (domain/checkin.py): the person
checks in, opens a room code, or the secretary marks them; never by opening
the meeting page. Absent with a reason may be recorded at any time before
the close."""

from __future__ import annotations

from typing import Any

from collab_server.domain import checkin, room, room_networks
from collab_server.domain.intents import (
    Change,
    Context,
    int_arg,
    intent,
    require_session,
    text_arg,
)
from collab_server.domain.roles import Role
from collab_server.errors import BadIntent, Forbidden, NotFound, OutsideRoom, TooEarly
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


async def _require_in_room(ctx: Context, *, by_code: bool) -> None:
    """Checking oneself in comes from the room's networks, if it has any."""
    networks = await ctx.meetings.room_networks(ctx.meeting_id)
    if not networks or room_networks.within(ctx.identity.address, networks):
        return
    raise OutsideRoom(
        "Không điểm danh được: máy của bạn không ở trong mạng của phòng họp. Hãy kết nối "
        "wifi của phòng họp rồi quét lại mã, hoặc báo thư ký điểm danh cho bạn.",
        "Not checked in: your device is not on the meeting room's network. Join the room's "
        "wifi and scan again, or ask the secretary to mark you present.",
        record={"user": ctx.user_id, "address": ctx.identity.address,
                "networks": list(networks), "by_code": by_code})


@intent("attendance.check_in")
async def check_in(ctx: Context, args: dict[str, Any]) -> Change:
    """The person at this laptop is in the room: pressed "Điểm danh" or opened
    a room code (`code`), which checks in the caller and nobody else."""
    if ctx.identity.role == Role.DISPLAY:
        raise Forbidden("Màn hình trình chiếu không điểm danh.", "A display does not check in.")
    require_session(ctx, "not_started", "open", "suspended")
    code = args.get("code")
    personal = None
    if code is not None:
        if not isinstance(code, str) or len(code) > 200:
            raise BadIntent("Tham số 'code' phải là mã điểm danh.", "Bad 'code'.")
        personal = checkin.verify(ctx.store.checkin_key(ctx.meeting_id), code, ctx.meeting_id,
                                  ctx.user_id, ctx.now)
    require_window(ctx)
    if personal is None:  # the desk made a personal code: not bound to the room
        await _require_in_room(ctx, by_code=code is not None)
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


@intent("display.checkin_qr")
async def display_checkin_qr(ctx: Context, args: dict[str, Any]) -> Change:
    """The room's check-in QR code on the projector. It shows there while
    check-in is open (clients/shared/checkin.js), in a corner of the bar once
    the session runs, until the chair or the secretary hides it (`shown`
    false); `shown` true brings it back."""
    ctx.require(Role.CHAIR, Role.SECRETARY)
    require_session(ctx, "not_started", "open", "suspended")
    shown = args.get("shown")
    if not isinstance(shown, bool):
        raise BadIntent("Tham số 'shown' phải là true hoặc false.", "Bad 'shown'.")

    def apply(doc: YDoc) -> None:
        room.put(doc, room.DISPLAY, "checkin_qr", shown)

    return Change(apply, "display.checkin_qr", {"shown": shown})
