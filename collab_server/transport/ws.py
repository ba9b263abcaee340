"""The websocket route: a short adapter around the live core."""

from __future__ import annotations

import logging
import re

from starlette.websockets import WebSocket, WebSocketState

from collab_server.errors import AppError, Forbidden, NotFound, ProtocolError, Unauthorized
from collab_server.live.connection import Identity
from collab_server.live.hub import BODY_ADMIN, Hub
from collab_server.live.names import DocKind, parse_path
from collab_server.live.sessions import session_tag
from collab_server.status import Close
from collab_server.storage import db
from collab_server.storage.accounts import Accounts, User
from collab_server.storage.meetings import PgMeetings
from collab_server.transport.auth import client_ip, token_of
from collab_server.transport.frames import raw_socket

log = logging.getLogger(__name__)

LOST = frozenset({1005, 1006})
_DEVICE = re.compile(r"[^\w .:/-]", re.UNICODE)


class StarletteSocket:
    __slots__ = ("_ws",)

    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket

    async def send(self, data: bytes) -> None:
        await self._ws.send_bytes(data)

    async def close(self, code: int, reason: str) -> None:
        if self._ws.application_state is WebSocketState.CONNECTED:
            await self._ws.close(code, reason)


def _device(websocket: WebSocket) -> str:
    raw = websocket.query_params.get("device") or websocket.headers.get("user-agent", "")
    return _DEVICE.sub("", raw)[:64]


async def _admit(websocket: WebSocket, hub: Hub) -> tuple[User, str | None, int]:
    """Who opens the socket, their role in the meeting of its path (None for
    none, or for a path that names no meeting) and the participants version
    taken before the role was read (a change in between is noticed later):
    one query, since every laptop of every meeting asks this when it opens."""
    token = token_of(websocket, allow_query=True)
    if token is None or len(token) > 200:
        raise Unauthorized()
    try:
        meeting_id = parse_path(websocket.path_params["path"], 0).meeting_id
    except NotFound:
        meeting_id = 0  # refused by parse_path once the caller is known
    roles_seen = hub.roles_version(meeting_id)
    accounts: Accounts = websocket.app.state.accounts
    found = await accounts.session_user_in(token, meeting_id)
    if found is None:
        raise Unauthorized(
            "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.", "Session expired.")
    user, role = found
    return user, role, roles_seen


async def live_socket(websocket: WebSocket) -> None:
    # Accept first: a close code can only be sent on an open socket.
    await websocket.accept()
    hub: Hub = websocket.app.state.hub
    meetings: PgMeetings = websocket.app.state.meetings
    user_id: int | None = None
    try:
        user, role, roles_seen = await _admit(websocket, hub)
        user_id = user.id
        key = parse_path(websocket.path_params["path"], user.id)
        if role is None and key.kind is DocKind.MINUTES:
            # Body admins read the draft minutes of their body's meetings.
            access = await meetings.access(key.meeting_id, user.id)
            role = BODY_ADMIN if access is not None and access.body_admin else None
        if role is None:
            raise Forbidden("Bạn không tham dự cuộc họp này.", "You take no part in this meeting.")
        if key.document_id is not None:
            document = await websocket.app.state.documents.get(key.document_id)
            if document is None or document.meeting_id != key.meeting_id:
                raise NotFound("Không có tài liệu này trong cuộc họp.", "No such document here.")
        token = token_of(websocket, allow_query=True) or ""
        identity = Identity(user.id, user.full_name, role, _device(websocket),
                            session_tag(token), client_ip(websocket))
        # Framed once for the room and written straight to the transport when
        # served by our uvicorn protocol (transport/frames.py).
        asgi = StarletteSocket(websocket)
        socket = raw_socket(websocket.scope, asgi) or asgi
        conn, live = await hub.connect(key, socket, identity,
                                       roles_seen=roles_seen)
    except AppError as exc:
        log.info("socket refused", extra={"code": exc.code, "close": int(exc.close_code),
                                          "user_id": user_id, "reason": exc.message_en})
        await websocket.close(exc.close_code, exc.message_en[:120])
        return
    except db.OUTAGE as exc:
        # The database is away: come back soon (clients retry 1013 within 2 s).
        log.warning("socket refused: storage unavailable",
                    extra={"user_id": user_id, "error": type(exc).__name__})
        await websocket.close(Close.TRY_AGAIN_LATER, "storage unavailable")
        return
    lost = False
    try:
        while not conn.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                # 1005/1006: no closing handshake (uvicorn's ping timeout, a
                # laptop asleep, wifi gone); a browser leaving says 1000/1001.
                lost = message.get("code") in LOST
                break
            data = message.get("bytes")
            if data is None:
                raise ProtocolError("Chỉ nhận khung nhị phân.", "Binary frames only.")
            await hub.receive(conn, live, data)
    except AppError as exc:
        log.info(
            "socket closed for bad input",
            extra={"code": exc.code, "close": int(exc.close_code), "user_id": user.id,
                   "doc": live.name, "reason": exc.message_en},
        )
        conn.close(exc.close_code, exc.message_en, drain=True)
    except Exception:
        log.exception("socket failed", extra={"user_id": user.id, "doc": live.name})
        conn.close(Close.INTERNAL_ERROR, "internal error")
    finally:
        hub.disconnect(conn, live, lost=lost)
        await conn.finish()
