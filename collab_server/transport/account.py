"""Logging in and out, the caller, and the meetings they see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from collab_server.errors import BadRequest, LoginFailed, RateLimited
from collab_server.live.sessions import session_tag
from collab_server.storage.accounts import Accounts, audit
from collab_server.storage.meetings import PgMeetings
from collab_server.transport.auth import COOKIE, client_ip, current_user, token_of
from collab_server.transport.http import read_json
from collab_server.transport.responses import JSONResponse

# Five wrong passwords lock an account for 15 minutes; an address is allowed
# far more, since a whole room shares it.
LOCK_AFTER = 5
ROOM_LIMIT = 200
LOCK_WINDOW = timedelta(minutes=15)


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
    ip = client_ip(request)
    # The same answer whether or not the account exists: no enumeration.
    if await accounts.throttled(username, ip, per_account=LOCK_AFTER, per_address=ROOM_LIMIT,
                                window=LOCK_WINDOW):
        await audit(pool, None, "login.throttled", f"username:{username[:100]}", ip=ip)
        raise RateLimited("Đăng nhập sai quá nhiều lần; vui lòng thử lại sau 15 phút.",
                          "Too many failed logins; try again in 15 minutes.")
    user = await accounts.authenticate(username, password)
    if user is None:
        await accounts.login_failed(username, ip)
        await audit(pool, None, "login.failed", f"username:{username[:100]}", ip=ip)
        raise LoginFailed()
    await accounts.login_succeeded(username)
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


async def logout_everywhere(request: Request) -> Response:
    """Ends every session of the caller, on every laptop."""
    user = await current_user(request)
    closed = await request.app.state.accounts.close_all_sessions(user.id)
    await request.app.state.hub.revoke_user(user.id)  # open sockets too, on every server
    await audit(request.app.state.pool, user.id, "logout.everywhere", f"user:{user.id}",
                ip=client_ip(request), details={"sessions": closed})
    response = JSONResponse({"ok": True, "sessions": closed})
    response.delete_cookie(COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    token = token_of(request)
    if token is not None:
        user = await current_user(request)
        await request.app.state.accounts.close_session(token)
        await request.app.state.hub.revoke_session(session_tag(token))
        await audit(request.app.state.pool, user.id, "logout", f"user:{user.id}",
                    ip=client_ip(request))
    # A shared laptop keeps nothing of the person: the browser drops this site's
    # caches and storage too (the page clears what it can itself).
    response = JSONResponse({"ok": True}, headers={"clear-site-data": '"cache", "storage"'})
    response.delete_cookie(COOKIE, path="/")
    return response


async def me(request: Request) -> Response:
    user = await current_user(request)
    return JSONResponse({"user": user.to_json()})


async def meetings(request: Request) -> Response:
    user = await current_user(request)
    repo: PgMeetings = request.app.state.meetings
    return JSONResponse({"meetings": await repo.of_user(user.id)})
