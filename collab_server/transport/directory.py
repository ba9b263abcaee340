"""A body's people, rooms and holidays, managed by its admins."""

from __future__ import annotations

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain.password_maker import make_password
from collab_server.domain.passwords import check_password
from collab_server.domain.usernames import check_username
from collab_server.errors import BadRequest, Conflict, Forbidden, NotFound
from collab_server.storage.accounts import User
from collab_server.storage.directory import LastAdmin
from collab_server.transport.auth import current_user
from collab_server.transport.http import Fields, path_id, read_json, record
from collab_server.transport.responses import JSONResponse


def _require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("Chỉ quản trị của cơ quan được thực hiện.", "Body admins only.")


# What only the admins of the person's own body see: the login name and body roles.
_ADMIN_ONLY = ("username", "is_admin", "can_prepare", "is_active", "room_id")


def check_not_site_admin(user: User, person: dict[str, object]) -> None:
    """A site admin's account is the operator's (`phonghop create-user
    --site-admin`): a body admin of the same body neither resets its password
    nor changes or locks it; another site admin may."""
    if person.get("is_site_admin") and not user.is_site_admin:
        raise Forbidden("Tài khoản quản trị hệ thống do người vận hành quản lý; quản trị cơ quan"
                        " không đổi được.",
                        "A site admin's account is the operator's; a body admin cannot"
                        " change it.")


async def list_users(request: Request) -> Response:
    """The directory used to invite people: preparers and admins see the people
    of their own body and of the meetings they take part in; never another
    body's whole list. Others see nobody."""
    user = await current_user(request)
    if not (user.is_admin or user.can_prepare):
        raise Forbidden()
    query = request.query_params.get("q", "")[:100]
    inactive = request.query_params.get("inactive") == "1"
    if inactive:
        _require_admin(user)
    rows = await request.app.state.directory.users(
        user.id, user.body_id, query, own_body_only=request.query_params.get("body") == "mine",
        inactive=inactive)
    for row in rows:
        if not (user.is_admin and row["body_id"] == user.body_id):
            for name in _ADMIN_ONLY:
                row.pop(name, None)
    return JSONResponse({"users": rows})


async def create_user(request: Request) -> Response:
    """Without a `password` the server makes one and answers it, once: the
    admin hands it over and the person changes it."""
    user = await current_user(request)
    _require_admin(user)
    fields = Fields(await read_json(request))
    username = check_username(fields.text("username", limit=1000))
    full_name = fields.text("full_name", limit=200)
    made = not fields.has("password")
    password = (make_password(username=username, full_name=full_name) if made
                else fields.text("password", limit=1000))
    check_password(password, username=username, full_name=full_name)
    try:
        new_id = await request.app.state.accounts.create_user(
            user.body_id,
            username,
            full_name,
            password,
            title=fields.text("title", limit=200, required=False, empty=True),
            unit=fields.text("unit", limit=200, required=False, empty=True),
            is_admin=fields.boolean("is_admin"),
            can_prepare=fields.boolean("can_prepare"),
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict("Tên đăng nhập đã có người dùng.", "Username taken.") from exc
    await record(request, user, "user.create", f"user:{new_id}", password_made=made)
    return JSONResponse({"id": new_id, **({"password": password} if made else {})},
                        status_code=201)


async def update_user(request: Request) -> Response:
    """A user of the admin's own body, deactivated ones included (to take them
    back). A new `password` is a reset: the policy applies and every session
    of the person ends."""
    user = await current_user(request)
    _require_admin(user)
    target = path_id(request, "user_id")
    person = await request.app.state.directory.person(target)
    if person is None or person["body_id"] != user.body_id:
        raise NotFound("Không có người dùng này trong cơ quan.", "No such user in this body.")
    check_not_site_admin(user, person)
    fields = Fields(await read_json(request))
    if fields.has("is_site_admin"):
        raise BadRequest("Quyền quản trị hệ thống chỉ do người vận hành cấp"
                         " (phonghop create-user --site-admin).",
                         "Only the operator names a site admin (phonghop create-user"
                         " --site-admin).")
    changes: dict[str, object] = {}
    for name in ("full_name", "title", "unit"):
        if fields.has(name):
            changes[name] = fields.text(name, limit=200, empty=name != "full_name")
    for name in ("is_admin", "can_prepare", "is_active"):
        if fields.has(name):
            changes[name] = fields.boolean(name)
    if fields.has("room_id"):
        changes["room_id"] = await _display_room(request, user, person, fields)
    password = fields.text("password", limit=1000) if fields.has("password") else None
    if target == user.id and (changes.get("is_admin") is False or
                              changes.get("is_active") is False):
        raise Conflict("Không tự bỏ quyền quản trị của chính mình.",
                       "Admins cannot demote or disable themselves.")
    if target == user.id and password is not None:
        raise Conflict("Đổi mật khẩu của chính mình tại mục tài khoản, với mật khẩu hiện tại.",
                       "Change your own password with the current one (POST /api/me/password).")
    if password is not None:
        check_password(password, username=person["username"],
                       full_name=str(changes.get("full_name", person["full_name"])))
    try:
        await request.app.state.directory.update_user(target, changes)
    except LastAdmin as exc:
        raise Conflict("Cơ quan phải còn ít nhất một quản trị đang hoạt động.",
                       "The body must keep at least one active admin.") from exc
    if changes.get("is_active") is False or (
            changes.get("is_admin") is False and person["is_admin"]):
        # A disabled account keeps no open socket; nor does an admin who is no
        # longer one (a body admin reads draft minutes it may no longer read).
        await request.app.state.hub.revoke_user(target)
    await record(request, user, "user.update", f"user:{target}", fields=sorted(changes))
    if changes.get("is_active", person["is_active"]) != person["is_active"]:
        await record(request, user,
                     "user.reactivate" if changes["is_active"] else "user.deactivate",
                     f"user:{target}")
    if password is not None:
        ended = await request.app.state.accounts.set_password(target, password)
        await request.app.state.hub.revoke_user(target)  # open sockets too
        await record(request, user, "user.password_reset", f"user:{target}",
                     sessions_ended=ended)
    return JSONResponse({"ok": True})


async def _display_room(request: Request, user: User, person: dict[str, object],
                        fields: Fields) -> int:
    """The room a display account moves to: only display accounts carry a
    room, and only a room of the admin's body."""
    if person["room_id"] is None:
        raise Conflict("Chỉ tài khoản màn hình chiếu mới gắn với phòng họp.",
                       "Only display accounts belong to a room.")
    room = fields.integer("room_id", minimum=1)
    assert room is not None
    if not await request.app.state.admin.room_of_body(user.body_id, room):
        raise NotFound("Không có phòng họp này trong cơ quan.", "No such room in this body.")
    return room


# One name, one room of the body (schema/022): a meeting's form and the
# projector's account pick rooms by name.
ROOM_TAKEN = ("Cơ quan đã có phòng họp mang tên này.", "The body has a room of that name.")


async def list_rooms(request: Request) -> Response:
    user = await current_user(request)
    rooms = await request.app.state.directory.rooms(user.body_id)
    if not user.is_admin:  # a room's networks are the admin's business
        for room in rooms:
            room.pop("networks", None)
    return JSONResponse({"rooms": rooms})


async def create_room(request: Request) -> Response:
    user = await current_user(request)
    _require_admin(user)
    fields = Fields(await read_json(request))
    try:
        room = await request.app.state.directory.add_room(
            user.body_id, fields.text("name", limit=200),
            fields.integer("seats", minimum=0, maximum=10000, required=False) or 0)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(*ROOM_TAKEN) from exc
    await record(request, user, "room.create", f"room:{room}")
    return JSONResponse({"id": room}, status_code=201)


async def list_holidays(request: Request) -> Response:
    user = await current_user(request)
    return JSONResponse({"holidays": await request.app.state.directory.holidays(user.body_id)})


async def add_holiday(request: Request) -> Response:
    user = await current_user(request)
    _require_admin(user)
    fields = Fields(await read_json(request))
    day = fields.day("day")
    if not await request.app.state.directory.add_holiday(user.body_id, day,
                                                        fields.text("name", limit=200)):
        raise Conflict("Ngày nghỉ này đã có.", "This holiday exists.")
    await record(request, user, "holiday.add", f"body:{user.body_id}", day=day.isoformat())
    return JSONResponse({"ok": True}, status_code=201)


async def remove_holiday(request: Request) -> Response:
    user = await current_user(request)
    _require_admin(user)
    day = Fields({"day": request.path_params["day"]}).day("day")
    if not await request.app.state.directory.remove_holiday(user.body_id, day):
        raise NotFound("Không có ngày nghỉ này của cơ quan.", "No such holiday of this body.")
    await record(request, user, "holiday.remove", f"body:{user.body_id}", day=day.isoformat())
    return JSONResponse({"ok": True})


async def get_body(request: Request) -> Response:
    user = await current_user(request)
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, code, name, place, retention_years, allow_secret_distribution,"
            " short_name, signing_authority, head_title FROM bodies WHERE id = $1",
            user.body_id)
    return JSONResponse({"body": dict(row)})


async def update_body(request: Request) -> Response:
    """The body's policy. Electronic distribution of documents marked MẬT or
    above is off unless an admin turns it on, and the change is audited."""
    user = await current_user(request)
    _require_admin(user)
    fields = Fields(await read_json(request))
    name = fields.text("name", limit=300) if fields.has("name") else None
    place = fields.text("place", limit=100, empty=True) if fields.has("place") else None
    secret = (fields.boolean("allow_secret_distribution")
              if fields.has("allow_secret_distribution") else None)
    retention = fields.integer("retention_years", minimum=1, maximum=100, required=False)
    # How its documents are numbered and signed (domain/signing.py).
    form = {key: fields.text(key, limit=limit, empty=True) if fields.has(key) else None
            for key, limit in (("short_name", 30), ("signing_authority", 200),
                               ("head_title", 100))}
    async with request.app.state.pool.acquire() as conn:
        await conn.execute(
            "UPDATE bodies SET name = coalesce($2, name), place = coalesce($3, place),"
            " allow_secret_distribution = coalesce($4, allow_secret_distribution),"
            " retention_years = CASE WHEN $6 THEN $5 ELSE retention_years END,"
            " short_name = coalesce($7, short_name),"
            " signing_authority = coalesce($8, signing_authority),"
            " head_title = coalesce($9, head_title) WHERE id = $1",
            user.body_id, name, place, secret, retention, fields.has("retention_years"),
            form["short_name"], form["signing_authority"], form["head_title"])
    await record(request, user, "body.update", f"body:{user.body_id}", name=name, place=place,
                 allow_secret_distribution=secret, retention_years=retention,
                 **{k: v for k, v in form.items() if v is not None})
    return await get_body(request)
