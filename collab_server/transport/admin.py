"""The admin screens' routes besides people and holidays (`directory`): a
password made for a person, rooms and their display accounts, the body's
units and its archived meetings past retention.

Admins are admins of one body (docs/security.md): every route acts on the
caller's own body, and another body's id answers 404, as if it did not exist.
"""

from __future__ import annotations

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain import room_networks
from collab_server.domain.password_maker import make_password
from collab_server.domain.passwords import check_password
from collab_server.domain.usernames import check_username
from collab_server.errors import Conflict, Forbidden, NotFound
from collab_server.storage.accounts import User
from collab_server.storage.admin import UnitInUse
from collab_server.transport.auth import current_user
from collab_server.transport.directory import ROOM_TAKEN, check_not_site_admin
from collab_server.transport.http import Fields, path_id, read_json, record
from collab_server.transport.responses import JSONResponse


async def _admin(request: Request) -> User:
    user = await current_user(request)
    if not user.is_admin:
        raise Forbidden("Chỉ quản trị của cơ quan được thực hiện.", "Body admins only.")
    return user


async def make_user_password(request: Request) -> Response:
    """A password reset where the server makes the password and answers it
    once. Every session and open socket of the person ends."""
    user = await _admin(request)
    target = path_id(request, "user_id")
    person = await request.app.state.directory.person(target)
    if person is None or person["body_id"] != user.body_id:
        raise NotFound("Không có người dùng này trong cơ quan.", "No such user in this body.")
    check_not_site_admin(user, person)
    if target == user.id:
        raise Conflict("Đổi mật khẩu của chính mình tại mục tài khoản, với mật khẩu hiện tại.",
                       "Change your own password with the current one (POST /api/me/password).")
    password = make_password(username=person["username"], full_name=person["full_name"])
    ended = await request.app.state.accounts.set_password(target, password)
    await request.app.state.hub.revoke_user(target)
    await record(request, user, "user.password_reset", f"user:{target}", sessions_ended=ended,
                 password_made=True)
    return JSONResponse({"password": password}, status_code=201)


# -- rooms and their display accounts -----------------------------------------------------


async def update_room(request: Request) -> Response:
    user = await _admin(request)
    room = path_id(request, "room_id")
    fields = Fields(await read_json(request))
    name = fields.text("name", limit=200) if fields.has("name") else None
    seats = fields.integer("seats", minimum=0, maximum=10000, required=False)
    # Where people check themselves in from (domain/room_networks.py).
    networks = room_networks.parse(fields.data["networks"]) if fields.has("networks") else None
    try:
        done = await request.app.state.admin.update_room(user.body_id, room, name, seats,
                                                         networks)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(*ROOM_TAKEN) from exc
    if not done:
        raise NotFound("Không có phòng họp này trong cơ quan.", "No such room in this body.")
    await record(request, user, "room.update", f"room:{room}", name=name, seats=seats,
                 **({} if networks is None else {"networks": networks}))
    return JSONResponse({"ok": True, **({} if networks is None else {"networks": networks})})


async def create_display(request: Request) -> Response:
    """The display account of a room (the projector logs in with it). The
    password is made by the server and answered once."""
    user = await _admin(request)
    room = path_id(request, "room_id")
    if not await request.app.state.admin.room_of_body(user.body_id, room):
        raise NotFound("Không có phòng họp này trong cơ quan.", "No such room in this body.")
    fields = Fields(await read_json(request))
    username = check_username(fields.text("username", limit=1000))
    full_name = fields.text("full_name", limit=200)
    password = make_password(username=username, full_name=full_name)
    check_password(password, username=username, full_name=full_name)
    try:
        new_id = await request.app.state.accounts.create_user(
            user.body_id, username, full_name, password, room_id=room)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict("Tên đăng nhập đã có người dùng.", "Username taken.") from exc
    await record(request, user, "user.create", f"user:{new_id}", room=room, display=True,
                 password_made=True)
    return JSONResponse({"id": new_id, "password": password}, status_code=201)


# -- units of the body --------------------------------------------------------------------


_UNIT_TAKEN = ("Cơ quan đã có đơn vị mang tên này.", "The body has a unit of that name.")
_NO_UNIT = ("Không có đơn vị này trong cơ quan.", "No such unit in this body.")


async def list_units(request: Request) -> Response:
    user = await current_user(request)
    return JSONResponse({"units": await request.app.state.admin.units(user.body_id)})


async def add_unit(request: Request) -> Response:
    user = await _admin(request)
    name = Fields(await read_json(request)).text("name", limit=200)
    unit = await request.app.state.admin.add_unit(user.body_id, name)
    if unit is None:
        raise Conflict(*_UNIT_TAKEN)
    await record(request, user, "unit.add", f"unit:{unit}", name=name)
    return JSONResponse({"id": unit}, status_code=201)


async def rename_unit(request: Request) -> Response:
    """The unit's people follow the new name."""
    user = await _admin(request)
    unit = path_id(request, "unit_id")
    name = Fields(await read_json(request)).text("name", limit=200)
    try:
        old = await request.app.state.admin.rename_unit(user.body_id, unit, name)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(*_UNIT_TAKEN) from exc
    if old is None:
        raise NotFound(*_NO_UNIT)
    await record(request, user, "unit.rename", f"unit:{unit}", **{"from": old, "to": name})
    return JSONResponse({"ok": True})


async def remove_unit(request: Request) -> Response:
    """Only a unit nobody is in: its people would keep a unit the list no
    longer offers."""
    user = await _admin(request)
    unit = path_id(request, "unit_id")
    try:
        name = await request.app.state.admin.remove_unit(user.body_id, unit)
    except UnitInUse as exc:
        raise Conflict(f"Đơn vị còn {exc.people} người; chuyển họ sang đơn vị khác trước khi xóa.",
                       f"{exc.people} people are still in the unit; move them first.") from exc
    if name is None:
        raise NotFound(*_NO_UNIT)
    await record(request, user, "unit.remove", f"unit:{unit}", name=name)
    return JSONResponse({"ok": True})


# -- retention ----------------------------------------------------------------------------


async def retention(request: Request) -> Response:
    """Read-only: what `phonghop retention` lists, for the caller's body. The
    records office decides on disposal; nothing is deleted here."""
    user = await _admin(request)
    return JSONResponse({"meetings": await request.app.state.admin.past_retention(user.body_id)})
