"""One laptop's live room for the locust scenarios (load/locustfile.py): a
websocket to `meeting/{id}/room` speaking the Yjs sync protocol, with a
pycrdt replica of the room, cooperative under gevent (locust monkey-patches
sockets, so `websocket-client` yields while it waits).

Also the bookkeeping that turns "the chair sent an intent at t" and "this
replica applied its change at t'" into locust request samples, wherever the
two happen (one process, or several locust workers with one clock).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import gevent
import gevent.event
import pycrdt
import websocket
from locust import events

from collab_server.errors import ProtocolError
from collab_server.protocol import (
    AwarenessEntry,
    SyncStep1,
    decode,
    encode_awareness,
    encode_intent,
    encode_sync_step1,
    encode_sync_step2,
)
from collab_server.protocol.lib0 import Reader

SYNC, AWARENESS, INTENT_RESULT = 0, 1, 101
STEP1, STEP2, UPDATE = 0, 1, 2
WS = "WS"
INTENT_TIMEOUT = 15.0


def record(name: str, started: float, *, ended: float | None = None, error: str | None = None,
           kind: str = WS, length: int = 0) -> None:
    """One locust sample; times in seconds (time.time()), reported in ms."""
    elapsed = ((time.time() if ended is None else ended) - started) * 1000
    events.request.fire(request_type=kind, name=name, response_time=max(0.0, elapsed),
                        response_length=length,
                        exception=None if error is None else RuntimeError(error), context={})


class IntentFailed(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


@dataclass
class Seen:
    """What a replica shows that the scenarios react to."""

    page: tuple[int, int] | None = None  # (document, page)
    item: int | None = None
    session: str | None = None
    polls: dict[int, tuple[str, int, str]] = field(default_factory=dict)  # id: status, cast, q
    speakers: set[int] = field(default_factory=set)


class Replica:
    """A websocket and a pycrdt replica of the room. `on_change(kind, value, t)`
    is called from the receiving greenlet for every change it sees."""

    def __init__(self, name: str, url: str, user_id: int,
                 on_change: Callable[[str, Any, float], None]) -> None:
        self.name = name
        self.url = url
        self.user_id = user_id
        self.on_change = on_change
        self.doc: pycrdt.Doc[Any] = pycrdt.Doc()
        self.presenting = self.doc.get("presenting", type=pycrdt.Map)
        self.cursor = self.doc.get("cursor", type=pycrdt.Map)
        self.session = self.doc.get("session", type=pycrdt.Map)
        self.polls_map = self.doc.get("polls", type=pycrdt.Map)
        self.speakers_map = self.doc.get("speakers", type=pycrdt.Map)
        self.attendance = self.doc.get("attendance", type=pycrdt.Map)
        self.people = self.doc.get("people", type=pycrdt.Map)
        self.seen = Seen()
        self.ws: websocket.WebSocket | None = None
        self.reader: gevent.Greenlet | None = None
        self.synced = gevent.event.Event()
        self.synced_at = 0.0
        self.awareness: dict[int, bool] = {}  # client id: has a state
        self._ids = itertools.count(1)
        self._replies: dict[int, gevent.event.AsyncResult] = {}
        self.closed_code: int | None = None

    # -- connection -----------------------------------------------------------------

    def connect(self, timeout: float = 60.0) -> float:
        """Open the socket and wait until synced; returns when it was synced.
        A replica that connects again keeps its document and sends its state
        vector, as y-websocket does after a wifi drop."""
        self.synced.clear()
        self.closed_code = None
        self.awareness = {self.doc.client_id: True}
        ws = websocket.create_connection(self.url, timeout=timeout, enable_multithread=True,
                                         skip_utf8_validation=True)
        ws.settimeout(None)
        self.ws = ws
        ws.send_bytes(encode_sync_step1(self.doc.get_state()))
        ws.send_bytes(encode_awareness([AwarenessEntry(self.doc.client_id, 1, "{}")]))
        self.reader = gevent.spawn(self._read, ws)
        if not self.synced.wait(timeout):
            raise TimeoutError(f"not synced within {timeout:g} s")
        if self.closed_code is not None and self.synced_at == 0.0:
            raise ConnectionError(f"closed {self.closed_code} before sync")
        return self.synced_at

    def drop(self) -> None:
        """The wifi goes: the socket is gone without a closing handshake."""
        ws, self.ws = self.ws, None
        if ws is not None:
            with contextlib.suppress(OSError, websocket.WebSocketException):
                ws.shutdown()
        if self.reader is not None:
            self.reader.kill(block=False)
            self.reader = None
        self._fail_pending("socket dropped")

    def close(self) -> None:
        ws, self.ws = self.ws, None
        if self.reader is not None:
            self.reader.kill(block=False)
            self.reader = None
        if ws is not None:
            with contextlib.suppress(OSError, websocket.WebSocketException):
                ws.close(timeout=1)
        self._fail_pending("socket closed")

    @property
    def live(self) -> bool:
        return self.ws is not None and self.synced.is_set()

    def _fail_pending(self, why: str) -> None:
        for result in self._replies.values():
            if not result.ready():
                result.set_exception(IntentFailed("disconnected", why))
        self._replies.clear()

    def _read(self, ws: websocket.WebSocket) -> None:
        try:
            while True:
                opcode, frame = ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    self.closed_code = int.from_bytes(frame[:2], "big") if len(frame) >= 2 else 1005
                    break
                if opcode == websocket.ABNF.OPCODE_BINARY and frame:
                    try:
                        self._handle(ws, frame)
                    except (ProtocolError, ValueError, KeyError) as exc:
                        record("frame from the server", time.time(),
                               error=f"{type(exc).__name__}: {exc}"[:200])
        except (websocket.WebSocketException, OSError) as exc:
            self.closed_code = self.closed_code or 1006
            del exc
        finally:
            if self.ws is ws:
                self.ws = None
            self.synced.set()  # never leave a waiter hanging; closed_code says why
            self._fail_pending("socket closed")

    def _handle(self, ws: websocket.WebSocket, frame: bytes) -> None:
        kind = frame[0]
        if kind == SYNC:
            message = decode(frame)
            if isinstance(message, SyncStep1):
                ws.send_bytes(encode_sync_step2(self.doc.get_update(message.state)))
                return
            self.doc.apply_update(message.update)  # type: ignore[union-attr]
            t = time.time()
            if frame[1] == STEP2 and not self.synced.is_set():
                self.synced_at = t
                self.synced.set()
            self._observe(t)
        elif kind == AWARENESS:
            # Read here, not with the server's decoder: that one refuses more
            # than 64 entries from a client, and the server sends a whole room.
            reader = Reader(Reader(frame[1:]).var_bytes())
            for _ in range(reader.var_uint()):
                client_id, _clock, state = reader.var_uint(), reader.var_uint(), reader.var_string()
                self.awareness[client_id] = state != "null"
        elif kind == INTENT_RESULT:
            reply = json.loads(decode(frame).text)  # type: ignore[union-attr]
            result = self._replies.pop(int(reply["id"]), None)
            if result is not None:
                result.set(reply)

    def _observe(self, t: float) -> None:
        """Compare what the scenarios care about with what was there before."""
        seen, fire = self.seen, self.on_change
        document, page = self.presenting.get("document"), self.presenting.get("page")
        if document is not None and page is not None:
            now_page = (int(document), int(page))
            if now_page != seen.page:
                seen.page = now_page
                fire("page", now_page, t)
        item = self.cursor.get("item")
        item = int(item) if item is not None else None
        if item != seen.item:
            seen.item = item
            fire("item", item, t)
        state = self.session.get("state")
        if state != seen.session:
            seen.session = state
            fire("session", state, t)
        if len(self.polls_map) or seen.polls:
            for key, poll in self.polls_map.items():
                now_poll = (str(poll.get("status")), int(poll.get("cast") or 0),
                            str(poll.get("question")))
                poll_id = int(key)
                if seen.polls.get(poll_id) != now_poll:
                    seen.polls[poll_id] = now_poll
                    fire("poll", (poll_id, *now_poll), t)
        if len(self.speakers_map) or seen.speakers:
            ids = {int(k) for k in self.speakers_map.keys()}
            for new in ids - seen.speakers:
                entry = self.speakers_map.get(str(new)) or {}
                fire("speaker", int(entry.get("user", 0)), t)
            seen.speakers = ids

    # -- reading the room -------------------------------------------------------------

    def present(self, user_id: int) -> bool:
        return bool((self.attendance.get(str(user_id)) or {}).get("present"))

    def present_delegates(self) -> int:
        people = self.people.to_py() or {}
        return sum(1 for uid, a in (self.attendance.to_py() or {}).items()
                   if a.get("present") and (people.get(uid) or {}).get("role") == "delegate")

    def awareness_count(self) -> int:
        return sum(1 for present in self.awareness.values() if present)

    # -- intents ------------------------------------------------------------------------

    def intent(self, kind: str, args: dict[str, Any], *, name: str | None = None,
               timeout: float = INTENT_TIMEOUT) -> dict[str, Any]:
        """Send an intent and wait for its reply; records `name` (default
        "intent <kind> (reply)") and raises IntentFailed on a refusal."""
        label = name or f"intent {kind} (reply)"
        ws = self.ws
        if ws is None:
            record(label, time.time(), error="not connected")
            raise IntentFailed("disconnected")
        intent_id = next(self._ids)
        result: gevent.event.AsyncResult = gevent.event.AsyncResult()
        self._replies[intent_id] = result
        frame = encode_intent(json.dumps({"id": intent_id, "type": kind, "args": args}))
        started = time.time()
        try:
            ws.send_bytes(frame)
            reply = result.get(timeout=timeout)
        except gevent.Timeout:
            self._replies.pop(intent_id, None)
            record(label, started, error=f"no reply within {timeout:g} s")
            raise IntentFailed("timeout") from None
        except IntentFailed as exc:
            record(label, started, error=str(exc))
            raise
        except (websocket.WebSocketException, OSError) as exc:
            self._replies.pop(intent_id, None)
            record(label, started, error=f"send failed: {type(exc).__name__}")
            raise IntentFailed("disconnected") from exc
        if not reply.get("ok"):
            error = reply.get("error") or {}
            code = str(error.get("code", "error"))
            if code != "unknown_intent":  # the caller records a skipped step instead
                record(label, started, error=f"{code}: {error.get('message_en', '')}")
            raise IntentFailed(code, str(error.get("message_en", "")))
        record(label, started)
        result_body: dict[str, Any] = reply.get("result") or {}
        return result_body


class Marks:
    """Pairs "sent at" (the chair, or any sender) with "applied at" on every
    replica of this process, and records per-replica and last-replica samples.

    `sent` may come after some `seen` (another locust worker told us late);
    anything left unpaired after `deadline` is recorded as a failure for the
    replicas that never applied it."""

    def __init__(self, deadline: float = 10.0) -> None:
        self.deadline = deadline
        self.entries: dict[Hashable, _Mark] = {}
        self.replicas: Callable[[], list[str]] = list
        self._sweeper: gevent.Greenlet | None = None

    def sent(self, key: Hashable, label: str, at: float) -> None:
        mark = self.entries.get(key)
        if mark is None or (mark.sent is not None and mark.sent != at):
            mark = self.entries[key] = _Mark(label)
        if mark.sent is not None:
            return  # the echo of our own broadcast
        mark.label = label
        mark.sent = at
        mark.expected = set(self.replicas())
        for name, t in list(mark.pending.items()):
            self._pair(key, mark, name, t)
        mark.pending.clear()
        self._ensure_sweeper()

    def seen(self, key: Hashable, replica: str, at: float) -> None:
        mark = self.entries.get(key)
        if mark is None:
            mark = self.entries[key] = _Mark(None)
        if mark.sent is None:
            mark.pending.setdefault(replica, at)
            self._ensure_sweeper()
            return
        if at >= mark.sent:
            self._pair(key, mark, replica, at)

    def forget(self, key: Hashable) -> None:
        self.entries.pop(key, None)

    def sent_at(self, key: Hashable) -> float | None:
        mark = self.entries.get(key)
        return None if mark is None else mark.sent

    def _pair(self, key: Hashable, mark: _Mark, replica: str, at: float) -> None:
        if replica not in mark.expected or mark.sent is None or mark.label is None:
            return
        mark.expected.discard(replica)
        mark.slowest = max(mark.slowest, at)
        record(f"{mark.label} → all replicas", mark.sent, ended=at)
        if not mark.expected and not mark.done:
            mark.done = True
            record(f"{mark.label} → last replica", mark.sent, ended=mark.slowest)

    def _ensure_sweeper(self) -> None:
        if self._sweeper is None or self._sweeper.dead:
            self._sweeper = gevent.spawn(self._sweep)

    def _sweep(self) -> None:
        while self.entries:
            gevent.sleep(1.0)
            cutoff = time.time() - self.deadline
            for key, mark in list(self.entries.items()):
                if mark.sent is None:
                    if mark.created < cutoff - 3 * self.deadline:
                        del self.entries[key]  # seen, never sent here: a change from before
                    continue
                if mark.sent > cutoff:
                    continue
                if mark.label is not None and not mark.done:
                    for replica in mark.expected:
                        record(f"{mark.label} → all replicas", mark.sent,
                               error=f"{replica}: not applied within {self.deadline:g} s")
                    record(f"{mark.label} → last replica", mark.sent,
                           error=f"{len(mark.expected)} replicas never applied it")
                if mark.sent < cutoff - 60:
                    del self.entries[key]
                else:
                    mark.done = True
                    mark.expected.clear()


@dataclass
class _Mark:
    label: str | None
    sent: float | None = None
    expected: set[str] = field(default_factory=set)
    pending: dict[str, float] = field(default_factory=dict)
    slowest: float = 0.0
    done: bool = False
    created: float = field(default_factory=time.time)
