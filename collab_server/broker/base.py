"""What the live core needs to relay updates between processes.

Messages are tagged with the sending process's id, so a process never
applies what it published itself. Delivery is best effort: a relay lost
while Redis was away is healed by state vectors (a sync request answered by
whoever holds the document) and by catching up from PostgreSQL. A lost
control message (a revocation) is healed by the hub's periodic session check.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import Protocol

PROCESS_ID_BYTES = 16


class Relay(IntEnum):
    UPDATE = 1  # a Yjs update made or received by the sender
    AWARENESS = 2  # awareness entries, lib0-encoded as in the awareness protocol
    SYNC_REQUEST = 3  # a state vector: "send me what I lack"
    # On the control channel: what every process must act on, whatever it serves.
    REVOKE_USER = 4  # a user id (ASCII): close every socket of that account
    REVOKE_SESSION = 5  # a session tag (ASCII): close that session's sockets
    ROLES = 6  # a meeting id (ASCII): its participants changed


# Not a document name (those start with "meeting/"): every process listens here.
CONTROL = "-control"


OnMessage = Callable[[str, Relay, bytes], None]
OnReconnect = Callable[[], Awaitable[None]]


def new_process_id() -> bytes:
    return os.urandom(PROCESS_ID_BYTES)


def encode(origin: bytes, kind: Relay, data: bytes) -> bytes:
    return origin + bytes((kind,)) + data


def decode(payload: bytes) -> tuple[bytes, Relay, bytes] | None:
    """None for anything malformed (Redis is shared; be strict)."""
    if len(payload) < PROCESS_ID_BYTES + 1:
        return None
    try:
        kind = Relay(payload[PROCESS_ID_BYTES])
    except ValueError:
        return None
    return payload[:PROCESS_ID_BYTES], kind, payload[PROCESS_ID_BYTES + 1 :]


class Broker(Protocol):
    @property
    def shared(self) -> bool:
        """True when other processes serve the same documents."""

    @property
    def healthy(self) -> bool: ...

    async def start(self, on_message: OnMessage, on_reconnect: OnReconnect) -> None: ...

    async def stop(self) -> None: ...

    async def subscribe(self, name: str) -> None: ...

    async def unsubscribe(self, name: str) -> None: ...

    def publish(self, name: str, kind: Relay, data: bytes) -> None: ...


class LocalBroker:
    """One process: nobody to relay to."""

    shared = False
    healthy = True

    async def start(self, on_message: OnMessage, on_reconnect: OnReconnect) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def subscribe(self, name: str) -> None:
        return None

    async def unsubscribe(self, name: str) -> None:
        return None

    def publish(self, name: str, kind: Relay, data: bytes) -> None:
        return None
