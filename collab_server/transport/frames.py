"""One websocket frame per update, written to every socket as the same bytes.

A room's merged update goes to 91 sockets. Through ASGI each send built a
message dict, crossed Starlette and uvicorn, and had the websockets library
frame the payload again for that socket: the same header and the same bytes,
91 times. A server's frames are never masked, so with no extension
negotiated (permessage-deflate is off) a binary frame is the same for every
socket. Here it is framed once (`frame_binary`, cached on the payload that
fan-out hands to every socket) and written straight to each socket's
transport, after uvicorn's own flow control (`writable`, cleared while the
kernel's buffer is full).

`FramedProtocol` is uvicorn's websockets protocol with that one door added:
the ASGI scope carries it under `phonghop.frames`, and `RawFrames` writes
through it. Everything else (the handshake, pings, the close, reading) is
uvicorn's and the websockets library's. If the door is missing (another
server, or an extension negotiated), the socket uses ASGI as before.
"""

from __future__ import annotations

import struct
from collections.abc import MutableMapping
from functools import lru_cache
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

SCOPE_KEY = "phonghop.frames"
# Given to uvicorn as text: each worker process imports it.
PROTOCOL = "collab_server.transport.frames:FramedProtocol"

_BINARY_FIN = 0x82


@lru_cache(maxsize=256)
def frame_binary(payload: bytes) -> bytes:
    """A final, unmasked binary frame (RFC 6455 §5.2). Cached: fan-out gives
    every socket the same bytes object, whose hash Python keeps, so the
    second to the 91st socket find the frame with one lookup."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", _BINARY_FIN, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", _BINARY_FIN, 126, n)
    else:
        header = struct.pack("!BBQ", _BINARY_FIN, 127, n)
    return header + payload


class FramedProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # The app's task starts on the next turn of the loop: the scope is
        # complete before anyone reads it.
        scope = getattr(self, "scope", None)
        if scope is not None and self.response.status_code == 101:
            scope["extensions"][SCOPE_KEY] = self

    def forget_handshake(self) -> None:
        """Drop the handshake's request and response once the socket is open
        (their parsed headers are 2 KB a socket; the ASGI scope keeps its own
        copy of the request headers)."""
        if self.handshake_complete:
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]

    def can_write_frames(self) -> bool:
        return not self.conn.extensions

    def write_frame(self, frame: bytes) -> bool:
        """Write one whole frame; False once the socket is closing or gone
        (the caller stops, as a failed ASGI send would make it)."""
        # OPEN until either side sends a close frame: nothing may follow one.
        if (self.conn.state is not State.OPEN or self.disconnected or self.close_sent
                or self.transport.is_closing()):
            return False
        self.transport.write(frame)
        return True


# Frames written this way, for /-/metrics (one process, one counter).
written = 0


class RawFrames:
    """The live core's socket over a FramedProtocol: data frames written
    directly, the close through ASGI (uvicorn keeps the close handshake)."""

    __slots__ = ("_protocol", "_asgi")

    def __init__(self, protocol: FramedProtocol, asgi: Any) -> None:
        self._protocol = protocol
        self._asgi = asgi  # the ASGI socket: closes

    async def send(self, data: bytes) -> None:
        protocol = self._protocol
        if not protocol.writable.is_set():
            await protocol.writable.wait()
        if not protocol.write_frame(frame_binary(data)):
            raise ConnectionError("the socket is closing")
        global written
        written += 1

    async def close(self, code: int, reason: str) -> None:
        await self._asgi.close(code, reason)


def raw_socket(scope: MutableMapping[str, Any], asgi: Any) -> RawFrames | None:
    protocol = scope.get("extensions", {}).get(SCOPE_KEY)
    if isinstance(protocol, FramedProtocol) and protocol.can_write_frames():
        protocol.forget_handshake()  # called after the ASGI accept went out
        return RawFrames(protocol, asgi)
    return None
