"""Single sign-on through a provincial identity provider (OpenID Connect),
off unless PHONGHOP_OIDC_ISSUER is set.

The provider proves who someone is; this server still decides what they may
do: the provider's username claim must name an existing, active account
(admins create accounts and roles here), and the login is audited like any
other. The authorization state travels in a short-lived signed cookie.

Authlib (and the httpx it talks through) is imported only when single sign-on
is on; `collab_server.features` names it at start if it is missing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from collab_server.config import Settings
from collab_server.errors import Forbidden, NotFound, Unauthorized
from collab_server.storage.accounts import Accounts, audit
from collab_server.transport.auth import COOKIE, client_ip
from collab_server.transport.responses import JSONResponse

if TYPE_CHECKING:
    from authlib.integrations.starlette_client import OAuth

log = logging.getLogger(__name__)

PROVIDER = "province"


def make_client(settings: Settings) -> OAuth | None:
    if not settings.oidc_issuer:
        return None
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register(
        PROVIDER,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile"},
    )
    return oauth


def _client(request: Request) -> Any:
    oauth: OAuth | None = request.app.state.oidc
    if oauth is None:
        raise NotFound("Chưa bật đăng nhập một lần.", "Single sign-on is not enabled.")
    return oauth.create_client(PROVIDER)


async def status(request: Request) -> Response:
    return JSONResponse({"enabled": request.app.state.oidc is not None})


async def login(request: Request) -> Response:
    client = _client(request)
    settings: Settings = request.app.state.settings
    redirect_uri = settings.public_url.rstrip("/") + "/api/oidc/callback"
    response: Response = await client.authorize_redirect(request, redirect_uri)
    return response


async def callback(request: Request) -> Response:
    from authlib.integrations.starlette_client import OAuthError

    client = _client(request)
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        log.info("single sign-on refused by the provider", extra={"error": exc.error})
        raise Unauthorized("Đăng nhập một lần không thành công.", "Single sign-on failed.") from exc
    claims = token.get("userinfo") or {}
    settings: Settings = request.app.state.settings
    username = claims.get(settings.oidc_username_claim)
    accounts: Accounts = request.app.state.accounts
    pool = request.app.state.pool
    user = await accounts.by_username(username) if isinstance(username, str) else None
    if user is None:
        await audit(pool, None, "login.sso_unknown", f"username:{str(username)[:100]}",
                    ip=client_ip(request))
        raise Forbidden("Tài khoản này chưa được cấp quyền trong hệ thống.",
                        "No account here for this identity.")
    session = await accounts.open_session(user.id, request.headers.get("user-agent", ""))
    await audit(pool, user.id, "login.sso", f"user:{user.id}", ip=client_ip(request))
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, session, max_age=int(accounts.session_ttl.total_seconds()),
                        httponly=True, samesite="lax", secure=settings.secure_cookies, path="/")
    return response
