"""A meeting's lifecycle: draft → invited → in session → ended → archived.

Only the listed transitions exist; each names the meeting roles that may make
it (body admins may make any of them for their body's meetings).
"""

from __future__ import annotations

from enum import StrEnum

from collab_server.domain.roles import Role


class Status(StrEnum):
    DRAFT = "draft"
    INVITED = "invited"
    IN_SESSION = "in_session"
    ENDED = "ended"
    ARCHIVED = "archived"


TRANSITIONS: dict[tuple[Status, Status], frozenset[Role]] = {
    (Status.DRAFT, Status.INVITED): frozenset({Role.SECRETARY, Role.CHAIR}),
    # Invitations recalled for a correction; answers already given are kept.
    (Status.INVITED, Status.DRAFT): frozenset({Role.SECRETARY, Role.CHAIR}),
    (Status.INVITED, Status.IN_SESSION): frozenset({Role.CHAIR, Role.SECRETARY}),
    (Status.IN_SESSION, Status.ENDED): frozenset({Role.CHAIR}),
    (Status.ENDED, Status.ARCHIVED): frozenset({Role.SECRETARY, Role.CHAIR}),
}

# What the secretary may still change in each status.
PREPARABLE = frozenset({Status.DRAFT, Status.INVITED})
DOCUMENTS_OPEN = frozenset({Status.DRAFT, Status.INVITED, Status.IN_SESSION})


def allowed(current: Status, target: Status) -> frozenset[Role] | None:
    return TRANSITIONS.get((current, target))


LABELS_VI = {
    Status.DRAFT: "bản nháp",
    Status.INVITED: "đã gửi giấy mời",
    Status.IN_SESSION: "đang họp",
    Status.ENDED: "đã kết thúc",
    Status.ARCHIVED: "đã lưu trữ",
}
