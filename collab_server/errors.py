"""One small hierarchy for every error a caller can see.

Each error carries an HTTP status, a websocket close code and a stable
machine code; `transport.errors` turns it into a JSON body or a close frame.
Messages are Vietnamese first, English second.
"""

from __future__ import annotations

from typing import Any, ClassVar

from collab_server.status import Close


class AppError(Exception):
    status: ClassVar[int] = 400
    close_code: ClassVar[Close] = Close.BAD_REQUEST
    code: ClassVar[str] = "bad_request"
    default_vi: ClassVar[str] = "Yêu cầu không hợp lệ."
    default_en: ClassVar[str] = "Bad request."

    def __init__(self, message: str | None = None, message_en: str | None = None) -> None:
        self.message = message or self.default_vi
        self.message_en = message_en or (self.default_en if message is None else self.message)
        super().__init__(self.message_en)

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross back from worker processes by pickle, which rebuilds them
        # from `args` (the English text alone) unless told otherwise.
        return (type(self), (self.message, self.message_en))

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "message_en": self.message_en}


class BadRequest(AppError):
    pass


class BadJson(AppError):
    code = "bad_json"
    default_vi = "Dữ liệu gửi lên không phải JSON hợp lệ."
    default_en = "The body is not valid JSON."


class BadIntent(AppError):
    code = "bad_intent"
    default_vi = "Yêu cầu thiếu thông tin hoặc sai kiểu dữ liệu."
    default_en = "A field is missing or has the wrong type."


class UnknownIntent(AppError):
    code = "unknown_intent"
    default_vi = "Thao tác không được hỗ trợ."
    default_en = "Unknown intent."


class Unauthorized(AppError):
    status = 401
    close_code = Close.UNAUTHORIZED
    code = "unauthorized"
    default_vi = "Bạn cần đăng nhập."
    default_en = "You need to log in."


class LoginFailed(Unauthorized):
    code = "login_failed"
    default_vi = "Tên đăng nhập hoặc mật khẩu không đúng."
    default_en = "Wrong username or password."


class WrongPassword(AppError):
    """The current password, asked again before a change: not a lost session."""

    status = 403
    close_code = Close.FORBIDDEN
    code = "wrong_password"
    default_vi = "Mật khẩu hiện tại không đúng."
    default_en = "The current password is wrong."


class Forbidden(AppError):
    status = 403
    close_code = Close.FORBIDDEN
    code = "forbidden"
    default_vi = "Bạn không có quyền thực hiện thao tác này."
    default_en = "You may not do this."


class BadCheckinCode(Forbidden):
    """A room check-in code that is altered, of another meeting, expired, or
    made for someone else (domain/checkin.py); its own code, so a client shows
    the server's reason rather than a generic refusal."""

    code = "bad_checkin_code"


class RecordedRefusal(Forbidden):
    """A refusal that goes on the meeting's record and the audit log though
    nothing changed (the live core writes it): `record` is what the entry says."""

    def __init__(self, message: str | None = None, message_en: str | None = None,
                 record: dict[str, Any] | None = None) -> None:
        super().__init__(message, message_en)
        self.record: dict[str, Any] = record or {}


class OutsideRoom(RecordedRefusal):
    """Checking oneself in from an address outside the networks of the
    meeting's room (domain/room_networks.py)."""

    code = "outside_room"


class NotFound(AppError):
    status = 404
    close_code = Close.NOT_FOUND
    code = "not_found"
    default_vi = "Không tìm thấy."
    default_en = "Not found."


class Conflict(AppError):
    status = 409
    close_code = Close.BAD_REQUEST
    code = "conflict"
    default_vi = "Trạng thái cuộc họp không cho phép thao tác này."
    default_en = "The meeting's state does not allow this."


class TooEarly(Conflict):
    """Before the session window (domain/checkin.py): check-in is not open, or
    the session opens only with the chair's explicit confirmation."""

    code = "too_early"


class TooLarge(AppError):
    status = 413
    close_code = Close.TOO_LARGE
    code = "too_large"
    default_vi = "Dữ liệu gửi lên quá lớn."
    default_en = "Payload too large."


class RateLimited(AppError):
    status = 429
    close_code = Close.TOO_MANY_REQUESTS
    code = "rate_limited"
    default_vi = "Thao tác quá nhanh, vui lòng thử lại sau giây lát."
    default_en = "Too many requests; try again shortly."


class Unavailable(AppError):
    status = 503
    close_code = Close.TRY_AGAIN_LATER
    code = "unavailable"
    default_vi = "Máy chủ tạm thời không lưu được dữ liệu; chưa có gì thay đổi."
    default_en = "Storage is unavailable; nothing was changed."


class ProtocolError(AppError):
    """A frame that does not follow the wire protocol."""

    code = "protocol_error"
    default_vi = "Khung dữ liệu không đúng giao thức."
    default_en = "Malformed frame."
