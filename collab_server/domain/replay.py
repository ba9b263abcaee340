"""Replay of an ended meeting: the room as it was at a moment, and the session's
timeline. Pure: no I/O.

The room at time t is not a second model of the room. It is the room document
itself, rebuilt by applying, into a fresh document, every stored update of
`meeting/{id}/room` (and of the presenter's ink) up to t, in the order they
were stored, and read with the same roots the clients read. What a replica
held at t is what this gives.

What stays out: personal notes and inboxes are other documents and never
read here. Ballots are rows in PostgreSQL, never in the room: while a poll is
open the room holds only how many ballots are in; per-option counts arrive at
the close, and names only for a named poll. `redact` enforces the same on the
rebuilt room in case a future room ever carried more, and the timeline never
lists single ballots (`vote.cast`), so it says nobody's choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pycrdt

from collab_server.domain import room
from collab_server.domain.voting import POLLS, PROXIES
from collab_server.live.ports import YDoc

# Every root of the room document, as clients/shared/room.js reads it.
ROOM_MAPS = (room.MEETING, room.CURSOR, room.PRESENTING, room.PEOPLE, room.SETTINGS,
             room.SESSION, room.AGENDA_TIMES, room.ATTENDANCE, room.QUORUM, room.SPEAKERS,
             room.FLOOR, room.DISPLAY, POLLS, PROXIES)
ROOM_ARRAYS = (room.AGENDA,)

# What a poll shows only once it is closed; and what no replay shows for a secret one.
_RESULT_KEYS = ("counts", "passed", "needed", "base", "base_kind", "named")
_NAMES_KEYS = ("named", "ballots", "choices")


def rebuild(updates: Iterable[bytes]) -> YDoc:
    """A fresh document holding exactly these updates (CRDT updates commute, so
    the order only matters for speed)."""
    parts = [u for u in updates if u]
    doc: YDoc = pycrdt.Doc()
    if parts:
        doc.apply_update(parts[0] if len(parts) == 1 else pycrdt.merge_updates(*parts))
    return doc


def redact(doc: YDoc) -> None:
    """Applied to a rebuilt room that is read and dropped, never stored nor sent
    as updates: results of a poll not (yet) closed, and names of a secret one."""
    polls = doc.get(POLLS, type=pycrdt.Map)
    for key in list(polls.keys()):
        poll = polls[key]
        if not isinstance(poll, pycrdt.Map):
            continue
        hidden = [k for k in _RESULT_KEYS if poll.get("status") != "closed"]
        if poll.get("kind") == "secret":
            hidden += _NAMES_KEYS
        for name in hidden:
            if name in poll:
                del poll[name]


def room_state(doc: YDoc) -> dict[str, Any]:
    """The room as plain data: every root, an empty map or list if never written."""
    out: dict[str, Any] = {name: doc.get(name, type=pycrdt.Map).to_py() or {}
                           for name in ROOM_MAPS}
    for name in ROOM_ARRAYS:
        out[name] = doc.get(name, type=pycrdt.Array).to_py() or []
    return out


def ink_key(presenting: Mapping[str, Any]) -> str | None:
    """The presenter ink's array for the page on the screen (clients/shared/annotations.js)."""
    document, page = presenting.get("document"), presenting.get("page")
    if document is None or page is None:
        return None
    return f"strokes:{int(document)}:{int(page)}"


def ink_on_screen(ink: YDoc, presenting: Mapping[str, Any]) -> list[Any]:
    key = ink_key(presenting)
    if key is None:
        return []
    return list(ink.get(key, type=pycrdt.Array).to_py() or [])


# -- the timeline ---------------------------------------------------------------------------

# The events the timeline tells, and the fields of each it keeps. Single
# ballots are not among them (see the module's docstring).
TOLD: dict[str, tuple[str, ...]] = {
    "session.open": (),
    "session.suspend": (),
    "session.resume": (),
    "session.close": (),
    "agenda.goto": ("item",),
    "speaker.grant": ("user", "kind", "item", "limit_s"),
    "speaker.end": ("user", "seconds"),
    "presenter.set": ("user",),
    "present.page": ("document", "page"),
    "poll.open": ("poll", "question", "kind", "item"),
    "poll.close": ("poll", "counts", "passed"),
    "poll.cancel": ("poll",),
    "attendance.check_in": ("user", "present"),
    "attendance.mark": ("user", "present"),
    "display.message": ("text",),
}


@dataclass(frozen=True)
class Moment:
    id: int
    at: datetime
    kind: str
    actor_id: int | None
    actor: str
    data: dict[str, Any]


def timeline(events: Iterable[Mapping[str, Any]]) -> list[Moment]:
    out = []
    for e in events:
        fields = TOLD.get(str(e["kind"]))
        if fields is None:
            continue
        data = e.get("data") or {}
        out.append(Moment(int(e["id"]), e["at"], str(e["kind"]), e.get("actor_id"),
                          str(e.get("actor") or ""),
                          {k: data[k] for k in fields if k in data}))
    return out


@dataclass(frozen=True)
class Names:
    """What a line of the report needs to name: from the room at the end."""
    people: Mapping[int, str]
    items: Mapping[int, str]
    options: Mapping[int, list[str]]

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> Names:
        people = {int(k): str(v.get("name") or "") for k, v in state[room.PEOPLE].items()}
        items = {int(i["id"]): f"{int(i.get('position') or 0)}. {i.get('title') or ''}"
                 for i in state[room.AGENDA]}
        options = {int(k): [str(o) for o in v.get("options") or []]
                   for k, v in state[POLLS].items()}
        return cls(people, items, options)


def _person(names: Names, value: Any) -> str:
    return names.people.get(int(value), f"#{int(value)}") if value is not None else ""


def describe(moment: Moment, names: Names) -> str:
    """One line of the report, in Vietnamese."""
    d = moment.data
    match moment.kind:
        case "session.open":
            return "Khai mạc phiên họp"
        case "session.suspend":
            return "Tạm dừng phiên họp"
        case "session.resume":
            return "Tiếp tục phiên họp"
        case "session.close":
            return "Bế mạc phiên họp"
        case "agenda.goto":
            item = d.get("item")
            title = names.items.get(int(item), "") if item is not None else ""
            return f"Chuyển sang mục {title}" if title else "Rời chương trình"
        case "speaker.grant":
            return f"{_person(names, d.get('user'))} được phát biểu"
        case "speaker.end":
            return (f"{_person(names, d.get('user'))} kết thúc phát biểu"
                    f" ({int(d.get('seconds') or 0)} giây)")
        case "presenter.set":
            who = d.get("user")
            return f"{_person(names, who)} trình bày" if who is not None else "Thôi trình bày"
        case "present.page":
            if d.get("document") is None:
                return "Thôi chiếu tài liệu"
            return f"Chiếu tài liệu số {int(d['document'])}, trang {int(d.get('page') or 1)}"
        case "poll.open":
            kind = "bỏ phiếu kín" if d.get("kind") == "secret" else "biểu quyết công khai"
            return f"Mở biểu quyết ({kind}): {d.get('question') or ''}"
        case "poll.close":
            labels = names.options.get(int(d.get("poll") or 0), [])
            counts = [int(c) for c in d.get("counts") or []]
            parts = [f"{labels[i] if i < len(labels) else f'Phương án {i + 1}'}: {c}"
                     for i, c in enumerate(counts)]
            verdict = "thông qua" if d.get("passed") else "không thông qua"
            return f"Kết thúc biểu quyết: {', '.join(parts)}; {verdict}"
        case "poll.cancel":
            return "Hủy biểu quyết"
        case "attendance.check_in":
            return f"{_person(names, moment.actor_id)} điểm danh có mặt"
        case "attendance.mark":
            state = "có mặt" if d.get("present") else "vắng"
            return f"Ghi nhận {_person(names, d.get('user'))} {state}"
        case "display.message":
            return f"Thông báo trên màn hình: {d.get('text') or ''}"
    return moment.kind
