"""The one place errors become JSON bodies.

`message` is Vietnamese unless the caller prefers English (Accept-Language
with `en` ahead of `vi`); `message_en` is always there for logs and tools.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from collab_server.errors import AppError, Unavailable
from collab_server.transport.responses import JSONResponse

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: ("bad_request", "Yêu cầu không hợp lệ.", "Bad request."),
    404: ("not_found", "Không tìm thấy.", "Not found."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ.", "Method not allowed."),
}


def prefers_english(request: Request) -> bool:
    header = request.headers.get("accept-language", "").lower()
    for part in header.split(","):
        language = part.split(";", 1)[0].strip()
        if language.startswith("vi"):
            return False
        if language.startswith("en"):
            return True
    return False


def _body(request: Request, error: dict[str, Any]) -> dict[str, Any]:
    if prefers_english(request):
        error = {**error, "message": error["message_en"]}
    return {"error": error}


async def app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return JSONResponse(_body(request, exc.to_json()), status_code=exc.status)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, vi, en = _HTTP_CODES.get(exc.status_code, ("error", "Lỗi.", str(exc.detail)))
    return JSONResponse(_body(request, {"code": code, "message": vi, "message_en": en}),
                        status_code=exc.status_code)


async def storage_unavailable(request: Request, exc: Exception) -> Response:
    """The database is away (`storage.db.OUTAGE`): a clear 503 the client can
    retry, not a 500 and a traceback."""
    log.warning("storage unavailable: %s %s (%s)", request.method, request.url.path,
                type(exc).__name__)
    hub = getattr(request.app.state, "hub", None)
    if hub is not None:
        hub.metrics.db_errors += 1
    return await app_error(request, Unavailable())
