"""The projector asks which meeting to show: the one in session in its room."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collab_server.errors import Forbidden
from collab_server.storage.room_now import room_now
from collab_server.transport.auth import current_user
from collab_server.transport.responses import JSONResponse


async def now(request: Request) -> Response:
    """GET /api/display/now: {room, meeting, next} for a display account of a
    room. Polled every few seconds by each projector, so not audited; it names
    only what the room's own screen shows anyway."""
    user = await current_user(request)
    answer = await room_now(request.app.state.pool, user.id)
    if answer is None:
        raise Forbidden("Chỉ tài khoản màn hình của một phòng họp dùng được.",
                        "Only a room's display account may ask.")
    return JSONResponse(answer, headers={"cache-control": "no-store"})
