"""Open sockets follow the session and the role.

A socket is authorised once, when it opens; what happens after must reach it
too. Ending a session (logout, "log out everywhere", a disabled account)
closes that session's sockets with 4401. A change to a meeting's participants
bumps the meeting's *participants version*: a socket whose role was read at
an older version reads it again before its next intent or write (one query,
only after a change), and every socket of the meeting is re-checked at once,
so a person removed from the meeting stops receiving its documents (4403)
even if they never send anything. The hot path pays one dict lookup.

Other processes hear of both through the broker (`Relay.REVOKE_*`,
`Relay.ROLES` on the control channel); after the broker was away every
version is bumped, since notices may have been lost.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable

from collab_server.domain.roles import Role
from collab_server.errors import AppError, Forbidden, Unavailable
from collab_server.live.connection import Connection
from collab_server.live.document import LiveDoc
from collab_server.live.names import DocKey, DocKind
from collab_server.live.people import People
from collab_server.live.ports import MeetingData, SessionCheck
from collab_server.metrics import Metrics
from collab_server.status import Close

log = logging.getLogger(__name__)

# The draft minutes (meeting/{id}/minutes): written by the secretary and the
# chair, read by them and by the admins of the meeting's body.
BODY_ADMIN = "body_admin"  # the role on the socket of a body admin who takes no part
MINUTES_WRITERS = frozenset({Role.SECRETARY, Role.CHAIR})
MINUTES_READERS = MINUTES_WRITERS | {BODY_ADMIN}


def refusal(key: DocKey, role: str) -> Forbidden | None:
    """Why this role may not hold a socket on this document, if it may not."""
    if key.kind in (DocKind.NOTES, DocKind.INBOX) and role == Role.DISPLAY:
        return Forbidden("Màn hình trình chiếu không có tài liệu riêng.",
                         "A display has no personal documents.")
    if key.kind is DocKind.MINUTES and role not in MINUTES_READERS:
        return Forbidden("Chỉ thư ký, chủ tọa và quản trị cơ quan mở được dự thảo biên bản.",
                         "Only the secretary, the chair and body admins open the draft "
                         "minutes.")
    return None


class Access:
    def __init__(self, docs: dict[str, LiveDoc], people: People, meetings: MeetingData) -> None:
        self._docs = docs
        self._people = people
        self._meetings = meetings
        self._versions: dict[int, int] = {}
        self.revoked = 0  # sockets closed by a revocation or a role change
        self.role_notices = 0  # participants changes handled (local and relayed)

    def register_metrics(self, metrics: Metrics) -> None:
        metrics.counter("phonghop_revoked_sockets_total",
                        "Sockets closed because their session ended or their role no longer "
                        "allows them.", lambda: self.revoked)
        metrics.counter("phonghop_role_notices_total",
                        "Participants changes applied to open sockets (local and relayed).",
                        lambda: self.role_notices)

    def version(self, meeting_id: int) -> int:
        return self._versions.get(meeting_id, 0)

    # -- sessions --------------------------------------------------------------------

    def revoke_user(self, user_id: int) -> int:
        return self._close(self._people.of_user(user_id), "signed out or account disabled")

    def revoke_session(self, tag: str) -> int:
        if not tag:
            return 0
        return self._close((c for c in self._people.everyone() if c.identity.session == tag),
                           "session ended")

    async def watch_sessions(self, sessions: SessionCheck, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep(sessions)
            except Exception:  # the database is away: the next round tries again
                log.exception("checking the sessions of open sockets failed")

    async def sweep(self, sessions: SessionCheck) -> int:
        """Close the sockets whose session is no longer valid (expired, idle,
        deleted, or revoked while a notice was lost)."""
        conns = [c for c in self._people.everyone() if c.identity.session and not c.closed]
        if not conns:
            return 0
        valid = await sessions.valid(sorted({c.identity.user_id for c in conns}),
                                     sorted({c.identity.session for c in conns}))
        return self._close((c for c in conns if c.identity.session not in valid),
                           "session expired or ended")

    def _close(self, conns: Iterable[Connection], reason: str) -> int:
        closed = 0
        for conn in conns:
            if not conn.closed:
                conn.close(Close.UNAUTHORIZED, reason)
                closed += 1
        self.revoked += closed
        return closed

    # -- roles -------------------------------------------------------------------------

    def bump(self, meeting_id: int) -> None:
        self._versions[meeting_id] = self.version(meeting_id) + 1
        self.role_notices += 1

    def bump_all(self) -> list[int]:
        """Every meeting with a document here (after lost notices)."""
        meetings = sorted({live.key.meeting_id for live in self._docs.values()})
        for meeting_id in meetings:
            self.bump(meeting_id)
        return meetings

    async def refresh(self, meeting_id: int) -> None:
        """Re-check every socket of the meeting against the participants now."""
        if not any(live.connections for live in self._docs.values()
                   if live.key.meeting_id == meeting_id):
            return  # nobody here: no query
        version = self.version(meeting_id)
        info = await self._meetings.meeting(meeting_id)
        roles = {p.user_id: p.role for p in info.participants} if info is not None else {}
        for live in list(self._docs.values()):
            if live.key.meeting_id != meeting_id:
                continue
            for conn in tuple(live.connections):
                if conn.roles_seen < version:
                    role = roles.get(conn.identity.user_id)
                    if conn.identity.role == Role.DISPLAY:
                        # A room's display watches unlisted (and only as the
                        # display): the list alone cannot say.
                        role = await self._meetings.role_of(meeting_id, conn.identity.user_id)
                    self._apply(conn, live.key, role, version)

    async def check(self, conn: Connection, live: LiveDoc) -> None:
        """Before an intent or a write: the role as it is now. Raises
        `Forbidden` (the socket is already closed) if it may no longer act."""
        version = self._versions.get(live.key.meeting_id, 0)
        if conn.roles_seen >= version:
            return
        try:
            role = await self._meetings.role_of(live.key.meeting_id, conn.identity.user_id)
        except AppError:
            raise
        except Exception as exc:  # the database is away: nothing is done on a stale role
            raise Unavailable() from exc
        if not self._apply(conn, live.key, role, version):
            raise Forbidden("Bạn không còn tham dự cuộc họp này.",
                            "You no longer take part in this meeting.")

    def _apply(self, conn: Connection, key: DocKey, role: str | None, version: int) -> bool:
        if conn.closed:
            return False
        if role is None and conn.identity.role == BODY_ADMIN:
            conn.roles_seen = max(conn.roles_seen, version)
            return True  # reads the minutes as an admin of the body, not as a participant
        why = "removed from the meeting" if role is None else "role changed"
        if role is None or refusal(key, role) is not None:
            log.info("socket closed: %s", why,
                     extra={"user_id": conn.identity.user_id, "doc": key.name})
            conn.close(Close.FORBIDDEN, f"{why}; no longer allowed here")
            self.revoked += 1
            return False
        if role != conn.identity.role:
            conn.identity = dataclasses.replace(conn.identity, role=role)
        conn.roles_seen = max(conn.roles_seen, version)
        return True

