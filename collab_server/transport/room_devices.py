"""Laptops registered to a room (domain/pin.py): the body's admin registers
the laptop they are using, lists and revokes the room's devices; the login
screen asks what this laptop is and whom it offers to sign in.

The device's token lives in an HttpOnly cookie, sent only to `/api`: the
page's scripts never read it, and a logout (which clears the session cookie
and the site's storage) leaves it, so the laptop stays the room's.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from collab_server.domain import room_networks
from collab_server.errors import NotFound
from collab_server.storage.room_devices import PgRoomDevices, RoomDevice, token_hash
from collab_server.transport.admin import _admin
from collab_server.transport.auth import client_ip
from collab_server.transport.http import Fields, path_id, read_json, record
from collab_server.transport.responses import JSONResponse

ROOM_COOKIE = "phonghop_room"
ROOM_COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
_NO_ROOM = ("Không có phòng họp này trong cơ quan.", "No such room in this body.")


def room_token(conn: HTTPConnection) -> str | None:
    value = conn.cookies.get(ROOM_COOKIE, "")
    if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value
    return None


async def this_device(conn: HTTPConnection) -> RoomDevice | None:
    token = room_token(conn)
    if token is None:
        return None
    devices: PgRoomDevices = conn.app.state.room_devices
    return await devices.device(token)


def inside(conn: HTTPConnection, device: RoomDevice) -> bool:
    """Whether the caller is on the room's networks (or the room has none)."""
    return not device.networks or room_networks.within(client_ip(conn), device.networks)


async def register(request: Request) -> Response:
    """POST /api/rooms/{room_id}/devices: this browser becomes a device of the
    room; a token it held before (another room's, say) is revoked."""
    user = await _admin(request)
    room = path_id(request, "room_id")
    name = Fields(await read_json(request)).text("name", limit=100)
    devices: PgRoomDevices = request.app.state.room_devices
    done = await devices.register(user.body_id, room, name, user.id, room_token(request))
    if done is None:
        raise NotFound(*_NO_ROOM)
    device, token = done
    await record(request, user, "room_device.register", f"room:{room}", device=device,
                 name=name)
    response = JSONResponse({"id": device, "name": name, "room_id": room}, status_code=201)
    response.set_cookie(ROOM_COOKIE, token, max_age=ROOM_COOKIE_MAX_AGE, httponly=True,
                        samesite="strict", secure=request.app.state.settings.secure_cookies,
                        path="/api")
    return response


async def list_devices(request: Request) -> Response:
    user = await _admin(request)
    room = path_id(request, "room_id")
    devices: PgRoomDevices = request.app.state.room_devices
    rows = await devices.of_room(user.body_id, room)
    if rows is None:
        raise NotFound(*_NO_ROOM)
    token = room_token(request)
    mine = token_hash(token) if token else None
    return JSONResponse({"devices": [{**{k: v for k, v in row.items() if k != "hash"},
                                      "this": row["hash"] == mine} for row in rows]})


async def revoke(request: Request) -> Response:
    """The laptop no longer signs anyone in with a PIN; sessions already open
    on it are ordinary sessions and stay (end them per person if needed)."""
    user = await _admin(request)
    room = path_id(request, "room_id")
    device = path_id(request, "device_id")
    devices: PgRoomDevices = request.app.state.room_devices
    name = await devices.revoke(user.body_id, room, device, user.id)
    if name is None:
        raise NotFound("Không có máy này trong phòng họp.", "No such device in this room.")
    await record(request, user, "room_device.revoke", f"room:{room}", device=device, name=name)
    return JSONResponse({"ok": True})


async def status(request: Request) -> Response:
    """GET /api/room-device, asked by the login screen without a session:
    whether this laptop is a device of a room and, if it is and on the room's
    networks, the people of today's meetings there (names only)."""
    device = await this_device(request)
    if device is None:
        return JSONResponse({"device": None})
    here = inside(request, device)
    devices: PgRoomDevices = request.app.state.room_devices
    people = await devices.people_today(device.room_id) if here else []
    return JSONResponse({"device": {"id": device.id, "name": device.name,
                                    "room": device.room_name, "inside": here},
                         "people": people})
