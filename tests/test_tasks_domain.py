"""The rules of tasks (collab_server/domain/tasks.py), without a server."""

from __future__ import annotations

from datetime import date

import pytest

from collab_server.domain import tasks as t

MON = date(2026, 12, 7)  # a Monday
OFFICE = t.Actor(office=True, responsible=False)
OWNER = t.Actor(office=False, responsible=True)
UNITS = ["Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Văn phòng UBND tỉnh", "Sở Y tế"]


def state(status: t.Status = t.Status.ASSIGNED, deadline: date = date(2026, 12, 18)) -> t.State:
    return t.State(status=status, deadline=deadline)


def test_the_responsible_moves_the_work_and_the_office_answers_extensions() -> None:
    s = t.apply(state(), t.Step(t.Action.PROGRESS, "Đã họp tổ", 40), OWNER, MON)
    assert (s.status, s.progress) == (t.Status.IN_PROGRESS, 40)
    s = t.apply(s, t.Step(t.Action.ASK_EXTENSION, "Chờ số liệu quý IV", until=date(2026, 12, 31)),
                OWNER, MON)
    assert s.status is t.Status.EXTENSION_ASKED and s.asked_until == date(2026, 12, 31)
    granted = t.apply(s, t.Step(t.Action.GRANT), OFFICE, MON)
    assert (granted.status, granted.deadline, granted.extension) == (
        t.Status.IN_PROGRESS, date(2026, 12, 31), "granted")
    refused = t.apply(s, t.Step(t.Action.REFUSE, "Không đủ lý do"), OFFICE, MON)
    assert (refused.status, refused.deadline, refused.extension) == (
        t.Status.IN_PROGRESS, date(2026, 12, 18), "refused")
    done = t.apply(granted, t.Step(t.Action.REPORT, "Đã trình UBND tỉnh"), OWNER, MON)
    assert (done.status, done.progress, done.done_on) == (t.Status.DONE, 100, MON)
    reopened = t.apply(done, t.Step(t.Action.REOPEN, "Thiếu phụ lục"), OFFICE, MON)
    assert reopened.status is t.Status.IN_PROGRESS and reopened.done_on is None


@pytest.mark.parametrize(("action", "actor"), [
    (t.Action.PROGRESS, OFFICE), (t.Action.REPORT, OFFICE), (t.Action.ASK_EXTENSION, OFFICE),
    (t.Action.GRANT, OWNER), (t.Action.REFUSE, OWNER), (t.Action.REOPEN, OWNER),
])
def test_each_step_belongs_to_one_side(action: t.Action, actor: t.Actor) -> None:
    with pytest.raises(t.TaskRuleError) as err:
        t.apply(state(t.Status.EXTENSION_ASKED), t.Step(action, "x", until=date(2027, 1, 5)),
                actor, MON)
    assert err.value.status == 403


def test_the_office_may_grant_less_than_asked_and_work_may_end_while_asking() -> None:
    asked = t.apply(state(), t.Step(t.Action.ASK_EXTENSION, "lý do", until=date(2027, 1, 29)),
                    OWNER, MON)
    shorter = t.apply(asked, t.Step(t.Action.GRANT, until=date(2027, 1, 8)), OFFICE, MON)
    assert (shorter.deadline, shorter.status) == (date(2027, 1, 8), t.Status.ASSIGNED)
    with pytest.raises(t.TaskRuleError) as err:  # a "grant" that gives no more time
        t.apply(asked, t.Step(t.Action.GRANT, until=date(2026, 12, 18)), OFFICE, MON)
    assert err.value.status == 400
    with pytest.raises(t.TaskRuleError) as err:  # never further than asked
        t.apply(asked, t.Step(t.Action.GRANT, until=date(2099, 12, 31)), OFFICE, MON)
    assert err.value.status == 400 and "29/01/2027" in err.value.vi
    done = t.apply(asked, t.Step(t.Action.REPORT, "Xong sớm"), OWNER, MON)
    assert (done.status, done.asked_until, done.deadline) == (t.Status.DONE, None,
                                                              date(2026, 12, 18))


def test_wrong_states_and_missing_reasons_are_refused() -> None:
    with pytest.raises(t.TaskRuleError) as err:
        t.apply(state(), t.Step(t.Action.GRANT), OFFICE, MON)
    assert err.value.status == 409
    with pytest.raises(t.TaskRuleError) as err:
        t.apply(state(t.Status.DONE), t.Step(t.Action.PROGRESS, progress=10), OWNER, MON)
    assert err.value.status == 409
    with pytest.raises(t.TaskRuleError) as err:
        t.apply(state(), t.Step(t.Action.ASK_EXTENSION, "", until=date(2027, 1, 5)), OWNER, MON)
    assert err.value.status == 400
    with pytest.raises(t.TaskRuleError) as err:  # not later than the deadline
        t.apply(state(), t.Step(t.Action.ASK_EXTENSION, "lý do", until=date(2026, 12, 18)),
                OWNER, MON)
    assert err.value.status == 400
    with pytest.raises(t.TaskRuleError) as err:
        t.apply(state(), t.Step(t.Action.REPORT, "  "), OWNER, MON)
    assert err.value.status == 400
    with pytest.raises(t.TaskRuleError) as err:
        t.apply(state(), t.Step(t.Action.PROGRESS, progress=100), OWNER, MON)
    assert err.value.status == 400


def test_deadlines_count_working_days_and_overdue_is_read_from_the_day() -> None:
    holidays = {date(2026, 12, 10)}  # a Thursday off
    assert t.deadline_after(MON, 5, holidays) == date(2026, 12, 15)
    assert t.deadline_after(MON, 5, set()) == date(2026, 12, 14)
    deadline = date(2026, 12, 15)
    assert t.shown_status(t.Status.IN_PROGRESS, deadline, deadline, None) == "in_progress"
    assert t.shown_status(t.Status.IN_PROGRESS, deadline, date(2026, 12, 16), None) == "overdue"
    assert t.shown_status(t.Status.EXTENSION_ASKED, deadline, date(2026, 12, 16),
                          None) == "overdue"
    assert t.shown_status(t.Status.DONE, deadline, date(2026, 12, 30), deadline) == "done"
    assert t.shown_status(t.Status.DONE, deadline, date(2026, 12, 30),
                          date(2026, 12, 16)) == "done_late"


def test_reminders_come_before_the_deadline_on_it_and_while_overdue() -> None:
    deadline = date(2026, 12, 18)  # a Friday
    due = {day: t.reminder_due(7, t.Status.IN_PROGRESS, deadline, day, set())
           for day in (date(2026, 12, d) for d in range(10, 32))}
    kinds = {day.day: (r.kind, r.days) for day, r in due.items() if r is not None}
    assert kinds == {15: ("before", 3), 17: ("before", 1), 18: ("due_today", 0),
                     21: ("overdue", 1), 28: ("overdue", 6)}
    assert due[date(2026, 12, 15)] is not None
    assert due[date(2026, 12, 15)].key == "task:7:2026-12-18:before:3"
    # A holiday on the day of a reminder: none that day; work done: none at all.
    assert t.reminder_due(7, t.Status.IN_PROGRESS, deadline, date(2026, 12, 17),
                          {date(2026, 12, 17)}) is None
    assert t.reminder_due(7, t.Status.DONE, deadline, date(2026, 12, 21), set()) is None
    # A granted extension moves the deadline, and with it the keys.
    later = t.reminder_due(7, t.Status.IN_PROGRESS, date(2026, 12, 31), date(2026, 12, 28),
                           set())
    assert later is not None and later.key == "task:7:2026-12-31:before:3"


NOTICE = """Ngày 05 tháng 12 năm 2026, tại Phòng họp số 1, đồng chí Chủ tịch chủ trì phiên họp.
Sau khi nghe báo cáo, Chủ tịch kết luận như sau:
1. Giao Sở Tài chính chủ trì, hoàn thiện dự toán ngân sách năm 2027,
trình UBND tỉnh trước ngày 20/12/2026.
2. Sở Ke hoach va Dau tu tổng hợp báo cáo kinh tế - xã hội trong 7 ngày làm việc.
3) Các sở, ngành tiếp tục theo dõi.
Ủy ban nhân dân tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./."""


def test_numbered_paragraphs_of_a_notice_become_items() -> None:
    items = t.parse_items(NOTICE, UNITS, MON)
    assert [i.no for i in items] == ["1", "2", "3"]
    assert items[0].title.endswith("trình UBND tỉnh trước ngày 20/12/2026.")
    assert (items[0].unit, items[0].deadline, items[0].working_days) == (
        "Sở Tài chính", date(2026, 12, 20), None)
    # A unit written without diacritics is still found; the period in working days.
    assert (items[1].unit, items[1].deadline, items[1].working_days) == (
        "Sở Kế hoạch và Đầu tư", None, 7)
    assert (items[2].unit, items[2].deadline) == ("", None)
    assert "thông báo" not in items[2].title
    assert t.parse_items("Đồng ý với báo cáo.\nGiao các sở thực hiện.", UNITS, MON) == []


def test_deadlines_written_in_words_or_without_a_year() -> None:
    text = ("1. Sở Y tế báo cáo chậm nhất ngày 05 tháng 01 năm 2027.\n"
            "2. Sở Tài chính trình trước ngày 20 tháng 12.\n"
            "3. Sở Tài chính trình trước ngày 02/11.\n"
            "4. Sở Y tế xong trước ngày 31/02/2027.")
    deadlines = [i.deadline for i in t.parse_items(text, UNITS, MON)]
    assert deadlines == [date(2027, 1, 5), date(2026, 12, 20), date(2027, 11, 2), None]
