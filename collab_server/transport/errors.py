"""The one place errors become JSON bodies."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from collab_server.errors import AppError
from collab_server.transport.responses import JSONResponse

_HTTP_CODES = {
    400: ("bad_request", "Yêu cầu không hợp lệ.", "Bad request."),
    404: ("not_found", "Không tìm thấy.", "Not found."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ.", "Method not allowed."),
}


def error_response(exc: AppError) -> Response:
    return JSONResponse({"error": exc.to_json()}, status_code=exc.status)


async def app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_response(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, vi, en = _HTTP_CODES.get(exc.status_code, ("error", "Lỗi.", str(exc.detail)))
    return JSONResponse(
        {"error": {"code": code, "message": vi, "message_en": en}}, status_code=exc.status_code
    )
