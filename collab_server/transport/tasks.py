"""Tasks over HTTP: created from the items of a conclusion notice or by hand,
the board, one task with its history and attachments, and its steps. Files
are in task_files.py, the report in task_report.py, reminders in
collab_server/reminders.py; the rules live in domain/tasks.py.

Who: the office of the task's body (its admins and preparers, and the
secretary of the task's meeting) creates tasks and answers extensions; the
responsible person, or a member of the responsible unit, reports; the chair
of the task's meeting reads it. Anyone else, and every other body, gets 404
for a task, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain import calendar
from collab_server.domain import tasks as t
from collab_server.domain.roles import Role
from collab_server.errors import AppError, BadRequest, Conflict, Forbidden, NotFound
from collab_server.storage.accounts import User
from collab_server.storage.minutes import PgMinutes
from collab_server.storage.tasks import NewTask, PgTasks, TaskRow
from collab_server.transport.auth import client_ip, current_user
from collab_server.transport.http import Fields, caller_and_meeting, path_id, read_json
from collab_server.transport.responses import JSONResponse

MAX_ITEMS = 100


class TaskRefused(AppError):
    """A step domain/tasks.py refuses, with its status and message."""

    def __init__(self, err: t.TaskRuleError) -> None:
        super().__init__(err.vi, err.en)
        self.status = err.status  # type: ignore[misc]
        self.code = err.code  # type: ignore[misc]


def task_store(request: Request) -> PgTasks:
    return PgTasks(request.app.state.pool)


def _today() -> date:
    return calendar.local_day(datetime.now(UTC))


def office_of_body(user: User, body_id: int) -> bool:
    return user.body_id == body_id and (user.is_admin or user.can_prepare)


@dataclass(frozen=True, slots=True)
class Seat:
    """Where the caller sits for one task."""

    office: bool
    responsible: bool
    chair: bool

    @property
    def sees(self) -> bool:
        return self.office or self.responsible or self.chair


async def _seat(request: Request, user: User, task: TaskRow) -> Seat:
    role = await task_store(request).meeting_role(task.meeting_id, user.id)
    unit = user.unit.strip().casefold()
    responsible = user.body_id == task.body_id and (
        task.assignee_id == user.id
        or (bool(task.unit_name.strip()) and unit == task.unit_name.strip().casefold()))
    return Seat(office=office_of_body(user, task.body_id) or role == Role.SECRETARY.value,
                responsible=responsible, chair=role == Role.CHAIR.value)


async def visible_task(request: Request, user: User) -> tuple[TaskRow, Seat]:
    task = await task_store(request).get(path_id(request, "task_id"))
    seat = await _seat(request, user, task) if task is not None else None
    if task is None or seat is None or not seat.sees:
        raise NotFound("Không có nhiệm vụ này.", "No such task.")
    return task, seat


async def _holidays(request: Request, body_id: int) -> set[date]:
    days: set[date] = await request.app.state.directory.holiday_dates(body_id)
    return days


def _shown(task: TaskRow, today: date, holidays: set[date]) -> dict[str, Any]:
    out = task.to_json()
    s = task.state
    out["shown_status"] = t.shown_status(s.status, s.deadline, today, s.done_on)
    out["overdue"] = t.is_overdue(s.status, s.deadline, today)
    out["days_left"] = None if s.status is t.Status.DONE else t.days_left(today, s.deadline,
                                                                            holidays)
    return out


def _actions(task: TaskRow, seat: Seat) -> list[str]:
    """The steps the caller may take now (the server checks them again)."""
    done = task.state.status is t.Status.DONE
    asked = task.state.status is t.Status.EXTENSION_ASKED
    out: list[str] = []
    if seat.responsible and not done:
        out += [t.Action.PROGRESS, t.Action.REPORT, "attach"]
        if not asked:
            out.append(t.Action.ASK_EXTENSION)
    if seat.office and asked:
        out += [t.Action.GRANT, t.Action.REFUSE]
    if seat.office and done:
        out.append(t.Action.REOPEN)
    return [str(a) for a in out]


# -- what to assign ------------------------------------------------------------------------


async def _unit(request: Request, body_id: int, fields: Fields) -> tuple[int | None, str]:
    unit_id = fields.integer("unit_id", minimum=1, required=False)
    if unit_id is None:
        return None, ""
    units = dict(await task_store(request).units(body_id))
    if unit_id not in units:
        raise NotFound("Không có đơn vị này trong cơ quan.", "No such unit in this body.")
    return unit_id, units[unit_id]


async def _new_task(request: Request, body_id: int, data: Any, today: date,
                    holidays: set[date], **source: Any) -> NewTask:
    if not isinstance(data, dict):
        raise BadRequest("Mỗi nhiệm vụ phải là một đối tượng JSON.", "Each task must be an object.")
    fields = Fields(data)
    title = fields.text("title", limit=t.MAX_TITLE)
    unit_id, unit_name = await _unit(request, body_id, fields)
    assignee = fields.integer("assignee_id", minimum=1, required=False)
    if assignee is not None and await task_store(request).person(body_id, assignee) is None:
        raise NotFound("Không có người này trong cơ quan.", "No such person in this body.")
    if unit_id is None and assignee is None:
        raise BadRequest("Cần chọn đơn vị hoặc người chịu trách nhiệm.",
                         "Choose the unit or the person responsible.")
    working = fields.integer("working_days", minimum=1, maximum=t.MAX_WORKING_DAYS,
                             required=False)
    if fields.data.get("deadline") not in (None, ""):
        deadline, working = fields.day("deadline"), None
        if deadline < today:
            raise BadRequest("Hạn xử lý không được trước hôm nay.",
                             "The deadline cannot be before today.")
    else:
        working = working or t.DEFAULT_WORKING_DAYS
        deadline = t.deadline_after(today, working, holidays)
    return NewTask(title=title, deadline=deadline, assigned_on=today, unit_id=unit_id,
                   unit_name=unit_name, assignee_id=assignee, working_days=working,
                   item_no=fields.text("item_no", limit=20, required=False), **source)


async def proposed(request: Request) -> Response:
    """`GET /api/meetings/{id}/tasks/proposed`: the items of the latest issued
    conclusion notice, each with the unit and deadline read from it, for the
    office to check and adjust before creating the tasks."""
    user, access = await caller_and_meeting(request)
    _require_office(user, access.role, access.body_admin)
    notice = await PgMinutes(request.app.state.pool).notice(access.meeting_id)
    if notice is None:
        raise Conflict("Chưa ban hành thông báo kết luận.", "No conclusion notice is issued.")
    units = await task_store(request).units(access.body_id)
    by_name = {name.casefold(): unit_id for unit_id, name in units}
    holidays = await _holidays(request, access.body_id)
    today = _today()
    made = {r.item_no for r in await task_store(request).board(access.body_id, None,
                                                            meeting_id=access.meeting_id)
            if r.notice_version == notice.version}
    items = []
    for item in t.parse_items(notice.text, [name for _, name in units], today):
        deadline = item.deadline or t.deadline_after(
            today, item.working_days or t.DEFAULT_WORKING_DAYS, holidays)
        items.append({"item_no": item.no, "title": item.title,
                      "unit_id": by_name.get(item.unit.casefold()) if item.unit else None,
                      "deadline": max(deadline, today).isoformat(),
                      "working_days": item.working_days, "created": item.no in made})
    return JSONResponse({"meeting_id": access.meeting_id, "notice_version": notice.version,
                         "notice_text": notice.text, "items": items,
                         "units": [{"id": i, "name": n} for i, n in units]})


def _require_office(user: User, role: Role | None, body_admin: bool) -> None:
    if not (role is Role.SECRETARY or body_admin):
        raise Forbidden("Chỉ thư ký cuộc họp hoặc quản trị cơ quan được giao việc.",
                        "Only the meeting's secretary or a body admin may assign tasks.")


async def create_from_notice(request: Request) -> Response:
    """`POST /api/meetings/{id}/tasks` `{"tasks": [{"item_no", "title",
    "unit_id" | "assignee_id", "deadline" | "working_days"}]}`: the tasks of
    the latest notice, as the office adjusted them. An item already made a
    task is skipped."""
    user, access = await caller_and_meeting(request)
    _require_office(user, access.role, access.body_admin)
    notice = await PgMinutes(request.app.state.pool).notice(access.meeting_id)
    if notice is None:
        raise Conflict("Chưa ban hành thông báo kết luận.", "No conclusion notice is issued.")
    raw = (await read_json(request)).get("tasks")
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_ITEMS:
        raise BadRequest(f"Trường 'tasks' phải là danh sách 1 đến {MAX_ITEMS} nhiệm vụ.",
                         f"Field 'tasks' must be a list of 1 to {MAX_ITEMS} tasks.")
    holidays = await _holidays(request, access.body_id)
    today = _today()
    tasks = [await _new_task(request, access.body_id, item, today, holidays,
                             meeting_id=access.meeting_id, notice_version=notice.version)
             for item in raw]
    made = await task_store(request).create(access.body_id, tasks, user.id, client_ip(request))
    return JSONResponse({"created": made, "skipped": len(tasks) - len(made)},
                        status_code=201 if made else 200)


async def create_task(request: Request) -> Response:
    """`POST /api/tasks`: a task made by hand by the office of the caller's body."""
    user = await current_user(request)
    if not office_of_body(user, user.body_id):
        raise Forbidden("Chỉ văn phòng (người chuẩn bị họp, quản trị) được giao việc.",
                        "Only the office (preparers, admins) may assign tasks.")
    holidays = await _holidays(request, user.body_id)
    task = await _new_task(request, user.body_id, await read_json(request), _today(), holidays)
    made = await task_store(request).create(user.body_id, [task], user.id, client_ip(request))
    found = await task_store(request).get(made[0])
    assert found is not None
    return JSONResponse({"task": _shown(found, _today(), holidays)}, status_code=201)


# -- the board and one task ----------------------------------------------------------------


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts for the board: all, by unit and by meeting."""
    def count(group: list[dict[str, Any]]) -> dict[str, int]:
        return {"total": len(group),
                "overdue": sum(1 for r in group if r["overdue"]),
                "done": sum(1 for r in group if r["status"] == "done"),
                "extension_asked": sum(1 for r in group if r["status"] == "extension_asked")}
    units: dict[str, list[dict[str, Any]]] = {}
    meetings: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for r in rows:
        unit = r["unit"]["name"] if r["unit"] else (r["assignee"] or {}).get("full_name", "")
        units.setdefault(unit, []).append(r)
        key = (r["meeting"]["id"], r["meeting"]["title"]) if r["meeting"] else (0, "")
        meetings.setdefault(key, []).append(r)
    return {
        **count(rows),
        "by_unit": sorted(({"unit": u, **count(g)} for u, g in units.items()),
                          key=lambda x: (-x["overdue"], x["unit"])),
        "by_meeting": [{"meeting_id": k[0] or None, "title": k[1], **count(g)}
                       for k, g in sorted(meetings.items(), key=lambda kv: -kv[0][0])],
    }


async def visible_rows(request: Request, user: User) -> tuple[list[dict[str, Any]], bool]:
    """The board's rows for the caller, with the filters of the query, and
    whether the caller is the office (who sees the whole body)."""
    office = office_of_body(user, user.body_id)
    raw = request.query_params.get("meeting", "")
    meeting_id = int(raw) if raw.isdigit() and len(raw) < 18 else None
    rows = await task_store(request).board(user.body_id, None if office else user.id,
                                       meeting_id=meeting_id,
                                       query=request.query_params.get("q", "")[:200])
    holidays = await _holidays(request, user.body_id)
    today = _today()
    shown = [_shown(r, today, holidays) for r in rows]
    unit = request.query_params.get("unit", "").strip().casefold()
    if unit:
        shown = [r for r in shown if r["unit"] and r["unit"]["name"].casefold() == unit]
    status = request.query_params.get("status", "")
    if status == "open":
        shown = [r for r in shown if r["status"] != "done"]
    elif status:
        shown = [r for r in shown if r["shown_status"] == status or
                 (status == "done" and r["status"] == "done")]
    return shown, office


async def board(request: Request) -> Response:
    """`GET /api/tasks` (`?meeting=`, `?unit=`, `?status=`, `?q=`): the tasks the
    caller may see, nearest deadline first, with counts by unit and meeting."""
    user = await current_user(request)
    rows, office = await visible_rows(request, user)
    can_export = office or await task_store(request).leads_any(user.body_id, user.id)
    return JSONResponse({"tasks": rows, "summary": summary(rows), "office": office,
                         "can_export": can_export, "today": _today().isoformat()})


async def get_task(request: Request) -> Response:
    """`GET /api/tasks/{id}`: the task, its history, its attachments, and the
    steps the caller may take."""
    user = await current_user(request)
    task, seat = await visible_task(request, user)
    store = task_store(request)
    return JSONResponse({
        "task": _shown(task, _today(), await _holidays(request, task.body_id)),
        "history": await store.history(task.id),
        "attachments": await store.attachments(task.id),
        "actions": _actions(task, seat),
        "seat": {"office": seat.office, "responsible": seat.responsible, "chair": seat.chair},
    })


async def take_step(request: Request) -> Response:
    """`POST /api/tasks/{id}/actions` `{"action", "note"?, "progress"?, "until"?}`."""
    user = await current_user(request)
    task, seat = await visible_task(request, user)
    fields = Fields(await read_json(request))
    action = t.Action(fields.choice("action", tuple(a.value for a in t.Action)))
    note = fields.text("note", limit=t.MAX_NOTE, required=False, empty=True)
    progress = fields.integer("progress", minimum=0, maximum=100, required=False)
    until = fields.day("until") if fields.data.get("until") not in (None, "") else None
    step = t.Step(action, note, progress, until)
    actor = t.Actor(office=seat.office, responsible=seat.responsible)
    today = _today()
    try:
        t.apply(task.state, step, actor, today)  # refuse before taking the lock
        after = await task_store(request).step(
            task.id, action.value, note, lambda row: t.apply(row.state, step, actor, today),
            user.id, client_ip(request),
            {"until": until.isoformat() if until else None})
    except t.TaskRuleError as err:
        raise TaskRefused(err) from err
    return JSONResponse({"task": _shown(after, today, await _holidays(request, after.body_id))})
