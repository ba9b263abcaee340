"""Sockets by person: per-account quotas, and the registry revocation walks.

Per-socket limits (`ConnectionLimits`) stop one broken laptop; they do not
stop one account that opens many sockets. A person's sockets on this process
share one budget for intents, presence and document writes, and their number
is capped. A person may have a laptop and a phone open (each opens the room,
the ink, the inbox, the notes of the page being read and, for the secretary
and the chair, the minutes), so the defaults leave room for two devices and
a reconnect of both.

The limits are per process: with two servers an account may hold twice the
sockets, each process metering what it serves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from collab_server.errors import RateLimited, TooLarge
from collab_server.live.limits import TokenBucket
from collab_server.metrics import Metrics

if TYPE_CHECKING:
    from collab_server.live.connection import Connection
    from collab_server.live.document import LiveDoc

# A Person with no socket is forgotten once its budgets are full again (nothing
# to remember); the others are swept every this many joins.
PRUNE_EVERY = 256


@dataclass(frozen=True, slots=True)
class PersonLimits:
    sockets: int = 16
    intents_per_second: float = 10.0
    intent_burst: float = 40.0
    # What a person's sockets fan out to every laptop of the room.
    presence_bytes_per_second: float = 16 * 1024
    presence_burst: float = 64 * 1024
    # New bytes written to personal notes: a burst large enough for a laptop
    # that merges an hour of offline notes on reconnect.
    write_bytes_per_second: float = 256 * 1024
    write_burst: float = 4 * 1024 * 1024
    # Stored bytes of one person's notes on one document.
    notes_bytes: int = 8 * 1024 * 1024


class Person:
    """One account's sockets on this process and the budgets they share."""

    __slots__ = ("user_id", "connections", "intents", "presence", "writes")

    def __init__(self, user_id: int, limits: PersonLimits) -> None:
        self.user_id = user_id
        self.connections: set[Connection] = set()
        self.intents = TokenBucket(limits.intents_per_second, limits.intent_burst)
        self.presence = TokenBucket(limits.presence_bytes_per_second, limits.presence_burst)
        self.writes = TokenBucket(limits.write_bytes_per_second, limits.write_burst)

    def rested(self) -> bool:
        return self.intents.full() and self.presence.full() and self.writes.full()


@dataclass(slots=True)
class Refusals:
    """What the per-person limits refused, for /-/metrics."""

    sockets: int = 0
    intents: int = 0
    presence: int = 0
    writes: int = 0
    notes: int = 0


class People:
    def __init__(self, limits: PersonLimits) -> None:
        self.limits = limits
        self.by_user: dict[int, Person] = {}
        self.refused = Refusals()
        self._joins = 0

    def admit(self, user_id: int) -> Person:
        """The person's budgets, if they may open one more socket; else
        `RateLimited` (the socket is closed with 4429)."""
        person = self.by_user.get(user_id)
        if person is None:
            person = self.by_user[user_id] = Person(user_id, self.limits)
        elif len(person.connections) >= self.limits.sockets:
            self.refused.sockets += 1
            raise RateLimited(
                f"Tài khoản đã mở quá {self.limits.sockets} kết nối; hãy đóng bớt thiết bị.",
                f"Too many sockets for this account (over {self.limits.sockets}).")
        self._joins += 1
        if self._joins % PRUNE_EVERY == 0:
            self._prune()
        return person

    def join(self, person: Person, conn: Connection) -> None:
        person.connections.add(conn)
        self.by_user.setdefault(person.user_id, person)

    def leave(self, person: Person, conn: Connection) -> None:
        person.connections.discard(conn)
        if not person.connections and person.rested():
            self.by_user.pop(person.user_id, None)

    def meter_notes(self, person: Person, live: LiveDoc, update: bytes) -> None:
        """Every participant writes notes, so they are metered per person: bytes
        per second across the person's sockets, and bytes stored per document.
        (The ink and the minutes have one or two named writers, held by their
        sockets' frame limits.) Counted by what is new here: a reconnecting
        replica repeats what it has."""
        new = live.new_bytes(update)
        cap = self.limits.notes_bytes
        if live.stored_bytes + new > cap:
            self.refused.notes += 1
            raise TooLarge(f"Ghi chú cá nhân trên tài liệu này vượt quá {cap} byte.",
                           f"Personal notes on this document would exceed {cap} bytes.")
        if not person.writes.take(new):
            self.refused.writes += 1
            raise RateLimited("Ghi quá nhiều dữ liệu trong thời gian ngắn.",
                              "Too many bytes written by this account; slow down.")
        live.stored_bytes += new

    def register_metrics(self, metrics: Metrics) -> None:
        refused = self.refused
        for name, read in (("sockets", lambda: refused.sockets),
                           ("intents", lambda: refused.intents),
                           ("presence", lambda: refused.presence),
                           ("writes", lambda: refused.writes),
                           ("notes", lambda: refused.notes)):
            metrics.counter(f"phonghop_person_refused_{name}_total",
                            f"Refused by the per-person {name} limit.", read)

    def _prune(self) -> None:
        for user_id, person in list(self.by_user.items()):
            if not person.connections and person.rested():
                del self.by_user[user_id]

    def of_user(self, user_id: int) -> tuple[Connection, ...]:
        person = self.by_user.get(user_id)
        return tuple(person.connections) if person is not None else ()

    def everyone(self) -> Iterator[Connection]:
        for person in list(self.by_user.values()):
            yield from tuple(person.connections)
