"""Voting against the real server and PostgreSQL: roles and states, named and
secret polls, receipts, proxies and deputies, one ballot per member under
concurrency, and a secret ballot nobody can link to its voter."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pycrdt
import pytest

from collab_server.domain.voting import outcome
from tests.conftest import Server, World, build_world
from tests.yclient import YClient, wait_until

PEOPLE = ("chair", "secretary", "delegate01", "delegate02", "delegate03", "delegate04",
          "delegate05", "guest", "display")
MEMBERS = ("chair", "delegate01", "delegate02", "delegate03", "delegate04", "delegate05")

Room = tuple[World, dict[str, YClient]]


class Rollback(Exception):
    pass


async def connect_all(server: Server, world: World, who: tuple[str, ...]) -> dict[str, YClient]:
    async def one(name: str) -> YClient:
        return await YClient(server.ws, f"meeting/{world.meeting_id}/room", world.token(name),
                             device=f"may-{name}").connect(timeout=30)

    clients = await asyncio.gather(*(one(name) for name in who))
    return dict(zip(who, clients, strict=True))


@pytest.fixture
async def room(server: Server) -> AsyncIterator[Room]:
    """A fresh meeting per test, everyone on its room, the session open."""
    world = await build_world(server.database_url, delegates=5)
    clients = await connect_all(server, world, PEOPLE)
    await ok(clients["chair"], "session.open")
    yield world, clients
    await asyncio.gather(*(c.close() for c in clients.values()))


async def ok(client: YClient, kind: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await client.intent(kind, args or {})
    assert reply["ok"], (kind, reply)
    result: dict[str, Any] = reply["result"]
    return result


async def refused(client: YClient, kind: str, args: dict[str, Any] | None, code: str) -> None:
    reply = await client.intent(kind, args or {})
    assert not reply["ok"] and reply["error"]["code"] == code, (kind, reply)


async def db(world: World, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(world.url)
    try:
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                                  schema="pg_catalog")
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def db_exec(world: World, sql: str, *args: object) -> None:
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


def poll_of(client: YClient, poll: int) -> dict[str, Any]:
    entry: dict[str, Any] = client.map("polls").get(str(poll), {})
    return entry


async def check_in(clients: dict[str, YClient], *who: str) -> None:
    await asyncio.gather(*(ok(clients[w], "attendance.check_in") for w in who))


def http(server: Server, world: World, who: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.http, timeout=10,
                             headers={"authorization": f"Bearer {world.token(who)}"})


async def state(world: World) -> tuple[Any, ...]:
    """Everything voting stores for this meeting, to show a refusal changed nothing."""
    mid = world.meeting_id
    polls = await db(world, "SELECT id, status, result FROM polls WHERE meeting_id = $1"
                            " ORDER BY id", mid)
    ballots = await db(world, "SELECT b.poll_id, b.member_id, b.choice FROM poll_ballots b"
                              " JOIN polls p ON p.id = b.poll_id WHERE p.meeting_id = $1"
                              " ORDER BY 1, 2", mid)
    choices = await db(world, "SELECT c.receipt, c.choice FROM poll_secret_choices c"
                              " JOIN polls p ON p.id = c.poll_id WHERE p.meeting_id = $1"
                              " ORDER BY 1", mid)
    proxies = await db(world, "SELECT member_id, proxy_id, status FROM proxies"
                              " WHERE meeting_id = $1 ORDER BY 1", mid)
    events = await db(world, "SELECT count(*) AS n FROM meeting_events WHERE meeting_id = $1",
                      mid)
    return ([tuple(r) for r in polls], [tuple(r) for r in ballots],
            [tuple(r) for r in choices], [tuple(r) for r in proxies], events[0]["n"])


# -- rules without a server ---------------------------------------------------------------


def test_outcome_rules() -> None:
    # 10 members, 7 present and 1 represented by a proxy: 8 eligible.
    assert outcome("present_majority", 5, members=10, eligible=8, quorum_met=True) == (True, 5)
    assert outcome("present_majority", 4, members=10, eligible=8, quorum_met=True) == (False, 5)
    assert outcome("members_majority", 5, members=10, eligible=8, quorum_met=True) == (False, 6)
    assert outcome("members_majority", 6, members=10, eligible=8, quorum_met=True) == (True, 6)
    assert outcome("two_thirds_members", 6, members=9, eligible=9, quorum_met=True) == (True, 6)
    assert outcome("two_thirds_members", 6, members=10, eligible=10,
                   quorum_met=True) == (False, 7)
    assert outcome("present_majority", 8, members=10, eligible=8, quorum_met=False)[0] is False


# -- roles and states ---------------------------------------------------------------------


async def test_roles_and_states_are_enforced(server: Server) -> None:
    world = await build_world(server.database_url, delegates=5)
    c = await connect_all(server, world, PEOPLE)
    try:
        await check_in(c, "chair", "delegate01", "delegate02", "delegate03", "delegate04",
                       "guest", "secretary")
        question = {"question": "Thông qua chương trình phiên họp?", "kind": "named",
                    "rule": "present_majority"}
        # Not while the session has not started.
        await refused(c["chair"], "poll.open", question, "conflict")
        await ok(c["chair"], "session.open")
        before = await state(world)
        for who in ("secretary", "delegate01", "guest", "display"):
            await refused(c[who], "poll.open", question, "forbidden")
        await refused(c["chair"], "poll.open", {**question, "kind": "public"}, "bad_intent")
        await refused(c["chair"], "poll.open", {**question, "options": ["Một"]}, "bad_intent")
        await refused(c["chair"], "poll.open", {**question, "item": 10**9}, "not_found")
        assert await state(world) == before
        assert c["display"].map("polls") == {}

        poll = (await ok(c["chair"], "poll.open", question))["poll"]
        # Only one open poll at a time.
        await refused(c["chair"], "poll.open", {**question, "question": "Khác"}, "conflict")
        await wait_until(lambda: poll_of(c["display"], poll).get("status") == "open")
        assert poll_of(c["display"], poll)["options"] == ["Đồng ý", "Không đồng ý",
                                                           "Không biểu quyết"]

        before = await state(world)
        for who in ("secretary", "guest", "display"):
            await refused(c[who], "vote.cast", {"poll": poll, "choice": 0}, "forbidden")
        await refused(c["delegate05"], "vote.cast", {"poll": poll, "choice": 0},
                      "conflict")  # absent: not checked in
        await refused(c["delegate01"], "vote.cast", {"poll": poll, "choice": 7}, "bad_intent")
        await refused(c["delegate01"], "vote.cast", {"poll": poll + 1000, "choice": 0},
                      "not_found")
        await refused(c["delegate01"], "vote.cast",
                      {"poll": poll, "choice": 0, "for_user": world.users["delegate02"]},
                      "conflict")  # proxies are off in this meeting
        for who in ("secretary", "delegate01", "guest", "display"):
            await refused(c[who], "poll.close", {"poll": poll}, "forbidden")
            await refused(c[who], "poll.cancel", {"poll": poll}, "forbidden")
        await refused(c["delegate01"], "proxy.request", {"to": world.users["delegate02"]},
                      "conflict")
        assert await state(world) == before

        await ok(c["delegate01"], "vote.cast", {"poll": poll, "choice": "Đồng ý"})
        await ok(c["chair"], "vote.cast", {"poll": poll, "choice": 0})
        await refused(c["delegate01"], "vote.cast", {"poll": poll, "choice": 1}, "already_voted")
        # A member who leaves the room no longer votes.
        await ok(c["secretary"], "attendance.mark",
                 {"user": world.users["delegate02"], "present": False, "reason": "Ra ngoài"})
        await refused(c["delegate02"], "vote.cast", {"poll": poll, "choice": 0}, "conflict")
        # Suspended: no ballots.
        await ok(c["chair"], "session.suspend")
        await refused(c["delegate03"], "vote.cast", {"poll": poll, "choice": 0}, "conflict")
        await ok(c["chair"], "session.resume")
        await ok(c["delegate03"], "vote.cast", {"poll": poll, "choice": 1})

        await ok(c["chair"], "poll.close", {"poll": poll})
        before = await state(world)
        await refused(c["delegate04"], "vote.cast", {"poll": poll, "choice": 0}, "conflict")
        await refused(c["chair"], "poll.close", {"poll": poll}, "conflict")
        await refused(c["chair"], "poll.cancel", {"poll": poll}, "conflict")
        assert await state(world) == before

        second = (await ok(c["chair"], "poll.open", {**question, "question": "Lần hai"}))["poll"]
        await ok(c["delegate04"], "vote.cast", {"poll": second, "choice": 0})
        await ok(c["chair"], "poll.cancel", {"poll": second})
        await refused(c["delegate03"], "vote.cast", {"poll": second, "choice": 0}, "conflict")
        await wait_until(lambda: poll_of(c["guest"], second).get("status") == "cancelled")
        assert "counts" not in poll_of(c["guest"], second)
        # The session does not close over an open poll.
        third = (await ok(c["chair"], "poll.open", {**question, "question": "Lần ba"}))["poll"]
        await refused(c["chair"], "session.close", {}, "conflict")
        await ok(c["chair"], "poll.cancel", {"poll": third})
        await ok(c["chair"], "session.close")
        await refused(c["chair"], "poll.open", question, "conflict")
        await refused(c["delegate03"], "vote.cast", {"poll": third, "choice": 0}, "conflict")
        rows = await db(world, "SELECT id, status FROM polls WHERE meeting_id = $1 ORDER BY id",
                        world.meeting_id)
        assert [(r["id"], r["status"]) for r in rows] == [(poll, "closed"),
                                                          (second, "cancelled"),
                                                          (third, "cancelled")]
        # The database refuses what Python would have let through.
        with pytest.raises(asyncpg.UniqueViolationError):
            await db_exec(world, "INSERT INTO poll_ballots (poll_id, member_id, cast_by,"
                                 " cast_at) VALUES ($1, $2, $2, now())",
                          poll, world.users["delegate01"])
        conn = await asyncpg.connect(world.url)
        try:
            copy = ("INSERT INTO polls (meeting_id, question, options, kind, rule, opened_by,"
                    " opened_at) SELECT meeting_id, 'x', options, kind, rule, opened_by, now()"
                    " FROM polls WHERE id = $1")
            async with conn.transaction():
                await conn.execute(copy, poll)
                with pytest.raises(asyncpg.UniqueViolationError):
                    await conn.execute(copy, poll)  # a second open poll
                raise Rollback
        except Rollback:
            pass
        finally:
            await conn.close()
    finally:
        await asyncio.gather(*(x.close() for x in c.values()))


# -- a named poll -----------------------------------------------------------------------------


async def test_named_poll_result_reaches_every_replica(server: Server, room: Room) -> None:
    world, c = room
    await check_in(c, *MEMBERS)
    poll = (await ok(c["chair"], "poll.open", {
        "question": "Thông qua Tờ trình dự toán ngân sách năm 2027?", "kind": "named",
        "rule": "members_majority", "allow_change": True, "item": world.agenda[2]}))["poll"]
    choices = {"chair": 0, "delegate01": 0, "delegate02": 0, "delegate03": 1, "delegate04": 0,
               "delegate05": 2}
    for who, choice in choices.items():
        await ok(c[who], "vote.cast", {"poll": poll, "choice": choice})
    for replica in c.values():
        await wait_until(lambda r=replica: poll_of(r, poll).get("cast") == 6)
        # Open: the number of ballots only, never who chose what.
        assert not {"counts", "named", "passed"} & set(poll_of(replica, poll))
    # allow_change: a second ballot replaces the first, and is not counted again.
    changed = await ok(c["delegate05"], "vote.cast", {"poll": poll, "choice": 0})
    assert changed["changed"] is True
    async with http(server, world, "delegate01") as client:
        r = await client.get(f"/api/polls/{poll}")
        assert r.status_code == 200 and r.json()["poll"]["cast"] == 6
        assert "result" not in r.json()["poll"] and "named" not in r.json()["poll"]

    closed = await ok(c["chair"], "poll.close", {"poll": poll})
    assert closed == {"poll": poll, "passed": True, "counts": [5, 1, 0]}
    for replica in c.values():
        await wait_until(lambda r=replica: poll_of(r, poll).get("status") == "closed")
        shown = poll_of(replica, poll)
        assert shown["counts"] == [5, 1, 0] and shown["passed"] is True
        assert shown["quorum_met"] is True and shown["members"] == 6
        assert shown["cast"] == 6 and shown["item"] == world.agenda[2]
        assert {(e["user"], e["choice"]) for e in shown["named"]} == {
            (world.users[w], 0 if w == "delegate05" else ch) for w, ch in choices.items()}

    async with http(server, world, "guest") as client:
        listed = (await client.get(f"/api/meetings/{world.meeting_id}/polls")).json()["polls"]
        assert [(p["id"], p["status"], p["result"]["counts"]) for p in listed] == [
            (poll, "closed", [5, 1, 0])]
        detail = (await client.get(f"/api/polls/{poll}")).json()["poll"]
        assert detail["result"]["passed"] is True and len(detail["named"]) == 6
        assert (await client.get(f"/api/polls/{poll}/receipts")).status_code == 404
    async with http(server, world, "outsider") as client:
        assert (await client.get(f"/api/polls/{poll}")).status_code == 403
        assert (await client.get(f"/api/polls/{poll + 10**6}")).status_code == 403
        assert (await client.get(
            f"/api/meetings/{world.meeting_id}/polls")).status_code == 403
    events = await db(world, "SELECT actor_id, data FROM meeting_events WHERE meeting_id = $1"
                             " AND kind = 'vote.cast' ORDER BY id", world.meeting_id)
    assert [(e["actor_id"], e["data"]["choice"]) for e in events][:6] == [
        (world.users[w], ch) for w, ch in choices.items()]


async def test_no_quorum_nothing_passes(server: Server, room: Room) -> None:
    world, c = room
    await check_in(c, "chair", "delegate01")  # 2 of 6 members
    poll = (await ok(c["chair"], "poll.open", {"question": "Biểu quyết khi thiếu người?",
                                               "kind": "named",
                                               "rule": "present_majority"}))["poll"]
    await ok(c["chair"], "vote.cast", {"poll": poll, "choice": 0})
    await ok(c["delegate01"], "vote.cast", {"poll": poll, "choice": 0})
    result = await ok(c["chair"], "poll.close", {"poll": poll})
    assert result["passed"] is False and result["counts"] == [2, 0, 0]
    await wait_until(lambda: poll_of(c["display"], poll).get("status") == "closed")
    shown = poll_of(c["display"], poll)
    assert shown["quorum_met"] is False and shown["eligible"] == 2


# -- a secret poll ------------------------------------------------------------------------------


async def test_secret_receipts_verify_after_close(server: Server, room: Room) -> None:
    world, c = room
    await check_in(c, *MEMBERS)
    poll = (await ok(c["chair"], "poll.open", {
        "question": "Bầu Trưởng ban?", "options": ["Ông A", "Bà B"], "kind": "secret",
        "rule": "present_majority", "allow_change": True}))["poll"]
    choices = {"chair": 0, "delegate01": 1, "delegate02": 1, "delegate03": 0, "delegate04": 1}
    receipts = {}
    for who, choice in choices.items():
        receipts[who] = (await ok(c[who], "vote.cast", {"poll": poll, "choice": choice}))[
            "receipt"]
    # A second ballot of the same voter replaces the first (the poll allows it)
    # and comes with a new receipt; a malformed receipt is still refused.
    await refused(c["delegate04"], "vote.cast",
                  {"poll": poll, "choice": 0, "receipt": "O"}, "bad_intent")
    changed = await ok(c["delegate04"], "vote.cast", {"poll": poll, "choice": 0})
    assert changed["changed"] is True and changed["receipt"] != receipts["delegate04"]
    receipts["delegate04"] = changed["receipt"]
    choices["delegate04"] = 0
    choices["delegate05"] = 0
    receipts["delegate05"] = (await ok(c["delegate05"], "vote.cast", {"poll": poll,
                                                                      "choice": "Ông A"}))[
        "receipt"]
    assert len(set(receipts.values())) == 6 and all(len(r) == 10 for r in receipts.values())
    async with http(server, world, "delegate01") as client:
        assert (await client.get(f"/api/polls/{poll}/receipts")).status_code == 409
    await wait_until(lambda: poll_of(c["display"], poll).get("cast") == 6)

    await ok(c["chair"], "poll.close", {"poll": poll})
    await wait_until(lambda: poll_of(c["display"], poll).get("status") == "closed")
    shown = poll_of(c["display"], poll)
    assert shown["counts"] == [4, 2] and shown["passed"] is True and "named" not in shown
    # Only those who cast a ballot check receipts (test_secret_ballot.py).
    for who in ("guest", "display", "secretary"):
        async with http(server, world, who) as client:
            assert (await client.get(f"/api/polls/{poll}/receipts")).status_code == 403
    async with http(server, world, "delegate01") as client:
        r = await client.get(f"/api/polls/{poll}/receipts")
        assert r.status_code == 200
        body = r.json()
        listed = {e["receipt"]: e["choice"] for e in body["receipts"]}
        assert body["counts"] == [4, 2]
        assert [sum(1 for ch in listed.values() if ch == k) for k in (0, 1)] == body["counts"]
        assert [e["receipt"] for e in body["receipts"]] == sorted(listed)
        for who, receipt in receipts.items():
            assert listed[receipt] == choices[who]
            mine = (await client.get(f"/api/polls/{poll}/receipts",
                                     params={"receipt": receipt})).json()
            assert mine["choice"] == choices[who]
            assert mine["option"] == ["Ông A", "Bà B"][choices[who]]
        missing = await client.get(f"/api/polls/{poll}/receipts", params={"receipt": "X"})
        assert missing.status_code == 404
    async with http(server, world, "outsider") as client:
        assert (await client.get(f"/api/polls/{poll}/receipts")).status_code == 403


async def test_secret_ballot_cannot_be_linked_to_its_voter(server: Server) -> None:
    """Try every join an operator with the live rows of the database could:
    shared ids, times, inserting transactions, physical order. Dead tuples and
    index pages: test_secret_ballot.py."""
    world = await build_world(server.database_url, delegates=19)
    who = ("chair", *(f"delegate{i:02d}" for i in range(1, 20)))
    c = await connect_all(server, world, (*who, "display"))
    try:
        await ok(c["chair"], "session.open")
        await check_in(c, *who)
        poll = (await ok(c["chair"], "poll.open", {
            "question": "Bỏ phiếu kín", "kind": "secret", "rule": "present_majority"}))["poll"]
        # Cast in a known order: the first half choose 0, the second half 1.
        order = list(who)
        cast_choice = {name: 0 if k < 10 else 1 for k, name in enumerate(order)}
        receipts = {}
        for name in order:
            receipts[name] = (await ok(c[name], "vote.cast",
                                       {"poll": poll, "choice": cast_choice[name]}))["receipt"]
        # While open, no choice is readable anywhere: each ballot row holds
        # its choice sealed, all of one length; the choice table holds nothing.
        assert not await db(world, "SELECT 1 FROM poll_secret_choices WHERE poll_id = $1",
                            poll)
        sealed = await db(world, "SELECT octet_length(sealed) AS n FROM poll_ballots"
                                 " WHERE poll_id = $1", poll)
        assert len(sealed) == 20 and {r["n"] for r in sealed} == {39}
        # Throughout the open poll, the room never carried more than the number cast.
        assert not {"counts", "named"} & set(poll_of(c["display"], poll))

        await ok(c["chair"], "poll.close", {"poll": poll})
        await wait_until(lambda: poll_of(c["display"], poll).get("status") == "closed")
        assert poll_of(c["display"], poll)["counts"] == [10, 10, 0]

        # 1. The choice table holds no time, no sequence, nothing shared but the poll.
        columns = await db(world, "SELECT column_name, data_type, column_default"
                                  " FROM information_schema.columns"
                                  " WHERE table_name = 'poll_secret_choices'")
        assert {r["column_name"] for r in columns} == {"poll_id", "receipt", "choice"}
        assert all("time" not in r["data_type"] and "date" not in r["data_type"]
                   and r["column_default"] is None for r in columns)

        # 2. No receipt appears anywhere but in the choice table: not in any other
        # table (CRDT updates, events and audit included), nor in the server log.
        tables = [r["table_name"] for r in await db(
            world, "SELECT table_name FROM information_schema.tables"
                   " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")]
        assert {"polls", "poll_ballots", "meeting_events", "audit_log", "doc_updates"} <= set(
            tables)
        conn = await asyncpg.connect(world.url)
        try:
            dump = {}
            for table in tables:
                if table != "poll_secret_choices":
                    rows = await conn.fetch(f'SELECT row_to_json(t)::text AS j FROM "{table}" t')
                    dump[table] = "\n".join(r["j"] for r in rows)
        finally:
            await conn.close()
        everything = "\n".join(dump.values())
        for receipt in receipts.values():
            assert receipt not in everything
            assert receipt.encode().hex() not in everything  # bytea is dumped as hex
            assert receipt not in server.log_text()

        # 3. The event and audit logs of a secret cast say who, never what.
        events = await db(world, "SELECT data FROM meeting_events WHERE meeting_id = $1"
                                 " AND kind = 'vote.cast'", world.meeting_id)
        audits = await db(world, "SELECT details FROM audit_log WHERE action = 'intent.vote.cast'"
                                 " AND target = $1", f"meeting:{world.meeting_id}")
        assert len(events) == len(audits) == 20
        for row in [*(e["data"] for e in events), *(a["details"] for a in audits)]:
            assert set(row) == {"poll", "member"}

        # 4. Every choice row now comes from the closing transaction, which is
        # the transaction of no ballot, event or room update.
        xacts = await db(world, "SELECT xmin::text AS x, count(*) AS n FROM poll_secret_choices"
                                " WHERE poll_id = $1 GROUP BY 1", poll)
        assert [r["n"] for r in xacts] == [20]
        closing = (await db(world, "SELECT xmin::text AS x FROM polls WHERE id = $1", poll))[0]
        assert xacts[0]["x"] == closing["x"]
        event_xacts = {r["x"] for r in await db(
            world, "SELECT xmin::text AS x FROM meeting_events WHERE meeting_id = $1"
                   " AND kind = 'vote.cast'", world.meeting_id)}
        assert len(event_xacts) == 20 and closing["x"] not in event_xacts
        # The close erased the sealed values: every live ballot row is its version.
        ballot_xacts = {r["x"] for r in await db(
            world, "SELECT xmin::text AS x FROM poll_ballots WHERE poll_id = $1", poll)}
        assert ballot_xacts == {closing["x"]}

        # 5. Physical order is by choice: it says nothing but the counts.
        physical = [r["choice"] for r in await db(
            world, "SELECT choice FROM poll_secret_choices WHERE poll_id = $1 ORDER BY ctid",
            poll)]
        assert physical == [0] * 10 + [1] * 10

        # 6. Times: ballots and events carry times, choices none; counting rows
        # per transaction or per second on the ballot side says only who voted.
        ballots = await db(world, "SELECT member_id, cast_by, choice FROM poll_ballots"
                                  " WHERE poll_id = $1", poll)
        assert all(b["choice"] is None for b in ballots)
        assert {b["member_id"] for b in ballots} == {world.users[n] for n in who}

        # 7. Replaying the room's log update by update: no state before the
        # close shows more than the number of ballots cast.
        updates = await db(world, "SELECT data FROM doc_updates WHERE name = $1 ORDER BY id",
                           f"meeting/{world.meeting_id}/room")
        replay: pycrdt.Doc[Any] = pycrdt.Doc()
        seen_closed = False
        for row in updates:
            replay.apply_update(bytes(row["data"]))
            entry = (replay.get("polls", type=pycrdt.Map).to_py() or {}).get(str(poll), {})
            if entry.get("status") == "closed":
                seen_closed = True
            else:
                assert not {"counts", "named", "passed"} & set(entry)
        assert seen_closed
    finally:
        await asyncio.gather(*(x.close() for x in c.values()))


# -- proxies and deputies ---------------------------------------------------------------------


async def test_proxies_and_deputies_count_each_member_once(server: Server) -> None:
    world = await build_world(server.database_url, delegates=5)
    # Before the room is first loaded: proxies allowed, the guest a deputy of delegate05.
    await db_exec(world, "UPDATE meetings SET allow_proxy = true WHERE id = $1",
                  world.meeting_id)
    await db_exec(world, "UPDATE meeting_participants SET role = 'delegate', stands_in_for = $2"
                         " WHERE meeting_id = $1 AND user_id = $3", world.meeting_id,
                  world.users["delegate05"], world.users["guest"])
    c = await connect_all(server, world, PEOPLE)
    u = world.users
    try:
        await ok(c["chair"], "session.open")
        before = await state(world)
        for who in ("secretary", "display"):
            await refused(c[who], "proxy.request", {"to": u["delegate02"]}, "forbidden")
        # The deputy stands in for a member already: no handing on.
        await refused(c["guest"], "proxy.request", {"to": u["delegate02"]}, "forbidden")
        await refused(c["delegate05"], "proxy.request", {"to": u["delegate02"]}, "conflict")
        await refused(c["delegate01"], "proxy.request", {"to": u["secretary"]}, "not_found")
        await refused(c["delegate01"], "proxy.request", {"to": u["delegate01"]}, "not_found")
        assert await state(world) == before

        await ok(c["delegate01"], "proxy.request", {"to": u["delegate02"]})
        # delegate02 is about to hold delegate01's vote, so may not hand on their own;
        # nor may anyone hand theirs to delegate01, who is handing over.
        await refused(c["delegate02"], "proxy.request", {"to": u["delegate03"]}, "conflict")
        await refused(c["delegate03"], "proxy.request", {"to": u["delegate01"]}, "conflict")
        before = await state(world)
        for who in ("delegate02", "secretary", "guest", "display"):
            await refused(c[who], "proxy.decide", {"from": u["delegate01"], "approve": True},
                          "forbidden")
        await refused(c["chair"], "proxy.decide", {"from": u["delegate03"], "approve": True},
                      "not_found")
        assert await state(world) == before
        await ok(c["chair"], "proxy.decide", {"from": u["delegate01"], "approve": True})
        await refused(c["chair"], "proxy.decide", {"from": u["delegate01"], "approve": False},
                      "not_found")
        await wait_until(lambda: c["display"].map("proxies").get(str(u["delegate01"]), {})
                         .get("status") == "approved")
        assert c["display"].map("proxies")[str(u["delegate01"])]["to"] == u["delegate02"]
        # A request and its refusal, then a withdrawal.
        await ok(c["delegate03"], "proxy.request", {"to": u["delegate04"]})
        await ok(c["chair"], "proxy.decide", {"from": u["delegate03"], "approve": False})
        await ok(c["delegate04"], "proxy.request", {"to": u["chair"]})
        await ok(c["delegate04"], "proxy.withdraw")
        for who in ("delegate04", "secretary", "display"):
            await refused(c[who], "proxy.withdraw", {}, "not_found")

        # delegate01 is away; the deputy (guest) and delegate05 are both in the room.
        await check_in(c, "chair", "delegate02", "delegate03", "delegate04", "delegate05",
                       "guest")
        poll = (await ok(c["chair"], "poll.open", {"question": "Ủy quyền", "kind": "named",
                                                   "rule": "members_majority"}))["poll"]
        await ok(c["delegate02"], "vote.cast", {"poll": poll, "choice": 0})
        await ok(c["delegate02"], "vote.cast",
                 {"poll": poll, "choice": 1, "for_user": u["delegate01"]})
        await refused(c["delegate02"], "vote.cast",
                      {"poll": poll, "choice": 0, "for_user": u["delegate01"]},
                      "already_voted")
        await refused(c["delegate03"], "vote.cast",
                      {"poll": poll, "choice": 0, "for_user": u["delegate01"]}, "forbidden")
        await refused(c["delegate02"], "vote.cast",
                      {"poll": poll, "choice": 0, "for_user": u["delegate03"]}, "forbidden")
        await ok(c["delegate01"], "attendance.check_in")
        await refused(c["delegate01"], "vote.cast", {"poll": poll, "choice": 0}, "conflict")
        # The deputy votes for delegate05; delegate05 then has no second ballot.
        await ok(c["guest"], "vote.cast", {"poll": poll, "choice": 0})
        await refused(c["delegate05"], "vote.cast", {"poll": poll, "choice": 1}, "already_voted")
        await ok(c["chair"], "vote.cast", {"poll": poll, "choice": 0})
        closed = await ok(c["chair"], "poll.close", {"poll": poll})
        assert closed["counts"] == [3, 1, 0]
        rows = await db(world, "SELECT member_id, cast_by, choice FROM poll_ballots"
                               " WHERE poll_id = $1 ORDER BY member_id", poll)
        assert {(r["member_id"], r["cast_by"], r["choice"]) for r in rows} == {
            (u["chair"], u["chair"], 0), (u["delegate01"], u["delegate02"], 1),
            (u["delegate02"], u["delegate02"], 0), (u["delegate05"], u["guest"], 0)}
        await wait_until(lambda: poll_of(c["display"], poll).get("status") == "closed")
        named = {e["user"]: e for e in poll_of(c["display"], poll)["named"]}
        assert named[u["delegate01"]]["by"] == u["delegate02"]
        assert named[u["delegate05"]]["by"] == u["guest"]
        assert u["guest"] not in named
    finally:
        await asyncio.gather(*(x.close() for x in c.values()))


# -- a full room at once --------------------------------------------------------------------------


async def test_91_members_at_once_one_ballot_each(server: Server) -> None:
    world = await build_world(server.database_url, delegates=90)
    members = ("chair", *(f"delegate{i:02d}" for i in range(1, 91)))
    c = await connect_all(server, world, (*members, "display"))
    # Some members vote twice at the same instant, from a second laptop.
    twice = random.Random(7).sample(members, 25)
    extra = await connect_all(server, world, tuple(twice))
    try:
        await ok(c["chair"], "session.open")
        await check_in(c, *members)
        await wait_until(lambda: c["display"].map("quorum").get("present") == 91)
        poll = (await ok(c["chair"], "poll.open", {"question": "Toàn thể", "kind": "secret",
                                                   "rule": "two_thirds_members"}))["poll"]
        await wait_until(lambda: all(poll_of(x, poll) for x in c.values()))

        async def cast(client: YClient, choice: int) -> dict[str, Any]:
            return await client.intent("vote.cast", {"poll": poll, "choice": choice}, timeout=30)

        jobs = [cast(c[m], k % 3) for k, m in enumerate(members)]
        jobs += [cast(extra[m], 0) for m in twice]
        replies = await asyncio.gather(*jobs)
        accepted = [r for r in replies if r["ok"]]
        rejected = [r for r in replies if not r["ok"]]
        assert len(accepted) == 91
        assert len(rejected) == 25
        assert all(r["error"]["code"] == "already_voted" for r in rejected)
        for replica in [*c.values(), *extra.values()]:
            await wait_until(lambda r=replica: poll_of(r, poll).get("cast") == 91, 15)
        counted = await db(world, "SELECT member_id, count(*) AS n FROM poll_ballots"
                                  " WHERE poll_id = $1 GROUP BY 1", poll)
        assert len(counted) == 91 and all(r["n"] == 1 for r in counted)
        assert {r["member_id"] for r in counted} == {world.users[m] for m in members}
        stored = await db(world, "SELECT count(*) AS n FROM poll_ballots"
                                 " WHERE poll_id = $1 AND sealed IS NOT NULL", poll)
        assert stored[0]["n"] == 91  # refused ballots left no choice behind

        closed = await ok(c["chair"], "poll.close", {"poll": poll})
        assert sum(closed["counts"]) == 91
        for replica in c.values():
            await wait_until(lambda r=replica: poll_of(r, poll).get("status") == "closed", 15)
            assert poll_of(replica, poll)["counts"] == closed["counts"]
    finally:
        await asyncio.gather(*(x.close() for x in [*c.values(), *extra.values()]))
