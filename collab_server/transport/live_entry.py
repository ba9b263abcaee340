"""The live sockets' way in: straight from the outermost middleware to the
socket handler.

Every laptop's socket is a long-lived ASGI call, and every layer it passes
through stays on its stack for as long as the socket is open: the
cross-site guard, the single sign-on sessions (which let sockets through
untouched), Starlette's exception middleware, the router (which tries every
route's pattern) and the route's exception wrapper. Measured on a process
holding 910 sockets (tracemalloc), those frames were about 5 KB of each
socket's memory, and their code a few per cent of the CPU of opening one.
A socket to `/ws/...` with no foreign Origin goes to `live_socket`
directly; anything else (HTTP, another socket path, a socket from a page of
another site, which the guard refuses) takes the usual way.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from collab_server.transport.guard import same_origin
from collab_server.transport.ws import live_socket

PREFIX = "/ws/"


class LiveEntry:
    def __init__(self, app: ASGIApp, *, public_url: str = "") -> None:
        self.app = app
        self.public_host = urlsplit(public_url).netloc.lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            path = get_route_path(scope)
            # The guard answers a foreign Origin (same_origin False).
            if (path.startswith(PREFIX)
                    and same_origin(Headers(scope=scope), self.public_host) is not False):
                # What the router would have set for `/ws/{path:path}`.
                scope["path_params"] = {"path": path[len(PREFIX):]}
                await live_socket(WebSocket(scope, receive, send))
                return
        await self.app(scope, receive, send)
