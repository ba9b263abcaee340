"""Saved groups of attendees: named lists of a body's people that whoever
prepares a meeting adds in one go. The body's admins keep the lists; a
meeting's preparers see their names and add them."""

from __future__ import annotations

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain import role_grants
from collab_server.domain.lifecycle import PREPARABLE, Status
from collab_server.domain.roles import Role
from collab_server.errors import BadRequest, Conflict, Forbidden, NotFound
from collab_server.storage.accounts import User
from collab_server.transport import notifications
from collab_server.transport.auth import current_user
from collab_server.transport.http import Fields, caller_and_meeting, path_id, read_json, record
from collab_server.transport.responses import JSONResponse

_TAKEN = ("Cơ quan đã có nhóm mang tên này.", "The body has a group of that name.")
_MISSING = ("Không có nhóm này trong cơ quan.", "No such group in this body.")
# A group brings members or guests; chair and secretary are named one by one.
GROUP_ROLES = ("delegate", "guest")


async def _admin(request: Request) -> User:
    user = await current_user(request)
    if not user.is_admin:
        raise Forbidden("Chỉ quản trị của cơ quan được thực hiện.", "Body admins only.")
    return user


async def _members(request: Request, user: User, fields: Fields) -> list[int] | None:
    if not fields.has("members"):
        return None
    members = fields.id_list("members")
    if len(members) > 500:
        raise BadRequest("Một nhóm có tối đa 500 người.", "A group holds at most 500 people.")
    if await request.app.state.admin.foreign_people(user.body_id, members):
        raise BadRequest("Nhóm chỉ gồm người của cơ quan (không gồm màn hình chiếu).",
                         "A group holds people of this body only (no display accounts).")
    return sorted(set(members))


async def list_groups(request: Request) -> Response:
    user = await _admin(request)
    return JSONResponse({"groups": await request.app.state.admin.groups(user.body_id)})


async def create_group(request: Request) -> Response:
    user = await _admin(request)
    fields = Fields(await read_json(request))
    name = fields.text("name", limit=200)
    members = await _members(request, user, fields) or []
    try:
        group = await request.app.state.admin.save_group(user.body_id, None, name, members)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(*_TAKEN) from exc
    await record(request, user, "group.create", f"group:{group}", name=name, members=members)
    return JSONResponse({"id": group}, status_code=201)


async def update_group(request: Request) -> Response:
    user = await _admin(request)
    group = path_id(request, "group_id")
    if await request.app.state.admin.group_people(user.body_id, group) is None:
        raise NotFound(*_MISSING)  # before the members: another body's ids read as missing
    fields = Fields(await read_json(request))
    name = fields.text("name", limit=200) if fields.has("name") else None
    members = await _members(request, user, fields)
    try:
        saved = await request.app.state.admin.save_group(user.body_id, group, name, members)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(*_TAKEN) from exc
    if saved is None:
        raise NotFound(*_MISSING)
    await record(request, user, "group.update", f"group:{group}", name=name, members=members)
    return JSONResponse({"ok": True})


async def remove_group(request: Request) -> Response:
    user = await _admin(request)
    group = path_id(request, "group_id")
    if not await request.app.state.admin.remove_group(user.body_id, group):
        raise NotFound(*_MISSING)
    await record(request, user, "group.remove", f"group:{group}")
    return JSONResponse({"ok": True})


async def meeting_groups(request: Request) -> Response:
    """The groups of the meeting's body, names and sizes, for its preparers."""
    _, access = await caller_and_meeting(request)
    access.require_prepare()
    groups = await request.app.state.admin.groups(access.body_id, members=False)
    return JSONResponse({"groups": groups})


async def add_group(request: Request) -> Response:
    """Every active member of the group not yet in the meeting joins in one
    role (delegate or guest); those already in keep theirs, and so does the
    caller. One audit entry names who was added."""
    user, access = await caller_and_meeting(request)
    access.require_prepare()
    if access.status not in PREPARABLE:
        raise Conflict("Cuộc họp đã bắt đầu hoặc kết thúc; không thay đổi phần chuẩn bị được nữa.",
                       "The meeting has started or ended; its preparation is closed.")
    group = path_id(request, "group_id")
    role = Fields(await read_json(request)).choice("role", GROUP_ROLES, "delegate")
    people = await request.app.state.admin.group_people(access.body_id, group)
    if people is None:
        raise NotFound(*_MISSING)
    participants = request.app.state.participants
    added = []
    for person in people:
        if person == user.id:
            continue
        role_grants.check_change(access, user.id, person, None, Role(role), has_chair=True)
        if await participants.add(access.meeting_id, person, role,
                                  invited=access.status is Status.INVITED,
                                  also=notifications.on_person_added(
                                      request, access.meeting_id, person)):
            added.append(person)
    notifications.wake(request)
    await record(request, user, "participant.add_group", f"meeting:{access.meeting_id}",
                 group=group, role=role, users=added)
    await request.app.state.hub.refresh_room(access.meeting_id)
    return JSONResponse({"added": added}, status_code=201)
