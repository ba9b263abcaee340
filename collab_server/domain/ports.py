"""What the meeting rules need from storage, without knowing it is SQL.

A `Write` is one piece of domain data (an attendance row, a speech, a
ballot) that storage runs inside the transaction committing the intent, so
the row, the room's CRDT update, the meeting event and the audit entry are
stored together or not at all. Its argument is storage's connection, opaque
here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

Write = Callable[[Any], Awaitable[None]]


class SessionStore(Protocol):
    async def next_id(self, sequence: str) -> int:
        """A fresh id from a named sequence (speaker requests, polls)."""

    def checkin_key(self, meeting_id: int) -> bytes:
        """The key that signs this meeting's room check-in codes (never stored
        in the database, never sent to a client)."""

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

    def speech_limit(self, request_id: int, limit_s: int) -> Write: ...

    def item_speech_limit(self, meeting_id: int, item_id: int, limit_s: int | None) -> Write:
        """The agenda item's speaking time, as preparation would set it."""

    def message(self, meeting_id: int, message_id: int, sender: int, to_role: str, kind: str,
                text: str, at_ms: int) -> Write: ...

    def message_reply(self, message_id: int, by: int, text: str, at_ms: int) -> Write: ...


@dataclass(frozen=True, slots=True)
class Tally:
    """The ballots of one poll as stored: `counts` per option, `ballots` rows
    (members counted), and for a named poll who chose what."""

    counts: tuple[int, ...]
    ballots: int
    named: tuple[tuple[int, int, int], ...] = ()  # (member, cast by, choice)


class VotingStore(Protocol):
    """Polls and ballots (see domain/voting.py and storage/voting.py).

    The writes enforce in the database what must hold even against a bug or
    a second process: one open poll per meeting, one ballot per member
    counted (a unique key), no ballot once the poll is no longer open. They
    raise `Conflict` when it does not hold; the intent is then refused and
    nothing of it is stored."""

    def open_poll(self, meeting_id: int, poll_id: int, *, item_id: int | None, question: str,
                  options: tuple[str, ...], kind: str, rule: str, allow_change: bool,
                  by: int, at_ms: int, receipts: bool = True) -> Write: ...

    def cast_named(self, poll_id: int, member: int, by: int, choice: int,
                   at_ms: int) -> Write: ...

    def change_named(self, poll_id: int, member: int, by: int, choice: int,
                     at_ms: int) -> Write: ...

    def cast_secret(self, poll_id: int, member: int, by: int, choice: int, receipt: str,
                    at_ms: int) -> Write:
        """Who voted, with the choice and receipt sealed under a key outside
        the database; readable only at the close, apart from who voted."""

    def change_secret(self, poll_id: int, member: int, by: int, choice: int,
                      receipt: str) -> Write:
        """A new choice (and receipt) for the member's ballot, if `by` cast it."""

    async def has_ballot(self, poll_id: int, member: int) -> bool: ...

    async def tally(self, poll_id: int, options: int, *, secret: bool,
                    by: int | None = None) -> Tally:
        """Raises Conflict (`tally_refused`, audited) if the stored ballots do
        not add up; `by` is who asked, for that audit entry."""

    def close_poll(self, poll_id: int, expected: Tally, result: dict[str, Any], *,
                   secret: bool, by: int, at_ms: int) -> Write:
        """Close, storing `result`, if the ballots are still those of `expected`;
        a secret poll's choices are rewritten in random order."""

    def cancel_poll(self, poll_id: int, *, secret: bool, by: int, at_ms: int) -> Write: ...

    def proxy_request(self, meeting_id: int, member: int, to: int, at_ms: int) -> Write: ...

    def proxy_status(self, meeting_id: int, member: int, status: str, by: int,
                     at_ms: int) -> Write: ...
