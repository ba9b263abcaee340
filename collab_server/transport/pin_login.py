"""A person's PIN (set on the account screen with the password) and signing
in with it on a laptop registered to a room. What the PIN may open, and
why it is stored as it is: domain/pin.py."""

from __future__ import annotations

import math
import secrets
from typing import Any, NoReturn

from starlette.requests import Request
from starlette.responses import Response

from collab_server.domain import pin as pins
from collab_server.errors import BadRequest, Forbidden, Unauthorized, WrongPassword
from collab_server.storage.accounts import Accounts, User
from collab_server.storage.login_throttle import LoginThrottle
from collab_server.storage.pins import Outcome, PgPins
from collab_server.storage.room_devices import PgRoomDevices
from collab_server.transport.account import DEVICE_COOKIE, DEVICE_MAX_AGE, _device, _slow_down
from collab_server.transport.auth import COOKIE, client_ip, current_user
from collab_server.transport.http import Fields, read_json, record
from collab_server.transport.responses import JSONResponse
from collab_server.transport.room_devices import inside, this_device


class NotRoomDevice(Forbidden):
    code = "not_room_device"
    default_vi = ("Máy này chưa được đăng ký là máy của phòng họp (hoặc đã bị thu hồi); "
                  "vui lòng đăng nhập bằng mật khẩu.")
    default_en = ("This laptop is not (or no longer) registered to a meeting room; "
                  "sign in with your password.")


class OutsideRoomNetwork(Forbidden):
    code = "outside_room_network"
    default_vi = ("Máy không ở trong mạng của phòng họp nên không đăng nhập bằng mã PIN được; "
                  "vui lòng đăng nhập bằng mật khẩu.")
    default_en = "This laptop is outside the room's network; sign in with your password."


class NotInRoomToday(Forbidden):
    code = "not_in_room_today"
    default_vi = ("Bạn không có cuộc họp nào hôm nay tại phòng này nên không đăng nhập bằng mã "
                  "PIN được; vui lòng đăng nhập bằng mật khẩu.")
    default_en = ("You have no meeting in this room today; sign in with your password.")


class NoPin(Forbidden):
    code = "no_pin"
    default_vi = ("Bạn chưa đặt mã PIN; vui lòng đăng nhập bằng mật khẩu (đặt mã PIN ở mục "
                  "Tài khoản).")
    default_en = "You have no PIN; sign in with your password (set one under Account)."


class PinLocked(Forbidden):
    code = "pin_locked"
    default_vi = (f"Mã PIN đã bị khóa vì nhập sai {pins.MAX_FAILURES} lần liên tiếp; vui lòng "
                  "đăng nhập bằng mật khẩu để mở lại.")
    default_en = (f"The PIN is locked after {pins.MAX_FAILURES} wrong tries; sign in with "
                  "your password to unlock it.")


class WrongPin(Unauthorized):
    code = "wrong_pin"


def _pins(request: Request) -> PgPins:
    repo: PgPins = request.app.state.pins
    return repo


# -- the account screen -------------------------------------------------------------------


async def pin_status(request: Request) -> Response:
    user = await current_user(request)
    return JSONResponse(await _pins(request).status(user.id))


async def set_pin(request: Request) -> Response:
    """PUT /api/me/pin {current_password, pin}: the password first, as for a
    new password, so a session left open on a laptop cannot give itself a PIN."""
    user = await current_user(request)
    fields = Fields(await read_json(request))
    current = fields.data.get("current_password")
    if not isinstance(current, str) or not current or len(current) > 1000:
        raise BadRequest("Vui lòng nhập mật khẩu hiện tại.", "The current password is needed.")
    pin = pins.check_pin(fields.data.get("pin"))
    pool = request.app.state.pool
    ip = client_ip(request)
    throttle = LoginThrottle(pool)
    verdict = await throttle.attempt(user.username, ip, _device(request))
    if verdict.wait_s > 0:
        return await _slow_down(request, verdict.wait_s)
    accounts: Accounts = request.app.state.accounts
    if not await accounts.check_password(user.id, current):
        await record(request, user, "pin.set_failed", f"user:{user.id}")
        raise WrongPassword()
    await throttle.forgive(user.username, verdict)
    replaced = await _pins(request).set(user.id, pin)
    await record(request, user, "pin.change" if replaced else "pin.set", f"user:{user.id}")
    return JSONResponse({"ok": True, **await _pins(request).status(user.id)})


async def remove_pin(request: Request) -> Response:
    """Taking one's PIN away asks for nothing more: it only closes a door."""
    user = await current_user(request)
    if await _pins(request).remove(user.id):
        await record(request, user, "pin.remove", f"user:{user.id}")
    return JSONResponse({"ok": True, "set": False})


# -- signing in on a room's laptop ----------------------------------------------------------


def _who(data: dict[str, Any]) -> tuple[int | None, str | None]:
    user_id, username = data.get("user_id"), data.get("username")
    if isinstance(user_id, int) and not isinstance(user_id, bool) and 0 < user_id < 2**62 \
            and username is None:
        return user_id, None
    if isinstance(username, str) and 0 < len(username.strip()) <= 100 and user_id is None:
        return None, username.strip()
    raise BadRequest("Vui lòng chọn tên của mình (hoặc nhập tên đăng nhập).",
                     "Give either 'user_id' or 'username'.")


async def pin_login(request: Request) -> Response:
    """POST /api/login/pin {user_id | username, pin}. Checked in this order:
    the laptop, its network, the throttle, the person's meeting in the room
    today, the PIN. Each refusal says which, in Vietnamese, and is audited."""
    data = await read_json(request)
    user_id, username = _who(data)
    pin = data.get("pin")
    if not pins.well_formed(pin):
        raise BadRequest(f"Mã PIN gồm {pins.LENGTH} chữ số.", f"A PIN is {pins.LENGTH} digits.")
    assert isinstance(pin, str)
    pool = request.app.state.pool
    ip = client_ip(request)
    asked = f"user:{user_id}" if user_id is not None else f"username:{username}"
    device = await this_device(request)
    if device is None:
        await record(request, None, "login.pin_refused", asked, reason="not_room_device")
        raise NotRoomDevice()
    where = {"room": device.room_id, "device": device.id}
    if not inside(request, device):
        await record(request, None, "login.pin_refused", asked, reason="outside_network",
                     **where)
        raise OutsideRoomNetwork()
    devices: PgRoomDevices = request.app.state.room_devices
    person, invited = await devices.person(device.room_id, user_id=user_id, username=username)
    # The throttle counts by login name, whoever the laptop names.
    name = person.username if person is not None else (username or asked)
    throttle = LoginThrottle(pool)
    browser = _device(request)
    verdict = await throttle.attempt(name, ip, browser)
    if verdict.wait_s > 0:
        await record(request, None, "login.throttled", f"username:{name[:100]}", method="pin",
                     bucket=verdict.bucket, wait_s=math.ceil(verdict.wait_s))
        return await _slow_down(request, verdict.wait_s)
    if person is None or not invited:
        await record(request, None, "login.pin_refused", asked, reason="not_in_room_today",
                     **where)
        raise NotInRoomToday()
    check = await _pins(request).check(person.id, pin, device.id)
    if check.outcome is not Outcome.OK:
        await _refuse(request, person, check.outcome, check.left, where)
    await throttle.succeeded(person.id, person.username, verdict,
                             browser := browser or secrets.token_urlsafe(24))
    return await _signed_in(request, person, browser, where)


async def _refuse(request: Request, person: User, outcome: Outcome, left: int,
                  where: dict[str, int]) -> NoReturn:
    target = f"user:{person.id}"
    if outcome is Outcome.NONE:
        await record(request, None, "login.pin_refused", target, reason="no_pin", **where)
        raise NoPin()
    if outcome is Outcome.LOCKED:
        await record(request, None, "login.pin_refused", target, reason="pin_locked", **where)
        raise PinLocked()
    await record(request, None, "login.pin_failed", target, left=left, **where)
    if outcome is Outcome.LOCKED_NOW:
        await record(request, None, "pin.locked", target, failures=pins.MAX_FAILURES, **where)
        raise PinLocked(
            f"Mã PIN sai {pins.MAX_FAILURES} lần liên tiếp nên đã bị khóa; vui lòng đăng nhập "
            "bằng mật khẩu để mở lại.",
            f"{pins.MAX_FAILURES} wrong PINs in a row: the PIN is locked; sign in with your "
            "password to unlock it.")
    raise WrongPin(f"Mã PIN không đúng; còn {left} lần thử trước khi mã PIN bị khóa.",
                   f"Wrong PIN; {left} tries left before it is locked.")


async def _signed_in(request: Request, user: User, browser: str,
                     where: dict[str, int]) -> Response:
    """The ordinary session, as a password login gives it (transport/account.py)."""
    accounts: Accounts = request.app.state.accounts
    token = await accounts.open_session(user.id, request.headers.get("user-agent", ""))
    await record(request, user, "login", f"user:{user.id}", method="pin", **where)
    response = JSONResponse({"user": user.to_json(), "token": token})
    secure = request.app.state.settings.secure_cookies
    response.set_cookie(COOKIE, token, max_age=int(accounts.session_ttl.total_seconds()),
                        httponly=True, samesite="lax", secure=secure, path="/")
    response.set_cookie(DEVICE_COOKIE, browser, max_age=DEVICE_MAX_AGE, httponly=True,
                        samesite="strict", secure=secure, path="/api/login")
    return response
