"""Who may give and take which meeting role.

Preparing a meeting (`MeetingAccess.require_prepare`) lets the secretary add
delegates and guests; it must not let her make herself chair, nor demote or
remove the chair, after which every chair-only action would be hers. So a
role change has its own rule, checked on top of the right to prepare:

- nobody gives themselves a role or changes their own;
- the chair role is given and taken by an admin of the meeting's body; while
  the meeting has no chair, its preparers may name one (that is part of
  preparing the invitations);
- the secretary role is given and taken by the chair or a body admin;
- delegate, guest and display roles by anyone who prepares the meeting.

Both sides of a change count: turning the chair into a delegate takes the
chair role away, so it needs an admin. Pure: no I/O.
"""

from __future__ import annotations

from collab_server.domain.access import MeetingAccess
from collab_server.domain.roles import Role
from collab_server.errors import Forbidden


def _may_touch(access: MeetingAccess, role: Role, *, naming_first_chair: bool) -> None:
    if role == Role.CHAIR and not (access.body_admin or naming_first_chair):
        raise Forbidden("Chỉ quản trị của cơ quan được giao hoặc thay đổi vai trò chủ tọa.",
                        "Only a body admin gives or takes the chair role.")
    if role == Role.SECRETARY and not (access.body_admin or access.role == Role.CHAIR):
        raise Forbidden(
            "Chỉ chủ tọa hoặc quản trị của cơ quan được giao hoặc thay đổi vai trò thư ký.",
            "Only the chair or a body admin gives or takes the secretary role.")


def check_not_self(caller_id: int, member_id: int) -> None:
    if caller_id == member_id:
        raise Forbidden("Không ai tự giao hoặc tự đổi vai trò của chính mình trong cuộc họp.",
                        "Nobody gives themselves a role or changes their own.")


def check_change(access: MeetingAccess, caller_id: int, member_id: int, old: Role | None,
                 new: Role | None, *, has_chair: bool) -> None:
    """Raise Forbidden unless the caller may move `member_id` from `old` (None:
    not yet a participant) to `new` (None: removed). The caller may prepare
    the meeting (checked before)."""
    if new is not None:
        check_not_self(caller_id, member_id)
    if old is not None and old != new:
        _may_touch(access, old, naming_first_chair=False)
    if new is not None and new != old:
        _may_touch(access, new, naming_first_chair=new == Role.CHAIR and not has_chair)
