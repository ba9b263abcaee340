"""Creating a body in the browser (`/api/bodies`).

There is no provincial super-admin who reads every body: admins administer
one body (docs/security.md). A *site admin* (`users.is_site_admin`, set only
by the operator: `phonghop create-user --site-admin`) may list the bodies of
the installation and create one with its first admin, whose password the
server makes and answers once. From then on that admin runs the new body;
the site admin sees none of its people or meetings.
"""

from __future__ import annotations

import re

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain.password_maker import make_password
from collab_server.domain.passwords import check_password
from collab_server.domain.usernames import check_username
from collab_server.errors import BadRequest, Conflict, Forbidden
from collab_server.storage.accounts import User
from collab_server.storage.bodies import PgBodies
from collab_server.transport.auth import current_user
from collab_server.transport.http import Fields, read_json, record
from collab_server.transport.responses import JSONResponse

# A short code of the body ("so-tai-chinh"), as the operator's tools name it.
_CODE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?")


async def _site_admin(request: Request) -> User:
    user = await current_user(request)
    if not user.is_site_admin:
        raise Forbidden("Chỉ quản trị hệ thống được tạo cơ quan.",
                        "Only the site admin creates bodies.")
    return user


async def list_bodies(request: Request) -> Response:
    await _site_admin(request)
    return JSONResponse({"bodies": await PgBodies(request.app.state.pool).list()})


async def create_body(request: Request) -> Response:
    user = await _site_admin(request)
    fields = Fields(await read_json(request))
    code = fields.text("code", limit=100).lower()
    if not _CODE.fullmatch(code):
        raise BadRequest("Mã cơ quan chỉ gồm chữ thường không dấu, chữ số và dấu -,"
                         " tối đa 50 ký tự (ví dụ: so-tai-chinh).",
                         "A body's code has lowercase letters a-z, digits and -, at most 50"
                         " (e.g. so-tai-chinh).")
    name = fields.text("name", limit=300)
    place = fields.text("place", limit=100, required=False, empty=True)
    admin_username = check_username(fields.text("admin_username", limit=1000))
    admin_full_name = fields.text("admin_full_name", limit=200)
    admin_title = fields.text("admin_title", limit=200, required=False, empty=True)
    password = make_password(username=admin_username, full_name=admin_full_name)
    check_password(password, username=admin_username, full_name=admin_full_name)
    try:
        body, admin = await PgBodies(request.app.state.pool).create(
            code=code, name=name, place=place, admin_username=admin_username,
            admin_full_name=admin_full_name, admin_title=admin_title, password=password)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "bodies_code_key":
            raise Conflict("Đã có cơ quan mang mã này.", "A body has that code.") from exc
        raise Conflict("Tên đăng nhập đã có người dùng.", "Username taken.") from exc
    await record(request, user, "body.create", f"body:{body}", code=code, name=name,
                 admin=admin)
    await record(request, user, "user.create", f"user:{admin}", body=body, is_admin=True,
                 password_made=True)
    return JSONResponse({"id": body, "admin": {"id": admin, "username": admin_username,
                                               "password": password}}, status_code=201)
