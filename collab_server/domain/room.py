"""The shape of the room document, which only the server writes.

Per-person and fast-changing state stays out of it (see DESIGN.md,
tombstones): keys here change at human pace, from the server's one client id.
"""

from __future__ import annotations

import time
from typing import Any

import pycrdt

from collab_server.live.ports import MeetingInfo, YDoc

MEETING = "meeting"
AGENDA = "agenda"
CURSOR = "cursor"
PRESENTING = "presenting"


def now_ms() -> int:
    return int(time.time() * 1000)


def seed(doc: YDoc, info: MeetingInfo) -> None:
    """The first content of a meeting's room. Called once per meeting, ever."""
    meeting = doc.get(MEETING, type=pycrdt.Map)
    meeting.update(
        {
            "id": info.id,
            "title": info.title,
            "body": info.body,
            "room": info.room,
            "starts_at": info.starts_at,
            "status": info.status,
        }
    )
    agenda = doc.get(AGENDA, type=pycrdt.Array)
    agenda.extend(
        [
            {
                "id": item.id,
                "position": item.position,
                "title": item.title,
                "presenter": item.presenter,
                "duration_min": item.duration_min,
            }
            for item in info.agenda
        ]
    )
    doc.get(CURSOR, type=pycrdt.Map).update({"item": None, "since": None})
    doc.get(PRESENTING, type=pycrdt.Map).update(
        {"presenter": None, "document": None, "page": None, "zoom": 1.0, "since": None}
    )


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def agenda_ids(doc: YDoc) -> list[int]:
    return [int(item["id"]) for item in doc.get(AGENDA, type=pycrdt.Array).to_py() or []]


def cursor_item(doc: YDoc) -> int | None:
    return _int(doc.get(CURSOR, type=pycrdt.Map).get("item"))


def presenter(doc: YDoc) -> int | None:
    return _int(doc.get(PRESENTING, type=pycrdt.Map).get("presenter"))


def snapshot(doc: YDoc) -> dict[str, Any]:
    """The room as plain data, for tests, logs and HTTP."""
    return {
        MEETING: doc.get(MEETING, type=pycrdt.Map).to_py(),
        AGENDA: doc.get(AGENDA, type=pycrdt.Array).to_py(),
        CURSOR: doc.get(CURSOR, type=pycrdt.Map).to_py(),
        PRESENTING: doc.get(PRESENTING, type=pycrdt.Map).to_py(),
    }
