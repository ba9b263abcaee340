"""Notifications over HTTP: a person's own channels (`/api/me/notifications`),
a body admin's view of the outbox of their own body's people, and the hooks
the meeting routes hand to storage so a notification commits with its change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from collab_server.errors import BadRequest, Conflict, Forbidden, NotFound
from collab_server.notify import meetings as told
from collab_server.notify import opinions, preferences, queue
from collab_server.notify.preferences import Preferences
from collab_server.notify.worker import Delivery
from collab_server.storage.accounts import User
from collab_server.storage.also import InTransaction
from collab_server.transport.auth import current_user
from collab_server.transport.http import Fields, path_id, read_json, record
from collab_server.transport.responses import JSONResponse

# -- hooks for the meeting routes ---------------------------------------------------------------


def site(request: Request) -> told.Site:
    settings = request.app.state.settings
    delivery: Delivery = request.app.state.delivery
    sender = delivery.config.smtp.sender if delivery.config.smtp else settings.mail_from
    return told.Site(settings.public_url, sender)


def wake(request: Request) -> None:
    """After the change committed: the worker looks now rather than at its next poll."""
    request.app.state.delivery.wake()


def on_invited(request: Request, meeting_id: int) -> InTransaction:
    here = site(request)
    return lambda conn: told.invitations_sent(conn, here, meeting_id)


def on_recalled(meeting_id: int) -> InTransaction:
    return lambda conn: told.invitations_recalled(conn, meeting_id)


def on_meeting_saved(request: Request, meeting_id: int) -> InTransaction:
    here = site(request)
    return lambda conn: told.meeting_changed(conn, here, meeting_id)


def on_person_added(request: Request, meeting_id: int, user_id: int) -> InTransaction:
    here = site(request)
    return lambda conn: told.participant_added(conn, here, meeting_id, user_id)


def on_person_removed(request: Request, meeting_id: int, user_id: int) -> InTransaction:
    here = site(request)
    return lambda conn: told.participant_removed(conn, here, meeting_id, user_id)


def on_opinion_sent(request: Request, request_id: int,
                    reminders: list[datetime]) -> InTransaction:
    here = site(request)
    return lambda conn: opinions.request_sent(conn, here, request_id, reminders)


def on_opinion_answered(request_id: int, user_id: int) -> InTransaction:
    return lambda conn: opinions.answered(conn, request_id, user_id)


def on_opinion_closed(request_id: int) -> InTransaction:
    return lambda conn: opinions.closed(conn, request_id)


def on_document_added(request: Request, meeting_id: int, *, title: str,
                      public: bool) -> Callable[[int], InTransaction]:
    here = site(request)

    def hook(document_id: int) -> InTransaction:
        return lambda conn: told.document_added(conn, here, meeting_id, document_id,
                                                title=title, public=public)
    return hook


# -- a person's own channels --------------------------------------------------------------------


async def _me(request: Request) -> User:
    user = await current_user(request)
    room = await request.app.state.pool.fetchval("SELECT room_id FROM users WHERE id = $1",
                                                 user.id)
    if room is not None:
        raise Forbidden("Tài khoản màn hình không nhận thông báo.",
                        "A display account receives no notifications.")
    return user


def _answer(request: Request, prefs: Preferences) -> Response:
    delivery: Delivery = request.app.state.delivery
    return JSONResponse({"settings": prefs.to_json(), "channels": delivery.config.channels()})


async def my_settings(request: Request) -> Response:
    """`GET /api/me/notifications`: the caller's channels and addresses, and
    which channels this server can send on."""
    user = await _me(request)
    return _answer(request, await preferences.get(request.app.state.pool, user.id))


async def save_my_settings(request: Request) -> Response:
    """`PUT /api/me/notifications`: every field optional; what is left out stays."""
    user = await _me(request)
    return await _save(request, user, user.id)


async def _person_of_my_body(request: Request) -> tuple[User, int]:
    """A body's admin sets their own people's addresses (most have them on
    file); another body's person, or a display account, reads as missing."""
    user = await _admin_of_people(request)
    target = path_id(request, "user_id")
    row = await request.app.state.pool.fetchrow(
        "SELECT body_id, room_id FROM users WHERE id = $1", target)
    if row is None or row["body_id"] != user.body_id or row["room_id"] is not None:
        raise NotFound("Không có người dùng này trong cơ quan.", "No such user in this body.")
    return user, target


async def person_settings(request: Request) -> Response:
    """`GET /api/users/{id}/notifications`: a person's channels, for their body's admin."""
    _, target = await _person_of_my_body(request)
    return _answer(request, await preferences.get(request.app.state.pool, target))


async def save_person_settings(request: Request) -> Response:
    """`PUT /api/users/{id}/notifications`: as the person would; audited as the admin's."""
    user, target = await _person_of_my_body(request)
    return await _save(request, user, target)


async def _save(request: Request, user: User, target: int) -> Response:
    fields = Fields(await read_json(request))
    pool = request.app.state.pool
    old = await preferences.get(pool, target)
    email, phone = old.email, old.phone
    if fields.has("email"):
        email_in = fields.text("email", limit=254, required=False, empty=True)
        cleaned = preferences.clean_email(email_in)
        if cleaned is None:
            raise BadRequest("Địa chỉ thư điện tử không hợp lệ.", "Not an e-mail address.")
        email = cleaned
    if fields.has("phone"):
        phone_in = fields.text("phone", limit=30, required=False, empty=True)
        cleaned = preferences.clean_phone(phone_in)
        if cleaned is None:
            raise BadRequest("Số điện thoại không hợp lệ (9 đến 15 chữ số, có thể bắt đầu"
                             " bằng +).", "Not a phone number (9 to 15 digits, an optional +).")
        phone = cleaned
    new = Preferences(
        email=email, phone=phone,
        by_email=fields.boolean("by_email", old.by_email),
        by_gateway=fields.boolean("by_gateway", old.by_gateway))
    if new.by_gateway and not new.phone:
        raise BadRequest("Cần số điện thoại để nhận tin nhắn.",
                         "A phone number is needed for text messages.")
    await preferences.save(pool, target, new)
    # Addresses are personal data: the log says what changed, not to what.
    await record(request, user, "notification.settings", f"user:{target}",
                 by_email=new.by_email, by_gateway=new.by_gateway,
                 email_changed=new.email != old.email, phone_changed=new.phone != old.phone)
    return _answer(request, new)


# -- the outbox, for a body's admin -------------------------------------------------------------


async def _admin(request: Request) -> User:
    user = await current_user(request)
    if not user.is_admin:
        raise Forbidden("Chỉ quản trị cơ quan xem được hàng đợi thông báo.",
                        "Only a body's admins see the notification outbox.")
    return user


async def _admin_of_people(request: Request) -> User:
    user = await current_user(request)
    if not user.is_admin:
        raise Forbidden("Chỉ quản trị cơ quan đặt địa chỉ nhận thông báo của người khác.",
                        "Only a body's admins set another person's addresses.")
    return user


async def outbox(request: Request) -> Response:
    """`GET /api/notifications?state=pending|failed|sent|cancelled`: the newest
    200 notifications of the admin's own body's people, and counts by state.
    Subjects and states only: never an address or a message's text."""
    user = await _admin(request)
    state = request.query_params.get("state") or None
    if state is not None and state not in queue.STATES:
        raise BadRequest(f"Trạng thái phải là một trong: {', '.join(queue.STATES)}.",
                         f"state must be one of: {', '.join(queue.STATES)}.")
    return JSONResponse(await queue.of_body(request.app.state.pool, user.body_id, state))


async def retry(request: Request) -> Response:
    """`POST /api/notifications/{id}/retry`: a failed or waiting notification
    of the admin's own body is due again now."""
    user = await _admin(request)
    notification_id = path_id(request, "notification_id")
    before = await queue.retry_now(request.app.state.pool, user.body_id, notification_id)
    if before is None:
        raise NotFound("Không có thông báo này.", "No such notification.")
    if before in ("sent", "cancelled", "sending"):
        raise Conflict({"sent": "Thông báo này đã được gửi.",
                        "cancelled": "Thông báo này đã được hủy.",
                        "sending": "Thông báo này đang được gửi."}[before],
                       f"This notification is {before}.")
    await record(request, user, "notification.retry", f"notification:{notification_id}",
                 state=before)
    wake(request)
    return JSONResponse({"ok": True, "state": "pending"})
