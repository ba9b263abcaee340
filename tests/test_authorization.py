"""The authorization matrix (tests/authorization_matrix.py) against a real
server: every HTTP route, the websocket and every intent, as every kind of
caller.

The matrix must name exactly the routes of `routes()` and the intents of
`HANDLERS`. Each HTTP cell is a valid request (the right ids, a minimal valid
body) on objects made for that cell, so the order of cells does not matter.
Each intent is played in a fresh meeting brought to a state where the allowed
roles succeed: refused roles go first, and a refusal must change nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import secrets
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import asyncpg
import httpx
import pycrdt
import pymupdf
import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from collab_server.config import Settings
from collab_server.documents.text import fold
from collab_server.domain.handlers import HANDLERS
from tests import authorization_matrix as matrix
from tests.authorization_matrix import FOUND, HIDDEN, MISSING, OK, Outcome, Rule
from tests.conftest import _PASSWORD_HASH, PASSWORD, ROOT, Server, build_world
from tests.yclient import YClient

with warnings.catch_warnings(record=True) as _warned:
    # Authlib (single sign-on) warns about its own httpx integration on import,
    # with a filter of its own that outranks any "ignore": recorded and dropped.
    from collab_server.transport.app import routes
for _warning in _warned:
    if not type(_warning.message).__module__.startswith("authlib"):
        warnings.warn(_warning.message, stacklevel=1)

PLACE = "Hà Tĩnh"
# The matrix plays every intent as the same few accounts, one right after
# another: on a quiet machine the chair's per-account budget (a room's,
# tested in test_quotas.py) ran out and a rule's answer became rate_limited.
SERVER_ENV = {"PHONGHOP_PERSON_INTENT_BURST": "100000", "PHONGHOP_PERSON_INTENTS_PER_S": "1000"}
SEARCH_WORD = "phanquyenthu"  # only in the title of the prepared meeting
MINUTES_WORD = "bienbanthu"  # only in the approved minutes
NOTICE_WORD = "ketluanthu"  # only in the conclusion notice
POLL_WORD = "bieuquyetthu"  # only in the questions of the ended meeting's polls
MINUTES_TEXT = f"Biên bản họp tổng kết ({MINUTES_WORD}).\nIII. KẾT LUẬN CỦA CHỦ TỌA\nĐồng ý."
NOTICE_TEXT = f"Giao các phòng hoàn thiện báo cáo trước ngày 20 ({NOTICE_WORD})."
NO_SUCH_ID = 9_000_000_000_000
# Who plays each column: names of users made below.
PLAYER = {
    "other_body": "stranger", "other_meeting": "neighbour", "outsider": "outsider",
    MISSING: "outsider", "display": "display", "guest": "guest", "delegate": "delegate01",
    "secretary": "secretary", "chair": "chair", "body_admin": "admin",
    "plain": "outsider", "preparer": "preparer", "admin": "admin", "other_admin": "stranger",
    "member": "delegate02", "opinion_chair": "chair",
}
# Everyone in a meeting made for a cell: the five roles and two more delegates.
CAST = {"chair": "chair", "secretary": "secretary", "display": "display", "guest": "guest",
        "delegate01": "delegate", "delegate02": "delegate", "delegate03": "delegate"}
STROKE = {"id": "t.1", "tool": "pen", "color": "#c0392b", "width": 0.003,
          "points": [0.1, 0.2, 0.4, 0.22]}


# -- the matrix is complete -----------------------------------------------------------------


def route_keys() -> set[str]:
    keys: set[str] = set()
    for route in routes(Settings()):
        if isinstance(route, Route):
            keys |= {f"{method} {route.path}" for method in route.methods or () if
                     method != "HEAD"}
        elif isinstance(route, WebSocketRoute):
            keys.add(f"WS {route.path}")
        elif isinstance(route, Mount):
            keys.add(f"MOUNT {route.path or '/'}")
        else:  # a new kind of route needs a rule (and a way to name it) too
            keys.add(f"? {route!r}")
    return keys


def test_every_route_and_intent_has_a_rule() -> None:
    named = {rule.key for rule in (*matrix.HTTP, *matrix.SOCKETS)}
    unruled = sorted(route_keys() - named)
    assert not unruled, f"routes without a rule in tests/authorization_matrix.py: {unruled}"
    gone = sorted(named - route_keys())
    assert not gone, f"rules for routes that no longer exist: {gone}"
    intents = {rule.key for rule in matrix.INTENTS}
    unruled = sorted(set(HANDLERS) - intents)
    assert not unruled, f"intents without a rule in tests/authorization_matrix.py: {unruled}"
    gone = sorted(intents - set(HANDLERS))
    assert not gone, f"rules for intents that no longer exist: {gone}"


def test_every_rule_is_whole_and_played() -> None:
    seen: set[tuple[str, str]] = set()
    for rule in matrix.RULES:
        assert (rule.key, rule.case) not in seen, f"{rule.label} twice"
        seen.add((rule.key, rule.case))
        assert set(rule.expect) == set(rule.columns), rule.label
        assert set(rule.today) <= set(rule.columns), rule.label
        assert all(rule.today[c] != rule.expect[c] for c in rule.today), rule.label
    assert {(r.key, r.case) for r in matrix.HTTP} == set(CALLS), "HTTP rules without a call"
    assert {r.case for r in matrix.SOCKETS} == set(SOCKET_PLAYS), "socket rules without a play"
    assert {(r.key, r.case) for r in matrix.INTENTS} == set(SCENARIOS), \
        "intent rules without a scenario"
    assert set(PLAYER) | {"anon"} == set(matrix.LABELS)


def test_docs_are_rendered_from_the_matrix() -> None:
    docs = ROOT / "docs" / "authorization.md"
    assert docs.read_text(encoding="utf-8") == matrix.render(), (
        "docs/authorization.md is stale: "
        ".venv/bin/python -m tests.authorization_matrix > docs/authorization.md")


# -- a world to play in ---------------------------------------------------------------------


def make_pdf(pages: int = 2) -> bytes:
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        doc.new_page().insert_text((72, 72), f"Page {n}: bao cao tinh hinh")
    return bytes(doc.tobytes())


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@dataclass
class Meeting:
    id: int
    agenda: list[int]
    documents: list[int]


@dataclass
class Authz:
    server: Server
    pool: asyncpg.Pool
    http: httpx.AsyncClient
    body_id: int
    users: dict[str, int] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    other_body_id: int = 0
    prep: Meeting = field(default_factory=lambda: Meeting(0, [], []))
    private_doc: int = 0  # in `prep`, no download
    public_doc: int = 0  # in `prep`, download allowed
    source_doc: int = 0  # in another meeting, for attaching
    foreign_doc: int = 0  # in a meeting of another body
    ended: Meeting = field(default_factory=lambda: Meeting(0, [], []))
    named_poll: int = 0
    secret_poll: int = 0
    serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    one: int = 1  # the first version of the minutes, the first page

    @property
    def prep_id(self) -> int:
        return self.prep.id

    @property
    def ended_id(self) -> int:
        return self.ended.id

    def auth(self, role: str) -> dict[str, str]:
        return {} if role == "anon" else bearer(self.tokens[PLAYER[role]])

    def token_of(self, role: str) -> str | None:
        return None if role == "anon" else self.tokens[PLAYER[role]]

    async def session(self, user_id: int) -> str:
        token = secrets.token_urlsafe(24)
        await self.pool.execute(
            "INSERT INTO sessions (token_hash, user_id, expires_at)"
            " VALUES ($1, $2, now() + interval '1 hour')",
            hashlib.sha256(token.encode()).digest(), user_id)
        return token

    async def add_user(self, name: str, *, body_id: int | None = None, is_admin: bool = False,
                       can_prepare: bool = False) -> int:
        username = f"authz-{name}-{secrets.token_hex(3)}"
        uid: int = await self.pool.fetchval(
            "INSERT INTO users (body_id, username, full_name, password_hash, is_admin,"
            " can_prepare) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            body_id or self.body_id, username, f"Người {name}", _PASSWORD_HASH, is_admin,
            can_prepare)
        self.users[name], self.usernames[name] = uid, username
        self.tokens[name] = await self.session(uid)
        return uid

    async def like(self, role: str) -> str:
        """A fresh user with the body and body roles of the role's player, and a token."""
        row = await self.pool.fetchrow("SELECT body_id, is_admin, can_prepare FROM users"
                                       " WHERE id = $1", self.users[PLAYER[role]])
        name = f"{role}-{next(self.serial)}"
        await self.add_user(name, body_id=row["body_id"], is_admin=row["is_admin"],
                            can_prepare=row["can_prepare"])
        return self.tokens[name]

    async def meeting(self, status: str = "invited", *, agenda: int = 3, documents: int = 1,
                      cast: dict[str, str] | None = None,
                      title: str = "Họp thử phân quyền") -> Meeting:
        # Within the check-in window (domain/checkin.py); cases a day early move it.
        starts = datetime.now(UTC) + timedelta(minutes=30)
        async with self.pool.acquire() as conn, conn.transaction():
            mid: int = await conn.fetchval(
                "INSERT INTO meetings (body_id, title, title_folded, starts_at, status,"
                " allow_proxy) VALUES ($1, $2, $3, $4, $5, true) RETURNING id",
                self.body_id, title, fold(title), starts, status)
            items = [await conn.fetchval(
                "INSERT INTO agenda_items (meeting_id, position, title, duration_min)"
                " VALUES ($1, $2, $3, 15) RETURNING id", mid, n, f"Nội dung {n}")
                for n in range(1, agenda + 1)]
            docs = [await conn.fetchval(
                "INSERT INTO documents (meeting_id, title, page_count) VALUES ($1, $2, 3)"
                " RETURNING id", mid, f"Tài liệu {n}") for n in range(1, documents + 1)]
            await conn.executemany(
                "INSERT INTO meeting_participants (meeting_id, user_id, role) VALUES ($1, $2, $3)",
                [(mid, self.users[name], role) for name, role in (cast or CAST).items()])
        return Meeting(mid, items, docs)

    async def fingerprint(self, meeting_id: int) -> tuple[int, int]:
        """The newest event and stored update of the meeting: a refusal moves neither."""
        row = await self.pool.fetchrow(
            "SELECT (SELECT coalesce(max(id), 0) FROM meeting_events WHERE meeting_id = $1),"
            " (SELECT coalesce(max(id), 0) FROM doc_updates WHERE name LIKE $2)",
            meeting_id, f"meeting/{meeting_id}/%")
        return int(row[0]), int(row[1])

    async def socket(self, role: str, meeting_id: int, doc: str = "room") -> YClient:
        """A socket as the role (or as a named user); closed if the server refused it."""
        token = self.tokens[role] if role in self.tokens else self.token_of(role)
        client = YClient(self.server.ws, f"meeting/{meeting_id}/{doc}", token, device="authz")
        return await client.connect(timeout=15)


async def ok(client: YClient, kind: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await client.intent(kind, args or {})
    assert reply["ok"], (kind, reply)
    result: dict[str, Any] = reply["result"] or {}
    return result


@pytest.fixture(scope="module")
async def authz(server: Server) -> AsyncIterator[Authz]:
    world = await build_world(server.database_url, delegates=3)
    pool = await asyncpg.create_pool(server.database_url, min_size=2, max_size=8)
    # Every call carries its caller's token: no cookie may outlive a login cell.
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    http = httpx.AsyncClient(base_url=server.http, timeout=60, cookies=jar)
    a = Authz(server, pool, http, world.body_id)
    for row in await pool.fetch("SELECT id, username FROM users WHERE body_id = $1",
                                world.body_id):
        name = next(n for n, uid in world.users.items() if uid == row["id"])
        a.users[name], a.usernames[name] = row["id"], row["username"]
    a.tokens.update(world.tokens)
    await pool.execute("UPDATE bodies SET place = $2 WHERE id = $1", a.body_id, PLACE)
    await a.add_user("admin", is_admin=True)
    # The admin column is also a site admin (who may create bodies); the admin
    # of another body is not (tests/authorization_matrix.py).
    await pool.execute("UPDATE users SET is_site_admin = true WHERE id = $1", a.users["admin"])
    await a.add_user("preparer", can_prepare=True)
    await a.add_user("neighbour")
    a.other_body_id = await pool.fetchval(
        "INSERT INTO bodies (code, name) VALUES ($1, 'Sở khác') RETURNING id",
        f"other-{secrets.token_hex(3)}")
    await a.add_user("stranger", body_id=a.other_body_id, is_admin=True, can_prepare=True)
    await a.meeting(cast={"neighbour": "delegate"})  # the neighbour's own meeting

    a.prep = await a.meeting(documents=0, title=f"Họp giao ban {SEARCH_WORD}")
    for flag in ("0", "1"):
        r = await http.post(f"/api/meetings/{a.prep.id}/documents", content=make_pdf(),
                            params={"filename": "bao-cao.pdf", "allow_download": flag},
                            headers=a.auth("secretary"))
        assert r.status_code == 201, r.text
        a.prep.documents.append(int(r.json()["document"]["id"]))
    a.private_doc, a.public_doc = a.prep.documents
    source = await a.meeting(documents=0, cast={"chair": "delegate", "secretary": "delegate"})
    a.source_doc = await pool.fetchval(
        "INSERT INTO documents (meeting_id, title, page_count, pdf_sha256, original_sha256,"
        " original_name, original_type, allow_download)"
        " SELECT $2, title, page_count, pdf_sha256, original_sha256, original_name,"
        " original_type, true FROM documents WHERE id = $1 RETURNING id",
        a.public_doc, source.id)
    foreign = await pool.fetchval(
        "INSERT INTO meetings (body_id, title, starts_at, status) VALUES ($1, 'Họp sở khác',"
        " now(), 'invited') RETURNING id", a.other_body_id)
    await pool.execute("INSERT INTO meeting_participants (meeting_id, user_id, role)"
                       " VALUES ($1, $2, 'secretary')", foreign, a.users["stranger"])
    a.foreign_doc = await pool.fetchval(
        "INSERT INTO documents (meeting_id, title, page_count, allow_download)"
        " VALUES ($1, 'Tài liệu sở khác', 1, true) RETURNING id", foreign)

    # A meeting run to its end: polls, minutes and a conclusion notice.
    a.ended = await a.meeting(agenda=2, documents=0, title="Họp tổng kết")
    chair, delegate = await asyncio.gather(a.socket("chair", a.ended.id),
                                           a.socket("delegate", a.ended.id))
    await ok(chair, "agenda.goto", {"item": a.ended.agenda[0]})
    await ok(chair, "session.open")
    for client in (chair, delegate):
        await ok(client, "attendance.check_in")
    polls = []
    for kind in ("named", "secret"):
        poll = (await ok(chair, "poll.open", {"question": f"Thông qua ({POLL_WORD} {kind})?",
                                              "kind": kind, "rule": "present_majority"}))["poll"]
        for client in (chair, delegate):
            await ok(client, "vote.cast", {"poll": poll, "choice": 0})
        await ok(chair, "poll.close", {"poll": poll})
        polls.append(int(poll))
    a.named_poll, a.secret_poll = polls
    await ok(chair, "session.close")
    await asyncio.gather(chair.close(), delegate.close())
    for path, text in (("minutes/approve", MINUTES_TEXT), ("conclusion", NOTICE_TEXT)):
        r = await http.post(f"/api/meetings/{a.ended.id}/{path}", json={"text": text},
                            headers=a.auth("secretary"))
        assert r.status_code == 201, r.text
    yield a
    await http.aclose()
    await pool.close()


# -- HTTP -----------------------------------------------------------------------------------


@dataclass
class Call:
    ids: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    params: dict[str, str] | None = None
    content: bytes | None = None
    headers: dict[str, str] | None = None  # instead of the role's own session
    path: str | None = None
    judge: Callable[[httpx.Response], Outcome] | None = None


Builder = Callable[[Authz, str], Awaitable[Call]]
CALLS: dict[tuple[str, str], Builder] = {}


def plays(key: str, case: str = "") -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        assert (key, case) not in CALLS, (key, case)
        CALLS[(key, case)] = build
        return build
    return register


def fixed(key: str, case: str = "", **call: Any) -> None:
    """A call that needs nothing made for it (`ids` may name attributes of Authz)."""
    ids: dict[str, str] = call.pop("ids", {})

    async def build(a: Authz, role: str) -> Call:
        return Call({name: getattr(a, attr) for name, attr in ids.items()}, **call)
    plays(key, case)(build)


def static(r: httpx.Response) -> Outcome:
    return r.status_code if r.status_code in (401, 403) else OK


def listed(meeting_id: int, kind: str | None = None) -> Callable[[httpx.Response], Outcome]:
    """Whether the caller's meetings (or search results of `kind`) show the meeting."""
    def judge(r: httpx.Response) -> Outcome:
        if r.status_code != 200:
            return r.status_code
        body = r.json()
        rows = body.get("meetings") or body.get("results") or []
        hit = any(int(row.get("meeting_id", row.get("id"))) == meeting_id and
                  (kind is None or row.get("kind") == kind) for row in rows)
        return FOUND if hit else HIDDEN
    return judge


def soon(days: int = 40) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


# System endpoints, the session and the directory.
fixed("GET /-/health")
fixed("GET /-/metrics")
fixed("GET /api/me")
fixed("GET /api/oidc")
fixed("GET /api/oidc/login")
fixed("GET /api/oidc/callback")
fixed("GET /api/meetings")
fixed("GET /api/search", params={"q": "họp"})
fixed("GET /api/users", params={"q": "Người"})
fixed("GET /api/body")
fixed("GET /api/bodies")
fixed("GET /api/rooms")
fixed("GET /api/display/now")
fixed("GET /api/holidays")
fixed("GET /display")
fixed("MOUNT /display", path="/display/", judge=static)
fixed("MOUNT /", path="/", judge=static)
fixed("PATCH /api/body", json={"place": PLACE})
fixed("POST /api/rooms", json={"name": "Phòng họp thử", "seats": 20})
fixed("POST /api/meetings", json={"title": "Họp mới", "starts_at": soon()})


@plays("POST /api/bodies")
async def _create_body(a: Authz, role: str) -> Call:
    n = f"{next(a.serial)}-{secrets.token_hex(3)}"
    return Call(json={"code": f"co-quan-{n}", "name": f"Cơ quan thử {n}",
                      "admin_username": f"authz-qt-{n}", "admin_full_name": "Người quản trị"})


@plays("POST /api/login")
async def _login(a: Authz, role: str) -> Call:
    name = PLAYER["plain" if role == "anon" else role]
    return Call(json={"username": a.usernames[name], "password": PASSWORD})


@plays("POST /api/logout")
async def _logout(a: Authz, role: str) -> Call:
    # A session of its own: the role's usual one stays for the other cells.
    return Call() if role == "anon" else Call(
        headers=bearer(await a.session(a.users[PLAYER[role]])))


@plays("POST /api/logout/everywhere")
async def _logout_everywhere(a: Authz, role: str) -> Call:
    return Call() if role == "anon" else Call(headers=bearer(await a.like(role)))


@plays("GET /api/meetings", "lists a meeting")
async def _lists_meeting(a: Authz, role: str) -> Call:
    return Call(judge=listed(a.prep.id))


@plays("GET /api/search", "finds a meeting's title")
async def _finds_meeting(a: Authz, role: str) -> Call:
    return Call(params={"q": SEARCH_WORD}, judge=listed(a.prep.id, "meeting"))


@plays("GET /api/search", "finds approved minutes")
async def _finds_minutes(a: Authz, role: str) -> Call:
    return Call(params={"q": MINUTES_WORD}, judge=listed(a.ended.id, "minutes"))


@plays("GET /api/search", "finds a conclusion notice")
async def _finds_notice(a: Authz, role: str) -> Call:
    return Call(params={"q": NOTICE_WORD}, judge=listed(a.ended.id, "conclusion"))


@plays("GET /api/search", "finds a poll question")
async def _finds_poll(a: Authz, role: str) -> Call:
    return Call(params={"q": POLL_WORD}, judge=listed(a.ended.id, "poll"))


@plays("POST /api/users")
async def _create_user(a: Authz, role: str) -> Call:
    return Call(json={"username": f"authz-new-{next(a.serial)}-{secrets.token_hex(3)}",
                      "full_name": "Người mới", "password": "mat-khau-du-dai-10"})


@plays("PATCH /api/users/{user_id}")
async def _update_user(a: Authz, role: str) -> Call:
    target = await a.add_user(f"target-{next(a.serial)}")
    return Call({"user_id": target}, json={"title": "Chuyên viên"})


@plays("PATCH /api/users/{user_id}", "password reset")
async def _reset_password(a: Authz, role: str) -> Call:
    target = await a.add_user(f"target-{next(a.serial)}")
    return Call({"user_id": target}, json={"password": "song-Gianh-mua-lu-2026"})


@plays("PATCH /api/users/{user_id}", "reactivate")
async def _reactivate(a: Authz, role: str) -> Call:
    target = await a.add_user(f"target-{next(a.serial)}")
    await a.pool.execute("UPDATE users SET is_active = false WHERE id = $1", target)
    return Call({"user_id": target}, json={"is_active": True})


@plays("GET /api/users", "finds a user of this body")
async def _finds_user(a: Authz, role: str) -> Call:
    wanted = a.users["delegate01"]

    def judge(r: httpx.Response) -> Outcome:
        if r.status_code != 200:
            return r.status_code
        return FOUND if any(u["id"] == wanted for u in r.json()["users"]) else HIDDEN
    return Call(params={"q": a.usernames["delegate01"]}, judge=judge)


@plays("POST /api/me/password")
async def _change_password(a: Authz, role: str) -> Call:
    body = {"current_password": PASSWORD, "new_password": "song-Gianh-mua-lu-2026"}
    return Call(json=body) if role == "anon" else Call(headers=bearer(await a.like(role)),
                                                       json=body)


fixed("GET /api/me/notifications")
fixed("GET /api/notifications")


@plays("PUT /api/me/notifications")
async def _notification_settings(a: Authz, role: str) -> Call:
    return Call(json={"email": f"{role}@quangbinh.gov.vn", "by_email": True})


@plays("GET /api/users/{user_id}/notifications")
async def _person_notifications(a: Authz, role: str) -> Call:
    return Call({"user_id": await a.add_user(f"target-{next(a.serial)}")})


@plays("PUT /api/users/{user_id}/notifications")
async def _save_person_notifications(a: Authz, role: str) -> Call:
    return Call({"user_id": await a.add_user(f"target-{next(a.serial)}")},
                json={"email": "nguoi.nhan@quangbinh.gov.vn"})


@plays("POST /api/notifications/{notification_id}/retry")
async def _retry_notification(a: Authz, role: str) -> Call:
    row: int = await a.pool.fetchval(
        "INSERT INTO notification_outbox (user_id, channel, kind, key, subject, body, failed_at)"
        " VALUES ($1, 'email', 'test', $2, 'Thử', 'Thử', now()) RETURNING id",
        a.users["delegate01"], f"authz:{next(a.serial)}")
    return Call({"notification_id": row})


def _holiday(a: Authz) -> date:
    return date(2031, 1, 1) + timedelta(days=next(a.serial))


@plays("POST /api/holidays")
async def _add_holiday(a: Authz, role: str) -> Call:
    return Call(json={"day": _holiday(a).isoformat(), "name": "Ngày nghỉ thử"})


@plays("DELETE /api/holidays/{day}")
async def _remove_holiday(a: Authz, role: str) -> Call:
    day = _holiday(a)
    await a.pool.execute("INSERT INTO holidays (day, body_id, name) VALUES ($1, $2, 'Nghỉ')",
                         day, a.body_id)
    return Call({"day": day.isoformat()})


# The admin screens: each changing call gets a row of its own to act on.
fixed("GET /api/units")
fixed("GET /api/groups")
fixed("GET /api/retention")
fixed("GET /api/meetings/{meeting_id}/groups", ids={"meeting_id": "prep_id"})


async def _new_room(a: Authz) -> int:
    room: int = await a.pool.fetchval(
        "INSERT INTO rooms (body_id, name) VALUES ($1, $2) RETURNING id",
        a.body_id, f"Phòng {next(a.serial)}")
    return room


async def _new_group(a: Authz, body_id: int, *members: int) -> int:
    group: int = await a.pool.fetchval(
        "INSERT INTO attendee_groups (body_id, name) VALUES ($1, $2) RETURNING id",
        body_id, f"Nhóm {next(a.serial)}")
    await a.pool.executemany("INSERT INTO attendee_group_members (group_id, user_id)"
                             " VALUES ($1, $2)", [(group, m) for m in members])
    return group


@plays("PATCH /api/users/{user_id}", "a display account moved to another room")
async def _move_display(a: Authz, role: str) -> Call:
    target = await a.add_user(f"display-{next(a.serial)}")
    await a.pool.execute("UPDATE users SET room_id = $2 WHERE id = $1", target, await _new_room(a))
    return Call({"user_id": target}, json={"room_id": await _new_room(a)})


@plays("POST /api/users/{user_id}/password")
async def _make_password(a: Authz, role: str) -> Call:
    return Call({"user_id": await a.add_user(f"target-{next(a.serial)}")})


@plays("PATCH /api/rooms/{room_id}")
async def _update_room(a: Authz, role: str) -> Call:
    return Call({"room_id": await _new_room(a)}, json={"name": "Phòng họp lớn", "seats": 40})


@plays("POST /api/rooms/{room_id}/displays")
async def _create_display(a: Authz, role: str) -> Call:
    return Call({"room_id": await _new_room(a)},
                json={"username": f"authz-screen-{secrets.token_hex(4)}",
                      "full_name": "Màn hình chiếu"})


# PINs and the laptops of a room (domain/pin.py).
fixed("GET /api/me/pin")
fixed("GET /api/room-device")


@plays("PUT /api/me/pin")
async def _set_pin(a: Authz, role: str) -> Call:
    body = {"current_password": PASSWORD, "pin": "480271"}
    return Call(json=body) if role == "anon" else Call(headers=bearer(await a.like(role)),
                                                       json=body)


@plays("DELETE /api/me/pin")
async def _remove_pin(a: Authz, role: str) -> Call:
    return Call() if role == "anon" else Call(headers=bearer(await a.like(role)))


async def _room_laptop(a: Authz, room: int) -> str:
    """A token of a device of `room`, as a registered laptop's cookie holds it."""
    token = secrets.token_urlsafe(32)
    await a.pool.execute(
        "INSERT INTO room_devices (room_id, token_hash, name) VALUES ($1, $2, 'Ghế thử')",
        room, hashlib.sha256(b"room-device:" + token.encode()).digest())
    return token


@plays("POST /api/login/pin", "a laptop not registered to a room")
async def _pin_elsewhere(a: Authz, role: str) -> Call:
    return Call(json={"user_id": a.users["delegate01"], "pin": "480271"})


@plays("POST /api/login/pin", "a room's laptop, a person invited there today")
async def _pin_in_room(a: Authz, role: str) -> Call:
    room = await _new_room(a)
    person = await a.add_user(f"pin-{next(a.serial)}")
    meeting = await a.meeting(agenda=0, documents=0, cast={"chair": "chair"})
    await a.pool.execute("UPDATE meetings SET room_id = $2, starts_at = now() WHERE id = $1",
                         meeting.id, room)
    await a.pool.execute("INSERT INTO meeting_participants (meeting_id, user_id, role)"
                         " VALUES ($1, $2, 'delegate')", meeting.id, person)
    key = bytes.fromhex((a.server.workdir / "keys" / "pin.key").read_text().strip())
    await a.pool.execute(
        "INSERT INTO user_pins (user_id, pin_mac) VALUES ($1, $2)", person,
        hmac.new(key, f"pin:{person}:480271".encode(), hashlib.sha256).digest())
    cookie = {"cookie": f"phonghop_room={await _room_laptop(a, room)}"}
    return Call(json={"user_id": person, "pin": "480271"}, headers={**a.auth(role), **cookie})


@plays("GET /api/rooms/{room_id}/devices")
async def _list_devices(a: Authz, role: str) -> Call:
    return Call({"room_id": await _new_room(a)})


@plays("POST /api/rooms/{room_id}/devices")
async def _register_device(a: Authz, role: str) -> Call:
    return Call({"room_id": await _new_room(a)}, json={"name": "Ghế 1"})


@plays("DELETE /api/rooms/{room_id}/devices/{device_id}")
async def _revoke_device(a: Authz, role: str) -> Call:
    room = await _new_room(a)
    await _room_laptop(a, room)
    device = await a.pool.fetchval("SELECT id FROM room_devices WHERE room_id = $1", room)
    return Call({"room_id": room, "device_id": device})


@plays("POST /api/units")
async def _add_unit(a: Authz, role: str) -> Call:
    return Call(json={"name": f"Phòng thử {next(a.serial)}"})


async def _new_unit(a: Authz) -> int:
    unit: int = await a.pool.fetchval(
        "INSERT INTO body_units (body_id, name) VALUES ($1, $2) RETURNING id",
        a.body_id, f"Đơn vị {next(a.serial)}")
    return unit


@plays("PATCH /api/units/{unit_id}")
async def _rename_unit(a: Authz, role: str) -> Call:
    return Call({"unit_id": await _new_unit(a)}, json={"name": f"Đơn vị mới {next(a.serial)}"})


@plays("DELETE /api/units/{unit_id}")
async def _remove_unit(a: Authz, role: str) -> Call:
    return Call({"unit_id": await _new_unit(a)})


@plays("POST /api/groups")
async def _create_group(a: Authz, role: str) -> Call:
    return Call(json={"name": f"Nhóm thử {next(a.serial)}", "members": []})


@plays("PATCH /api/groups/{group_id}")
async def _update_group(a: Authz, role: str) -> Call:
    return Call({"group_id": await _new_group(a, a.body_id)},
                json={"members": [a.users["delegate01"]]})


@plays("DELETE /api/groups/{group_id}")
async def _remove_group(a: Authz, role: str) -> Call:
    return Call({"group_id": await _new_group(a, a.body_id)})


# Tasks (transport/tasks.py): each changing cell gets a task of its own,
# assigned to the *plain user* (the outsider).
fixed("GET /api/meetings/{meeting_id}/tasks/proposed", ids={"meeting_id": "ended_id"})
fixed("GET /api/tasks")
fixed("GET /api/tasks/report.csv")
fixed("GET /api/tasks/report.pdf")


async def _new_task(a: Authz, status: str = "assigned", *, to: str = "outsider") -> int:
    today = date.today()
    asked = status == "extension_asked"
    task: int = await a.pool.fetchval(
        "INSERT INTO tasks (body_id, title, assignee_id, assigned_on, deadline, status,"
        " asked_until, asked_reason, status_before, report, done_on, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        a.body_id, f"Nhiệm vụ {next(a.serial)}", a.users[to], today,
        today + timedelta(days=14), status, today + timedelta(days=30) if asked else None,
        "Chờ số liệu" if asked else "", "in_progress" if asked else None,
        "Đã xong" if status == "done" else "", today if status == "done" else None,
        a.users["admin"])
    return task


@plays("POST /api/meetings/{meeting_id}/tasks")
async def _tasks_from_notice(a: Authz, role: str) -> Call:
    return Call({"meeting_id": a.ended_id},
                json={"tasks": [{"title": "Việc thử", "assignee_id": a.users["delegate01"],
                                 "working_days": 5}]})


@plays("GET /api/tasks", "lists a task of another person")
async def _lists_task(a: Authz, role: str) -> Call:
    task = await _new_task(a, to="delegate01")

    def judge(r: httpx.Response) -> Outcome:
        if r.status_code != 200:
            return r.status_code
        return FOUND if any(x["id"] == task for x in r.json()["tasks"]) else HIDDEN
    return Call(judge=judge)


@plays("POST /api/tasks")
async def _create_task(a: Authz, role: str) -> Call:
    to = a.users["stranger" if role == "other_admin" else "delegate01"]
    return Call(json={"title": "Việc giao thử", "assignee_id": to, "working_days": 3})


@plays("GET /api/tasks/{task_id}")
async def _get_task(a: Authz, role: str) -> Call:
    return Call({"task_id": await _new_task(a)})


for _case, _status, _body in (
    ("progress", "assigned", {"action": "progress", "progress": 30}),
    ("done, with a report", "in_progress", {"action": "report", "note": "Đã hoàn thành"}),
    ("extension asked", "in_progress",
     {"action": "ask_extension", "note": "Chờ số liệu", "until": "2099-01-05"}),
    ("extension granted", "extension_asked", {"action": "grant"}),
    ("extension refused", "extension_asked", {"action": "refuse", "note": "Không đủ lý do"}),
    ("a report reopened", "done", {"action": "reopen", "note": "Thiếu phụ lục"}),
):
    def _step(status: str, body: dict[str, Any]) -> Builder:
        async def build(a: Authz, role: str) -> Call:
            return Call({"task_id": await _new_task(a, status)}, json=body)
        return build
    plays("POST /api/tasks/{task_id}/actions", _case)(_step(_status, _body))


@plays("POST /api/tasks/{task_id}/attachments")
async def _attach_to_task(a: Authz, role: str) -> Call:
    return Call({"task_id": await _new_task(a)}, params={"filename": "bao-cao.pdf"},
                content=make_pdf(1))


@plays("GET /api/tasks/{task_id}/attachments/{attachment_id}")
async def _task_attachment(a: Authz, role: str) -> Call:
    task = await _new_task(a)
    r = await a.http.post(f"/api/tasks/{task}/attachments", params={"filename": "bao-cao.pdf"},
                          content=make_pdf(1), headers=a.auth("plain"))
    assert r.status_code == 201, r.text
    return Call({"task_id": task, "attachment_id": r.json()["attachment"]["id"]})


# A meeting and what is under it. Reads use the prepared or the ended meeting;
# changes get a meeting of their own.
M = "/api/meetings/{meeting_id}"
for _path in ("", "/participants", "/documents"):
    fixed(f"GET {M}{_path}", ids={"meeting_id": "prep_id"})
for _path in ("/polls", "/minutes", "/minutes/draft", "/conclusion", "/conclusion.pdf",
              "/export.zip"):
    fixed(f"GET {M}{_path}", ids={"meeting_id": "ended_id"})
fixed(f"GET {M}/minutes/{{version}}.pdf", ids={"meeting_id": "ended_id", "version": "one"})
fixed(f"POST {M}/minutes/approve", ids={"meeting_id": "ended_id"}, json={"text": MINUTES_TEXT})
fixed(f"POST {M}/minutes/{{version}}/sign", ids={"meeting_id": "ended_id", "version": "one"})
fixed(f"POST {M}/conclusion/{{version}}/sign", ids={"meeting_id": "ended_id", "version": "one"})
fixed(f"POST {M}/conclusion", ids={"meeting_id": "ended_id"}, json={"text": NOTICE_TEXT})
fixed("GET /api/polls/{poll_id}", ids={"poll_id": "named_poll"})
fixed("GET /api/polls/{poll_id}/receipts", ids={"poll_id": "secret_poll"})
fixed("GET /api/polls/{poll_id}/result.pdf", ids={"poll_id": "named_poll"})
fixed("GET /api/polls/{poll_id}/result.csv", ids={"poll_id": "named_poll"})
for _path in ("/replay", "/replay/room", "/replay.pdf"):
    fixed(f"GET {M}{_path}", ids={"meeting_id": "ended_id"})


@plays(f"GET {M}/replay/room", "the outsider an inspector of the body")
async def _inspector_replays(a: Authz, role: str) -> Call:
    if role != "outsider":
        return Call({"meeting_id": a.ended_id})
    token = await a.like("outsider")
    inspector = next(n for n, t in a.tokens.items() if t == token)
    await a.pool.execute("INSERT INTO replay_readers (user_id, body_id) VALUES ($1, $2)",
                         a.users[inspector], a.body_id)
    return Call({"meeting_id": a.ended_id}, headers=bearer(token))


async def _inspector_target(a: Authz, *, granted: bool) -> Call:
    uid = await a.add_user(f"thanh-tra-{next(a.serial)}")
    if granted:
        await a.pool.execute("INSERT INTO replay_readers (user_id, body_id) VALUES ($1, $2)",
                             uid, a.body_id)
    return Call({"user_id": uid})


fixed("GET /api/inspectors")


@plays("PUT /api/inspectors/{user_id}")
async def _grant_inspector(a: Authz, role: str) -> Call:
    return await _inspector_target(a, granted=False)


@plays("DELETE /api/inspectors/{user_id}")
async def _revoke_inspector(a: Authz, role: str) -> Call:
    return await _inspector_target(a, granted=True)


D = "/api/documents/{document_id}"
fixed(f"GET {D}", ids={"document_id": "private_doc"})
fixed(f"GET {D}/pages/{{page_no}}", ids={"document_id": "private_doc", "page_no": "one"},
      params={"w": "thumb", "fmt": "png"})
fixed(f"GET {D}/pages/{{page_no}}/text", ids={"document_id": "private_doc", "page_no": "one"})
fixed(f"GET {D}/original", "download not allowed", ids={"document_id": "private_doc"})
fixed(f"GET {D}/original", "download allowed", ids={"document_id": "public_doc"})
fixed(f"GET {D}/opens", ids={"document_id": "private_doc"})
fixed(f"GET {D}/annotated", ids={"document_id": "private_doc"})


def fresh(key: str, case: str = "", *, status: str = "invited",
          ids: Callable[[Authz, Meeting], dict[str, Any]] = lambda a, m: {},
          prepare: Callable[[Authz, Meeting], Awaitable[None]] | None = None,
          **call: Any) -> None:
    """A call on a meeting made for the cell."""
    async def build(a: Authz, role: str) -> Call:
        m = await a.meeting(status)
        if prepare is not None:
            await prepare(a, m)
        body = {k: v(a, m) if callable(v) else v for k, v in call.items()}
        return Call({"meeting_id": m.id, **ids(a, m)}, **body)
    plays(key, case)(build)


fresh(f"PATCH {M}", json={"title": "Họp giao ban (đổi tên)"})
fresh(f"GET {M}/replay", "meeting not ended", status="in_session")
fresh(f"PATCH {M}", "meeting in session", status="in_session", json={"title": "Đổi tên"})
for _case in ("draft → invited", "invited → draft", "invited → in_session",
              "in_session → ended", "ended → archived", "draft → ended (no such transition)"):
    _from, _to = _case.split(" (")[0].split(" → ")
    fresh(f"POST {M}/status", _case, status=_from, json={"to": _to})
fresh(f"POST {M}/agenda", json={"title": "Mục bổ sung", "duration_min": 10})
fresh(f"POST {M}/agenda", "meeting ended", status="ended", json={"title": "Mục bổ sung"})
fresh(f"PUT {M}/agenda/order", json=lambda a, m: {"order": m.agenda[::-1]})
fresh(f"PATCH {M}/agenda/{{item_id}}", ids=lambda a, m: {"item_id": m.agenda[0]},
      json={"title": "Mục đã sửa"})
fresh(f"DELETE {M}/agenda/{{item_id}}", ids=lambda a, m: {"item_id": m.agenda[0]})
fresh(f"POST {M}/participants", json=lambda a, m: {"user_id": a.users["preparer"],
                                                    "role": "guest"})
fresh(f"PATCH {M}/participants/{{user_id}}", ids=lambda a, m: {"user_id": a.users["delegate03"]},
      json={"role": "guest"})
fresh(f"DELETE {M}/participants/{{user_id}}", ids=lambda a, m: {"user_id": a.users["delegate03"]})
fresh(f"POST {M}/participants", "as chair", json=lambda a, m: {"user_id": a.users["preparer"],
                                                                "role": "chair"})
fresh(f"PATCH {M}/participants/{{user_id}}", "a delegate made chair",
      ids=lambda a, m: {"user_id": a.users["delegate03"]}, json={"role": "chair"})
fresh(f"PATCH {M}/participants/{{user_id}}", "the chair made a delegate",
      ids=lambda a, m: {"user_id": a.users["chair"]}, json={"role": "delegate"})
fresh(f"PATCH {M}/participants/{{user_id}}", "a delegate made secretary",
      ids=lambda a, m: {"user_id": a.users["delegate03"]}, json={"role": "secretary"})
fresh(f"DELETE {M}/participants/{{user_id}}", "the chair",
      ids=lambda a, m: {"user_id": a.users["chair"]})


@plays(f"PATCH {M}/participants/{{user_id}}", "the caller's own role")
async def _own_role(a: Authz, role: str) -> Call:
    m = await a.meeting()
    me = a.users["delegate03"] if role == "anon" else a.users[PLAYER[role]]
    return Call({"meeting_id": m.id, "user_id": me}, json={"role": "guest"})
fresh(f"GET {M}/checkin-code", "room code")
fresh(f"GET {M}/checkin-code", "one person's code",
      params=lambda a, m: {"user": a.users["delegate03"]})
fresh(f"PUT {M}/response", json={"answer": "attend"})
fresh(f"PUT {M}/response", "meeting in session", status="in_session", json={"answer": "attend"})
fresh(f"POST {M}/documents", content=make_pdf(1), params={"filename": "to-trinh.pdf"})
fresh(f"POST {M}/documents", "meeting ended", status="ended", content=make_pdf(1),
      params={"filename": "to-trinh.pdf"})
fresh(f"POST {M}/documents/attach", json=lambda a, m: {"document_id": a.source_doc})
fresh(f"POST {M}/documents/attach", "from another body's meeting",
      json=lambda a, m: {"document_id": a.foreign_doc})
fresh(f"POST {M}/copy", json={"title": "Bản sao cuộc họp", "starts_at": soon(60)})
fresh(f"POST {M}/minutes/approve", "meeting not ended", json={"text": MINUTES_TEXT})
fresh(f"PATCH {D}", ids=lambda a, m: {"document_id": m.documents[0]},
      json={"title": "Tài liệu (đã sửa)"})
fresh(f"DELETE {D}", ids=lambda a, m: {"document_id": m.documents[0]})
fresh(f"PATCH {D}", "meeting archived", status="archived",
      ids=lambda a, m: {"document_id": m.documents[0]}, json={"allow_download": True})
fresh(f"DELETE {D}", "meeting archived", status="archived",
      ids=lambda a, m: {"document_id": m.documents[0]})

@plays(f"POST {M}/groups/{{group_id}}")
async def _add_group(a: Authz, role: str) -> Call:
    m = await a.meeting()
    return Call({"meeting_id": m.id,
                 "group_id": await _new_group(a, a.body_id, a.users["preparer"])},
                json={"role": "guest"})


@plays(f"POST {M}/groups/{{group_id}}", "a group of another body")
async def _add_foreign_group(a: Authz, role: str) -> Call:
    m = await a.meeting()
    return Call({"meeting_id": m.id,
                 "group_id": await _new_group(a, a.other_body_id, a.users["stranger"])},
                json={"role": "delegate"})


async def _pending_deputy(a: Authz, m: Meeting) -> None:
    await a.pool.execute(
        "UPDATE meeting_participants SET response = 'deputy', deputy_user_id = $3,"
        " deputy_status = 'pending' WHERE meeting_id = $1 AND user_id = $2",
        m.id, a.users["delegate02"], a.users["preparer"])


fresh(f"POST {M}/participants/{{user_id}}/deputy",
      ids=lambda a, m: {"user_id": a.users["delegate02"]}, prepare=_pending_deputy,
      json={"approve": True})
fresh(f"GET {M}/deputies")


async def _invitation_sent(a: Authz, m: Meeting) -> None:
    pdf = make_pdf(1)
    await a.pool.execute(
        "INSERT INTO meeting_invitations (meeting_id, version, pdf, sha256, notice_days,"
        " issued_by) VALUES ($1, 1, $2, sha256($2), 0, $3)", m.id, pdf, a.users["delegate02"])


fresh(f"GET {M}/invitation.pdf", prepare=_invitation_sent)
fresh(f"GET {M}/invitation.pdf", "one invitee's personal letter (?user=)",
      prepare=_invitation_sent, params=lambda a, m: {"user": a.users["delegate01"]})


# Written opinions (transport/opinions.py): requests made by the body's preparer,
# asking the `member` column's player, chaired by the `opinion_chair` column's.
OP = matrix.OP
OPINION_WORD = "ykienthu"  # only in the issued summary
_shared: dict[str, tuple[int, int, int]] = {}  # kind -> (request, question, document)
_shared_lock = asyncio.Lock()


async def _opinion(a: Authz, *, send: bool = True, answer: bool = False, issue: bool = False,
                   document: bool = False) -> tuple[int, int, int]:
    office = a.auth("preparer")
    r = await a.http.post("/api/opinions", headers=office, json={
        "title": "Xin ý kiến phân quyền", "questions": ["Đồng ý chủ trương?"],
        "members": [a.users[PLAYER["member"]]], "chair_id": a.users[PLAYER["opinion_chair"]]})
    assert r.status_code == 201, r.text
    oid, question = r.json()["opinion"]["id"], r.json()["opinion"]["questions"][0]["id"]
    doc = 0
    if document:
        r = await a.http.post(f"/api/opinions/{oid}/documents", content=make_pdf(1),
                              params={"filename": "du-thao.pdf"}, headers=office)
        assert r.status_code == 201, r.text
        doc = r.json()["document_id"]
    if send or answer or issue:
        r = await a.http.post(f"/api/opinions/{oid}/send", json={"working_days": 3},
                              headers=office)
        assert r.status_code == 200, r.text
    if answer or issue:
        r = await a.http.put(f"/api/opinions/{oid}/answer", headers=a.auth("member"), json={
            "answers": [{"question_id": question, "choice": "agree", "comment": ""}]})
        assert r.status_code == 200, r.text
    if issue:
        r = await a.http.post(f"/api/opinions/{oid}/summary/issue", headers=office,
                              json={"text": f"Tổng hợp ý kiến ({OPINION_WORD})."})
        assert r.status_code == 201, r.text
    return oid, question, doc


async def _shared_opinion(a: Authz, kind: str) -> tuple[int, int, int]:
    """One request per kind for the cells that change nothing of it."""
    async with _shared_lock:
        if kind not in _shared:
            _shared[kind] = await _opinion(a, send=kind != "draft", issue=kind == "issued",
                                           document=kind == "sent")
        return _shared[kind]


def _lists_opinion(oid: int) -> Callable[[httpx.Response], Outcome]:
    def judge(r: httpx.Response) -> Outcome:
        if r.status_code != 200:
            return r.status_code
        body = r.json()
        rows = body.get("opinions") or body.get("results") or []
        return FOUND if any(row.get("opinion_id", row.get("id")) == oid and
                            row.get("kind", "opinion") == "opinion" for row in rows) else HIDDEN
    return judge


def opinion_call(key: str, case: str, kind: str, **call: Any) -> None:
    async def build(a: Authz, role: str) -> Call:
        oid, question, doc = await _shared_opinion(a, kind)
        body = {k: v(oid, question) if callable(v) else v for k, v in call.items()}
        return Call({"opinion_id": oid, "document_id": doc, "page_no": 1}, **body)
    plays(key, case)(build)


fixed("GET /api/opinions")
for _kind, _case in (("sent", "lists a sent request"), ("draft", "lists a draft")):
    opinion_call("GET /api/opinions", _case, _kind,
                 judge=lambda oid, _q: _lists_opinion(oid))
opinion_call(f"GET {OP}", "sent", "sent")
opinion_call(f"GET {OP}", "draft", "draft")
opinion_call(f"PATCH {OP}", "draft", "draft", json={"title": "Xin ý kiến phân quyền"})
opinion_call(f"POST {OP}/documents", "draft", "draft", content=make_pdf(1),
             params={"filename": "phu-luc.pdf"})
opinion_call(f"GET {OP}/documents/{{document_id}}/pages/{{page_no}}", "sent", "sent",
             params={"fmt": "png"})
opinion_call(f"PUT {OP}/answer", "sent", "sent", json=lambda _o, q: {
    "answers": [{"question_id": q, "choice": "disagree", "comment": "Chưa rõ"}]})
opinion_call(f"GET {OP}/summary", "sent", "sent")
opinion_call(f"GET {OP}/summary", "issued", "issued")
opinion_call(f"PUT {OP}/summary", "sent", "sent", json={"text": "Bản tổng hợp đang soạn."})
opinion_call(f"GET {OP}/summary.pdf", "issued", "issued")
opinion_call("GET /api/search", "finds an issued summary of opinions", "issued",
             params={"q": OPINION_WORD}, judge=lambda oid, _q: _lists_opinion(oid))


@plays("POST /api/opinions")
async def _create_opinion(a: Authz, role: str) -> Call:
    # Members of the caller's own body: the caller themself.
    me = a.users[PLAYER[role]] if role != "anon" else a.users[PLAYER["member"]]
    return Call(json={"title": "Xin ý kiến mới", "questions": ["Đồng ý?"], "members": [me]})


@plays(f"DELETE {OP}/documents/{{document_id}}", "draft")
async def _remove_opinion_document(a: Authz, role: str) -> Call:
    oid, _, doc = await _opinion(a, send=False, document=True)
    return Call({"opinion_id": oid, "document_id": doc})


@plays(f"POST {OP}/send", "draft")
async def _send_opinion(a: Authz, role: str) -> Call:
    oid, _, _ = await _opinion(a, send=False)
    return Call({"opinion_id": oid}, json={"working_days": 3})


@plays(f"POST {OP}/summary/issue", "sent, everyone answered")
async def _issue_opinion(a: Authz, role: str) -> Call:
    oid, _, _ = await _opinion(a, answer=True)
    return Call({"opinion_id": oid}, json={"text": "Tổng hợp ý kiến."})


async def play_http(a: Authz, rule: Rule, role: str) -> tuple[Outcome, str]:
    """The outcome of the cell, and the answer to show if it is not the expected one."""
    call = await CALLS[(rule.key, rule.case)](a, "outsider" if role == MISSING else role)
    method, template = rule.key.split(" ", 1)
    ids = dict(call.ids)
    if role == MISSING:  # the first id of the path names nothing
        ids[template.split("{", 1)[1].split("}", 1)[0]] = NO_SUCH_ID
    path = call.path or template.format(**ids)
    headers = call.headers if call.headers is not None else a.auth(role)
    r = await a.http.request("GET" if method == "MOUNT" else method, path, headers=headers,
                             json=call.json, params=call.params, content=call.content)
    detail = f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:200]}"
    if call.judge is not None:
        return call.judge(r), detail
    if 200 <= r.status_code < 300:
        return OK, detail
    if r.status_code >= 400 and method != "MOUNT":
        error = r.json().get("error", {})
        assert set(error) == {"code", "message", "message_en"}, (rule.label, role, r.text)
    return r.status_code, detail


def _failure(rule: Rule, role: str, got: Outcome) -> str:
    want = rule.observed(role)
    if role in rule.today and got == rule.expect[role]:
        return (f"{rule.label} as {role}: now {got} as the rule says; move the cell out of"
                f" `today` in tests/authorization_matrix.py")
    return f"{rule.label} as {role}: expected {want}, got {got}"


async def test_http_routes(authz: Authz) -> None:
    failures = []
    for rule in matrix.HTTP:
        got = await asyncio.gather(*(play_http(authz, rule, role) for role in rule.columns))
        failures += [f"{_failure(rule, role, outcome)} ({detail})"
                     for role, (outcome, detail) in zip(rule.columns, got, strict=True)
                     if outcome != rule.observed(role)]
    assert not failures, "\n".join(failures)


# -- live documents -------------------------------------------------------------------------


def _room(doc: pycrdt.Doc[Any], m: Meeting) -> None:
    doc.get("meeting", type=pycrdt.Map)["title"] = "Bị sửa"


def _ink(doc: pycrdt.Doc[Any], m: Meeting) -> None:
    doc.get(f"strokes:{m.documents[0]}:1", type=pycrdt.Array).append(STROKE)


def _notes(doc: pycrdt.Doc[Any], m: Meeting) -> None:
    doc.get("strokes:1", type=pycrdt.Array).append(STROKE)


def _minutes(doc: pycrdt.Doc[Any], m: Meeting) -> None:
    text = doc.get("text", type=pycrdt.Text)
    text += "Bien ban nhap"  # ASCII: pycrdt counts UTF-8 bytes where Yjs counts UTF-16


Write = Callable[[pycrdt.Doc[Any], Meeting], None]


@dataclass(frozen=True)
class SocketPlay:
    doc: str  # under meeting/{id}/, "{document}" for the meeting's document
    write: Write | None = None
    presenter: str | None = None  # the role the chair names before the cells


SOCKET_PLAYS = {
    "room: connect": SocketPlay("room"),
    "room: write": SocketPlay("room", _room),
    "ink: connect": SocketPlay("ink"),
    "ink: write, nobody named": SocketPlay("ink", _ink),
    "ink: write, the delegate presents": SocketPlay("ink", _ink, presenter="delegate"),
    "inbox: connect": SocketPlay("inbox"),
    "notes/{document}: connect": SocketPlay("notes/{document}"),
    "notes/{document}: write": SocketPlay("notes/{document}", _notes),
    "minutes: connect": SocketPlay("minutes"),
    "minutes: write": SocketPlay("minutes", _minutes),
}


async def play_socket(a: Authz, play: SocketPlay, m: Meeting, role: str) -> Outcome:
    client = await a.socket(role, m.id, play.doc.format(document=m.documents[0]))
    try:
        if not client.closed.is_set() and play.write is not None:
            before = client.doc.get_state()
            play.write(client.doc, m)
            await client.send_update(client.doc.get_update(before))
        if not client.closed.is_set():
            # A round trip: the socket is still open after the server read the update.
            reply = await client.intent("probe.roundtrip", timeout=10)
            if not client.closed.is_set():
                assert reply["error"]["code"] == "unknown_intent", reply
                assert not client.denied, client.denied
                return OK
        await client.wait_closed(10)
        return client.close_code or 0
    finally:
        await client.close()


async def test_live_documents(authz: Authz) -> None:
    failures = []
    for rule in matrix.SOCKETS:
        play = SOCKET_PLAYS[rule.case]
        m = await authz.meeting()
        if play.presenter is not None:
            chair = await authz.socket("chair", m.id)
            await ok(chair, "presenter.set", {"user": authz.users[PLAYER[play.presenter]]})
            await chair.close()
        got = await asyncio.gather(*(play_socket(authz, play, m, role) for role in rule.columns))
        failures += [_failure(rule, role, outcome)
                     for role, outcome in zip(rule.columns, got, strict=True)
                     if outcome != rule.observed(role)]
    assert not failures, "\n".join(failures)


# -- intents --------------------------------------------------------------------------------


@dataclass
class Room:
    """A fresh meeting with a room socket for each role and two more delegates."""

    a: Authz
    meeting: Meeting
    sockets: dict[str, YClient]
    memo: dict[str, Any] = field(default_factory=dict)

    def user(self, who: str) -> int:
        return self.a.users[PLAYER.get(who, who)]

    async def ok(self, who: str, kind: str, args: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
        return await ok(self.sockets[who], kind, args)

    async def request(self, who: str) -> int:
        return int((await self.ok(who, "speaker.request", {"kind": "speech"}))["request"])


Setup = Callable[[Room], Awaitable[None]]
Args = Callable[[Room, str], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Scenario:
    setup: Setup | None
    args: Args
    status: str = "invited"  # of the meeting made for it


SCENARIOS: dict[tuple[str, str], Scenario] = {}


def acting(kind: str, case: str = "", *, setup: Setup | None = None,
           status: str = "invited") -> Callable[[Args], Args]:
    """How to play an intent: `setup` once, then the decorated function gives
    the args for each role (and may prepare what that role needs)."""
    def register(per_role: Args) -> Args:
        assert (kind, case) not in SCENARIOS, (kind, case)
        SCENARIOS[(kind, case)] = Scenario(setup, per_role, status)
        return per_role
    return register


def acts(kind: str, case: str = "", *, setup: Setup | None = None, status: str = "invited",
         args: dict[str, Any] | Callable[[Room], dict[str, Any]]) -> None:
    """The same args for every role."""
    async def same(room: Room, role: str) -> dict[str, Any]:
        return args(room) if callable(args) else dict(args)
    acting(kind, case, setup=setup, status=status)(same)


async def opened(room: Room) -> None:
    await room.ok("chair", "session.open")


def then(*steps: Setup) -> Setup:
    async def run(room: Room) -> None:
        for step in steps:
            await step(room)
    return run


def remember(name: str, step: Callable[[Room], Awaitable[Any]]) -> Setup:
    async def run(room: Room) -> None:
        room.memo[name] = await step(room)
    return run


async def _poll(room: Room) -> int:
    return int((await room.ok("chair", "poll.open", {
        "question": "Thông qua tờ trình?", "kind": "named", "rule": "present_majority"}))["poll"])


async def _check_in_all(room: Room) -> None:
    for who in ("chair", "delegate", "guest", "secretary"):
        await room.ok(who, "attendance.check_in")


async def _suspend(room: Room) -> None:
    await room.ok("chair", "session.suspend")


def over_http(*steps: tuple[str, str], expect: int = 200) -> Setup:
    """Status changes through `POST /api/meetings/{id}/status`, as (who, to)."""
    async def run(room: Room) -> None:
        for who, to in steps:
            r = await room.a.http.post(f"/api/meetings/{room.meeting.id}/status",
                                       json={"to": to}, headers=room.a.auth(who))
            assert r.status_code == expect, r.text
    return run


acts("session.open", args={})
acts("session.open", "draft meeting", status="draft", args={})
acts("session.open", "meeting archived over HTTP", args={}, setup=over_http(
    ("chair", "in_session"), ("chair", "ended"), ("secretary", "archived")))


async def _a_day_early(room: Room) -> None:
    r = await room.a.http.patch(f"/api/meetings/{room.meeting.id}",
                                json={"starts_at": soon(1)}, headers=room.a.auth("secretary"))
    assert r.status_code == 200, r.text


acts("session.open", "a day early, unconfirmed", setup=_a_day_early, args={})
acts("session.open", "a day early, confirmed", setup=_a_day_early, args={"early": True})
acts("session.suspend", setup=opened, args={})
acts("session.resume", setup=then(opened, _suspend), args={})
acts("session.close", setup=opened, args={})
acts("agenda.goto", args=lambda room: {"item": room.meeting.agenda[1]})
acts("display.message", args={"text": "Nghỉ giải lao 10 phút"})
acts("display.countdown", args={"seconds": 600, "label": "Nghỉ giải lao"})
acts("display.checkin_qr", args={"shown": False})
acts("presenter.set", args=lambda room: {"user": room.user("delegate02")})
acts("present.page", "nobody named",
     args=lambda room: {"document": room.meeting.documents[0], "page": 1})


async def _delegate_presents(room: Room) -> None:
    await room.ok("chair", "presenter.set", {"user": room.user("delegate")})


acts("present.page", "the delegate presents", setup=_delegate_presents,
     args=lambda room: {"document": room.meeting.documents[0], "page": 2})
acts("attendance.check_in", args={})
acts("attendance.check_in", "a day early", setup=_a_day_early, args={})


async def _room_code(room: Room) -> None:
    r = await room.a.http.get(f"/api/meetings/{room.meeting.id}/checkin-code",
                              headers=room.a.auth("secretary"))
    assert r.status_code == 200, r.text
    room.memo["code"] = r.json()["code"]


acts("attendance.check_in", "with the room code", setup=_room_code,
     args=lambda room: {"code": room.memo["code"]})
acts("attendance.mark",
     args=lambda room: {"user": room.user("delegate02"), "present": False, "reason": "Ốm"})
acts("speaker.request", setup=opened, args={"kind": "question"})


@acting("speaker.withdraw", "another's request", setup=opened)
async def _withdraw_another(room: Room, role: str) -> dict[str, Any]:
    if "request" not in room.memo:
        room.memo["request"] = await room.request("delegate02")
    return {"request": room.memo["request"]}


@acting("speaker.withdraw", "own request", setup=opened)
async def _withdraw_own(room: Room, role: str) -> dict[str, Any]:
    if role != "display":
        await room.request(role)
    return {}


acts("speaker.reorder",
     setup=then(opened, remember("d2", lambda r: r.request("delegate02")),
                remember("d3", lambda r: r.request("delegate03"))),
     args=lambda room: {"order": [room.memo["d3"], room.memo["d2"]]})
acts("speaker.grant", setup=then(opened, remember("d2", lambda r: r.request("delegate02"))),
     args=lambda room: {"request": room.memo["d2"]})


async def _give_floor(room: Room, who: str) -> None:
    await room.ok("chair", "speaker.grant", {"request": await room.request(who)})


acts("speaker.extend", setup=then(opened, lambda r: _give_floor(r, "delegate02")),
     args={"seconds": 60})
acts("agenda.speech_limit", args=lambda room: {"item": room.meeting.agenda[0], "seconds": 180})


acts("speaker.end", "another's speech",
     setup=then(opened, lambda r: _give_floor(r, "delegate02")), args={})


@acting("speaker.end", "own speech", setup=opened)
async def _end_own(room: Room, role: str) -> dict[str, Any]:
    # The display cannot ask to speak: someone else has the floor when it tries.
    await _give_floor(room, "delegate02" if role == "display" else role)
    return {}


acts("poll.open", setup=opened,
     args={"question": "Thông qua tờ trình?", "kind": "named", "rule": "present_majority"})
acts("poll.open", "ending over HTTP refused while the session is open",
     setup=then(opened, over_http(("chair", "ended"), expect=409)),
     args={"question": "Thông qua tờ trình?", "kind": "named", "rule": "present_majority"})
acts("vote.cast", setup=then(opened, _check_in_all, remember("poll", _poll)),
     args=lambda room: {"poll": room.memo["poll"], "choice": 0})
acts("poll.close", setup=then(opened, remember("poll", _poll)),
     args=lambda room: {"poll": room.memo["poll"]})
acts("poll.cancel", setup=then(opened, remember("poll", _poll)),
     args=lambda room: {"poll": room.memo["poll"]})
acts("proxy.request", args=lambda room: {"to": room.user("delegate02")})


async def _proxy_asked(room: Room) -> None:
    await room.ok("delegate02", "proxy.request", {"to": room.user("delegate03")})


acts("proxy.decide", setup=_proxy_asked,
     args=lambda room: {"from": room.user("delegate02"), "approve": True})


@acting("proxy.withdraw")
async def _withdraw_proxy(room: Room, role: str) -> dict[str, Any]:
    if role in matrix.MEMBERS:
        await room.ok(role, "proxy.request", {"to": room.user("delegate03")})
    return {}


@acting("message.send")
async def _send_message(room: Room, role: str) -> dict[str, Any]:
    # Nobody writes to their own desk: the secretary writes to the chair.
    return {"to": "chair" if role == "secretary" else "secretary", "kind": "technical",
            "text": "Máy tính số 12 không vào được mạng"}


def _message_to(desk: str) -> Setup:
    async def send(room: Room) -> None:
        sent = await room.ok("delegate02", "message.send", {
            "to": desk, "kind": "document_request", "text": "Xin bản in tờ trình"})
        room.memo["message"] = sent["message"]
    return send


for _desk in ("secretary", "chair"):
    acts("message.reply", f"sent to the {_desk}", setup=_message_to(_desk),
         args=lambda room: {"message": room.memo["message"], "text": "Đã gửi"})


acts("message.read", args={"upto": 1})


async def open_room(a: Authz, status: str) -> Room:
    m = await a.meeting(status)
    who = (*matrix.PARTICIPANTS, "delegate02", "delegate03")
    clients = await asyncio.gather(*(a.socket(w, m.id) for w in who))
    assert not any(c.closed.is_set() for c in clients)
    return Room(a, m, dict(zip(who, clients, strict=True)))


async def refused_socket(a: Authz, kind: str, m: Meeting, role: str) -> Outcome:
    client = await a.socket(role, m.id)
    try:
        if client.closed.is_set():
            return client.close_code or 0
        reply = await client.intent(kind, {})
        return OK if reply["ok"] else str(reply["error"]["code"])
    finally:
        await client.close()


async def play_intent(a: Authz, rule: Rule) -> list[str]:
    scenario = SCENARIOS[(rule.key, rule.case)]
    setup, args_for = scenario.setup, scenario.args
    room = await open_room(a, scenario.status)
    failures = []
    try:
        outsiders = [role for role in rule.columns if role not in matrix.PARTICIPANTS]
        got = await asyncio.gather(*(refused_socket(a, rule.key, room.meeting, role)
                                     for role in outsiders))
        failures += [_failure(rule, role, outcome)
                     for role, outcome in zip(outsiders, got, strict=True)
                     if outcome != rule.observed(role)]
        if setup is not None:
            await setup(room)
        # Refused roles first, on the state the allowed ones will find.
        for role in sorted(matrix.PARTICIPANTS, key=lambda r: rule.observed(r) == OK):
            args = await args_for(room, role)
            before = await a.fingerprint(room.meeting.id)
            reply = await room.sockets[role].intent(rule.key, args)
            outcome: Outcome = OK if reply["ok"] else str(reply["error"]["code"])
            if outcome != rule.observed(role):
                failures.append(_failure(rule, role, outcome) + f" {reply}")
            elif outcome != OK and await a.fingerprint(room.meeting.id) != before:
                failures.append(f"{rule.label} as {role}: refused, yet the meeting changed")
    finally:
        await asyncio.gather(*(c.close() for c in room.sockets.values()))
    return failures


async def test_intents(authz: Authz) -> None:
    failures: list[str] = []
    for rule in matrix.INTENTS:
        failures += await play_intent(authz, rule)
    assert not failures, "\n".join(failures)
