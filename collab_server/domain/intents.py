"""The intent registry: handlers check the caller's role and the room's state,
then say what changes. The live core applies the change to the room, commits
it with its domain rows, the meeting event and the audit entry in one
transaction, and only then lets any replica see it.

Handlers live in one module per concern (session, attendance, speakers,
presenting, voting, messages); `domain.handlers` imports them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from collab_server.documents.names import without_bidi_controls
from collab_server.domain import room
from collab_server.domain.ports import SessionStore, VotingStore, Write
from collab_server.domain.roles import Role
from collab_server.errors import BadIntent, Conflict, Forbidden
from collab_server.live.connection import Identity
from collab_server.live.names import DocKey
from collab_server.live.ports import MeetingData, YDoc


@dataclass(frozen=True, slots=True)
class Context:
    meeting_id: int
    identity: Identity
    doc: YDoc
    meetings: MeetingData
    store: SessionStore
    votes: VotingStore
    now: int  # ms since the epoch, one clock for the whole intent
    # Another live document of the meeting, read-only here (an inbox).
    read_doc: Callable[[DocKey], Awaitable[YDoc]]

    @property
    def user_id(self) -> int:
        return self.identity.user_id

    def require(self, *roles: Role) -> None:
        if self.identity.role not in roles:
            raise Forbidden()


@dataclass(frozen=True, slots=True)
class Change:
    """What an accepted intent does.

    `apply` changes the room; `writes` are domain rows stored in the same
    transaction; `event` and `data` go to the meeting's event log and the audit
    log (so `data` never holds a secret ballot's choice or receipt); `result`
    is returned to the caller alone; `docs` are other server-written documents
    changed alongside (a person's inbox)."""

    apply: Callable[[YDoc], None]
    event: str
    data: dict[str, Any]
    writes: Sequence[Write] = ()
    result: dict[str, Any] | None = None
    docs: Sequence[tuple[DocKey, Callable[[YDoc], None]]] = field(default_factory=tuple)


# Meeting statuses in which the room is live.
LIVE_STATUSES = ("invited", "in_session")

Handler = Callable[[Context, dict[str, Any]], Awaitable[Change]]
HANDLERS: dict[str, Handler] = {}


def intent(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in HANDLERS:
            raise RuntimeError(f"intent {name} registered twice")
        HANDLERS[name] = handler
        return handler

    return register


def int_arg(args: dict[str, Any], name: str, *, minimum: int = 1,
            maximum: int = 2**53) -> int:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise BadIntent(f"Tham số '{name}' phải là số nguyên từ {minimum}.", f"Bad '{name}'.")
    return value


def text_arg(args: dict[str, Any], name: str, *, limit: int, required: bool = True) -> str:
    value = args.get(name)
    if value is None and not required:
        return ""
    if isinstance(value, str):
        value = without_bidi_controls(value)
    if not isinstance(value, str) or not value.strip() or len(value) > limit \
            or "\x00" in value:
        raise BadIntent(f"Tham số '{name}' phải là chuỗi 1-{limit} ký tự.",
                        f"'{name}' must be text of 1-{limit} characters.")
    return value.strip()


def choice_arg(args: dict[str, Any], name: str, options: tuple[str, ...],
               default: str | None = None) -> str:
    value = args.get(name, default)
    if value not in options:
        raise BadIntent(f"Tham số '{name}' phải là một trong: {', '.join(options)}.",
                        f"'{name}' must be one of: {', '.join(options)}.")
    assert isinstance(value, str)
    return value


def require_session(ctx: Context, *states: str) -> None:
    """The session must be in one of `states` (e.g. 'open'), and the meeting
    itself live: invited or in session, never a draft nor ended or archived
    (whatever the lifecycle did over HTTP)."""
    status = room.meeting_status(ctx.doc)
    if status not in LIVE_STATUSES:
        raise Conflict(
            "Cuộc họp chưa gửi giấy mời hoặc đã kết thúc; không thực hiện được thao tác này.",
            f"The meeting is '{status}'; nothing live happens in it.",
        )
    current = room.session_state(ctx.doc)
    if current not in states:
        raise Conflict(
            f"Phiên họp đang ở trạng thái '{room.SESSION_LABELS.get(current, current)}'; "
            "không thực hiện được thao tác này.",
            f"The session is '{current}'; this is not allowed now.",
        )
