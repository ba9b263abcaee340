"""What the live core needs from the outside world, and nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

import pycrdt

# pycrdt's Doc is generic over its root types; ours are looked up by name.
YDoc: TypeAlias = pycrdt.Doc[Any]


class Socket(Protocol):
    """A websocket as the core sees it: send bytes, close with a code."""

    async def send(self, data: bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Record:
    """What an accepted intent writes beside its CRDT update."""

    meeting_id: int
    actor_id: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class DocStore(Protocol):
    async def load(self, name: str) -> list[bytes]:
        """Snapshot first (if any), then every update since, in order."""

    async def load_positioned(self, name: str) -> tuple[list[bytes], int]:
        """As `load`, with the id of the last update row."""

    async def since(self, name: str, after_id: int) -> tuple[list[bytes], int]:
        """What was stored after row `after_id`, and the new last id."""

    def exclusive(self, name: str) -> AbstractAsyncContextManager[None]:
        """A lock across processes for one document's server-made changes."""

    async def initialize(self, name: str, update: bytes) -> tuple[list[bytes], int]:
        """Store `update` as the document's first content unless another process
        got there first; return what is stored either way, with its last id."""

    async def append(self, batch: Sequence[tuple[str, bytes]]) -> None: ...

    async def commit_intent(self, name: str, update: bytes, records: Sequence[Record],
                            writes: Sequence[Callable[[Any], Awaitable[None]]] = ()) -> int:
        """The update, the domain rows (`writes`, run with the transaction's
        connection, in order), and for each record the meeting event and the
        audit entry, in one transaction: one intent, or a round of them
        committed together. Without records (a refresh from prepared data) no
        event is logged."""

    async def compact(self, name: str) -> int:
        """Squash the update log into the snapshot; return rows squashed."""


@dataclass(frozen=True, slots=True)
class AgendaItem:
    id: int
    position: int
    title: str
    presenter: str
    duration_min: int
    speech_limit_s: int | None = None


@dataclass(frozen=True, slots=True)
class Participant:
    user_id: int
    name: str
    title: str
    unit: str
    role: str
    stands_in_for: int | None


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    id: int
    title: str
    page_count: int
    # What decides who reads it and where it is listed: a change here is a
    # change the laptops must see.
    agenda_item_id: int | None = None
    confidentiality: str = ""
    secrecy: str = ""


@dataclass(frozen=True, slots=True)
class MeetingInfo:
    id: int
    title: str
    body: str
    room: str
    starts_at: str
    status: str
    agenda: tuple[AgendaItem, ...]
    documents: tuple[DocumentInfo, ...]
    participants: tuple[Participant, ...] = ()
    settings: tuple[tuple[str, Any], ...] = ()


class SessionCheck(Protocol):
    async def valid(self, user_ids: Sequence[int], tags: Sequence[str]) -> set[str]:
        """Which session tags (of sockets of these users) are still valid;
        their sessions count as used now."""


class MeetingData(Protocol):
    async def meeting(self, meeting_id: int) -> MeetingInfo | None: ...

    async def role_of(self, meeting_id: int, user_id: int) -> str | None: ...

    async def room_networks(self, meeting_id: int) -> tuple[str, ...]:
        """The networks of the meeting's room (CIDR), empty if none or no room."""
