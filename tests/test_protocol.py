"""The wire protocol without sockets."""

from __future__ import annotations

import pycrdt
import pytest

from collab_server.errors import BadIntent, BadJson, ProtocolError
from collab_server.protocol import (
    AuthDenied,
    AwarenessUpdate,
    IntentFrame,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode,
    encode_auth_denied,
    encode_awareness,
    encode_intent,
    encode_sync_step1,
    encode_sync_step2,
    encode_sync_update,
    parse_intent,
)
from collab_server.protocol.intents import IntentError
from collab_server.protocol.lib0 import Reader, var_uint
from collab_server.protocol.messages import AwarenessEntry


def test_sync_messages_round_trip_and_match_pycrdt() -> None:
    doc = pycrdt.Doc()
    doc.get("m", type=pycrdt.Map)["k"] = "Quảng Bình"
    update = doc.get_update()
    assert encode_sync_step1(doc.get_state()) == pycrdt.create_sync_message(doc)
    assert encode_sync_update(update) == pycrdt.create_update_message(update)
    assert decode(encode_sync_step1(b"\x00")) == SyncStep1(b"\x00")
    assert decode(encode_sync_step2(update)) == SyncStep2(update)
    assert decode(encode_sync_update(update)) == SyncUpdate(update)


def test_awareness_round_trip() -> None:
    entries = (AwarenessEntry(2**31 + 5, 7, '{"user":{"name":"Lê Thị Hà"}}'),
               AwarenessEntry(1, 0, "null"))
    assert decode(encode_awareness(entries)) == AwarenessUpdate(entries)


def test_awareness_matches_pycrdt_encoding() -> None:
    doc = pycrdt.Doc()
    awareness = pycrdt.Awareness(doc)
    awareness.set_local_state({"x": 1})
    payload = awareness.encode_awareness_update([doc.client_id])
    message = decode(pycrdt.create_awareness_message(payload))
    assert isinstance(message, AwarenessUpdate)
    assert message.entries[0].client_id == doc.client_id
    assert message.entries[0].state == '{"x":1}'


def test_other_messages() -> None:
    assert decode(bytes([3])) == QueryAwareness()
    assert decode(encode_auth_denied("no")) == AuthDenied("no")
    assert decode(encode_intent('{"id":1}')) == IntentFrame('{"id":1}')


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        bytes([0]),  # sync without sub-type
        bytes([0, 9, 0]),  # unknown sync sub-type
        bytes([0, 2, 10, 1, 2]),  # update shorter than its length
        bytes([7]),  # unknown message type
        bytes([0xFF] * 12),  # varuint that never ends
        encode_sync_update(b"\x00\x00") + b"\x00",  # trailing bytes
        bytes([100]) + var_uint(2) + b"\xff\xfe",  # intent that is not UTF-8
        bytes([1]) + var_uint(1) + var_uint(100),  # awareness claiming 100 entries in 1 byte
        bytes([2, 5]),  # unknown auth sub-type
    ],
)
def test_malformed_frames_raise_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode(frame)


def test_reader_bounds() -> None:
    reader = Reader(var_uint(300) + b"x")
    assert reader.var_uint() == 300
    with pytest.raises(ProtocolError):
        Reader(var_uint(5) + b"abc").var_bytes()


def test_parse_intent_ok() -> None:
    intent = parse_intent('{"id": "a1", "type": "agenda.goto", "args": {"step": 1}}')
    assert (intent.id, intent.type, intent.args) == ("a1", "agenda.goto", {"step": 1})
    assert parse_intent('{"id": 3, "type": "x"}').args == {}


@pytest.mark.parametrize(
    ("text", "error", "intent_id"),
    [
        ("{not json", BadJson, None),
        ("[1, 2]", BadIntent, None),
        ('{"type": "agenda.goto"}', BadIntent, None),
        ('{"id": true, "type": "agenda.goto"}', BadIntent, None),
        ('{"id": 4}', BadIntent, 4),
        ('{"id": 5, "type": "agenda.goto", "args": [1]}', BadIntent, 5),
        ('{"id": "' + "x" * 65 + '", "type": "t"}', BadIntent, None),
    ],
)
def test_parse_intent_errors(text: str, error: type[Exception], intent_id: object) -> None:
    with pytest.raises(IntentError) as caught:
        parse_intent(text)
    assert isinstance(caught.value.error, error)
    assert caught.value.intent_id == intent_id
