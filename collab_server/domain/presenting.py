"""The presenter and the page on the projector."""

from __future__ import annotations

from typing import Any

import pycrdt

from collab_server.domain import room
from collab_server.domain.intents import (
    Change,
    Context,
    choice_arg,
    int_arg,
    intent,
    require_session,
)
from collab_server.domain.roles import Role
from collab_server.errors import BadIntent, Forbidden, NotFound
from collab_server.live.ports import YDoc

# How the page meets the projector at zoom 1: its whole height, or its width.
FITS = ("height", "width")


def _fraction(args: dict[str, Any], name: str, default: float) -> float:
    """A point of the page as a share of its width or height (0 to 1)."""
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise BadIntent(f"Tham số '{name}' phải từ 0 đến 1.", f"'{name}' must be 0..1.")
    return float(value)


@intent("presenter.set")
async def presenter_set(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    require_session(ctx, "not_started", "open", "suspended")
    user = args.get("user")
    if user is not None:
        user = int_arg(args, "user")
        role = await ctx.meetings.role_of(ctx.meeting_id, user)
        if role is None or role == Role.DISPLAY:
            raise NotFound("Người này không tham dự cuộc họp.", "Not a participant.")

    def apply(doc: YDoc) -> None:
        doc.get(room.PRESENTING, type=pycrdt.Map)["presenter"] = user

    return Change(apply, "presenter.set", {"user": user})


@intent("present.page")
async def present_page(ctx: Context, args: dict[str, Any]) -> Change:
    require_session(ctx, "not_started", "open", "suspended")
    current = room.presenter(ctx.doc)
    if ctx.identity.role != Role.CHAIR and ctx.identity.user_id != current:
        raise Forbidden("Chỉ chủ tọa hoặc người trình bày được chuyển trang.", "Not the presenter.")
    document_id = int_arg(args, "document")
    page = int_arg(args, "page")
    zoom = args.get("zoom", 1.0)
    if isinstance(zoom, bool) or not isinstance(zoom, int | float) or not 0.25 <= zoom <= 8:
        raise BadIntent("Tham số 'zoom' phải từ 0.25 đến 8.", "'zoom' must be 0.25..8.")
    fit = choice_arg(args, "fit", FITS, "height")
    # The middle of what the presenter sees: the projector shows the same
    # part of the page, whatever its own shape. Unsaid, the top-left corner:
    # a page zoomed from the console starts where reading starts, its left
    # edge on the wall.
    x, y = _fraction(args, "x", 0.0), _fraction(args, "y", 0.0)
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
            {"document": document_id, "page": page, "zoom": float(zoom), "fit": fit,
             "x": x, "y": y, "since": since}
        )

    return Change(apply, "present.page", {"document": document_id, "page": page, "zoom": zoom,
                                          "fit": fit, "x": x, "y": y})
