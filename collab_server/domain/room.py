"""The shape of the room document, which only the server writes.

Per-person and fast-changing state stays out of it (see DESIGN.md,
tombstones): keys here change at human pace, from the server's one client id.
"""

from __future__ import annotations

import hashlib
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
        "documents": documents_rev(info),
    }


def documents_rev(info: MeetingInfo) -> str:
    """A short digest of the meeting's document list. A document added during
    the session changes it, and every open laptop then reloads the list. The
    room is read by everyone in the meeting, so it carries the digest only,
    never a title someone there may not be allowed to read."""
    if not info.documents:
        return ""
    text = "\n".join(f"{d.id}|{d.title}|{d.page_count}|{d.agenda_item_id}|{d.confidentiality}"
                     f"|{d.secrecy}" for d in info.documents)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _agenda_items(info: MeetingInfo) -> list[dict[str, Any]]:
    return [
        {
            "id": item.id,
            "position": item.position,
            "title": item.title,
            "presenter": item.presenter,
            "duration_min": item.duration_min,
            "speech_limit_s": item.speech_limit_s,
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
    roster = doc.get(PEOPLE, type=pycrdt.Map)
    current = {p.user_id: p for p in info.participants}
    for key in [k for k in roster.keys() if int(k) not in current]:
        del roster[key]
    for person in info.participants:
        put(doc, PEOPLE, str(person.user_id), {
            "id": person.user_id, "name": person.name, "title": person.title,
            "unit": person.unit, "role": person.role, "stands_in_for": person.stands_in_for,
        })
    put_all(doc, SETTINGS, dict(info.settings))
    refresh_quorum(doc)


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


# -- the running session -----------------------------------------------------------------

PEOPLE = "people"
SETTINGS = "settings"
SESSION = "session"
AGENDA_TIMES = "agenda_times"
ATTENDANCE = "attendance"
QUORUM = "quorum"
SPEAKERS = "speakers"
FLOOR = "floor"
DISPLAY = "display"

SESSION_LABELS = {
    "not_started": "chưa khai mạc",
    "open": "đang họp",
    "suspended": "tạm dừng",
    "closed": "đã bế mạc",
}


def meeting_status(doc: YDoc) -> str:
    return str(doc.get(MEETING, type=pycrdt.Map).get("status") or "")


def starts_at(doc: YDoc) -> str | None:
    value = doc.get(MEETING, type=pycrdt.Map).get("starts_at")
    return str(value) if value else None


def session_state(doc: YDoc) -> str:
    state = doc.get(SESSION, type=pycrdt.Map).get("state")
    return str(state) if state else "not_started"


def people(doc: YDoc) -> dict[int, dict[str, Any]]:
    return {int(k): v for k, v in (doc.get(PEOPLE, type=pycrdt.Map).to_py() or {}).items()}


def attendance(doc: YDoc) -> dict[int, dict[str, Any]]:
    return {int(k): v for k, v in (doc.get(ATTENDANCE, type=pycrdt.Map).to_py() or {}).items()}


def settings(doc: YDoc) -> dict[str, Any]:
    return doc.get(SETTINGS, type=pycrdt.Map).to_py() or {}


def queue(doc: YDoc) -> list[tuple[int, dict[str, Any]]]:
    """Speaker requests in order."""
    entries = doc.get(SPEAKERS, type=pycrdt.Map).to_py() or {}
    return sorted(((int(k), v) for k, v in entries.items()),
                  key=lambda kv: (kv[1]["rank"], kv[0]))


def floor(doc: YDoc) -> dict[str, Any]:
    value: dict[str, Any] = doc.get(FLOOR, type=pycrdt.Map).to_py() or {}
    return value if value.get("user") is not None else {}


def put(doc: YDoc, root: str, key: str, value: Any) -> None:
    """Set a key only if it changes: an unchanged write still leaves a tombstone."""
    section = doc.get(root, type=pycrdt.Map)
    if not _same(section.get(key), value):
        section[key] = value


def put_all(doc: YDoc, root: str, values: dict[str, Any]) -> None:
    for key, value in values.items():
        put(doc, root, key, value)


# Quorum rules: how many members must be present.
def quorum_required(rule: str, members: int) -> int:
    if rule == "two_thirds":
        return -(-2 * members // 3)
    if rule == "half":
        return members // 2 + 1
    return 0


def compute_quorum(doc: YDoc) -> dict[str, Any]:
    """Members are the chair and the delegates, not deputies (they stand in
    for a member) nor guests. A member is present if checked in, or if a
    deputy standing in for them is."""
    roster = people(doc)
    present = {uid for uid, a in attendance(doc).items() if a.get("present")}
    members = [uid for uid, p in roster.items()
               if p.get("role") in ("chair", "delegate") and p.get("stands_in_for") is None]
    standing_in = {int(p["stands_in_for"]) for uid, p in roster.items()
                   if p.get("stands_in_for") is not None and uid in present}
    here = sum(1 for uid in members if uid in present or uid in standing_in)
    rule = str(settings(doc).get("quorum_rule") or "half")
    required = quorum_required(rule, len(members))
    return {"rule": rule, "members": len(members), "present": here, "required": required,
            "met": here >= required and len(members) > 0}


def refresh_quorum(doc: YDoc) -> None:
    put_all(doc, QUORUM, compute_quorum(doc))
