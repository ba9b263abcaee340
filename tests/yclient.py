"""A small Yjs client for tests: pycrdt over the `websockets` library."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import orjson
import pycrdt
import websockets

from collab_server.protocol import (
    AuthDenied,
    AwarenessUpdate,
    IntentResult,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode,
    encode_awareness,
    encode_intent,
    encode_sync_step1,
    encode_sync_step2,
    encode_sync_update,
)
from collab_server.protocol.messages import AwarenessEntry

_ids = itertools.count(1)


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0,
                     what: str = "condition") -> None:
    """Poll with a deadline; never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


class YClient:
    def __init__(self, ws_base: str, path: str, token: str | None, *,
                 doc: pycrdt.Doc | None = None, device: str = "test", read: bool = True,
                 max_queue: int | None = 16, headers: dict[str, str] | None = None) -> None:
        self._headers = headers
        query = f"?token={token}&device={device}" if token else f"?device={device}"
        self.url = f"{ws_base}/ws/{path}{query}"
        self.doc = doc or pycrdt.Doc()
        self.ws: Any = None
        self.synced = False
        self.results: dict[Any, dict[str, Any]] = {}
        self.awareness: dict[int, dict[str, Any] | None] = {}
        self.denied: list[str] = []
        self.received_updates = 0
        self.awareness_frames = 0
        self.close_code: int | None = None
        self.close_reason = ""
        self._reader: asyncio.Task[None] | None = None
        self._read = read
        self._max_queue = max_queue
        self.closed = asyncio.Event()
        self.on_update: Callable[[], None] | None = None

    async def connect(self, *, wait_sync: bool = True, timeout: float = 10.0) -> YClient:
        self.ws = await websockets.connect(self.url, max_size=None, max_queue=self._max_queue,
                                           open_timeout=timeout,
                                           additional_headers=self._headers)
        await self._safe_send(encode_sync_step1(self.doc.get_state()))
        if self._read:
            self._reader = asyncio.create_task(self._run())
        if wait_sync:
            await wait_until(lambda: self.synced or self.closed.is_set(), timeout, "sync")
        return self

    async def _run(self) -> None:
        try:
            async for frame in self.ws:
                self.handle(decode(frame))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code if self.ws.close_code is not None else 1006
            self.close_reason = self.ws.close_reason or ""
            self.closed.set()

    def handle(self, message: Any) -> None:
        if isinstance(message, SyncStep1):
            self._send_soon(encode_sync_step2(self.doc.get_update(message.state)))
        elif isinstance(message, SyncStep2):
            self.doc.apply_update(message.update)
            self.synced = True
        elif isinstance(message, SyncUpdate):
            self.doc.apply_update(message.update)
            self.received_updates += 1
            if self.on_update is not None:
                self.on_update()
        elif isinstance(message, AwarenessUpdate):
            self.awareness_frames += 1
            for entry in message.entries:
                self.awareness[entry.client_id] = orjson.loads(entry.state)
        elif isinstance(message, IntentResult):
            reply = orjson.loads(message.text)
            self.results[reply["id"]] = reply
        elif isinstance(message, AuthDenied):
            self.denied.append(message.reason)

    def _send_soon(self, frame: bytes) -> None:
        asyncio.ensure_future(self._safe_send(frame))

    async def _safe_send(self, frame: bytes) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.ws.send(frame)

    async def send(self, frame: bytes) -> None:
        await self.ws.send(frame)

    async def send_update(self, update: bytes) -> None:
        await self.ws.send(encode_sync_update(update))

    async def set_awareness(self, client_id: int, clock: int, state: dict[str, Any] | None) -> None:
        text = "null" if state is None else orjson.dumps(state).decode()
        await self.ws.send(encode_awareness([AwarenessEntry(client_id, clock, text)]))

    async def intent(self, kind: str, args: dict[str, Any] | None = None,
                     timeout: float = 5.0) -> dict[str, Any]:
        intent_id = next(_ids)
        await self.ws.send(encode_intent(orjson.dumps(
            {"id": intent_id, "type": kind, "args": args or {}}).decode()))
        await wait_until(lambda: intent_id in self.results or self.closed.is_set(), timeout,
                         f"reply to {kind}")
        return self.results.get(intent_id, {"ok": False, "error": {"code": "closed"}})

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    def map(self, name: str) -> dict[str, Any]:
        value: dict[str, Any] = self.doc.get(name, type=pycrdt.Map).to_py() or {}
        return value

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


class StalledSocket:
    """A websocket that stops reading after the handshake, with a tiny receive
    window, like a laptop whose wifi froze. Client libraries keep reading into
    memory, so this one speaks raw HTTP and frames."""

    def __init__(self, port: int, path: str, token: str) -> None:
        self.port = port
        self.request = (
            f"GET /ws/{path}?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> StalledSocket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", self.port))
        self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=4096)
        self.writer.write(self.request.encode())
        status = await self.reader.readuntil(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 101"), status
        return self

    async def read_until_close(self) -> int:
        """Read everything the server had queued; return the close code."""
        assert self.reader is not None
        while True:
            head = await self.reader.readexactly(2)
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = int.from_bytes(await self.reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(length)
            if opcode == 0x8:
                return int.from_bytes(payload[:2], "big")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
