"""Typed messages of the wire protocol (see docs/protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from collab_server.errors import ProtocolError
from collab_server.protocol.lib0 import Reader, var_bytes, var_string, var_uint


class MessageType(IntEnum):
    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3
    INTENT = 100
    INTENT_RESULT = 101
    # A laptop's heartbeat: it pings a socket that has been silent a while and
    # gives the socket up if no frame follows within seconds. Stock Yjs
    # clients never ping, so they never see a PONG.
    PING = 102
    PONG = 103


class SyncType(IntEnum):
    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


class AuthType(IntEnum):
    PERMISSION_DENIED = 0


@dataclass(frozen=True, slots=True)
class SyncStep1:
    state: bytes


@dataclass(frozen=True, slots=True)
class SyncStep2:
    update: bytes


@dataclass(frozen=True, slots=True)
class SyncUpdate:
    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    client_id: int
    clock: int
    state: str  # JSON text; "null" means the client left


@dataclass(frozen=True, slots=True)
class AwarenessUpdate:
    entries: tuple[AwarenessEntry, ...]


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    pass


@dataclass(frozen=True, slots=True)
class Ping:
    pass


@dataclass(frozen=True, slots=True)
class Pong:
    pass


@dataclass(frozen=True, slots=True)
class AuthDenied:
    reason: str


@dataclass(frozen=True, slots=True)
class IntentFrame:
    text: str


@dataclass(frozen=True, slots=True)
class IntentResult:
    text: str


Message = (
    SyncStep1
    | SyncStep2
    | SyncUpdate
    | AwarenessUpdate
    | QueryAwareness
    | Ping
    | Pong
    | AuthDenied
    | IntentFrame
    | IntentResult
)

# An awareness update names one entry per client; a socket has one or two.
MAX_AWARENESS_ENTRIES = 64


def decode(frame: bytes) -> Message:
    """Read one frame. Raises `ProtocolError` on anything malformed."""
    if not frame:
        raise ProtocolError("Khung dữ liệu rỗng.", "Empty frame.")
    reader = Reader(frame)
    kind = reader.var_uint()
    message: Message
    if kind == MessageType.SYNC:
        sub = reader.var_uint()
        if sub == SyncType.STEP1:
            message = SyncStep1(reader.var_bytes())
        elif sub == SyncType.STEP2:
            message = SyncStep2(reader.var_bytes())
        elif sub == SyncType.UPDATE:
            message = SyncUpdate(reader.var_bytes())
        else:
            raise ProtocolError(
                f"Loại đồng bộ không xác định: {sub}.", f"Unknown sync message type {sub}."
            )
    elif kind == MessageType.AWARENESS:
        message = _decode_awareness(Reader(reader.var_bytes()))
    elif kind == MessageType.QUERY_AWARENESS:
        message = QueryAwareness()
    elif kind == MessageType.PING:
        message = Ping()
    elif kind == MessageType.PONG:
        message = Pong()
    elif kind == MessageType.AUTH:
        if reader.var_uint() != AuthType.PERMISSION_DENIED:
            raise ProtocolError("Loại xác thực không xác định.", "Unknown auth message type.")
        message = AuthDenied(reader.var_string())
    elif kind == MessageType.INTENT:
        message = IntentFrame(reader.var_string())
    elif kind == MessageType.INTENT_RESULT:
        message = IntentResult(reader.var_string())
    else:
        raise ProtocolError(
            f"Loại thông điệp không xác định: {kind}.", f"Unknown message type {kind}."
        )
    # y-websocket appends nothing after a message; trailing bytes mean a broken encoder.
    if not reader.done:
        raise ProtocolError("Thừa dữ liệu cuối khung.", "Trailing bytes after message.")
    return message


def _decode_awareness(reader: Reader) -> AwarenessUpdate:
    count = reader.var_uint()
    if count > MAX_AWARENESS_ENTRIES:
        raise ProtocolError("Quá nhiều trạng thái hiện diện.", "Too many awareness entries.")
    entries = tuple(
        AwarenessEntry(reader.var_uint(), reader.var_uint(), reader.var_string())
        for _ in range(count)
    )
    if not reader.done:
        raise ProtocolError("Thừa dữ liệu cuối khung.", "Trailing bytes in awareness update.")
    return AwarenessUpdate(entries)


def encode_sync_step1(state: bytes) -> bytes:
    return bytes((MessageType.SYNC, SyncType.STEP1)) + var_bytes(state)


def encode_sync_step2(update: bytes) -> bytes:
    return bytes((MessageType.SYNC, SyncType.STEP2)) + var_bytes(update)


def encode_sync_update(update: bytes) -> bytes:
    return bytes((MessageType.SYNC, SyncType.UPDATE)) + var_bytes(update)


def awareness_payload(entries: tuple[AwarenessEntry, ...] | list[AwarenessEntry]) -> bytes:
    """The awareness update itself, without the message header."""
    body = bytearray(var_uint(len(entries)))
    for entry in entries:
        body += var_uint(entry.client_id)
        body += var_uint(entry.clock)
        body += var_string(entry.state)
    return bytes(body)


def decode_awareness_payload(payload: bytes) -> AwarenessUpdate:
    return _decode_awareness(Reader(payload))


def encode_awareness(entries: tuple[AwarenessEntry, ...] | list[AwarenessEntry]) -> bytes:
    return bytes((MessageType.AWARENESS,)) + var_bytes(awareness_payload(entries))


def encode_auth_denied(reason: str) -> bytes:
    return bytes((MessageType.AUTH, AuthType.PERMISSION_DENIED)) + var_string(reason)


PONG_FRAME = bytes((MessageType.PONG,))
PING_FRAME = bytes((MessageType.PING,))


def encode_intent(text: str) -> bytes:
    return bytes((MessageType.INTENT,)) + var_string(text)


def encode_intent_result(text: str) -> bytes:
    return bytes((MessageType.INTENT_RESULT,)) + var_string(text)
