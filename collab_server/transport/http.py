"""Reading requests: the caller, the meeting they act on, and JSON fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from starlette.requests import Request

from collab_server.documents.names import without_bidi_controls
from collab_server.domain.access import MeetingAccess
from collab_server.errors import BadJson, BadRequest, Forbidden, NotFound, TooLarge
from collab_server.storage.accounts import User, audit
from collab_server.transport.auth import client_ip, current_user

MAX_JSON_BODY = 256 * 1024


async def read_json(request: Request) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise TooLarge()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadJson() from exc
    if not isinstance(data, dict):
        raise BadJson("Nội dung phải là một đối tượng JSON.", "The body must be a JSON object.")
    return data


def path_id(request: Request, name: str) -> int:
    raw = str(request.path_params[name])
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound()
    return int(raw)


async def meeting_access(request: Request, user: User, meeting_id: int) -> MeetingAccess:
    """The caller's access to a meeting. Someone who takes no part gets 403 whether
    or not it exists, so ids reveal nothing."""
    access: MeetingAccess | None = await request.app.state.meetings.access(meeting_id, user.id)
    if access is None or not access.can_view:
        raise Forbidden("Bạn không tham dự cuộc họp này.", "You take no part in this meeting.")
    return access


async def caller_and_meeting(request: Request) -> tuple[User, MeetingAccess]:
    user = await current_user(request)
    return user, await meeting_access(request, user, path_id(request, "meeting_id"))


async def record(request: Request, actor: User | None, action: str, target: str, /,
                 **details: Any) -> None:
    """Write to the audit log what the caller did."""
    await audit(request.app.state.pool, actor.id if actor else None, action, target,
                ip=client_ip(request), details=details)


class Fields:
    """Typed access to a JSON object, with errors that name the field."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        return name in self.data

    def _bad(self, name: str, vi: str, en: str) -> BadRequest:
        return BadRequest(f"Trường '{name}' {vi}.", f"Field '{name}' {en}.")

    def text(self, name: str, *, limit: int = 500, required: bool = True,
             empty: bool = False) -> str:
        value = self.data.get(name)
        if value is None and not required:
            return ""
        if isinstance(value, str) and "\x00" in value:
            raise self._bad(name, "chứa ký tự không hợp lệ (NUL)", "holds a NUL character")
        if isinstance(value, str):
            value = without_bidi_controls(value)
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self._bad(name, "phải là chuỗi không rỗng", "must be a non-empty string")
        if len(value) > limit:
            raise self._bad(name, f"dài quá {limit} ký tự", f"is longer than {limit}")
        return value.strip()

    def integer(self, name: str, *, minimum: int = 0, maximum: int = 2**62,
                required: bool = True) -> int | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not \
                minimum <= value <= maximum:
            raise self._bad(name, f"phải là số nguyên từ {minimum}", f"must be an integer >= "
                                                                    f"{minimum}")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self._bad(name, "phải là true hoặc false", "must be true or false")
        return value

    def choice(self, name: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = self.data.get(name, default)
        if value not in options:
            raise self._bad(name, f"phải là một trong: {', '.join(options)}",
                            f"must be one of: {', '.join(options)}")
        assert isinstance(value, str)
        return value

    def moment(self, name: str, *, required: bool = True) -> datetime | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise self._bad(name, "phải là thời điểm ISO 8601 có múi giờ",
                            "must be an ISO 8601 time with offset") from exc
        if parsed.tzinfo is None:
            raise self._bad(name, "phải có múi giờ (ví dụ +07:00)", "needs a UTC offset")
        return parsed

    def day(self, name: str) -> date:
        try:
            return date.fromisoformat(str(self.data.get(name)))
        except ValueError as exc:
            raise self._bad(name, "phải là ngày YYYY-MM-DD", "must be a date YYYY-MM-DD") from exc

    def id_list(self, name: str) -> list[int]:
        value = self.data.get(name)
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise self._bad(name, "phải là danh sách mã số", "must be a list of ids")
        return list(value)
