"""Who may see a request for written opinions, and what each one sees of it.

- the office (people of the body who prepare meetings, and its admins) and the
  request's chair: everything, answers included, all along;
- a member asked: the request once sent, its documents, their own answer;
  others' answers only once the summary is issued (it names them all);
- anyone else, and anyone of another body: 403, whether or not it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from collab_server.domain import calendar
from collab_server.domain import opinions as o
from collab_server.errors import Forbidden
from collab_server.storage.accounts import User
from collab_server.storage.opinions import PgOpinions
from collab_server.storage.opinions import Request as OpinionRequest
from collab_server.transport.auth import current_user


def store(request: Request) -> PgOpinions:
    return PgOpinions(request.app.state.pool)


@dataclass(frozen=True, slots=True)
class Access:
    user: User
    request: OpinionRequest
    office: bool
    chair: bool
    member: bool

    @property
    def sees_answers(self) -> bool:
        return self.office or self.chair or self.request.status == "issued"

    def require_office(self) -> None:
        if not self.office:
            raise Forbidden("Chỉ văn phòng (người chuẩn bị của cơ quan) được làm việc này.",
                            "Only the body's office may do this.")


def is_office(user: User) -> bool:
    return user.can_prepare or user.is_admin


def hidden() -> Forbidden:
    return Forbidden("Bạn không được xem phiếu lấy ý kiến này.",
                     "You may not see this request for opinions.")


async def access_of(request: Request) -> Access:
    user = await current_user(request)
    raw = str(request.path_params["opinion_id"])
    return await load(request, user, int(raw) if raw.isdigit() and len(raw) <= 18 else None)


async def load(request: Request, user: User, request_id: int | None) -> Access:
    found = await store(request).get(request_id) if request_id is not None else None
    if found is None or found.body_id != user.body_id:
        raise hidden()
    office = is_office(user)
    chair = found.chair_id == user.id
    member = await store(request).is_member(found.id, user.id)
    if not (office or chair or (member and found.status != "draft")):
        raise hidden()
    return Access(user, found, office, chair, member)


def now() -> datetime:
    return datetime.now(UTC)


async def detail(request: Request, access: Access) -> dict[str, Any]:
    opinions = store(request)
    req = access.request
    questions = await opinions.questions(req.id)
    members = await opinions.members(req.id)
    own = await opinions.answers(req.id, access.user.id) if access.member else {}
    out: dict[str, Any] = req.to_json()
    out["questions"] = [{"id": q, "text": t} for q, t in questions]
    out["documents"] = [d.to_json() for d in await opinions.documents(req.id)]
    out["you"] = {"office": access.office, "chair": access.chair, "member": access.member}
    out["accepting"] = o.is_open(req.status, req.closes_at, now())
    out["rule"] = {"vi": o.RULE_VI, "en": o.RULE_EN}
    out["my_answer"] = ([{"question_id": q, "choice": a.choice, "comment": a.comment,
                          "at": calendar.iso(at), "changes": n}
                         for (q, _), (a, at, n) in own.items()] if access.member else None)
    if access.sees_answers:
        everything = await opinions.answers(req.id)
        out["members"] = [{"id": mb.user_id, "full_name": mb.name, "title": mb.title,
                           "answered": any((q, mb.user_id) in everything for q, _ in questions)}
                          for mb in members]
        out["answers"] = [{"question_id": q, "user_id": u, "choice": a.choice,
                           "comment": a.comment, "at": calendar.iso(at)}
                          for (q, u), (a, at, _) in everything.items()]
        out["tally"] = {str(q): o.tally(len(members), (
            everything[(q, mb.user_id)][0].choice for mb in members
            if (q, mb.user_id) in everything)).to_json() for q, _ in questions}
        if access.office and out["accepting"] and req.sent_at and req.deadline_day:
            holidays = await request.app.state.directory.holiday_dates(req.body_id)
            answered = {u for (_, u) in everything}
            out["reminders"] = [{"user_id": r.user_id, "at": calendar.iso(r.at)} for r in
                                o.reminders_due([mb.user_id for mb in members], answered,
                                                req.sent_at, req.deadline_day, holidays,
                                                now())]
    else:
        # Before the summary is out a member sees who else is asked, never their answers.
        out["members"] = [{"id": mb.user_id, "full_name": mb.name, "title": mb.title}
                          for mb in members]
    return out
