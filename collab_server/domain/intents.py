"""Intent handlers: check the caller's role and the room's state, then say
what changes. The live core applies the change, commits it with its record in
one transaction, and only then lets any replica see it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pycrdt

from collab_server.domain import room
from collab_server.domain.roles import Role
from collab_server.errors import BadIntent, Forbidden, NotFound
from collab_server.live.connection import Identity
from collab_server.live.ports import MeetingData, YDoc


@dataclass(frozen=True, slots=True)
class Context:
    meeting_id: int
    identity: Identity
    doc: YDoc
    meetings: MeetingData


@dataclass(frozen=True, slots=True)
class Change:
    apply: Callable[[YDoc], None]
    event: str
    data: dict[str, Any]


Handler = Callable[[Context, dict[str, Any]], Awaitable[Change]]
HANDLERS: dict[str, Handler] = {}


def intent(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler

    return register


def _require(ctx: Context, *roles: Role) -> None:
    if ctx.identity.role not in roles:
        raise Forbidden()


def _int_arg(args: dict[str, Any], name: str, *, minimum: int = 1) -> int:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BadIntent(f"Tham số '{name}' phải là số nguyên ≥ {minimum}.", f"Bad '{name}'.")
    return value


@intent("agenda.goto")
async def agenda_goto(ctx: Context, args: dict[str, Any]) -> Change:
    _require(ctx, Role.CHAIR)
    ids = room.agenda_ids(ctx.doc)
    if "item" in args:
        target = _int_arg(args, "item")
        if target not in ids:
            raise NotFound("Không có mục này trong chương trình.", "No such agenda item.")
    elif "step" in args:
        step = args["step"]
        if step not in (1, -1) or isinstance(step, bool):
            raise BadIntent("Tham số 'step' phải là 1 hoặc -1.", "'step' must be 1 or -1.")
        if not ids:
            raise NotFound("Chương trình họp trống.", "The agenda is empty.")
        current = room.cursor_item(ctx.doc)
        index = ids.index(current) + step if current in ids else 0
        target = ids[max(0, min(len(ids) - 1, index))]
    else:
        raise BadIntent("Cần 'item' hoặc 'step'.", "Need 'item' or 'step'.")
    since = room.now_ms()

    def apply(doc: YDoc) -> None:
        cursor = doc.get(room.CURSOR, type=pycrdt.Map)
        if cursor.get("item") != target:
            cursor["item"] = target
            cursor["since"] = since

    return Change(apply, "agenda.goto", {"item": target})


@intent("presenter.set")
async def presenter_set(ctx: Context, args: dict[str, Any]) -> Change:
    _require(ctx, Role.CHAIR)
    user = args.get("user")
    if user is not None:
        user = _int_arg(args, "user")
        role = await ctx.meetings.role_of(ctx.meeting_id, user)
        if role is None or role == Role.DISPLAY:
            raise NotFound("Người này không tham dự cuộc họp.", "Not a participant.")

    def apply(doc: YDoc) -> None:
        doc.get(room.PRESENTING, type=pycrdt.Map)["presenter"] = user

    return Change(apply, "presenter.set", {"user": user})


@intent("present.page")
async def present_page(ctx: Context, args: dict[str, Any]) -> Change:
    current = room.presenter(ctx.doc)
    if ctx.identity.role != Role.CHAIR and ctx.identity.user_id != current:
        raise Forbidden("Chỉ chủ tọa hoặc người trình bày được chuyển trang.", "Not the presenter.")
    document_id = _int_arg(args, "document")
    page = _int_arg(args, "page")
    zoom = args.get("zoom", 1.0)
    if isinstance(zoom, bool) or not isinstance(zoom, int | float) or not 0.25 <= zoom <= 8:
        raise BadIntent("Tham số 'zoom' phải từ 0.25 đến 8.", "'zoom' must be 0.25..8.")
    info = await ctx.meetings.meeting(ctx.meeting_id)
    document = next((d for d in info.documents if d.id == document_id), None) if info else None
    if document is None:
        raise NotFound("Không có tài liệu này trong cuộc họp.", "No such document.")
    if page > document.page_count:
        raise NotFound(
            f"Tài liệu chỉ có {document.page_count} trang.",
            f"The document has {document.page_count} pages.",
        )
    since = room.now_ms()

    def apply(doc: YDoc) -> None:
        doc.get(room.PRESENTING, type=pycrdt.Map).update(
            {"document": document_id, "page": page, "zoom": float(zoom), "since": since}
        )

    return Change(apply, "present.page", {"document": document_id, "page": page, "zoom": zoom})
