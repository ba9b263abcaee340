"""After the session: the minutes (biên bản) drafted from the record, and the
conclusion notice (thông báo kết luận) with its deadline.

Decision 45/2018/QĐ-TTg: the minutes record the time and place, the chair,
who attended, the order of discussion, each speaker, vote results and the
conclusions; the conclusion notice is due within 5 working days of the
meeting. Everything here is pure: storage gathers a `MinutesRecord`, this
module writes Vietnamese text from it.

The draft is plain text, one paragraph per line. Headings are lines that
start with a Roman numeral ("III. KẾT LUẬN ..."); the conclusions are the
lines under the heading that starts with "KẾT LUẬN". Text in square brackets
is for the secretary to replace.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from collab_server.domain import calendar, signing

MEMBER_ROLES = ("chair", "delegate")

SPEECH_KINDS = {
    "speech": "phát biểu",
    "question": "đặt câu hỏi",
    "point_of_order": "ý kiến về trình tự, thủ tục",
}

POLL_RULES = {
    "present_majority": "quá nửa số thành viên có mặt",
    "members_majority": "quá nửa tổng số thành viên",
    "two_thirds_members": "ít nhất hai phần ba tổng số thành viên",
}

POLL_KINDS = {"named": "biểu quyết công khai", "secret": "bỏ phiếu kín"}

CONCLUSION_HEADING = "KẾT LUẬN CỦA CHỦ TỌA"
CONCLUSION_PLACEHOLDER = "[Nội dung kết luận của chủ tọa đối với từng vấn đề.]"
OPINION_PLACEHOLDER = "[tóm tắt ý kiến]"

# Longest text accepted as minutes or a notice (the table checks it too).
MAX_TEXT = 500_000

_HEADING = re.compile(r"^\s*[IVXLC]+\s*[.)]\s*\S")
_CONCLUSION = re.compile(r"^\s*kết luận", re.IGNORECASE)
_CONCLUSION_NUMBERED = re.compile(r"^\s*[IVXLC]+\s*[.)]\s*kết luận", re.IGNORECASE)
_CLOSING = re.compile(r"^\s*(cuộc|phiên) họp kết thúc", re.IGNORECASE)
# Control characters other than tab and newline; the replacement character.
_JUNK = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffd]")


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    name: str
    title: str
    unit: str
    role: str
    stands_in_for: int | None = None
    response: str = "pending"
    response_reason: str = ""
    deputy_id: int | None = None
    deputy_status: str | None = None

    @property
    def is_member(self) -> bool:
        return self.role in MEMBER_ROLES and self.stands_in_for is None

    def described(self) -> str:
        return signing.described(self.name, self.title, self.unit)

    def titled(self) -> str:
        """"Chủ tịch UBND tỉnh Trần Quốc Hưng", as a notice's subject names the chair."""
        return f"{self.title.strip()} {self.name}" if self.title.strip() else self.name


@dataclass(frozen=True, slots=True)
class Presence:
    user_id: int
    present: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    position: int
    title: str
    presenter: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Speech:
    user_id: int
    name: str
    kind: str
    item_id: int | None
    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ballot:
    """One named ballot: whose, which option, and who cast it if not the member."""

    name: str
    choice: int
    cast_by: str | None = None


@dataclass(frozen=True, slots=True)
class Poll:
    id: int
    item_id: int | None
    question: str
    options: tuple[str, ...]
    kind: str
    rule: str
    status: str
    result: dict[str, Any] | None = None
    named: tuple[Ballot, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MinutesRecord:
    meeting_id: int
    title: str
    body: str
    place: str
    room: str
    starts_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    people: tuple[Person, ...]
    presence: tuple[Presence, ...] = ()
    items: tuple[Item, ...] = ()
    speeches: tuple[Speech, ...] = ()
    polls: tuple[Poll, ...] = ()
    events: tuple[Event, ...] = ()
    # The body's signing form (domain/signing.py): "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH".
    signing_authority: str = ""
    head_title: str = ""

    def role(self, role: str) -> Person | None:
        return next((p for p in self.people if p.role == role), None)

    @property
    def day(self) -> date:
        return calendar.local_day(self.opened_at or self.starts_at)


# -- words and numbers ---------------------------------------------------------------------


def clock(moment: datetime) -> str:
    """"08 giờ 05 phút", in Vietnam's time."""
    local = moment.astimezone(calendar.LOCAL_TZ)
    return f"{local.hour:02d} giờ {local.minute:02d} phút"


def hm(moment: datetime) -> str:
    local = moment.astimezone(calendar.LOCAL_TZ)
    return f"{local.hour:02d}:{local.minute:02d}"


def long_date(day: date) -> str:
    """"ngày 05 tháng 02 năm 2027": Decree 30 writes a zero before days under
    10 and months under 3."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_and_date(place: str, day: date) -> str:
    """The line under the national motto: "Hà Tĩnh, ngày 15 tháng 12 năm 2026"."""
    text = long_date(day)
    return f"{place.strip()}, {text}" if place.strip() else text[0].upper() + text[1:]


def duration(seconds: float) -> str:
    total = max(0, round(seconds))
    minutes, secs = divmod(total, 60)
    if minutes and secs:
        return f"{minutes} phút {secs} giây"
    if minutes:
        return f"{minutes} phút"
    return f"{secs} giây"


def _when(moment: datetime, day: date) -> str:
    local = calendar.local_day(moment)
    return clock(moment) + ("" if local == day else f" {long_date(local)}")


def clean(text: str) -> str:
    """Text as it is frozen: NFC (one character per Vietnamese letter), Unix
    line ends, no control characters, no trailing spaces."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _JUNK.sub("", text.replace("\t", " "))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


# -- the draft -----------------------------------------------------------------------------


def draft(record: MinutesRecord) -> str:
    """The minutes as the record tells them, for the secretary to complete."""
    lines: list[str] = []
    lines += _opening(record)
    lines.append("")
    lines += _attendance(record)
    lines.append("")
    lines += _proceedings(record)
    lines.append("")
    lines.append(f"III. {CONCLUSION_HEADING}")
    lines.append(CONCLUSION_PLACEHOLDER)
    lines.append("")
    if record.closed_at is not None:
        lines.append(f"Cuộc họp kết thúc lúc {_when(record.closed_at, record.day)}"
                     + (" cùng ngày." if calendar.local_day(record.closed_at) == record.day
                        else "."))
    else:
        lines.append("Cuộc họp kết thúc lúc [giờ, phút].")
    return "\n".join(lines)


def _opening(record: MinutesRecord) -> list[str]:
    chair, secretary = record.role("chair"), record.role("secretary")
    start = record.opened_at or record.starts_at
    lines = [f"Thời gian: bắt đầu lúc {clock(start)}, {long_date(calendar.local_day(start))}."]
    lines += _pauses(record)
    lines.append(f"Địa điểm: {record.room or '[địa điểm]'}, {record.body}.")
    lines.append(f"Chủ tọa: {chair.described() if chair else '[họ tên, chức vụ]'}.")
    lines.append(f"Thư ký: {secretary.described() if secretary else '[họ tên, chức vụ]'}.")
    return lines


def _pauses(record: MinutesRecord) -> list[str]:
    """Suspensions, from the event log."""
    lines: list[str] = []
    since: datetime | None = None
    for event in record.events:
        if event.kind == "session.suspend":
            since = event.at
        elif event.kind in ("session.resume", "session.close") and since is not None:
            lines.append(f"Cuộc họp tạm dừng từ {_when(since, record.day)} "
                         f"đến {_when(event.at, record.day)}.")
            since = None
    return lines


def _attendance(record: MinutesRecord) -> list[str]:
    presence = {p.user_id: p for p in record.presence}
    by_id = {p.user_id: p for p in record.people}
    here = {uid for uid, p in presence.items() if p.present}
    members = [p for p in record.people if p.is_member]
    deputies = {p.stands_in_for: p for p in record.people
                if p.stands_in_for is not None and p.user_id in here}
    present = [m for m in members if m.user_id in here]
    absent = [m for m in members if m.user_id not in here]
    counted = len(present) + sum(1 for m in absent if m.user_id in deputies)

    lines = ["I. THÀNH PHẦN THAM DỰ",
             f"1. Thành viên có mặt: {len(present)}/{len(members)}"]
    lines += [f"- {m.described()}{' (chủ tọa)' if m.role == 'chair' else ''}" for m in present]
    if deputies:
        lines.append(f"2. Người dự thay: {len(deputies)}")
        for member_id, deputy in deputies.items():
            stood_for = by_id.get(member_id) if member_id is not None else None
            lines.append(f"- {deputy.described()}, dự thay "
                         f"{stood_for.name if stood_for else '?'}")
    lines.append(f"{3 if deputies else 2}. Thành viên vắng mặt: {len(absent)}")
    for member in absent:
        sent_in = deputies.get(member.user_id)
        reason = (f"vắng, cử {sent_in.name} dự thay" if sent_in
                  else _absence_reason(member, presence.get(member.user_id)))
        lines.append(f"- {member.described()}: {reason}")
    guests = [p for p in record.people if p.role == "guest" and p.user_id in here]
    lines.append(f"{4 if deputies else 3}. Khách mời: {len(guests)}")
    lines += [f"- {g.described()}" for g in guests]
    lines.append(f"Số thành viên có mặt (kể cả người dự thay): {counted}/{len(members)}.")
    return lines


def _absence_reason(member: Person, presence: Presence | None) -> str:
    if presence is not None and presence.reason.strip():
        return f"vắng có lý do ({presence.reason.strip()})"
    if member.response == "absent" and member.response_reason.strip():
        return f"vắng có lý do ({member.response_reason.strip()})"
    if member.response == "deputy":
        return "vắng, có cử người dự thay"
    return "vắng không có lý do"


def _proceedings(record: MinutesRecord) -> list[str]:
    lines = ["II. NỘI DUNG CUỘC HỌP"]
    known = {item.id for item in record.items}
    for number, item in enumerate(sorted(record.items, key=lambda i: i.position), start=1):
        lines.append(f"{number}. {item.title}")
        if item.started_at is not None:
            end = f" đến {_when(item.ended_at, record.day)}" if item.ended_at else ""
            lines.append(f"Thời gian: từ {_when(item.started_at, record.day)}{end}.")
        else:
            lines.append("Nội dung này không được thảo luận tại cuộc họp.")
        if item.presenter:
            lines.append(f"Trình bày: {item.presenter}.")
        lines += _discussion(record, item.id)
    loose_speeches = [s for s in record.speeches if s.item_id not in known]
    loose_polls = [p for p in record.polls if p.item_id not in known]
    if loose_speeches or loose_polls:
        lines.append(f"{len(record.items) + 1}. Các nội dung khác")
        lines += _discussion(record, None, known=known)
    return lines


def _discussion(record: MinutesRecord, item_id: int | None, *,
                known: Collection[int] = ()) -> list[str]:
    def here(of: int | None) -> bool:
        return of == item_id if item_id is not None else of not in known

    speeches = [s for s in record.speeches if here(s.item_id)]
    polls = [p for p in record.polls if here(p.item_id)]
    lines: list[str] = []
    if speeches:
        lines.append("Ý kiến phát biểu:")
        lines += [speech_line(s) for s in speeches]
    for poll in polls:
        lines += poll_lines(poll)
    return lines


def speech_line(speech: Speech) -> str:
    kind = SPEECH_KINDS.get(speech.kind, speech.kind)
    if speech.ended_at is not None:
        length = duration((speech.ended_at - speech.started_at).total_seconds())
    else:
        length = "chưa kết thúc"
    return (f"- {speech.name} ({kind}, {length}, lúc {hm(speech.started_at)}): "
            f"{OPINION_PLACEHOLDER}")


def poll_lines(poll: Poll) -> list[str]:
    lines = [f"Biểu quyết: {poll.question}",
             f"Hình thức: {POLL_KINDS.get(poll.kind, poll.kind)}; điều kiện thông qua: "
             f"{POLL_RULES.get(poll.rule, poll.rule)}."]
    if poll.status == "cancelled":
        lines.append("Kết quả: cuộc biểu quyết đã bị hủy, không có kết quả.")
        return lines
    if poll.status != "closed" or poll.result is None:
        lines.append("Kết quả: chưa kết thúc biểu quyết.")
        return lines
    result = poll.result
    counts = [int(c) for c in result.get("counts", [])]
    lines.append(f"Số phiếu: {int(result.get('cast', sum(counts)))} trên tổng số "
                 f"{int(result.get('members', 0))} thành viên "
                 f"({int(result.get('present', 0))} có mặt).")
    for option, count in zip(poll.options, counts, strict=False):
        lines.append(f"- {option}: {count} phiếu")
    if poll.kind == "named" and poll.named:
        for index, option in enumerate(poll.options):
            voters = [b for b in poll.named if b.choice == index]
            if voters:
                names = ", ".join(
                    b.name + (f" (do {b.cast_by} bỏ phiếu thay)" if b.cast_by else "")
                    for b in voters)
                lines.append(f"  {option}: {names}.")
    verdict = "THÔNG QUA" if result.get("passed") else "KHÔNG THÔNG QUA"
    reason = "" if result.get("quorum_met", True) else " (không đủ số thành viên theo quy định)"
    lines.append(f"Kết quả: {verdict}{reason}.")
    return lines


# -- conclusions ---------------------------------------------------------------------------


def conclusions(minutes: str) -> str:
    """The lines under the conclusions heading of the minutes ("III. KẾT LUẬN
    ...", else a line starting "Kết luận"), up to the next heading or the
    closing sentence; placeholders left in brackets dropped."""
    lines = minutes.split("\n")
    numbered = [n for n, line in enumerate(lines) if _CONCLUSION_NUMBERED.match(line)]
    plain = [n for n, line in enumerate(lines) if _CONCLUSION.match(line)]
    if not numbered and not plain:
        return ""
    taken: list[str] = []
    for line in lines[(numbered[-1] if numbered else plain[0]) + 1:]:
        if _HEADING.match(line) or _CLOSING.match(line):
            break
        if line.strip().startswith("[") and line.strip().endswith("]"):
            continue
        taken.append(line.rstrip())
    return "\n".join(taken).strip("\n")


def conclusion_subject(title: str) -> str:
    """"phiên họp X" reads right whether or not the title names the meeting."""
    folded = title.strip().casefold()
    if folded.startswith(("phiên họp", "cuộc họp", "hội nghị", "kỳ họp")):
        return folded[:1] + title.strip()[1:]
    if folded.startswith("họp "):
        return "cuộc " + folded[:1] + title.strip()[1:]
    return f"phiên họp {title.strip()}"


def notice_subtitle(chair: str, title: str, day: date) -> str:
    return f"Kết luận của {chair} tại {conclusion_subject(title)} {long_date(day)}"


def notice_draft(record: MinutesRecord, minutes: str) -> str:
    """The conclusion notice, drafted from the approved minutes."""
    chair = record.role("chair")
    chair_text = chair.described() if chair else "[chủ tọa]"
    attendees = _attendee_summary(record)
    body = conclusions(minutes) or CONCLUSION_PLACEHOLDER
    return "\n".join([
        f"{long_date(record.day)[0].upper()}{long_date(record.day)[1:]}, tại "
        f"{record.room or '[địa điểm]'}, {chair_text} chủ trì "
        f"{conclusion_subject(record.title)}. {attendees}",
        f"Sau khi nghe báo cáo và ý kiến phát biểu của các đại biểu dự họp, "
        f"{chair.name if chair else 'chủ tọa'} kết luận như sau:",
        body,
        f"{record.body} thông báo để các cơ quan, đơn vị, cá nhân liên quan biết, "
        f"thực hiện./.",
    ])


def _attendee_summary(record: MinutesRecord) -> str:
    here = {p.user_id for p in record.presence if p.present}
    names = [p.name for p in record.people
             if p.user_id in here and p.role in ("delegate", "guest")]
    if not names:
        return ""
    return f"Cùng dự có: {', '.join(names)}."


# -- the deadline of the notice ------------------------------------------------------------


def conclusion_deadline(ended: datetime, holidays: Collection[date]) -> date:
    """Decision 45/2018/QĐ-TTg: within 5 working days after the meeting."""
    return calendar.add_working_days(calendar.local_day(ended),
                                     calendar.CONCLUSION_WORKING_DAYS, holidays)


def working_days_left(today: date, deadline: date, holidays: Collection[date]) -> int:
    """Working days from tomorrow up to the deadline, the deadline included;
    0 on the day itself; negative (working days late) once it has passed."""
    if today <= deadline:
        return _working_days(today, deadline, holidays)
    return -_working_days(deadline, today, holidays)


def _working_days(after: date, until: date, holidays: Collection[date]) -> int:
    count = 0
    day = after + timedelta(days=1)
    while day <= until:
        count += calendar.is_working_day(day, holidays)
        day += timedelta(days=1)
    return count


# -- poll results as a table ---------------------------------------------------------------


def poll_rows(poll: Poll, meeting_title: str) -> list[list[str]]:
    """A closed poll as rows for CSV: the question, counts per option and, for
    a named poll only, each member's choice. A secret poll never names voters."""
    result = poll.result or {}
    counts = [int(c) for c in result.get("counts", [])]
    rows: list[list[str]] = [
        ["Cuộc họp", meeting_title],
        ["Biểu quyết", poll.question],
        ["Hình thức", POLL_KINDS.get(poll.kind, poll.kind)],
        ["Điều kiện thông qua", POLL_RULES.get(poll.rule, poll.rule)],
        ["Thành viên", str(result.get("members", ""))],
        ["Có mặt", str(result.get("present", ""))],
        ["Số phiếu", str(result.get("cast", ""))],
        ["Kết quả", "Thông qua" if result.get("passed") else "Không thông qua"],
        [],
        ["Phương án", "Số phiếu"],
    ]
    rows += [[option, str(count)] for option, count in zip(poll.options, counts, strict=False)]
    if poll.kind == "named":
        rows += [[], ["Thành viên", "Lựa chọn", "Người bỏ phiếu thay"]]
        rows += [[b.name, poll.options[b.choice] if 0 <= b.choice < len(poll.options) else "?",
                  b.cast_by or ""] for b in poll.named]
    return rows


def poll_text(poll: Poll) -> str:
    """A poll's result as paragraphs, for its PDF."""
    return "\n".join(poll_lines(poll))


def bullet_list(items: Iterable[str]) -> tuple[str, ...]:
    """"Nơi nhận" entries: "- X;" and the last "- X."."""
    entries = [i.strip().rstrip(";.") for i in items if i.strip()]
    return tuple(f"- {e}{'.' if n == len(entries) - 1 else ';'}" for n, e in enumerate(entries))
