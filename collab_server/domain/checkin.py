"""When and how a person is checked in: the session window and room codes.

Opening the meeting page checks nobody in. A person checks in during the
session window (from `WINDOW_MIN` minutes before the start, and while the
meeting is in session), by pressing "Điểm danh", by opening a room code (the
QR code on the secretary's console or the door), or is marked by the
secretary.

A room code is a short-lived link signed with a key the server keeps out of
the database. It names the meeting, an expiry, and optionally one person
(a code made for one seat's laptop). Opening it checks in the person logged
in on that browser, never anyone named in the link: a forwarded room code
checks in only whoever opens it, and only until it expires; a personal code
opened by someone else is refused. A room code lives about half a minute and
the screen shows a new one every ten seconds; where the room has networks, it
checks in only from inside them (domain/room_networks.py). Pure: no I/O, the
key is passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from collab_server.domain.calendar import LOCAL_TZ
from collab_server.errors import BadCheckinCode

# Check-in (and opening the session without confirmation) starts this many
# minutes before the meeting's start.
WINDOW_MIN = 60
WINDOW_MS = WINDOW_MIN * 60 * 1000
# A room code shown on a screen is replaced every few seconds and dies soon
# after: a photo of it sent by chat is stale before most people read it. (Bound
# to the room's networks, it checks in nobody elsewhere even while fresh:
# domain/room_networks.py.) The life leaves room for a phone that scans a code
# just before it changes, over a slow wifi, and for the clocks of two servers.
CODE_TTL_S = 30
CODE_REFRESH_S = 10
# A code made by the secretary for one person's laptop lives a little longer.
PERSONAL_TTL_S = 600
KEY_NAME = "checkin"


def starts_ms(starts_at: object) -> int | None:
    """The meeting's start (ISO text in the room) in ms since the epoch."""
    if not isinstance(starts_at, str) or not starts_at:
        return None
    try:
        moment = datetime.fromisoformat(starts_at)
    except ValueError:
        return None
    if moment.tzinfo is None:  # as people in the room read it (domain/calendar.py)
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return int(moment.timestamp() * 1000)


def window_opens(starts_at: object) -> int | None:
    start = starts_ms(starts_at)
    return None if start is None else start - WINDOW_MS


def early(starts_at: object, now_ms: int) -> bool:
    """Before the session window: too early to check in or to open unasked."""
    opens = window_opens(starts_at)
    return opens is not None and now_ms < opens


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(key: bytes, meeting_id: int, user_id: int | None, expires_ms: int) -> str:
    """`<meeting>.<user or 0>.<expiry ms>.<mac>`: short enough for a small QR code."""
    body = f"{meeting_id}.{user_id or 0}.{expires_ms}"
    return f"{body}.{_mac(key, body)}"


def verify(key: bytes, code: str, meeting_id: int, user_id: int, now_ms: int) -> int | None:
    """Raises unless `code` is a valid, unexpired code of this meeting that
    `user_id` may use. Returns the person a personal code was made for, None
    for the room's code."""
    parts = code.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        raise BadCheckinCode("Mã điểm danh không hợp lệ.", "Not a check-in code.")
    body = ".".join(parts[:3])
    if not hmac.compare_digest(_mac(key, body), parts[3]) or int(parts[0]) != meeting_id:
        raise BadCheckinCode("Mã điểm danh không hợp lệ hoặc không thuộc cuộc họp này.",
                             "Not a check-in code of this meeting.")
    if int(parts[2]) < now_ms:
        raise BadCheckinCode(
            "Mã điểm danh đã hết hạn; hãy quét lại mã đang hiển thị trong phòng họp.",
            "The check-in code has expired; scan the one shown in the room.")
    owner = int(parts[1])
    if owner and owner != user_id:
        raise BadCheckinCode("Mã điểm danh này dành cho người khác; bạn không điểm danh hộ được.",
                             "This check-in code belongs to someone else.")
    return owner or None
