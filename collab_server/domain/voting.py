"""Voting (biểu quyết): polls, ballots and proxies (ủy quyền).

A ballot is a row in PostgreSQL committed before the voter gets an answer,
one per member counted by a unique key (see storage/voting.py); nothing here
checks in Python whether someone has already voted. The room shows only how
many ballots are in while a poll is open, never counts per option, and the
result once it is closed.

Who votes: the members (the chair and the delegates). A deputy standing in
for a member votes for that member; a member who handed their vote to
another member (an approved proxy) votes through that person, who casts
with `for_user`. Whoever clicks, the ballot counts for the member, once.
The person clicking must be checked in.

Secret polls: the voter gets a receipt code; the choice and the receipt are
sealed in the ballot row under a key the database never holds, and written
readable only at the close, all in one batch apart from who voted (see
storage/voting.py and storage/sealing.py). Neither the event log nor the
audit log carries the choice or the receipt. After the close, the list of
receipts and choices is public to the meeting, so everyone can find their
own. A ballot is changed (when the poll allows it) by whoever cast it, named
by their login, never by a code: a receipt only checks, it authorizes nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

import pycrdt

from collab_server.documents.names import without_bidi_controls
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
from collab_server.domain.ports import Tally, Write
from collab_server.domain.roles import Role
from collab_server.errors import BadIntent, Conflict, Forbidden, NotFound
from collab_server.live.ports import YDoc

POLLS = "polls"
PROXIES = "proxies"

DEFAULT_OPTIONS = ("Đồng ý", "Không đồng ý", "Không biểu quyết")
KINDS = ("named", "secret")
RULES = ("present_majority", "members_majority", "two_thirds_members")
MAX_OPTIONS = 10

# Crockford's base32: no I, L, O or U to misread; 10 characters are 50 bits.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 10


# -- reading the room ---------------------------------------------------------------------


def polls(doc: YDoc) -> dict[int, dict[str, Any]]:
    return {int(k): v for k, v in (doc.get(POLLS, type=pycrdt.Map).to_py() or {}).items()}


def proxies(doc: YDoc) -> dict[int, dict[str, Any]]:
    return {int(k): v for k, v in (doc.get(PROXIES, type=pycrdt.Map).to_py() or {}).items()}


def _is_member(person: dict[str, Any]) -> bool:
    """As `room.compute_quorum` counts them: chair and delegates, not deputies."""
    return person.get("role") in (Role.CHAIR, Role.DELEGATE) and \
        person.get("stands_in_for") is None


def _present(doc: YDoc, user: int) -> bool:
    return bool(room.attendance(doc).get(user, {}).get("present"))


def present_members(doc: YDoc) -> set[int]:
    """Members in the room, themselves or through their deputy (the rule of
    `room.compute_quorum`)."""
    roster = room.people(doc)
    here = {uid for uid, a in room.attendance(doc).items() if a.get("present")}
    standing_in = {int(p["stands_in_for"]) for uid, p in roster.items()
                   if p.get("stands_in_for") is not None and uid in here}
    return {uid for uid, p in roster.items() if _is_member(p)
            and (uid in here or uid in standing_in)}


def represented(doc: YDoc) -> set[int]:
    """Members not in the room whose approved proxy is."""
    here = present_members(doc)
    return {member for member, p in proxies(doc).items()
            if p.get("status") == "approved" and member not in here
            and _present(doc, int(p["to"]))}


def outcome(rule: str, yes: int, *, members: int, eligible: int,
            quorum_met: bool) -> tuple[bool, int]:
    """(passed, ballots needed for the first option). Without quorum nothing passes."""
    if rule == "present_majority":
        needed = eligible // 2 + 1
    elif rule == "members_majority":
        needed = members // 2 + 1
    else:  # two_thirds_members: at least two thirds of all members
        needed = -(-2 * members // 3)
    return quorum_met and members > 0 and yes >= needed, needed


def base_of(rule: str, *, members: int, eligible: int) -> tuple[str, int]:
    """What the rule counts the first option against: ("members", all members)
    or ("present", members present or represented). Shares and bars on the
    screens use the same base as the verdict, so a percentage never seems to
    contradict it."""
    if rule == "present_majority":
        return "present", eligible
    return "members", members


def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


# -- arguments ------------------------------------------------------------------------------


def _options(args: dict[str, Any]) -> tuple[str, ...]:
    raw = args.get("options")
    if raw is None:
        return DEFAULT_OPTIONS
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_OPTIONS or not all(
            isinstance(o, str) and o.strip() and len(o) <= 200 for o in raw):
        raise BadIntent(f"'options' phải là danh sách 2-{MAX_OPTIONS} chuỗi, mỗi chuỗi"
                        " 1-200 ký tự.", f"'options' must be 2-{MAX_OPTIONS} strings.")
    options = tuple(without_bidi_controls(o).strip() for o in raw)
    if not all(options):
        raise BadIntent("Mỗi lựa chọn phải có chữ.", "Every option needs text.")
    if len(set(options)) != len(options):
        raise BadIntent("Các lựa chọn không được trùng nhau.", "Options must differ.")
    return options


def _choice(args: dict[str, Any], options: list[str]) -> int:
    value = args.get("choice")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(options):
        return value
    if isinstance(value, str) and value.strip() in options:
        return options.index(value.strip())
    raise BadIntent("'choice' phải là số thứ tự (từ 0) hoặc nội dung của một lựa chọn.",
                    "'choice' must be an option's index (from 0) or its text.")


def _receipt(args: dict[str, Any]) -> str:
    raw = args.get("receipt")
    code = raw.upper().replace("-", "").replace(" ", "") if isinstance(raw, str) else ""
    if len(code) != RECEIPT_LENGTH or any(c not in RECEIPT_ALPHABET for c in code):
        raise BadIntent("Mã biên nhận không hợp lệ.", "Bad receipt code.")
    return code


def _poll(ctx: Context, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    poll_id = int_arg(args, "poll")
    poll = polls(ctx.doc).get(poll_id)
    if poll is None:
        raise NotFound("Không có cuộc biểu quyết này.", "No such poll.")
    return poll_id, poll


def _open_poll(ctx: Context, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    poll_id, poll = _poll(ctx, args)
    if poll.get("status") != "open":
        raise Conflict("Cuộc biểu quyết đã kết thúc.", "The poll is not open.")
    return poll_id, poll


def _require_proxies(ctx: Context) -> None:
    if not room.settings(ctx.doc).get("allow_proxy"):
        raise Conflict("Cuộc họp này không cho phép ủy quyền biểu quyết.",
                       "This meeting does not allow proxies.")


def _update_poll(doc: YDoc, poll_id: int, values: dict[str, Any]) -> None:
    entry = doc.get(POLLS, type=pycrdt.Map)[str(poll_id)]
    for key, value in values.items():
        if entry.get(key) != value:
            entry[key] = value


# -- polls ------------------------------------------------------------------------------------


@intent("poll.open")
async def poll_open(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    require_session(ctx, "open")
    question = text_arg(args, "question", limit=1000)
    options = _options(args)
    kind = choice_arg(args, "kind", KINDS)
    rule = choice_arg(args, "rule", RULES)
    allow_change = args.get("allow_change", False)
    if not isinstance(allow_change, bool):
        raise BadIntent("'allow_change' phải là true hoặc false.", "Bad 'allow_change'.")
    # Receipts let voters check a secret ballot, and prove it to a third party.
    receipts = args.get("receipts", True)
    if not isinstance(receipts, bool):
        raise BadIntent("'receipts' phải là true hoặc false.", "Bad 'receipts'.")
    receipts = receipts and kind == "secret"
    if args.get("item") is None:
        item = room.cursor_item(ctx.doc)
    else:
        item = int_arg(args, "item")
        if item not in room.agenda_ids(ctx.doc):
            raise NotFound("Không có mục này trong chương trình.", "No such agenda item.")
    if any(p.get("status") == "open" for p in polls(ctx.doc).values()):
        raise Conflict("Đang có một cuộc biểu quyết chưa kết thúc.", "Another poll is open.")
    poll_id = await ctx.store.next_id("polls_id_seq")
    entry = {"id": poll_id, "question": question, "options": list(options), "kind": kind,
             "rule": rule, "allow_change": allow_change, "receipts": receipts, "item": item,
             "status": "open",
             "opened_at": ctx.now, "closed_at": None, "cast": 0}

    def apply(doc: YDoc) -> None:
        # A map per poll: a ballot rewrites one small key, not the whole poll.
        doc.get(POLLS, type=pycrdt.Map)[str(poll_id)] = pycrdt.Map(entry)

    write = ctx.votes.open_poll(ctx.meeting_id, poll_id, item_id=item, question=question,
                                options=options, kind=kind, rule=rule,
                                allow_change=allow_change, by=ctx.user_id, at_ms=ctx.now,
                                receipts=receipts)
    return Change(apply, "poll.open", {"poll": poll_id, "question": question, "kind": kind,
                                       "rule": rule, "options": list(options), "item": item,
                                       "allow_change": allow_change, "receipts": receipts},
                  writes=[write], result={"poll": poll_id})


@intent("poll.close")
async def poll_close(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    # Also after the session closed: a poll left open must still be resolvable.
    require_session(ctx, "open", "suspended", "closed")
    poll_id, poll = _open_poll(ctx, args)
    options = list(poll["options"])
    secret = poll["kind"] == "secret"
    tally = await ctx.votes.tally(poll_id, len(options), secret=secret, by=ctx.user_id)
    quorum = room.compute_quorum(ctx.doc)
    members, present = int(quorum["members"]), int(quorum["present"])
    eligible = present + len(represented(ctx.doc))
    passed, needed = outcome(str(poll["rule"]), tally.counts[0], members=members,
                             eligible=eligible, quorum_met=bool(quorum["met"]))
    result: dict[str, Any] = {
        "counts": list(tally.counts), "cast": tally.ballots, "passed": passed,
        "quorum_met": bool(quorum["met"]), "members": members, "present": present,
        "eligible": eligible, "needed": needed,
    }
    result["base_kind"], result["base"] = base_of(str(poll["rule"]), members=members,
                                                  eligible=eligible)
    shown = {**result, "status": "closed", "closed_at": ctx.now}
    if not secret:
        shown["named"] = _named(ctx, tally)

    def apply(doc: YDoc) -> None:
        _update_poll(doc, poll_id, shown)

    write = ctx.votes.close_poll(poll_id, tally, result, secret=secret, by=ctx.user_id,
                                 at_ms=ctx.now)
    return Change(apply, "poll.close", {"poll": poll_id, "counts": result["counts"],
                                        "passed": passed, "quorum_met": result["quorum_met"]},
                  writes=[write], result={"poll": poll_id, "passed": passed,
                                          "counts": result["counts"]})


def _named(ctx: Context, tally: Tally) -> list[dict[str, Any]]:
    roster = room.people(ctx.doc)
    named = []
    for member, by, choice in tally.named:
        entry: dict[str, Any] = {"user": member, "name": roster.get(member, {}).get("name", ""),
                                 "choice": choice}
        if by != member:
            entry["by"] = by
        named.append(entry)
    return sorted(named, key=lambda e: (str(e["name"]), int(e["user"])))


@intent("poll.cancel")
async def poll_cancel(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    require_session(ctx, "open", "suspended", "closed")
    poll_id, poll = _open_poll(ctx, args)

    def apply(doc: YDoc) -> None:
        _update_poll(doc, poll_id, {"status": "cancelled", "closed_at": ctx.now})

    return Change(apply, "poll.cancel", {"poll": poll_id},
                  writes=[ctx.votes.cancel_poll(poll_id, secret=poll["kind"] == "secret",
                                                by=ctx.user_id, at_ms=ctx.now)])


# -- ballots ----------------------------------------------------------------------------------


def _counted_member(ctx: Context, args: dict[str, Any]) -> int:
    """The member this ballot counts for: the caller, the member a deputy stands
    in for, or (`for_user`) the member who handed their vote to the caller."""
    me = room.people(ctx.doc).get(ctx.user_id)
    if ctx.identity.role not in (Role.CHAIR, Role.DELEGATE) or me is None:
        raise Forbidden("Chỉ thành viên (chủ tọa, đại biểu) được biểu quyết.",
                        "Only members (the chair and delegates) vote.")
    own = ctx.user_id if me.get("stands_in_for") is None else int(me["stands_in_for"])
    target = own if args.get("for_user") is None else int_arg(args, "for_user")
    if target != own:
        _require_proxies(ctx)
        handed = proxies(ctx.doc).get(target)
        if handed is None or handed.get("status") != "approved" or \
                int(handed["to"]) != ctx.user_id:
            raise Forbidden("Bạn không được ủy quyền biểu quyết thay người này.",
                            "You hold no proxy for this member.")
    elif (proxies(ctx.doc).get(own) or {}).get("status") == "approved":
        raise Conflict("Bạn đã ủy quyền biểu quyết cho người khác.",
                       "You handed your vote to a proxy.")
    if not _present(ctx.doc, ctx.user_id):
        raise Conflict("Bạn cần điểm danh có mặt trước khi biểu quyết.",
                       "Check in before voting.")
    return target


@intent("vote.cast")
async def vote_cast(ctx: Context, args: dict[str, Any]) -> Change:
    member = _counted_member(ctx, args)
    require_session(ctx, "open")
    poll_id, poll = _open_poll(ctx, args)
    choice = _choice(args, list(poll["options"]))
    data: dict[str, Any] = {"poll": poll_id, "member": member}
    writes: list[Write]
    if poll["kind"] == "secret":
        if "receipt" in args:
            _receipt(args)  # still checked for shape; a change no longer needs it
        # A changed ballot gets a new receipt: the old one then names nothing.
        # Without receipts the code is still drawn (it keeps the published rows
        # apart) but given to nobody.
        receipt = new_receipt()
        first = not (poll["allow_change"] and await ctx.votes.has_ballot(poll_id, member))
        if first:
            writes = [ctx.votes.cast_secret(poll_id, member, ctx.user_id, choice, receipt,
                                            ctx.now)]
        else:
            writes = [ctx.votes.change_secret(poll_id, member, ctx.user_id, choice, receipt)]
        result = {"poll": poll_id, "receipt": receipt if poll.get("receipts", True) else None,
                  "changed": not first}
    else:
        # Only to choose between a first ballot and a change; the one-ballot
        # rule itself is the database's unique key.
        first = not (poll["allow_change"] and await ctx.votes.has_ballot(poll_id, member))
        cast = ctx.votes.cast_named if first else ctx.votes.change_named
        writes = [cast(poll_id, member, ctx.user_id, choice, ctx.now)]
        data["choice"] = choice
        result = {"poll": poll_id, "changed": not first}
    if not first:
        data["changed"] = True

    def apply(doc: YDoc) -> None:
        if first:
            entry = doc.get(POLLS, type=pycrdt.Map)[str(poll_id)]
            entry["cast"] = int(entry.get("cast") or 0) + 1

    return Change(apply, "vote.cast", data, writes=writes, result=result)


# -- proxies ------------------------------------------------------------------------------------


@intent("proxy.request")
async def proxy_request(ctx: Context, args: dict[str, Any]) -> Change:
    """A member hands their vote to another member for the session."""
    _require_proxies(ctx)
    require_session(ctx, "not_started", "open", "suspended")
    roster = room.people(ctx.doc)
    me = roster.get(ctx.user_id)
    if ctx.identity.role not in (Role.CHAIR, Role.DELEGATE) or me is None or \
            not _is_member(me):
        raise Forbidden("Chỉ thành viên được ủy quyền biểu quyết.", "Only members hand over.")
    to = int_arg(args, "to")
    target = roster.get(to)
    if to == ctx.user_id or target is None or not _is_member(target):
        raise NotFound("Người nhận ủy quyền phải là một thành viên khác của cuộc họp.",
                       "The proxy must be another member.")
    if any(p.get("stands_in_for") == ctx.user_id for p in roster.values()):
        raise Conflict("Đã có người dự họp thay bạn.", "A deputy stands in for you.")
    _not_handed_on(ctx, giver=ctx.user_id, to=to)
    entry = {"to": to, "to_name": target.get("name", ""), "status": "requested",
             "at": ctx.now}

    def apply(doc: YDoc) -> None:
        room.put(doc, PROXIES, str(ctx.user_id), entry)

    return Change(apply, "proxy.request", {"member": ctx.user_id, "to": to},
                  writes=[ctx.votes.proxy_request(ctx.meeting_id, ctx.user_id, to, ctx.now)])


def _not_handed_on(ctx: Context, *, giver: int, to: int) -> None:
    """A proxy is never handed on: the giver holds no one else's vote, and
    the receiver has not handed over their own."""
    current = proxies(ctx.doc)
    active = ("requested", "approved")
    if (current.get(giver) or {}).get("status") == "approved":
        raise Conflict("Bạn đã ủy quyền biểu quyết rồi.", "Your proxy is already approved.")
    if any(int(p["to"]) == giver and p.get("status") in active
           for member, p in current.items() if member != giver):
        raise Conflict("Người đang nhận ủy quyền không được ủy quyền tiếp.",
                       "A proxy holder cannot hand votes on.")
    if (current.get(to) or {}).get("status") in active:
        raise Conflict("Người này đã ủy quyền cho người khác.",
                       "That member has handed their own vote over.")


@intent("proxy.decide")
async def proxy_decide(ctx: Context, args: dict[str, Any]) -> Change:
    ctx.require(Role.CHAIR)
    _require_proxies(ctx)
    require_session(ctx, "not_started", "open", "suspended")
    member = int_arg(args, "from")
    approve = args.get("approve")
    if not isinstance(approve, bool):
        raise BadIntent("'approve' phải là true hoặc false.", "Bad 'approve'.")
    entry = proxies(ctx.doc).get(member)
    if entry is None or entry.get("status") != "requested":
        raise NotFound("Không có yêu cầu ủy quyền đang chờ của người này.",
                       "No pending proxy request from this member.")
    if approve:
        _not_handed_on(ctx, giver=member, to=int(entry["to"]))
    status = "approved" if approve else "rejected"
    decided = {**entry, "status": status, "decided_at": ctx.now}

    def apply(doc: YDoc) -> None:
        room.put(doc, PROXIES, str(member), decided)

    return Change(apply, "proxy.decide", {"member": member, "to": entry["to"],
                                          "approve": approve},
                  writes=[ctx.votes.proxy_status(ctx.meeting_id, member, status,
                                                 ctx.user_id, ctx.now)])


@intent("proxy.withdraw")
async def proxy_withdraw(ctx: Context, args: dict[str, Any]) -> Change:
    """The member takes their vote back (ballots already cast stay counted)."""
    entry = proxies(ctx.doc).get(ctx.user_id)
    if entry is None or entry.get("status") not in ("requested", "approved"):
        raise NotFound("Bạn không có ủy quyền nào.", "You have no proxy.")
    withdrawn = {**entry, "status": "withdrawn", "decided_at": ctx.now}

    def apply(doc: YDoc) -> None:
        room.put(doc, PROXIES, str(ctx.user_id), withdrawn)

    return Change(apply, "proxy.withdraw", {"member": ctx.user_id},
                  writes=[ctx.votes.proxy_status(ctx.meeting_id, ctx.user_id, "withdrawn",
                                                 ctx.user_id, ctx.now)])
