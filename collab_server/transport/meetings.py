"""Preparing a meeting: the meeting itself, its lifecycle, agenda and people."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain import checkin, role_grants, room
from collab_server.domain.access import MeetingAccess
from collab_server.domain.agenda import time_plan
from collab_server.domain.lifecycle import PREPARABLE, Status, allowed
from collab_server.domain.roles import Role
from collab_server.errors import BadRequest, Conflict, Forbidden, NotFound, TooEarly
from collab_server.live.hub import Hub
from collab_server.live.names import DocKey, DocKind
from collab_server.transport import invitations, notifications
from collab_server.transport.auth import current_user
from collab_server.transport.http import (
    Fields,
    caller_and_meeting,
    path_id,
    read_json,
    record,
)
from collab_server.transport.responses import JSONResponse

KINDS = ("regular", "thematic", "extraordinary", "briefing", "review", "consultation", "other")
CONFIDENTIALITY = ("public", "internal", "confidential")
ROLES = tuple(r.value for r in Role)


def _require_preparable(access: MeetingAccess) -> None:
    access.require_prepare()
    if access.status not in PREPARABLE:
        raise Conflict(
            "Cuộc họp đã bắt đầu hoặc kết thúc; không thay đổi phần chuẩn bị được nữa.",
            "The meeting has started or ended; its preparation is closed.",
        )


async def _meeting_fields(request: Request, fields: Fields, *, partial: bool,
                          body_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not partial or fields.has("title"):
        out["title"] = fields.text("title", limit=300)
    if not partial or fields.has("starts_at"):
        out["starts_at"] = fields.moment("starts_at")
    if fields.has("ends_at"):
        out["ends_at"] = fields.moment("ends_at", required=False)
    if fields.has("kind") or not partial:
        out["kind"] = fields.choice("kind", KINDS, "regular")
    if fields.has("confidentiality") or not partial:
        out["confidentiality"] = fields.choice("confidentiality", CONFIDENTIALITY, "internal")
    if fields.has("quorum_rule"):
        out["quorum_rule"] = fields.choice("quorum_rule", ("none", "half", "two_thirds"))
    if fields.has("speech_limit_s"):
        out["speech_limit_s"] = fields.integer("speech_limit_s", minimum=0, maximum=3600)
    if fields.has("allow_proxy"):
        out["allow_proxy"] = fields.boolean("allow_proxy")
    if fields.has("room_id"):
        room = fields.integer("room_id", minimum=1, required=False)
        if room is not None and await request.app.state.directory.room_body(room) != body_id:
            raise NotFound("Không có phòng họp này trong cơ quan.", "No such room in this body.")
        out["room_id"] = room
    starts, ends = out.get("starts_at"), out.get("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        raise BadRequest("Giờ kết thúc phải sau giờ bắt đầu.", "ends_at must be after starts_at.")
    return out


async def create_meeting(request: Request) -> Response:
    user = await current_user(request)
    if not (user.is_admin or user.can_prepare):
        raise Forbidden("Bạn không được tạo cuộc họp.", "You may not create meetings.")
    fields = await _meeting_fields(request, Fields(await read_json(request)), partial=False,
                                   body_id=user.body_id)
    meeting_id = await request.app.state.meetings.create(user.body_id, user.id, fields)
    await record(request, user, "meeting.create", f"meeting:{meeting_id}")
    return JSONResponse({"meeting": await request.app.state.meetings.detail(meeting_id)},
                        status_code=201)


async def get_meeting(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    state = request.app.state
    meeting = await state.meetings.detail(access.meeting_id)
    meeting["role"] = access.role.value if access.role else None
    meeting["can_prepare"] = access.can_prepare
    items = await state.agenda.items(access.meeting_id)
    starts = datetime.fromisoformat(meeting["starts_at"])
    for item, (begin, end) in zip(items, time_plan(starts, [i["duration_min"] for i in items]),
                                  strict=True):
        item["planned_start"] = begin.isoformat()
        item["planned_end"] = end.isoformat()
    meeting["agenda"] = items
    meeting["documents"] = [d.to_json() for d in await state.documents.of_meeting(
        access.meeting_id)]
    meeting["participants"] = ([] if access.role == Role.DISPLAY
                               else await state.participants.list(access.meeting_id,
                                                                  full=access.sees_everything))
    if access.sees_everything:
        meeting["transitions"] = await state.meetings.transitions(access.meeting_id)
    await invitations.meeting_extras(request, user, access, meeting)
    return JSONResponse({"meeting": meeting})


async def _refresh(request: Request, meeting_id: int) -> None:
    hub: Hub = request.app.state.hub
    await hub.refresh_room(meeting_id)


async def update_meeting(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    _require_preparable(access)
    fields = await _meeting_fields(request, Fields(await read_json(request)), partial=True,
                                   body_id=access.body_id)
    await request.app.state.meetings.update(
        access.meeting_id, fields, also=notifications.on_meeting_saved(request, access.meeting_id))
    notifications.wake(request)
    await record(request, user, "meeting.update", f"meeting:{access.meeting_id}",
                 fields=sorted(fields))
    await _refresh(request, access.meeting_id)
    return JSONResponse({"meeting": await request.app.state.meetings.detail(access.meeting_id)})


async def transition(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    fields = Fields(await read_json(request))
    target = Status(fields.choice("to", tuple(s.value for s in Status)))
    roles = allowed(access.status, target)
    if roles is None:
        raise Conflict(
            f"Không chuyển được từ '{access.status.value}' sang '{target.value}'.",
            f"No transition from '{access.status.value}' to '{target.value}'.",
        )
    if not access.body_admin and access.role not in roles:
        raise Forbidden()
    if target is Status.ENDED:
        # The room's session ends in the room (session.close), not behind its back.
        hub: Hub = request.app.state.hub
        live = await hub.open(DocKey(access.meeting_id, DocKind.ROOM))
        if room.session_state(live.doc) in ("open", "suspended"):
            raise Conflict("Phiên họp đang diễn ra; chủ tọa cần bế mạc trong phòng họp trước.",
                           "The session is still open; the chair closes it in the room first.")
    details: dict[str, Any] = {"from": access.status.value, "to": target.value}
    if target is Status.IN_SESSION:
        details["early"] = await _opening_early(request, access, fields)
    warnings: list[dict[str, Any]] = []
    if target is Status.INVITED:
        warnings = await invitations.notice_warnings(request, access)
        # Rendered before the status moves: a letter that fails sends nothing.
        letter = await invitations.render_letter(request, user, access)
    # The invitees are told in the same transaction as the status moves.
    tell = (notifications.on_invited(request, access.meeting_id) if target is Status.INVITED
            else notifications.on_recalled(access.meeting_id)
            if access.status is Status.INVITED and target is Status.DRAFT else None)
    if not await request.app.state.meetings.transition(access.meeting_id, access.status, target,
                                                       user.id, also=tell):
        raise Conflict("Trạng thái cuộc họp vừa được người khác thay đổi.",
                       "Someone changed the meeting's status first.")
    notifications.wake(request)
    await record(request, user, "meeting.status", f"meeting:{access.meeting_id}", **details)
    body: dict[str, Any] = {"status": target.value, "warnings": warnings}
    if target is Status.INVITED:
        issued = await invitations.issue(request, user, access, letter)
        body["invitation"] = issued.to_json(access.meeting_id)
    await _refresh(request, access.meeting_id)
    return JSONResponse(body)


async def _opening_early(request: Request, access: MeetingAccess, fields: Fields) -> bool:
    """The same rule as `session.open` in the room: before the session window
    the caller confirms with `early: true` (domain/checkin.py)."""
    confirmed = fields.boolean("early")
    info = await request.app.state.meetings.meeting(access.meeting_id)
    early = info is not None and checkin.early(info.starts_at, int(time.time() * 1000))
    if early and not confirmed:
        raise TooEarly(
            f"Chưa đến giờ họp (còn hơn {checkin.WINDOW_MIN} phút). "
            "Muốn khai mạc sớm, cần xác nhận (early: true).",
            f"The meeting starts more than {checkin.WINDOW_MIN} minutes from now; "
            "opening early needs a confirmation (early: true).")
    return early


# -- agenda ---------------------------------------------------------------------------


def _item_fields(fields: Fields, *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not partial or fields.has("title"):
        out["title"] = fields.text("title", limit=500)
    if fields.has("presenter"):
        out["presenter"] = fields.text("presenter", limit=200, required=False, empty=True)
    if fields.has("presenter_user_id"):
        out["presenter_user_id"] = fields.integer("presenter_user_id", minimum=1,
                                                  required=False)
    if fields.has("speech_limit_s"):
        out["speech_limit_s"] = fields.integer("speech_limit_s", minimum=0, maximum=3600,
                                               required=False)
    if fields.has("duration_min") or not partial:
        out["duration_min"] = fields.integer("duration_min", minimum=0, maximum=24 * 60,
                                             required=False) or 0
    return out


async def add_item(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    _require_preparable(access)
    values = _item_fields(Fields(await read_json(request)), partial=False)
    await _check_presenter(request, access, values)
    item_id = await request.app.state.agenda.add(access.meeting_id, values)
    await record(request, user, "agenda.add", f"meeting:{access.meeting_id}", item=item_id)
    await _refresh(request, access.meeting_id)
    return JSONResponse({"id": item_id, "agenda": await request.app.state.agenda.items(
        access.meeting_id)}, status_code=201)


async def _check_presenter(request: Request, access: MeetingAccess,
                           values: dict[str, Any]) -> None:
    presenter = values.get("presenter_user_id")
    if presenter is not None and await request.app.state.meetings.role_of(
            access.meeting_id, presenter) is None:
        raise NotFound("Người trình bày không tham dự cuộc họp.",
                       "The presenter takes no part in the meeting.")


async def update_item(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    _require_preparable(access)
    item_id = path_id(request, "item_id")
    values = _item_fields(Fields(await read_json(request)), partial=True)
    await _check_presenter(request, access, values)
    if not await request.app.state.agenda.update(access.meeting_id, item_id, values):
        raise NotFound("Không có mục này trong chương trình.", "No such agenda item.")
    await record(request, user, "agenda.update", f"meeting:{access.meeting_id}", item=item_id)
    await _refresh(request, access.meeting_id)
    return JSONResponse({"agenda": await request.app.state.agenda.items(access.meeting_id)})


async def remove_item(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    _require_preparable(access)
    item_id = path_id(request, "item_id")
    if not await request.app.state.agenda.remove(access.meeting_id, item_id):
        raise NotFound("Không có mục này trong chương trình.", "No such agenda item.")
    await record(request, user, "agenda.remove", f"meeting:{access.meeting_id}", item=item_id)
    await _refresh(request, access.meeting_id)
    return JSONResponse({"agenda": await request.app.state.agenda.items(access.meeting_id)})


async def reorder_items(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    _require_preparable(access)
    order = Fields(await read_json(request)).id_list("order")
    if not await request.app.state.agenda.reorder(access.meeting_id, order):
        raise BadRequest("Danh sách phải gồm đúng mọi mục của chương trình, mỗi mục một lần.",
                         "'order' must name every agenda item exactly once.")
    await record(request, user, "agenda.reorder", f"meeting:{access.meeting_id}", order=order)
    await _refresh(request, access.meeting_id)
    return JSONResponse({"agenda": await request.app.state.agenda.items(access.meeting_id)})


# -- participants and invitations ---------------------------------------------------------


def _changed_meanwhile() -> Conflict:
    return Conflict("Vai trò của người này vừa được thay đổi; vui lòng tải lại.",
                    "This person's role changed meanwhile; reload.")


def _check_fits(access: MeetingAccess, person: Any, role: str) -> None:
    """The chair presides in the name of the meeting's body (the letter is
    signed so): one of its own people. A projector account takes part only as
    the projector, of a room of that body; a person never as a projector."""
    if role == Role.CHAIR and person["body_id"] != access.body_id:
        raise Conflict("Chủ tọa phải là người của cơ quan tổ chức cuộc họp.",
                       "The chair must belong to the body that holds the meeting.")
    display_account = person["room_id"] is not None
    if display_account != (role == Role.DISPLAY) or (
            display_account and person["body_id"] != access.body_id):
        raise BadRequest("Tài khoản màn hình chỉ tham gia với vai trò màn hình, của phòng"
                         " họp thuộc cơ quan; người dùng không nhận vai trò màn hình.",
                         "A projector account takes part only as its body's projector;"
                         " a person never as a projector.")


async def add_participant(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    _require_preparable(access)
    fields = Fields(await read_json(request))
    invitee = fields.integer("user_id", minimum=1)
    role = fields.choice("role", ROLES, "delegate")
    assert invitee is not None
    participants = request.app.state.participants
    role_grants.check_change(access, user.id, invitee, None, Role(role),
                             has_chair=await participants.has_chair(access.meeting_id))
    person = await request.app.state.directory.invitable(user.id, user.body_id,
                                                         access.body_id, invitee)
    if person is None:
        raise NotFound("Không có người dùng này.", "No such user.")
    _check_fits(access, person, role)
    invited = access.status is Status.INVITED
    # Only an admin changes a meeting's chair (role_grants): the new one takes
    # the place of the old. Anyone else meets the database's one-chair rule.
    if not await participants.add(access.meeting_id, invitee, role, invited=invited,
                                  replace_chair=access.body_admin,
                                  also=notifications.on_person_added(request, access.meeting_id,
                                                                     invitee)):
        raise Conflict("Người này đã có trong danh sách.", "Already a participant.")
    notifications.wake(request)
    await record(request, user, "participant.add", f"meeting:{access.meeting_id}",
                 user=invitee, role=role)
    await _refresh(request, access.meeting_id)
    return JSONResponse({"participant": await participants.get(
        access.meeting_id, invitee)}, status_code=201)


async def update_participant(request: Request) -> Response:
    """A role change, under the rule of `domain.role_grants`; audited with the
    role before and after."""
    user, access = await caller_and_meeting(request)
    _require_preparable(access)
    member = path_id(request, "user_id")
    role = Fields(await read_json(request)).choice("role", ROLES)
    role_grants.check_not_self(user.id, member)
    participants = request.app.state.participants
    old = await participants.role_of(access.meeting_id, member)
    if old is None:
        raise NotFound("Người này không có trong danh sách.", "Not a participant.")
    role_grants.check_change(access, user.id, member, Role(old), Role(role),
                             has_chair=await participants.has_chair(access.meeting_id))
    person = await request.app.state.directory.invitable(user.id, user.body_id,
                                                         access.body_id, member)
    if person is None:
        raise NotFound("Không có người dùng này.", "No such user.")
    _check_fits(access, person, role)
    if not await participants.set_role(access.meeting_id, member, role, was=old,
                                       replace_chair=access.body_admin):
        raise _changed_meanwhile()
    await request.app.state.hub.participants_changed(access.meeting_id)  # open sockets too
    await record(request, user, "participant.role", f"meeting:{access.meeting_id}",
                 user=member, **{"from": old, "to": role})
    await _refresh(request, access.meeting_id)
    return JSONResponse({"participant": await participants.get(access.meeting_id, member)})


async def remove_participant(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    _require_preparable(access)
    member = path_id(request, "user_id")
    if member == user.id and access.role == Role.SECRETARY and not access.body_admin:
        raise Conflict("Thư ký không tự rút khỏi cuộc họp mình chuẩn bị.",
                       "The secretary cannot remove themselves.")
    participants = request.app.state.participants
    old = await participants.role_of(access.meeting_id, member)
    if old is None:
        raise NotFound("Người này không có trong danh sách.", "Not a participant.")
    role_grants.check_change(access, user.id, member, Role(old), None, has_chair=True)
    if not await participants.remove(access.meeting_id, member, was=old,
                                     also=notifications.on_person_removed(
                                         request, access.meeting_id, member)):
        raise _changed_meanwhile()
    notifications.wake(request)
    await request.app.state.hub.participants_changed(access.meeting_id)  # open sockets too
    await record(request, user, "participant.remove", f"meeting:{access.meeting_id}",
                 user=member, role=old)
    await _refresh(request, access.meeting_id)
    return JSONResponse({"ok": True})


async def respond(request: Request) -> Response:
    """The invitee's answer: attend, absent with a reason, or send a deputy."""
    user, access = await caller_and_meeting(request)
    if access.role is None or access.role == Role.DISPLAY:
        raise Forbidden("Bạn không có giấy mời của cuộc họp này.", "You were not invited.")
    if access.status is not Status.INVITED:
        raise Conflict("Chỉ trả lời giấy mời khi cuộc họp đã gửi giấy mời và chưa bắt đầu.",
                       "Answers are taken while the meeting is invited.")
    fields = Fields(await read_json(request))
    answer = fields.choice("answer", ("attend", "absent", "deputy"))
    reason = fields.text("reason", limit=1000, required=answer == "absent")
    participants = request.app.state.participants
    mine = await participants.get(access.meeting_id, user.id)
    if mine is not None and (mine["deputy"] or {}).get("status") == "approved":
        raise Conflict("Chủ tọa đã đồng ý người dự thay của bạn; liên hệ thư ký để thay đổi.",
                       "The chair approved your deputy; ask the secretary to change it.")
    deputy = None
    if answer == "deputy":
        # Decision 45/2018/QĐ-TTg: a member may send a deputy, with the chair's
        # consent; the chair and the secretary run the meeting themselves.
        if access.role not in (Role.DELEGATE, Role.GUEST) or mine is None or \
                mine["stands_in_for"] is not None:
            raise Forbidden("Bạn không cử người dự thay cho cuộc họp này được.",
                            "You may not send a deputy to this meeting.")
        deputy = fields.integer("deputy_user_id", minimum=1)
        candidates = await invitations.deputy_candidate_ids(request, access, user.id)
        if deputy not in candidates:
            raise BadRequest("Người dự thay phải là người của cơ quan, chưa tham dự cuộc họp.",
                             "The deputy must belong to the body and not take part yet.")
    await request.app.state.participants.respond(access.meeting_id, user.id, answer, reason,
                                                 deputy)
    await record(request, user, "invitation.answer", f"meeting:{access.meeting_id}",
                 answer=answer, deputy=deputy)
    return JSONResponse({"participant": await request.app.state.participants.get(
        access.meeting_id, user.id)})


async def decide_deputy(request: Request) -> Response:
    user, access = await caller_and_meeting(request)
    access.require_chair()
    member = path_id(request, "user_id")
    approve = Fields(await read_json(request)).boolean("approve")
    deputy = await request.app.state.participants.decide_deputy(access.meeting_id, member,
                                                                approve)
    if deputy is None:
        raise NotFound("Không có đề nghị cử người dự thay đang chờ duyệt.",
                       "No pending deputy for this member.")
    await record(request, user, "deputy.decide", f"meeting:{access.meeting_id}",
                 member=member, deputy=deputy, approve=approve)
    await _refresh(request, access.meeting_id)
    return JSONResponse({"participants": await request.app.state.participants.list(
        access.meeting_id, full=True)})


async def participants(request: Request) -> Response:
    _, access = await caller_and_meeting(request)
    if access.role == Role.DISPLAY:
        # The wall names whom the room document names (speakers, attendance).
        raise Forbidden("Màn hình phòng họp không xem danh sách thành viên.",
                        "The room's display does not read the list of participants.")
    return JSONResponse({"participants": await request.app.state.participants.list(
        access.meeting_id, full=access.sees_everything)})
