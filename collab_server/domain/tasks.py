"""Tasks from the conclusion notice (giao việc, theo dõi, nhắc việc): their
states, who moves them, their deadlines in working days, the items of a
notice, and when a reminder is due. Pure: no I/O, unit-tested alone.

A task is *assigned*, *in progress*, *extension asked* or *done*. "Overdue"
is never stored: a task not done is overdue once the day is past its
deadline, whoever looks and whenever. The office (a body admin, a preparer
of the body, or the secretary of the task's meeting) assigns, grants or
refuses an extension and reopens a report it does not accept; the
responsible person, or a member of the responsible unit, reports progress,
reports it done and asks for an extension with a reason and a new date.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from collab_server.domain import calendar
from collab_server.domain.minutes import working_days_left

# When a notice gives no deadline for an item, the office's usual one.
DEFAULT_WORKING_DAYS = 10
MAX_WORKING_DAYS = 1000
MAX_TITLE = 2000
MAX_NOTE = 4000
# Reminders: this many working days before the deadline, on the day itself,
# and once overdue on the first working day after and every OVERDUE_EVERY after that.
REMIND_BEFORE = (3, 1)
OVERDUE_EVERY = 5


class Status(StrEnum):
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    EXTENSION_ASKED = "extension_asked"
    DONE = "done"


class Action(StrEnum):
    PROGRESS = "progress"  # a progress note (and percentage); starts the work
    REPORT = "report"  # done, with a report
    ASK_EXTENSION = "ask_extension"
    GRANT = "grant"
    REFUSE = "refuse"
    REOPEN = "reopen"  # the office does not accept the report


RESPONSIBLE_ACTIONS = frozenset({Action.PROGRESS, Action.REPORT, Action.ASK_EXTENSION})
OFFICE_ACTIONS = frozenset({Action.GRANT, Action.REFUSE, Action.REOPEN})


class TaskRuleError(Exception):
    """A step the rules refuse; `status` is the HTTP status it answers."""

    def __init__(self, status: int, code: str, vi: str, en: str) -> None:
        super().__init__(en)
        self.status, self.code, self.vi, self.en = status, code, vi, en


@dataclass(frozen=True, slots=True)
class State:
    status: Status
    deadline: date
    progress: int = 0
    asked_until: date | None = None
    asked_reason: str = ""
    status_before: Status | None = None
    extension: str | None = None
    report: str = ""
    done_on: date | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """What one action asks: the fields an action reads, all optional."""

    action: Action
    note: str = ""
    progress: int | None = None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    office: bool
    responsible: bool


def _refuse(vi: str, en: str, code: str = "task_state") -> TaskRuleError:
    return TaskRuleError(409, code, vi, en)


def apply(state: State, step: Step, actor: Actor, today: date) -> State:
    """The state after `step`, or TaskRuleError (403 for the wrong person,
    409 for the wrong state, 400 for a missing reason or date)."""
    if step.action in RESPONSIBLE_ACTIONS and not actor.responsible:
        raise TaskRuleError(403, "forbidden",
                            "Chỉ người hoặc đơn vị được giao việc được báo cáo, xin gia hạn.",
                            "Only the person or unit responsible may report or ask for time.")
    if step.action in OFFICE_ACTIONS and not actor.office:
        raise TaskRuleError(403, "forbidden",
                            "Chỉ văn phòng (thư ký, quản trị) được duyệt gia hạn, mở lại việc.",
                            "Only the office may decide extensions or reopen a task.")
    if step.action is Action.REOPEN:
        if state.status is not Status.DONE:
            raise _refuse("Việc chưa hoàn thành, không cần mở lại.", "The task is not done.")
        return replace(state, status=Status.IN_PROGRESS, done_on=None)
    if state.status is Status.DONE:
        raise _refuse("Việc đã hoàn thành.", "The task is done.")
    if step.action is Action.PROGRESS:
        if state.status is Status.EXTENSION_ASKED:
            return replace(state, progress=_progress(step, state))
        return replace(state, status=Status.IN_PROGRESS, progress=_progress(step, state))
    if step.action is Action.REPORT:
        if not step.note.strip():
            raise TaskRuleError(400, "bad_request", "Cần nội dung báo cáo kết quả.",
                                "A report of what was done is required.")
        return replace(state, status=Status.DONE, progress=100, report=step.note.strip(),
                       done_on=today, asked_until=None, asked_reason="", status_before=None)
    if step.action is Action.ASK_EXTENSION:
        if state.status is Status.EXTENSION_ASKED:
            raise _refuse("Đã xin gia hạn, đang chờ văn phòng trả lời.",
                          "An extension is already asked and awaits the office.")
        if not step.note.strip():
            raise TaskRuleError(400, "bad_request", "Cần nêu lý do xin gia hạn.",
                                "A reason for the extension is required.")
        if step.until is None or step.until <= state.deadline:
            raise TaskRuleError(400, "bad_request", "Ngày xin gia hạn phải sau hạn hiện tại.",
                                "The new date must be after the current deadline.")
        return replace(state, status=Status.EXTENSION_ASKED, asked_until=step.until,
                       asked_reason=step.note.strip(), status_before=state.status)
    # GRANT or REFUSE
    if state.status is not Status.EXTENSION_ASKED or state.asked_until is None:
        raise _refuse("Không có đề nghị gia hạn đang chờ.", "No extension is asked.")
    back = state.status_before or Status.ASSIGNED
    if step.action is Action.GRANT:
        # The office may grant a shorter extension than asked, never none.
        until = step.until or state.asked_until
        if until <= state.deadline:
            raise TaskRuleError(400, "bad_request", "Hạn mới phải sau hạn hiện tại.",
                                "The new deadline must be after the current one.")
        if until > state.asked_until:
            raise TaskRuleError(
                400, "bad_request",
                f"Không gia hạn quá ngày đã xin ({state.asked_until:%d/%m/%Y}).",
                "An extension may not go past the date asked.")
        return replace(state, status=back, deadline=until, asked_until=None, asked_reason="",
                       status_before=None, extension="granted")
    return replace(state, status=back, asked_until=None, asked_reason="", status_before=None,
                   extension="refused")


def _progress(step: Step, state: State) -> int:
    value = state.progress if step.progress is None else step.progress
    if not 0 <= value <= 99:
        raise TaskRuleError(400, "bad_request",
                            "Tiến độ từ 0 đến 99 %; báo cáo hoàn thành để đạt 100 %.",
                            "Progress is 0 to 99 %; report the task done for 100 %.")
    return value


# -- deadlines -----------------------------------------------------------------------------


def deadline_after(start: date, working_days: int, holidays: Collection[date]) -> date:
    """The deadline `working_days` working days after the day it was assigned."""
    return calendar.add_working_days(start, working_days, holidays)


def is_overdue(status: Status, deadline: date, today: date) -> bool:
    return status is not Status.DONE and today > deadline


def days_left(today: date, deadline: date, holidays: Collection[date]) -> int:
    """Working days after today up to the deadline, the deadline included (0 on
    the day itself); negative: working days past it (domain/minutes.py)."""
    return working_days_left(today, deadline, holidays)


def shown_status(status: Status, deadline: date, today: date, done_on: date | None) -> str:
    """What the board shows: the stored status, or "overdue" for work not done past
    its deadline, or "done_late" for work done after it."""
    if status is Status.DONE:
        return "done_late" if done_on is not None and done_on > deadline else "done"
    return "overdue" if is_overdue(status, deadline, today) else status.value


# -- reminders -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: str  # "before", "due_today", "overdue"
    days: int  # working days left (before) or late (overdue); 0 on the day
    key: str  # the same reminder computed twice has the same key: queue it once


def reminder_due(task_id: int, status: Status, deadline: date, today: date,
                 holidays: Collection[date]) -> Reminder | None:
    """The reminder a task is due today, if any: REMIND_BEFORE working days
    before its deadline, on the day, and once overdue on the first working
    day after it and every OVERDUE_EVERY working days after that. None on a
    day off, for work done, and on the other days."""
    if status is Status.DONE or not calendar.is_working_day(today, holidays):
        return None
    left = days_left(today, deadline, holidays)
    base = f"task:{task_id}:{deadline.isoformat()}"
    if left in REMIND_BEFORE:
        return Reminder("before", left, f"{base}:before:{left}")
    if left == 0:
        return Reminder("due_today", 0, f"{base}:due")
    late = -left
    if late >= 1 and (late - 1) % OVERDUE_EVERY == 0:
        return Reminder("overdue", late, f"{base}:overdue:{late}")
    return None


# -- the items of a notice -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One assignment read from the notice, for the office to check before creating."""

    no: str
    title: str
    unit: str = ""
    deadline: date | None = None
    working_days: int | None = None


# "1.", "2)", "1.2.", "a)", "-", "+", "•" at the start of a paragraph.
_NUMBERED = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3})*[.)]|[a-zđ][.)]|[-+•–])\s+(\S.*)$")
# "trước ngày 20/12/2026", "chậm nhất ngày 20 tháng 12 năm 2026", "hạn 20/12" (the
# year left out: the next such day).
_DAY = re.compile(r"(?:trước|chậm nhất|hạn)\D{0,25}?(\d{1,2})\s*(?:[/\-.]|\s+tháng\s+)\s*"
                  r"(\d{1,2})(?:\s*(?:[/\-.]|\s+năm\s+)\s*(\d{4}))?", re.IGNORECASE)
_DAYS = re.compile(r"(?:trong|thời hạn)\s+(\d{1,3})\s+ngày\s+làm\s+việc", re.IGNORECASE)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in folded if not unicodedata.combining(c)).casefold()


def _unit_in(text: str, units: Sequence[str]) -> str:
    """The longest unit name the paragraph mentions, without caring for diacritics."""
    folded = _fold(text)
    found = [u for u in units if u.strip() and _fold(u.strip()) in folded]
    return max(found, key=len) if found else ""


def _deadline_in(title: str, today: date) -> date | None:
    found = _DAY.search(title)
    if found is None:
        return None
    day, month = int(found.group(1)), int(found.group(2))
    year = int(found.group(3)) if found.group(3) else today.year
    try:
        deadline = date(year, month, day)
        if not found.group(3) and deadline < today:
            deadline = date(year + 1, month, day)
    except ValueError:
        return None
    return deadline


def parse_items(text: str, units: Sequence[str], today: date) -> list[Item]:
    """The numbered (or bulleted) paragraphs of a notice as tasks: a following
    unnumbered line belongs to the paragraph above it. The unit is the
    body's unit the paragraph names; the deadline a date after "trước",
    "chậm nhất" or "hạn", or "trong N ngày làm việc". A notice without
    numbered paragraphs gives nothing: the office writes the tasks itself."""
    items: list[tuple[str, str]] = []
    current: list[str] | None = None
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        match = _NUMBERED.match(line)
        if match:
            items.append((match.group(1).rstrip(".)") if match.group(1)[0].isalnum() else "",
                          match.group(2)))
            current = [match.group(2)]
        elif line and current is not None and items:
            if line.endswith("./.") or line.startswith(("Nơi nhận", "Văn phòng", "Ủy ban")):
                current = None  # the closing sentence of the notice
                continue
            current.append(line)
            items[-1] = (items[-1][0], " ".join(current))
        elif not line:
            current = None
    out: list[Item] = []
    for n, (no, title) in enumerate(items, start=1):
        title = " ".join(title.split())[:MAX_TITLE]
        deadline = _deadline_in(title, today)
        working = _DAYS.search(title)
        out.append(Item(no=no or str(n), title=title, unit=_unit_in(title, units),
                        deadline=deadline,
                        working_days=int(working.group(1)) if working and not deadline
                        else None))
    return out
