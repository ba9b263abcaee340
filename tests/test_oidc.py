"""Single sign-on against an identity provider run by the test (a small but
real OpenID Connect provider: discovery, authorization code, signed ID token)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import asyncpg
import httpx
import pytest
import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.conftest import Server, build_world, free_port, new_database
from tests.yclient import wait_until

CLIENT_ID = "phonghop"
CLIENT_SECRET = "bi-mat-cua-ung-dung"


class Provider:
    """Authorizes whoever the test names in `login_hint`, like a provincial
    identity provider after its own login page."""

    def __init__(self, port: int) -> None:
        self.issuer = f"http://127.0.0.1:{port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.codes: dict[str, dict[str, Any]] = {}
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/jwks", self.jwks),
        ])

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"user": q["login_hint"], "nonce": q.get("nonce"),
                            "redirect_uri": q["redirect_uri"]}
        query = urlencode({"code": code, "state": q["state"]})
        return RedirectResponse(f"{q['redirect_uri']}?{query}")

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        grant = self.codes.pop(str(form["code"]))
        assert str(form["redirect_uri"]) == grant["redirect_uri"]
        assert (str(form.get("client_secret", "")) == CLIENT_SECRET
                or "authorization" in request.headers)
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": f"sub-{grant['user']}", "aud": CLIENT_ID,
                  "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  "preferred_username": grant["user"]}
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                             "expires_in": 300, "id_token": id_token})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    port = free_port()
    idp = Provider(port)
    server = uvicorn.Server(uvicorn.Config(idp.app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, 10, "the identity provider")
    yield idp
    server.should_exit = True
    await task


@pytest.fixture
async def sso_server(pg_uri: str, tmp_path: Path, provider: Provider) -> AsyncIterator[Server]:
    url = await new_database(pg_uri)
    port = free_port()
    srv = Server(url, tmp_path, {
        "PHONGHOP_OIDC_ISSUER": provider.issuer,
        "PHONGHOP_OIDC_CLIENT_ID": CLIENT_ID,
        "PHONGHOP_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "PHONGHOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PHONGHOP_SECRET_KEY": secrets.token_hex(16),
    }, port=port)
    await srv.start()
    yield srv
    await srv.stop()


async def sign_in(server: Server, username: str) -> httpx.Response:
    """The browser's round trip: our server → the provider → back to our server."""
    async with httpx.AsyncClient(base_url=server.http, follow_redirects=False) as browser:
        start = await browser.get("/api/oidc/login")
        assert start.status_code in (302, 303, 307), start.text
        to_provider = start.headers["location"]
        assert parse_qs(urlsplit(to_provider).query)["redirect_uri"] == [
            f"{server.http}/api/oidc/callback"]
        at_provider = await browser.get(f"{to_provider}&login_hint={username}")
        back = at_provider.headers["location"]
        done = await browser.get(back)
        if done.status_code == 303:
            me = await browser.get("/api/me")
            assert me.status_code == 200, me.text
            assert me.json()["user"]["username"] == username
        return done


async def test_single_sign_on_logs_in_known_accounts_only(sso_server: Server) -> None:
    world = await build_world(sso_server.database_url, delegates=1)
    conn = await asyncpg.connect(world.url)
    try:
        username = await conn.fetchval("SELECT username FROM users WHERE id = $1",
                                       world.users["delegate01"])
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=sso_server.http) as client:
        assert (await client.get("/api/oidc")).json() == {"enabled": True}
    done = await sign_in(sso_server, username)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "phonghop_session=" in done.headers["set-cookie"]
    stranger = await sign_in(sso_server, "khong-co-tai-khoan")
    assert stranger.status_code == 403
    conn = await asyncpg.connect(world.url)
    try:
        actions = [r["action"] for r in await conn.fetch(
            "SELECT action FROM audit_log WHERE action LIKE 'login.sso%' ORDER BY id")]
    finally:
        await conn.close()
    assert actions == ["login.sso", "login.sso_unknown"]


async def test_single_sign_on_is_off_by_default(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        assert (await client.get("/api/oidc")).json() == {"enabled": False}
        assert (await client.get("/api/oidc/login")).status_code == 404
