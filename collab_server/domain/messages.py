"""Short messages from a delegate to the secretary or the chair (a document
request, a technical problem), and their answers.

Each person has an inbox document that only the server writes: the sender
sees their message and its answers there, every secretary (or chair) of the
meeting sees what was sent to them. Nobody else in the room sees anything.
"""

from __future__ import annotations

from typing import Any

import pycrdt

from collab_server.domain import room
from collab_server.domain.intents import (
    Change,
    Context,
    choice_arg,
    int_arg,
    intent,
    require_session,
    text_arg,
)
from collab_server.domain.roles import Role
from collab_server.errors import BadIntent, Forbidden, NotFound
from collab_server.live.names import DocKey, DocKind
from collab_server.live.ports import YDoc

MESSAGES = "messages"
KINDS = ("document_request", "technical", "other")
RECIPIENTS = ("secretary", "chair")


def _inbox(ctx: Context, user: int) -> DocKey:
    return DocKey(ctx.meeting_id, DocKind.INBOX, owner_id=user)


def _desk(ctx: Context, role: str) -> list[int]:
    return [uid for uid, person in room.people(ctx.doc).items() if person.get("role") == role]


@intent("message.send")
async def send(ctx: Context, args: dict[str, Any]) -> Change:
    if ctx.identity.role == Role.DISPLAY:
        raise Forbidden()
    require_session(ctx, "not_started", "open", "suspended")
    to = choice_arg(args, "to", RECIPIENTS, "secretary")
    if to == ctx.identity.role:
        raise BadIntent("Không gửi tin nhắn cho chính mình: hãy chọn người nhận khác.",
                        "A message to one's own desk: choose another recipient.")
    kind = choice_arg(args, "kind", KINDS, "other")
    text = text_arg(args, "text", limit=1000)
    desk = _desk(ctx, to)
    if not desk:
        raise NotFound("Cuộc họp chưa có người nhận này.", f"The meeting has no {to}.")
    message_id = await ctx.store.next_id("messages_id_seq")
    entry = {"id": message_id, "from": ctx.user_id, "from_name": ctx.identity.name, "to": to,
             "kind": kind, "text": text, "at": ctx.now, "replies": []}

    def deliver(doc: YDoc) -> None:
        doc.get(MESSAGES, type=pycrdt.Map)[str(message_id)] = entry

    inboxes = {ctx.user_id, *desk}
    return Change(
        lambda doc: None, "message.send", {"message": message_id, "to": to, "kind": kind},
        writes=[ctx.store.message(ctx.meeting_id, message_id, ctx.user_id, to, kind, text,
                                  ctx.now)],
        result={"message": message_id},
        docs=[(_inbox(ctx, user), deliver) for user in sorted(inboxes)],
    )


@intent("message.reply")
async def reply(ctx: Context, args: dict[str, Any]) -> Change:
    """Answered by whoever holds the desk the message went to."""
    message_id = int_arg(args, "message")
    text = text_arg(args, "text", limit=1000)
    if ctx.identity.role not in RECIPIENTS:
        raise Forbidden()
    owner = _inbox(ctx, ctx.user_id)
    # The replier's own inbox holds the message if it was sent to their desk.
    inbox = await ctx.read_doc(owner)
    entry = inbox.get(MESSAGES, type=pycrdt.Map).get(str(message_id))
    if entry is None or entry.get("to") != ctx.identity.role:
        raise NotFound("Không có tin nhắn này.", "No such message.")
    answer = {"by": ctx.user_id, "name": ctx.identity.name, "text": text, "at": ctx.now}

    def answered(doc: YDoc) -> None:
        messages = doc.get(MESSAGES, type=pycrdt.Map)
        current = messages.get(str(message_id))
        if current is not None:
            updated = dict(current)
            updated["replies"] = [*list(current.get("replies") or []), answer]
            messages[str(message_id)] = updated

    inboxes = {int(entry["from"]), *_desk(ctx, str(entry["to"]))}
    return Change(
        lambda doc: None, "message.reply", {"message": message_id},
        writes=[ctx.store.message_reply(message_id, ctx.user_id, text, ctx.now)],
        docs=[(_inbox(ctx, user), answered) for user in sorted(inboxes)],
    )


READ = "read"


@intent("message.read")
async def mark_read(ctx: Context, args: dict[str, Any]) -> Change:
    """The caller has read their inbox up to `upto` (the time of the newest
    message or answer they saw). Kept in the person's own inbox, so the unread
    count follows the person to any laptop and survives a reload; nothing of
    it stays in the browser."""
    if ctx.identity.role == Role.DISPLAY:
        raise Forbidden()
    upto = min(int_arg(args, "upto", maximum=2**53), ctx.now)
    key = _inbox(ctx, ctx.user_id)
    inbox = await ctx.read_doc(key)
    current = inbox.get(READ, type=pycrdt.Map).get("at")
    if current is not None and int(current) >= upto:
        return Change(lambda doc: None, "message.read", {"upto": int(current)})

    def seen(doc: YDoc) -> None:
        doc.get(READ, type=pycrdt.Map)["at"] = upto

    return Change(lambda doc: None, "message.read", {"upto": upto}, docs=[(key, seen)])
