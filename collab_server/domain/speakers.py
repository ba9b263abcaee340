"""Requests to speak and the floor.

The queue is a map keyed by request, ordered by a rank: reordering rewrites
the ranks it changes, never a whole list. The floor carries its start time
and limit; clients count down themselves (nothing ticks in the document).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
)
from collab_server.domain.ports import Write
from collab_server.domain.roles import Role
from collab_server.errors import BadIntent, Conflict, Forbidden, NotFound
from collab_server.live.ports import YDoc

KINDS = ("speech", "question", "point_of_order")
DEFAULT_LIMIT_S = 300
# What the chair may set for a speech or an agenda item, and add to a speech.
MIN_LIMIT_S = 30
MAX_LIMIT_S = 3600
MAX_EXTRA_S = 1800


@dataclass(frozen=True, slots=True)
class Part:
    apply: Callable[[YDoc], None]
    writes: Sequence[Write]


def end_floor(ctx: Context) -> Part:
    """End the current speech, if any (used by grant, suspend and close)."""
    current = room.floor(ctx.doc)
    if not current:
        return Part(lambda doc: None, ())
    request = int(current["request"])

    def apply(doc: YDoc) -> None:
        doc.get(room.FLOOR, type=pycrdt.Map).update(
            {"user": None, "request": None, "ended": ctx.now, "last_user": current["user"]})

    return Part(apply, [ctx.store.speech_end(request, ctx.now),
                        ctx.store.request_status(request, "done")])


def _limit(ctx: Context, item: int | None) -> int:
    for entry in ctx.doc.get(room.AGENDA, type=pycrdt.Array).to_py() or []:
        if item is not None and int(entry["id"]) == item and entry.get("speech_limit_s"):
            return int(entry["speech_limit_s"])
    value = room.settings(ctx.doc).get("speech_limit_s")
    return int(value) if value is not None else DEFAULT_LIMIT_S


@intent("speaker.request")
async def request(ctx: Context, args: dict[str, Any]) -> Change:
    if ctx.identity.role == Role.DISPLAY:
        raise Forbidden()
    require_session(ctx, "open")
    kind = choice_arg(args, "kind", KINDS, "speech")
    queue = room.queue(ctx.doc)
    if any(int(entry["user"]) == ctx.user_id for _, entry in queue) or \
            room.floor(ctx.doc).get("user") == ctx.user_id:
        raise Conflict("Bạn đã đăng ký phát biểu rồi.", "You already asked to speak.")
    ranks = [float(entry["rank"]) for _, entry in queue]
    # A point of order goes to the head of the queue, behind earlier points of order.
    if kind == "point_of_order":
        orders = [float(e["rank"]) for _, e in queue if e["kind"] == "point_of_order"]
        others = [float(e["rank"]) for _, e in queue if e["kind"] != "point_of_order"]
        if others:
            top = max(orders) if orders else min(others) - 1.0
            rank = (top + min(others)) / 2 if orders else min(others) - 1.0
        else:
            rank = (max(orders) + 1.0) if orders else 1.0
    else:
        rank = (max(ranks) + 1.0) if ranks else 1.0
    request_id = await ctx.store.next_id("speaker_requests_id_seq")
    item = room.cursor_item(ctx.doc)
    entry = {"user": ctx.user_id, "name": ctx.identity.name, "kind": kind, "rank": rank,
             "at": ctx.now, "item": item}

    def apply(doc: YDoc) -> None:
        doc.get(room.SPEAKERS, type=pycrdt.Map)[str(request_id)] = entry

    return Change(apply, "speaker.request", {"request": request_id, "kind": kind},
                  writes=[ctx.store.speaker_request(ctx.meeting_id, request_id, ctx.user_id,
                                                    kind, item, rank, ctx.now)],
                  result={"request": request_id})


def _queued(ctx: Context, request_id: int) -> dict[str, Any]:
    for rid, entry in room.queue(ctx.doc):
        if rid == request_id:
            return entry
    raise NotFound("Không có yêu cầu phát biểu này trong danh sách.", "No such request.")


def _own_request(ctx: Context) -> int:
    for rid, entry in room.queue(ctx.doc):
        if int(entry["user"]) == ctx.user_id:
            return rid
    raise NotFound("Bạn chưa đăng ký phát biểu.", "You have no request to speak.")


@intent("speaker.withdraw")
async def withdraw(ctx: Context, args: dict[str, Any]) -> Change:
    """Withdraw one's own request; the chair may remove anyone's."""
    if "request" in args:
        request_id = int_arg(args, "request")
        entry = _queued(ctx, request_id)
        if int(entry["user"]) != ctx.user_id and ctx.identity.role != Role.CHAIR:
            raise Forbidden()
    else:
        request_id = _own_request(ctx)

    def apply(doc: YDoc) -> None:
        del doc.get(room.SPEAKERS, type=pycrdt.Map)[str(request_id)]

    return Change(apply, "speaker.withdraw", {"request": request_id},
                  writes=[ctx.store.request_status(request_id, "withdrawn")])


@intent("speaker.reorder")
async def reorder(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    require_session(ctx, "open", "suspended")
    order = args.get("order")
    queued = {rid for rid, _ in room.queue(ctx.doc)}
    if not isinstance(order, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                               for i in order) \
            or len(order) != len(queued) or set(order) != queued:
        raise BadIntent("'order' phải gồm đúng mọi yêu cầu đang chờ, mỗi yêu cầu một lần.",
                        "'order' must name every queued request exactly once.")
    ranks = {rid: float(position) for position, rid in enumerate(order, start=1)}

    def apply(doc: YDoc) -> None:
        speakers = doc.get(room.SPEAKERS, type=pycrdt.Map)
        for rid, rank in ranks.items():
            entry = dict(speakers[str(rid)])
            if entry["rank"] != rank:
                entry["rank"] = rank
                speakers[str(rid)] = entry

    return Change(apply, "speaker.reorder", {"order": order},
                  writes=[ctx.store.request_ranks(ranks)])


@intent("speaker.grant")
async def grant(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    require_session(ctx, "open")
    request_id = int_arg(args, "request")
    entry = _queued(ctx, request_id)
    ended = end_floor(ctx)
    item = room.cursor_item(ctx.doc)
    # The chair may give this speaker their own time; else the item's, else the meeting's.
    limit = (int_arg(args, "limit_s", minimum=MIN_LIMIT_S, maximum=MAX_LIMIT_S)
             if args.get("limit_s") is not None else _limit(ctx, item))

    def apply(doc: YDoc) -> None:
        ended.apply(doc)
        del doc.get(room.SPEAKERS, type=pycrdt.Map)[str(request_id)]
        doc.get(room.FLOOR, type=pycrdt.Map).update({
            "request": request_id, "user": entry["user"], "name": entry["name"],
            "kind": entry["kind"], "started": ctx.now, "limit_s": limit, "item": item,
            "ended": None,
        })

    writes = [*ended.writes, ctx.store.request_status(request_id, "speaking"),
              ctx.store.speech_start(ctx.meeting_id, request_id, int(entry["user"]),
                                     str(entry["kind"]), item, ctx.now, limit)]
    return Change(apply, "speaker.grant", {"request": request_id, "user": entry["user"],
                                           "kind": entry["kind"], "item": item,
                                           "limit_s": limit},
                  writes=writes)


@intent("speaker.extend")
async def extend(ctx: Context, args: dict[str, Any]) -> Change:
    """More time for the current speaker ("+1 phút"): the floor keeps its start
    and gets a longer limit, so every timer follows without a tick."""
    ctx.require(Role.CHAIR)
    require_session(ctx, "open")
    current = room.floor(ctx.doc)
    if not current:
        raise Conflict("Không có ai đang phát biểu.", "Nobody has the floor.")
    extra = int_arg(args, "seconds", minimum=1, maximum=MAX_EXTRA_S)
    request_id = int(current["request"])
    limit = min(int(current.get("limit_s") or 0) + extra, MAX_LIMIT_S + MAX_EXTRA_S)

    def apply(doc: YDoc) -> None:
        doc.get(room.FLOOR, type=pycrdt.Map)["limit_s"] = limit

    return Change(apply, "speaker.extend", {"request": request_id, "user": current["user"],
                                            "seconds": extra, "limit_s": limit},
                  writes=[ctx.store.speech_limit(request_id, limit)])


@intent("agenda.speech_limit")
async def item_limit(ctx: Context, args: dict[str, Any]) -> Change:
    """The speaking time of one agenda item (`seconds` null: the meeting's),
    set by the chair during the meeting; the next speech on it gets it."""
    ctx.require(Role.CHAIR)
    require_session(ctx, "not_started", "open", "suspended")
    item = int_arg(args, "item")
    seconds = (None if args.get("seconds") is None
               else int_arg(args, "seconds", minimum=MIN_LIMIT_S, maximum=MAX_LIMIT_S))
    agenda = ctx.doc.get(room.AGENDA, type=pycrdt.Array)
    entries = agenda.to_py() or []
    index = next((i for i, e in enumerate(entries) if int(e["id"]) == item), None)
    if index is None:
        raise NotFound("Không có mục này trong chương trình.", "No such agenda item.")

    def apply(doc: YDoc) -> None:
        agenda = doc.get(room.AGENDA, type=pycrdt.Array)
        entry = dict(entries[index])
        if entry.get("speech_limit_s") != seconds:
            entry["speech_limit_s"] = seconds
            # The agenda is an array of plain entries: one entry replaced, in place.
            agenda.insert(index, entry)
            del agenda[index + 1]

    return Change(apply, "agenda.speech_limit", {"item": item, "seconds": seconds},
                  writes=[ctx.store.item_speech_limit(ctx.meeting_id, item, seconds)])


@intent("speaker.end")
async def end(ctx: Context, args: dict[str, Any]) -> Change:
    """The chair ends the speech, or the speaker finishes."""
    current = room.floor(ctx.doc)
    if not current:
        raise Conflict("Không có ai đang phát biểu.", "Nobody has the floor.")
    if ctx.identity.role != Role.CHAIR and int(current["user"]) != ctx.user_id:
        raise Forbidden()
    ended = end_floor(ctx)
    return Change(ended.apply, "speaker.end",
                  {"request": current["request"], "user": current["user"],
                   "seconds": round((ctx.now - int(current["started"])) / 1000)},
                  writes=ended.writes)
