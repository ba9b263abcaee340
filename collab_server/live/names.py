"""Document names: what a client asks for, and what the server stores."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from collab_server.errors import NotFound


class DocKind(StrEnum):
    ROOM = "room"
    NOTES = "notes"
    INK = "ink"
    INBOX = "inbox"
    MINUTES = "minutes"


@dataclass(frozen=True, slots=True)
class DocKey:
    meeting_id: int
    kind: DocKind
    document_id: int | None = None
    owner_id: int | None = None

    @property
    def name(self) -> str:
        """The storage name. Notes carry their owner, so nobody reaches another's."""
        base = f"meeting/{self.meeting_id}/{self.kind.value}"
        if self.kind is DocKind.NOTES:
            return f"{base}/{self.document_id}/user/{self.owner_id}"
        if self.kind is DocKind.INBOX:
            return f"{base}/user/{self.owner_id}"
        return base

    @property
    def room(self) -> DocKey:
        return DocKey(self.meeting_id, DocKind.ROOM)


_PATH = re.compile(
    r"meeting/([1-9][0-9]{0,17})/(room|ink|inbox|minutes|notes/([1-9][0-9]{0,17}))")


def parse_path(path: str, user_id: int) -> DocKey:
    """Map the path a client connects to onto a key; notes and the inbox belong
    to the caller."""
    match = _PATH.fullmatch(path.strip("/"))
    if match is None:
        raise NotFound(f"Không có tài liệu trực tuyến '{path[:80]}'.", "No such live document.")
    meeting_id = int(match.group(1))
    if match.group(3) is not None:
        return DocKey(meeting_id, DocKind.NOTES, int(match.group(3)), user_id)
    if match.group(2) == "inbox":
        return DocKey(meeting_id, DocKind.INBOX, owner_id=user_id)
    return DocKey(meeting_id, DocKind(match.group(2)))
