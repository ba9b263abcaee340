"""Cross-site protections that apply to every route: CSRF on state-changing
requests authenticated by the cookie, the websocket Origin, and the headers
every response carries."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from collab_server.status import Close
from collab_server.transport.auth import COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def same_origin(headers: Headers, public_host: str = "") -> bool | None:
    """True or False when the browser said where the request comes from;
    None when it did not (non-browser clients).

    Ours is the host the request reached (`Host`: a browser sets it and a page
    cannot change it; nginx passes it on as `$host`) or the configured public
    URL. Never `X-Forwarded-Host` or `Forwarded`: any client can write them,
    and a proxy that passes them through would let a page of another site
    vouch for itself."""
    origin = headers.get("origin") or headers.get("referer")
    if not origin or origin == "null":
        return None if not origin else False
    netloc = urlsplit(origin).netloc.lower()
    return netloc in {headers.get("host", "").lower(), public_host} - {""}


class Guard:
    def __init__(self, app: ASGIApp, *, csp: str, public_url: str = "") -> None:
        self.app = app
        self.headers = [*SECURITY_HEADERS, (b"content-security-policy", csp.encode())]
        self.public_host = urlsplit(public_url).netloc.lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            headers = Headers(scope=scope)
            if same_origin(headers, self.public_host) is False:
                # A page of another site must not open a socket with our cookie.
                await receive()
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": int(Close.FORBIDDEN),
                            "reason": "cross-origin socket"})
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] not in SAFE_METHODS and self._csrf(headers, self.public_host):
            body = (b'{"error":{"code":"csrf","message":"Y\\u00eau c\\u1ea7u t\\u1eeb trang kh'
                    b'\\u00e1c b\\u1ecb t\\u1eeb ch\\u1ed1i.","message_en":"Cross-site request '
                    b'refused."}}')
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"application/json"), *self.headers]})
            await send({"type": "http.response.body", "body": body})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, with_headers)

    @staticmethod
    def _csrf(headers: Headers, public_host: str) -> bool:
        """A cookie-borne, state-changing request must come from our own pages.
        Bearer tokens are not sent by browsers on their own, so they pass."""
        if headers.get("authorization", "").lower().startswith("bearer "):
            return False
        origin = same_origin(headers, public_host)
        if origin is False:
            return True
        # Browsers always send Origin on a cross-site POST; a cookie request
        # without one comes from a form or an old browser: refuse to be safe.
        return origin is None and f"{COOKIE}=" in headers.get("cookie", "")
