"""The invitation (giấy mời, template 1.7 of Appendix III of Decree
30/2020/NĐ-CP) and the notice it gives (Decision 45/2018/QĐ-TTg).

Decision 45 asks that invitations and documents reach a regular meeting's
members at least 3 working days ahead. Every kind of meeting is told how
many working days remain, before sending, and keeps the count it was sent
with: late is allowed, but it stays on the meeting.

The letter itself: the issuing body and "Số: .../GM-<body>" left, the
national motto and "<place>, ngày ..." right, "GIẤY MỜI" over its subject,
then "Kính mời", "Tới dự", "Chủ trì", "Thời gian", "Địa điểm", the
signature in the body's form and "Nơi nhận". Pure: storage gathers an
`InvitationFacts`, this module writes the text.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from collab_server.domain import calendar, signing
from collab_server.domain.minutes import bullet_list, clock, long_date, place_and_date
from collab_server.errors import Conflict

KIND = "GIẤY MỜI"
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
# The blank the clerk writes the number in: "Số:          /GM-UBND".
BLANK = "\u00a0" * 10


class NoChair(Conflict):
    """The letter names who chairs (Chủ trì) and is signed in the chair's
    form: without a chair there is nothing honest to print."""

    code = "no_chair"
    default_vi = ("Cuộc họp chưa có chủ tọa (người chủ trì). Thêm chủ tọa vào thành phần "
                  "tham dự trước khi gửi giấy mời.")
    default_en = "The meeting has no chair. Add the chair to the participants first."


@dataclass(frozen=True, slots=True)
class Invitee:
    name: str
    title: str
    unit: str
    role: str
    user_id: int = 0

    def described(self) -> str:
        return signing.described(self.name, self.title, self.unit)


@dataclass(frozen=True, slots=True)
class InvitationFacts:
    title: str
    starts_at: datetime
    ends_at: datetime | None
    room: str
    body: str
    place: str
    short_name: str
    signing_authority: str
    head_title: str
    people: tuple[Invitee, ...]
    agenda: tuple[str, ...] = ()

    def role(self, role: str) -> Invitee | None:
        return next((p for p in self.people if p.role == role), None)


# -- the notice period -----------------------------------------------------------------------


def notice_days(sent: date, meeting: date, holidays: Collection[date]) -> int:
    """Full working days between the day of sending and the meeting's day."""
    return calendar.working_days_between(sent, meeting, holidays)


def notice(days: int, *, sent_on: date | None) -> dict[str, Any]:
    """The notice as the meeting's JSON carries it. `sent_on`: the day the
    invitation went out, or None while it has not (counted from today)."""
    required = calendar.NOTICE_WORKING_DAYS
    met = days >= required
    if sent_on is None:
        vi = ("Không còn ngày làm việc nào trước cuộc họp" if days == 0
              else f"Còn {days} ngày làm việc trước cuộc họp")
        en = (f"{days} working day{'s' if days != 1 else ''} left before the meeting"
              if days else "No working day left before the meeting")
    else:
        vi = (f"Giấy mời gửi {long_date(sent_on)}, "
              + ("không trước cuộc họp ngày làm việc nào" if days == 0
                 else f"trước cuộc họp {days} ngày làm việc"))
        en = (f"Invitations sent on {sent_on.isoformat()}, "
              f"{days} working day{'s' if days != 1 else ''} before the meeting")
    rule_vi = (f"Quyết định 45/2018/QĐ-TTg yêu cầu gửi giấy mời và tài liệu trước ít nhất "
               f"{required} ngày làm việc")
    rule_en = f"Decision 45/2018/QĐ-TTg asks for at least {required} working days"
    return {
        "working_days": days,
        "required": required,
        "met": met,
        "sent_on": sent_on.isoformat() if sent_on else None,
        "message": f"{vi}: {'đủ thời hạn' if met else 'chưa đủ thời hạn'}; {rule_vi}.",
        "message_en": f"{en}: {'enough' if met else 'not enough'}; {rule_en}.",
    }


# -- the letter ------------------------------------------------------------------------------


def number_line(short_name: str, number: str = "") -> str:
    code = f"GM-{short_name.strip()}" if short_name.strip() else "GM"
    return f"Số: {number.strip()}" if number.strip() else f"Số:{BLANK}/{code}"


def when(starts: datetime, ends: datetime | None) -> str:
    """"08 giờ 00 phút, thứ Năm, ngày 05 tháng 02 năm 2026"."""
    local = starts.astimezone(calendar.LOCAL_TZ)
    text = f"{clock(starts)}, {WEEKDAYS[local.weekday()]}, {long_date(local.date())}"
    if ends is not None:
        text = f"Từ {text} đến {clock(ends)}"
    return text


INVITED_ROLES = ("chair", "delegate", "guest")


def invitees(facts: InvitationFacts) -> list[Invitee]:
    """Whom the letter invites: the members and guests, not the chair who
    invites them (nor the secretary or the projector)."""
    chair = facts.role("chair")
    return [p for p in facts.people if p.role in INVITED_ROLES and p is not chair]


def letter(facts: InvitationFacts, today: date, to: Invitee | None = None) -> dict[str, Any]:
    """The parts of the letter, for `documents.official.OfficialDocument`:
    one letter listing every invitee, or with `to` the personal letter of
    one of them ("Kính gửi: Ông/Bà ..."). Raises NoChair without a chair."""
    chair = facts.role("chair")
    if chair is None:
        raise NoChair()
    place = signing.place_of(facts.place, facts.body)
    if to is not None:
        lines = [f"Kính gửi: Ông/Bà {to.described()}.",
                 f"{facts.body} trân trọng kính mời Ông/Bà tới dự: {facts.title}."]
    else:
        invited = invitees(facts)
        lines = [f"{facts.body} trân trọng kính mời:"]
        lines += [f"- {p.described()};" for p in invited[:-1]]
        if invited:
            lines.append(f"- {invited[-1].described()}.")
        else:
            lines.append("- Các thành viên theo danh sách tham dự.")
        lines.append(f"Tới dự: {facts.title}.")
    lines.append(f"Chủ trì: {chair.described()}.")
    lines.append(f"Thời gian: {when(facts.starts_at, facts.ends_at)}.")
    lines.append(f"Địa điểm: {', '.join(x for x in (facts.room, facts.body) if x)}.")
    if facts.agenda:
        lines.append("Nội dung:")
        lines += [f"{n}. {item}" for n, item in enumerate(facts.agenda, start=1)]
    lines.append("Tài liệu cuộc họp được gửi trên hệ thống Phòng họp không giấy; đề nghị "
                 "đại biểu nghiên cứu trước và xác nhận tham dự trên hệ thống.")
    lines.append(f"Rất mong {'Ông/Bà' if to is not None else 'đại biểu'} đến dự đúng thời gian./.")
    recipients = [to.described() if to is not None else "Như thành phần mời", "Lưu: VT"]
    return {
        "organ": facts.body,
        "number": number_line(facts.short_name),
        "place_date": place_and_date(place, today),
        "kind": KIND,
        "subject": facts.title,
        "text": "\n".join(lines),
        "signatures": [[signing.signature_title(facts.signing_authority, facts.head_title,
                                                chair.title, "CHỦ TRÌ"),
                        chair.name]],
        "recipients": list(bullet_list(recipients)),
    }
