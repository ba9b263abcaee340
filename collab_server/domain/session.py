"""Session control by the chair: open, move through the agenda, suspend,
resume, close; messages and countdowns on the projector."""

from __future__ import annotations

from typing import Any

import pycrdt

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
from collab_server.domain.speakers import end_floor
from collab_server.errors import BadIntent, Conflict, NotFound, TooEarly
from collab_server.live.ports import YDoc

# Every state but closed: a closed meeting is read-only.
LIVE = ("not_started", "open", "suspended")


@intent("session.open")
async def session_open(ctx: Context, args: dict[str, Any]) -> Change:
    """Opening before the session window (an hour before the start) needs
    `early: true`: the chair confirmed that the session really starts now."""
    ctx.require(Role.CHAIR)
    require_session(ctx, "not_started")
    confirmed = args.get("early", False)
    if not isinstance(confirmed, bool):
        raise BadIntent("Tham số 'early' phải là true hoặc false.", "Bad 'early'.")
    early = checkin.early(room.starts_at(ctx.doc), ctx.now)
    if early and not confirmed:
        raise TooEarly(
            f"Chưa đến giờ họp (còn hơn {checkin.WINDOW_MIN} phút). "
            "Muốn khai mạc sớm, chủ tọa cần xác nhận (early: true).",
            f"The meeting starts more than {checkin.WINDOW_MIN} minutes from now; "
            "opening early needs the chair's confirmation (early: true).")
    name = ctx.identity.name
    # The item the cursor already rests on starts with the session.
    current = room.cursor_item(ctx.doc)

    # The chair who opens the session is in the room: the minutes must not
    # call them absent for not also pressing "Điểm danh".
    seated = room.attendance(ctx.doc).get(ctx.user_id, {}).get("present") is True
    presence = {"present": True, "at": ctx.now, "device": ctx.identity.device,
                "by": ctx.user_id, "reason": ""}

    def apply(doc: YDoc) -> None:
        room.put_all(doc, room.SESSION, {"state": "open", "opened_at": ctx.now,
                                         "chair": ctx.user_id, "chair_name": name})
        room.put(doc, room.MEETING, "status", "in_session")
        if not seated:
            room.put(doc, room.ATTENDANCE, str(ctx.user_id), presence)
            room.refresh_quorum(doc)
        if current is not None:
            _item_time(doc, current, "started", ctx.now)

    writes = [ctx.store.open_session(ctx.meeting_id, ctx.user_id)]
    if not seated:
        writes.append(ctx.store.attendance(ctx.meeting_id, ctx.user_id, True,
                                           device=str(ctx.identity.device), reason="",
                                           by=ctx.user_id, at_ms=ctx.now))
    if current is not None:
        writes.append(ctx.store.item_times(ctx.meeting_id, current, None, ctx.now))
    return Change(apply, "session.open", {"chair": ctx.user_id, "early": early},
                  writes=writes)


@intent("session.suspend")
async def session_suspend(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    require_session(ctx, "open")
    ended = end_floor(ctx)

    def apply(doc: YDoc) -> None:
        ended.apply(doc)
        room.put_all(doc, room.SESSION, {"state": "suspended", "suspended_at": ctx.now})

    return Change(apply, "session.suspend", {}, writes=ended.writes)


@intent("session.resume")
async def session_resume(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    require_session(ctx, "suspended")

    def apply(doc: YDoc) -> None:
        room.put_all(doc, room.SESSION, {"state": "open", "suspended_at": None})

    return Change(apply, "session.resume", {})


@intent("session.close")
async def session_close(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    require_session(ctx, "open", "suspended")
    polls = ctx.doc.get("polls", type=pycrdt.Map).to_py() or {}
    if any(poll.get("status") == "open" for poll in polls.values()):
        raise Conflict("Còn một cuộc biểu quyết chưa kết thúc; hãy kết thúc trước khi bế mạc.",
                       "A poll is still open; close it before closing the session.")
    ended = end_floor(ctx)
    current = room.cursor_item(ctx.doc)
    # Nobody speaks after the close: the waiting requests lapse, and the
    # projector stops showing a page of an internal document to the room.
    waiting = [rid for rid, _ in room.queue(ctx.doc)]

    def apply(doc: YDoc) -> None:
        ended.apply(doc)
        if current is not None:
            _item_time(doc, current, "ended", ctx.now)
        speakers = doc.get(room.SPEAKERS, type=pycrdt.Map)
        for rid in waiting:
            del speakers[str(rid)]
        if doc.get(room.PRESENTING, type=pycrdt.Map).get("document") is not None:
            room.put_all(doc, room.PRESENTING,
                         {"document": None, "page": None, "since": ctx.now})
        room.put_all(doc, room.SESSION, {"state": "closed", "closed_at": ctx.now})
        room.put(doc, room.MEETING, "status", "ended")

    writes = [*ended.writes, *(ctx.store.request_status(rid, "withdrawn") for rid in waiting),
              ctx.store.close_session(ctx.meeting_id, ctx.user_id)]
    if current is not None:
        writes.append(ctx.store.item_times(ctx.meeting_id, None, current, ctx.now))
    return Change(apply, "session.close", {"lapsed": waiting}, writes=writes)


def _item_time(doc: YDoc, item: int, which: str, at: int) -> None:
    times = doc.get(room.AGENDA_TIMES, type=pycrdt.Map)
    entry = dict(times.get(str(item)) or {})
    if which == "started" and entry.get("started") is not None:
        return  # an item returned to keeps its first start
    entry[which] = at
    times[str(item)] = entry


@intent("agenda.goto")
async def agenda_goto(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    require_session(ctx, "not_started", "open", "suspended")
    ids = room.agenda_ids(ctx.doc)
    current = room.cursor_item(ctx.doc)
    if "item" in args:
        target = int_arg(args, "item")
        if target not in ids:
            raise NotFound("Không có mục này trong chương trình.", "No such agenda item.")
    elif "step" in args:
        step = args["step"]
        if step not in (1, -1) or isinstance(step, bool):
            raise BadIntent("Tham số 'step' phải là 1 hoặc -1.", "'step' must be 1 or -1.")
        if not ids:
            raise NotFound("Chương trình họp trống.", "The agenda is empty.")
        index = ids.index(current) + step if current in ids else 0
        target = ids[max(0, min(len(ids) - 1, index))]
    else:
        raise BadIntent("Cần 'item' hoặc 'step'.", "Need 'item' or 'step'.")
    timed = room.session_state(ctx.doc) == "open" and target != current

    def apply(doc: YDoc) -> None:
        cursor = doc.get(room.CURSOR, type=pycrdt.Map)
        if cursor.get("item") != target:
            cursor["item"] = target
            cursor["since"] = ctx.now
        if timed:
            if current is not None:
                _item_time(doc, current, "ended", ctx.now)
            _item_time(doc, target, "started", ctx.now)

    writes = [ctx.store.item_times(ctx.meeting_id, target, current, ctx.now)] if timed else []
    return Change(apply, "agenda.goto", {"item": target, "from": current}, writes=writes)


# What the projector shows whole in its banner (56 px letters, three lines).
MESSAGE_LIMIT = 160


@intent("display.message")
async def display_message(ctx: Context, args: dict[str, Any]) -> Change:
    """A message on the projector; `text` null clears it. Read from the back
    of the room in large letters: three lines at most (MESSAGE_LIMIT)."""
    ctx.require(Role.CHAIR, Role.SECRETARY)
    require_session(ctx, *LIVE)
    text = None if args.get("text") is None else text_arg(args, "text", limit=MESSAGE_LIMIT)

    def apply(doc: YDoc) -> None:
        room.put_all(doc, room.DISPLAY, {"message": text, "message_since": ctx.now})

    return Change(apply, "display.message", {"text": text})


@intent("display.countdown")
async def display_countdown(ctx: Context, args: dict[str, Any]) -> Change:
    """A countdown on the projector, sent as start plus duration (never a
    ticking value); `seconds` null clears it."""
    ctx.require(Role.CHAIR, Role.SECRETARY)
    require_session(ctx, *LIVE)
    seconds = None if args.get("seconds") is None else int_arg(args, "seconds", maximum=86400)
    label = text_arg(args, "label", limit=200, required=False) if seconds else ""

    def apply(doc: YDoc) -> None:
        room.put_all(doc, room.DISPLAY, {
            "countdown_start": ctx.now if seconds else None,
            "countdown_s": seconds,
            "countdown_label": label,
        })

    return Change(apply, "display.countdown", {"seconds": seconds, "label": label})
