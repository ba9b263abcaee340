"""JSON endpoints: login, logout, the caller, their meetings."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from collab_server.errors import BadJson, BadRequest, Forbidden, LoginFailed, NotFound, TooLarge
from collab_server.storage.accounts import Accounts, audit
from collab_server.storage.meetings import PgMeetings
from collab_server.transport.auth import COOKIE, client_ip, current_user, token_of
from collab_server.transport.responses import JSONResponse

MAX_JSON_BODY = 64 * 1024


async def read_json(request: Request) -> dict[str, Any]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise TooLarge()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadJson() from exc
    if not isinstance(data, dict):
        raise BadJson("Nội dung phải là một đối tượng JSON.", "The body must be a JSON object.")
    return data


def _text(data: dict[str, Any], name: str, limit: int = 200) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadRequest(f"Thiếu hoặc sai trường '{name}'.", f"Missing or bad field '{name}'.")
    return value


async def login(request: Request) -> Response:
    data = await read_json(request)
    username = _text(data, "username", 100)
    password = _text(data, "password", 1000)
    accounts: Accounts = request.app.state.accounts
    pool = request.app.state.pool
    user = await accounts.authenticate(username, password)
    if user is None:
        await audit(pool, None, "login.failed", f"username:{username[:100]}", ip=client_ip(request))
        raise LoginFailed()
    token = await accounts.open_session(user.id, request.headers.get("user-agent", ""))
    await audit(pool, user.id, "login", f"user:{user.id}", ip=client_ip(request))
    response = JSONResponse({"user": user.to_json(), "token": token})
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(accounts.session_ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    token = token_of(request)
    if token is not None:
        user = await current_user(request)
        await request.app.state.accounts.close_session(token)
        await audit(request.app.state.pool, user.id, "logout", f"user:{user.id}",
                    ip=client_ip(request))
    response = JSONResponse({"ok": True})
    response.delete_cookie(COOKIE, path="/")
    return response


async def me(request: Request) -> Response:
    user = await current_user(request)
    return JSONResponse({"user": user.to_json()})


async def meetings(request: Request) -> Response:
    user = await current_user(request)
    repo: PgMeetings = request.app.state.meetings
    return JSONResponse({"meetings": await repo.of_user(user.id)})


def _meeting_id(request: Request) -> int:
    raw = request.path_params["meeting_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("Không có cuộc họp này.", "No such meeting.")
    return int(raw)


async def meeting(request: Request) -> Response:
    user = await current_user(request)
    meeting_id = _meeting_id(request)
    repo: PgMeetings = request.app.state.meetings
    role = await repo.role_of(meeting_id, user.id)
    if role is None:
        raise Forbidden("Bạn không tham dự cuộc họp này.", "You take no part in this meeting.")
    info = await repo.meeting(meeting_id)
    if info is None:
        raise NotFound("Không có cuộc họp này.", "No such meeting.")
    return JSONResponse(
        {
            "meeting": {
                "id": info.id,
                "title": info.title,
                "body": info.body,
                "room": info.room,
                "starts_at": info.starts_at,
                "status": info.status,
                "role": role,
                "agenda": [
                    {"id": a.id, "position": a.position, "title": a.title,
                     "presenter": a.presenter, "duration_min": a.duration_min}
                    for a in info.agenda
                ],
                "documents": [
                    {"id": d.id, "title": d.title, "page_count": d.page_count}
                    for d in info.documents
                ],
            }
        }
    )
