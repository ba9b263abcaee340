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


def _meeting_fields(info: MeetingInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "title": info.title,
        "body": info.body,
        "room": info.room,
        "starts_at": info.starts_at,
        "status": info.status,
    }


def _agenda_items(info: MeetingInfo) -> list[dict[str, Any]]:
    return [
        {
            "id": item.id,
            "position": item.position,
            "title": item.title,
            "presenter": item.presenter,
            "duration_min": item.duration_min,
        }
        for item in info.agenda
    ]


def _same(a: Any, b: Any) -> bool:
    """Equal as the replicas see it: numbers come back from the CRDT as floats."""
    return bool(a == b)


def sync(doc: YDoc, info: MeetingInfo) -> None:
    """Bring the meeting's prepared data (title, status, agenda) into the room,
    writing only what differs, so a refresh that changes nothing costs nothing."""
    meeting = doc.get(MEETING, type=pycrdt.Map)
    for key, value in _meeting_fields(info).items():
        if not _same(meeting.get(key), value):
            meeting[key] = value
    agenda = doc.get(AGENDA, type=pycrdt.Array)
    wanted = _agenda_items(info)
    if not _same(agenda.to_py() or [], wanted):
        agenda.clear()
        agenda.extend(wanted)


def seed(doc: YDoc, info: MeetingInfo) -> None:
    """The first content of a meeting's room. Called once per meeting, ever."""
    sync(doc, info)
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
