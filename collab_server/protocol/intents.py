"""Intent envelopes: the JSON a client sends to ask the server for a change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from collab_server.errors import AppError, BadIntent, BadJson

MAX_INTENT_ID_LENGTH = 64

IntentId = str | int | None


@dataclass(frozen=True, slots=True)
class Intent:
    id: IntentId
    type: str
    args: dict[str, Any]


def parse_intent(text: str) -> Intent:
    """Parse an intent. Errors carry the id when it could be read, see `IntentError`."""
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise IntentError(None, BadJson()) from exc
    if not isinstance(raw, dict):
        raise IntentError(None, BadIntent("Ý định phải là một đối tượng JSON.", "Not an object."))
    intent_id = raw.get("id")
    if isinstance(intent_id, bool) or not isinstance(intent_id, str | int):
        raise IntentError(None, BadIntent("Thiếu mã định danh (id).", "Missing or bad id."))
    if isinstance(intent_id, str) and len(intent_id) > MAX_INTENT_ID_LENGTH:
        raise IntentError(None, BadIntent("Mã định danh quá dài.", "Id too long."))
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind:
        raise IntentError(intent_id, BadIntent("Thiếu loại thao tác (type).", "Missing type."))
    args = raw.get("args", {})
    if not isinstance(args, dict):
        raise IntentError(intent_id, BadIntent("Tham số (args) phải là đối tượng.", "Bad args."))
    return Intent(intent_id, kind, args)


class IntentError(Exception):
    """An error answering a particular intent id (or none, if unreadable)."""

    def __init__(self, intent_id: IntentId, error: AppError) -> None:
        super().__init__(error.message_en)
        self.intent_id = intent_id
        self.error = error


def result_ok(intent_id: IntentId, result: dict[str, Any] | None = None) -> str:
    return orjson.dumps({"id": intent_id, "ok": True, "result": result or {}}).decode()


def result_error(intent_id: IntentId, error: AppError) -> str:
    return orjson.dumps({"id": intent_id, "ok": False, "error": error.to_json()}).decode()
