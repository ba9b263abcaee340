"""Logging in and out, the caller, and the meetings they see."""

from __future__ import annotations

import math
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain.passwords import check_password
from collab_server.errors import BadRequest, LoginFailed, RateLimited, WrongPassword
from collab_server.live.sessions import session_tag, tag_of_hash
from collab_server.storage.accounts import Accounts, audit
from collab_server.storage.login_throttle import LoginThrottle
from collab_server.storage.meetings import PgMeetings
from collab_server.transport.auth import COOKIE, client_ip, current_user, token_of
from collab_server.transport.errors import app_error
from collab_server.transport.http import read_json
from collab_server.transport.responses import JSONResponse

# A random name for the browser, set at login and sent back only to the login
# route: it names no person (a shared laptop keeps it for every account), and
# lets an account that signed in on this laptop before skip the limits that
# guessers elsewhere run into (see domain/throttle.py).
DEVICE_COOKIE = "phonghop_device"
DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie


def _text(data: dict[str, Any], name: str, limit: int = 200) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadRequest(f"Thiếu hoặc sai trường '{name}'.", f"Missing or bad field '{name}'.")
    return value


def _device(request: Request) -> str | None:
    value = request.cookies.get(DEVICE_COOKIE, "")
    if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value
    return None


async def _slow_down(request: Request, wait_s: float) -> Response:
    seconds = max(1, math.ceil(wait_s))
    response = await app_error(request, RateLimited(
        f"Đăng nhập sai nhiều lần; vui lòng thử lại sau {seconds} giây.",
        f"Too many failed logins; try again in {seconds} seconds."))
    response.headers["retry-after"] = str(seconds)
    return response


async def login(request: Request) -> Response:
    data = await read_json(request)
    username = _text(data, "username", 100)
    password = _text(data, "password", 1000)
    accounts: Accounts = request.app.state.accounts
    pool = request.app.state.pool
    ip = client_ip(request)
    throttle = LoginThrottle(pool)
    device = _device(request)
    # The same answer whether or not the account exists: no enumeration.
    verdict = await throttle.attempt(username, ip, device)
    if verdict.wait_s > 0:
        await audit(pool, None, "login.throttled", f"username:{username[:100]}", ip=ip,
                    details={"bucket": verdict.bucket, "wait_s": math.ceil(verdict.wait_s)})
        return await _slow_down(request, verdict.wait_s)
    user = await accounts.authenticate(username, password)
    if user is None:
        await audit(pool, None, "login.failed", f"username:{username[:100]}", ip=ip)
        raise LoginFailed()
    device = device or secrets.token_urlsafe(24)
    await throttle.succeeded(user.id, username, verdict, device)
    if await request.app.state.pins.unlock(user.id):  # wrong PINs forgotten (domain/pin.py)
        await audit(pool, user.id, "pin.unlock", f"user:{user.id}", ip=ip)
    token = await accounts.open_session(user.id, request.headers.get("user-agent", ""))
    await audit(pool, user.id, "login", f"user:{user.id}", ip=ip)
    response = JSONResponse({"user": user.to_json(), "token": token})
    secure = request.app.state.settings.secure_cookies
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(accounts.session_ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_MAX_AGE, httponly=True,
                        samesite="strict", secure=secure, path="/api/login")
    return response


async def change_password(request: Request) -> Response:
    """The caller's own password: the current one first, then the policy. The
    other sessions end (a thief's included); this laptop stays signed in."""
    user = await current_user(request)
    data = await read_json(request)
    current = _text(data, "current_password", 1000)
    new = _text(data, "new_password", 1000)
    pool = request.app.state.pool
    ip = client_ip(request)
    # A stolen session must not become a way around the login throttle.
    throttle = LoginThrottle(pool)
    verdict = await throttle.attempt(user.username, ip, _device(request))
    if verdict.wait_s > 0:
        return await _slow_down(request, verdict.wait_s)
    accounts: Accounts = request.app.state.accounts
    if not await accounts.check_password(user.id, current):
        await audit(pool, user.id, "password.change_failed", f"user:{user.id}", ip=ip)
        raise WrongPassword()
    await throttle.forgive(user.username, verdict)
    check_password(new, username=user.username, full_name=user.full_name)
    keep = token_of(request)
    others = [tag_of_hash(h) for h in await accounts.session_hashes(user.id)]
    closed = await accounts.set_password(user.id, new, keep_token=keep)
    for tag in others:  # their open sockets too, on every server
        if keep is None or tag != session_tag(keep):
            await request.app.state.hub.revoke_session(tag)
    await audit(pool, user.id, "password.change", f"user:{user.id}", ip=ip,
                details={"sessions_ended": closed})
    return JSONResponse({"ok": True, "sessions_ended": closed})


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
    """Always clears the laptop, even when the session already ended: a shared
    laptop must keep nothing of the person."""
    token = token_of(request)
    if token is not None and len(token) <= 200:
        accounts: Accounts = request.app.state.accounts
        user = await accounts.session_user(token)
        await accounts.close_session(token)
        await request.app.state.hub.revoke_session(session_tag(token))
        if user is not None:
            await audit(request.app.state.pool, user.id, "logout", f"user:{user.id}",
                        ip=client_ip(request))
    # The browser drops this site's caches and storage too (the page clears
    # what it can itself).
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
