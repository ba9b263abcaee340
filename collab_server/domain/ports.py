"""What the meeting rules need from storage, without knowing it is SQL.

A `Write` is one piece of domain data (an attendance row, a speech, a
ballot) that storage runs inside the transaction committing the intent, so
the row, the room's CRDT update, the meeting event and the audit entry are
stored together or not at all. Its argument is storage's connection, opaque
here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

Write = Callable[[Any], Awaitable[None]]


class SessionStore(Protocol):
    async def next_id(self, sequence: str) -> int:
        """A fresh id from a named sequence (speaker requests, polls)."""

    def open_session(self, meeting_id: int, actor: int) -> Write: ...

    def close_session(self, meeting_id: int, actor: int) -> Write: ...

    def item_times(self, meeting_id: int, started: int | None, ended: int | None,
                   at_ms: int) -> Write: ...

    def attendance(self, meeting_id: int, user_id: int, present: bool, *, device: str,
                   reason: str, by: int, at_ms: int) -> Write: ...

    def speaker_request(self, meeting_id: int, request_id: int, user_id: int, kind: str,
                        item_id: int | None, rank: float, at_ms: int) -> Write: ...

    def request_status(self, request_id: int, status: str) -> Write: ...

    def request_ranks(self, ranks: dict[int, float]) -> Write: ...

    def speech_start(self, meeting_id: int, request_id: int, user_id: int, kind: str,
                     item_id: int | None, at_ms: int, limit_s: int) -> Write: ...

    def speech_end(self, request_id: int, at_ms: int) -> Write: ...

    def message(self, meeting_id: int, message_id: int, sender: int, to_role: str, kind: str,
                text: str, at_ms: int) -> Write: ...

    def message_reply(self, message_id: int, by: int, text: str, at_ms: int) -> Write: ...


class VotingStore(Protocol):
    """Polls and ballots (see domain/voting.py and storage/voting.py)."""
