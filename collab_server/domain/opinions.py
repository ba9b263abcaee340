"""Written opinions (phiếu lấy ý kiến): the rules, without I/O.

Much of a People's Committee's business is decided without a meeting: the
office sends the members a draft with questions, each member answers
(agree / disagree / other opinion, with a comment) by a deadline, and the
office sums the answers up for the chair.

- The deadline is counted in working days from the day the request goes
  out (weekends and the body's holidays do not count); answers are taken
  until the end of that day, in Vietnam's time.
- Each member answers every question once and may change the answer until
  the deadline; after it, or once the summary is issued, nothing changes.
- The outcome of a question: passed when more than half of the members
  asked agree (Law on Organisation of Local Government 2015, art. 113 as
  amended in 2019: a People's Committee decides by more than half of all
  its members; the model working regulations take a question put to the
  members in writing as agreed when the majority of members agree). A
  member who did not answer did not agree.
- Reminders go, to those who have not answered, at 08:00 on the working day
  before the deadline and on the deadline day itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from collab_server.domain.calendar import LOCAL_TZ, add_working_days, is_working_day
from collab_server.domain.minutes import long_date

CHOICES = ("agree", "disagree", "other")
CHOICE_VI = {"agree": "Đồng ý", "disagree": "Không đồng ý", "other": "Ý kiến khác"}
MAX_WORKING_DAYS = 30
MAX_QUESTIONS = 20
MAX_COMMENT = 2000
# When a reminder goes out, on the days it goes.
REMINDER_TIME = time(8, 0)
# Working days before the deadline day on which the reminder goes (0: that day).
REMINDER_DAYS_BEFORE = (1, 0)
RULE_VI = ("Nội dung được thông qua khi quá nửa tổng số thành viên được lấy ý kiến đồng ý "
           "(thành viên không trả lời được tính là không đồng ý).")
RULE_EN = ("A question passes when more than half of all the members asked agree "
           "(a member who did not answer did not agree).")


# -- the deadline ----------------------------------------------------------------------------


def deadline_day(sent: datetime, working_days: int, holidays: Collection[date]) -> date:
    """The last day to answer: `working_days` working days after the day it went out."""
    return add_working_days(sent.astimezone(LOCAL_TZ).date(), working_days, holidays)


def closes_at(day: date) -> datetime:
    """Answers are taken until the end of the deadline day, Vietnam's time."""
    return datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ)


def is_open(status: str, closes: datetime | None, now: datetime) -> bool:
    """Whether answers are taken now."""
    return status == "open" and closes is not None and now < closes


# -- reminders -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reminder:
    user_id: int
    at: datetime


def _working_day_before(day: date, count: int, holidays: Collection[date]) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if is_working_day(day, holidays):
            count -= 1
    return day


def reminder_times(sent: datetime, deadline: date, holidays: Collection[date]) -> list[datetime]:
    """When reminders go out: 08:00 on the working day before the deadline and on
    the deadline day, each only if it falls after the request went out."""
    out: list[datetime] = []
    for before in REMINDER_DAYS_BEFORE:
        day = _working_day_before(deadline, before, holidays)
        moment = datetime.combine(day, REMINDER_TIME, LOCAL_TZ)
        if moment > sent and moment not in out:
            out.append(moment)
    return sorted(out)


def reminders_due(asked: Iterable[int], answered: Collection[int], sent: datetime,
                  deadline: date, holidays: Collection[date], now: datetime) -> list[Reminder]:
    """Who is due a reminder, and when: each member asked who has not answered,
    at the next reminder time after `now` (nobody once the last has passed or
    the deadline is over). A caller that queues them at `at` and asks again
    after each one never reminds anyone twice for the same time."""
    if now >= closes_at(deadline):
        return []
    upcoming = [t for t in reminder_times(sent, deadline, holidays) if t > now]
    if not upcoming:
        return []
    return [Reminder(user_id, upcoming[0]) for user_id in asked if user_id not in answered]


# -- the outcome -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    asked: int
    agree: int
    disagree: int
    other: int

    @property
    def answered(self) -> int:
        return self.agree + self.disagree + self.other

    @property
    def silent(self) -> int:
        return self.asked - self.answered

    @property
    def passed(self) -> bool:
        return self.agree * 2 > self.asked

    def to_json(self) -> dict[str, int | bool]:
        return {"asked": self.asked, "agree": self.agree, "disagree": self.disagree,
                "other": self.other, "silent": self.silent, "passed": self.passed}


def tally(asked: int, choices: Iterable[str]) -> Tally:
    counts = dict.fromkeys(CHOICES, 0)
    for choice in choices:
        counts[choice] += 1
    return Tally(asked, counts["agree"], counts["disagree"], counts["other"])


# -- the summary -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    name: str
    title: str

    def titled(self) -> str:
        return f"{self.name} ({self.title})" if self.title.strip() else self.name


@dataclass(frozen=True, slots=True)
class Answer:
    choice: str
    comment: str


def draft_summary(title: str, questions: list[tuple[int, str]], members: list[Member],
                  answers: Mapping[tuple[int, int], Answer], deadline: date | None) -> str:
    """The summary as the answers tell it, for the office to complete: per
    question the counts, who answered what with their comments, who did not
    answer, and the outcome under the rule, stated."""
    lines = [f"Văn phòng đã lấy ý kiến {len(members)} thành viên bằng phiếu về: {title}"
             + (f"; thời hạn trả lời hết {long_date(deadline)}." if deadline else "."),
             f"Nguyên tắc: {RULE_VI}"]
    for n, (question_id, text) in enumerate(questions, start=1):
        got = [(m, answers.get((question_id, m.user_id))) for m in members]
        count = tally(len(members), (a.choice for _, a in got if a is not None))
        lines += ["", f"{_roman(n)}. {text}",
                  f"Số thành viên được lấy ý kiến: {count.asked}; đồng ý: {count.agree}; "
                  f"không đồng ý: {count.disagree}; ý kiến khác: {count.other}; "
                  f"không trả lời: {count.silent}."]
        for member, answer in got:
            if answer is not None:
                # On one line, in quotes: a comment's own line breaks would
                # otherwise start paragraphs, even headings, of the summary.
                said = " ".join(answer.comment.split())
                comment = f": \u201c{said}\u201d" if said else "."
                lines.append(f"- {member.titled()}: {CHOICE_VI[answer.choice]}{comment}")
        silent = [m.titled() for m, a in got if a is None]
        if silent:
            lines.append(f"- Không trả lời: {', '.join(silent)}.")
        lines.append("Kết quả: " + (
            f"THÔNG QUA ({count.agree}/{count.asked} thành viên đồng ý, quá nửa)."
            if count.passed else
            f"CHƯA THÔNG QUA ({count.agree}/{count.asked} thành viên đồng ý, chưa quá nửa)."))
    lines += ["", "Văn phòng tổng hợp, kính trình Chủ tịch xem xét, quyết định."]
    return "\n".join(lines)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def summary_subject(body: str, title: str) -> str:
    return f"Tổng hợp ý kiến thành viên {body} về {title}"
