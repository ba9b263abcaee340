"""Websocket close codes: every number the server closes a socket with.

44xx mirror HTTP statuses and tell the client not to come back as it is;
stock Yjs clients stop reconnecting on them. Codes the client should
reconnect after stay outside 4400-4499.
"""

from __future__ import annotations

from enum import IntEnum


class Close(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001
    INTERNAL_ERROR = 1011
    # The server is stopping or restarting (uvicorn closes its sockets with it
    # on shutdown before the application can): come back soon.
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    NOT_FOUND = 4404
    TIMEOUT = 4408
    TOO_LARGE = 4413
    TOO_MANY_REQUESTS = 4429
