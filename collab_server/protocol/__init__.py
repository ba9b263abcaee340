"""Bytes in, typed messages out: the wire protocol without sockets."""

from __future__ import annotations

from collab_server.protocol.intents import Intent, parse_intent
from collab_server.protocol.messages import (
    AuthDenied,
    AwarenessEntry,
    AwarenessUpdate,
    IntentFrame,
    IntentResult,
    Message,
    MessageType,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncType,
    SyncUpdate,
    decode,
    encode_auth_denied,
    encode_awareness,
    encode_intent,
    encode_intent_result,
    encode_sync_step1,
    encode_sync_step2,
    encode_sync_update,
)

__all__ = [
    "AuthDenied",
    "AwarenessEntry",
    "AwarenessUpdate",
    "Intent",
    "IntentFrame",
    "IntentResult",
    "Message",
    "MessageType",
    "QueryAwareness",
    "SyncStep1",
    "SyncStep2",
    "SyncType",
    "SyncUpdate",
    "decode",
    "encode_auth_denied",
    "encode_awareness",
    "encode_intent",
    "encode_intent_result",
    "encode_sync_step1",
    "encode_sync_step2",
    "encode_sync_update",
    "parse_intent",
]
