"""Who may see and change a meeting: its participants by role, and the admins
of the body it belongs to. Nobody else learns that it exists."""

from __future__ import annotations

from dataclasses import dataclass

from collab_server.domain.lifecycle import Status
from collab_server.domain.roles import Role
from collab_server.errors import Forbidden


@dataclass(frozen=True, slots=True)
class MeetingAccess:
    meeting_id: int
    body_id: int
    status: Status
    kind: str
    confidentiality: str
    role: Role | None
    body_admin: bool

    @property
    def can_view(self) -> bool:
        return self.role is not None or self.body_admin

    @property
    def can_prepare(self) -> bool:
        return self.body_admin or self.role in (Role.SECRETARY, Role.CHAIR)

    def require_prepare(self) -> None:
        if not self.can_prepare:
            raise Forbidden(
                "Chỉ thư ký, chủ tọa hoặc quản trị của cơ quan được chuẩn bị cuộc họp.",
                "Only the secretary, the chair or a body admin may prepare this meeting.",
            )

    def require_chair(self) -> None:
        if not (self.body_admin or self.role == Role.CHAIR):
            raise Forbidden("Chỉ chủ tọa được thực hiện thao tác này.", "Only the chair may.")

    @property
    def sees_everything(self) -> bool:
        """The secretary's view: answers, who opened what."""
        return self.can_prepare
