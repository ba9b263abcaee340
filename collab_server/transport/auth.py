"""Who is calling: the session cookie, a bearer token, or `?token=` on a socket."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from collab_server.errors import Unauthorized
from collab_server.storage.accounts import Accounts, User

COOKIE = "phonghop_session"


def token_of(conn: HTTPConnection, *, allow_query: bool = False) -> str | None:
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    cookie = conn.cookies.get(COOKIE)
    if cookie:
        return cookie
    if allow_query:
        return conn.query_params.get("token") or None
    return None


async def current_user(conn: HTTPConnection, *, allow_query: bool = False) -> User:
    token = token_of(conn, allow_query=allow_query)
    if token is None or len(token) > 200:
        raise Unauthorized()
    accounts: Accounts = conn.app.state.accounts
    user = await accounts.session_user(token)
    if user is None:
        raise Unauthorized(
            "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.", "Session expired."
        )
    return user


def client_ip(conn: HTTPConnection) -> str:
    """The caller's address, for the audit log and the login throttle. uvicorn
    has already put here the address from X-Forwarded-For when, and only when,
    the request came through a proxy of `PHONGHOP_TRUSTED_PROXIES` (see
    cli.cmd_serve); otherwise it is the address of the connection itself."""
    return conn.client.host if conn.client else ""
