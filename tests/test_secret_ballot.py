"""A secret ballot against an operator who holds the whole database: after the
close nothing on disk links a voter to a choice (live rows, dead tuples and
system columns read with `pageinspect`, index order), a tally that does not
add up is refused, and a receipt someone learns changes nobody's ballot."""

from __future__ import annotations

import asyncio
import shutil
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import Server, World, build_world
from tests.test_voting import check_in, connect_all, db, db_exec, http, ok, poll_of, refused
from tests.yclient import YClient, wait_until

VOTERS = ("delegate01", "delegate02", "delegate03", "delegate04", "delegate05")
OPTIONS = ["Một", "Hai", "Ba", "Bốn", "Năm"]

Room = tuple[World, dict[str, YClient]]


@pytest.fixture
async def room(server: Server) -> AsyncIterator[Room]:
    world = await build_world(server.database_url, delegates=5)
    clients = await connect_all(server, world, ("chair", *VOTERS, "display"))
    await ok(clients["chair"], "session.open")
    await check_in(clients, "chair", *VOTERS)
    yield world, clients
    await asyncio.gather(*(c.close() for c in clients.values()))


async def open_secret(c: dict[str, YClient], **extra: Any) -> int:
    poll: int = (await ok(c["chair"], "poll.open", {
        "question": "Bầu một người", "options": OPTIONS, "kind": "secret",
        "rule": "present_majority", "allow_change": True, **extra}))["poll"]
    await wait_until(lambda: poll_of(c["display"], poll).get("status") == "open")
    return poll


async def heap_tuples(conn: asyncpg.Connection, table: str) -> list[dict[str, Any]]:
    """Every tuple on the table's pages, live or dead, with its system columns
    and raw attributes: what an operator with the data files reads."""
    pages = await conn.fetchval(
        "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int", table)
    found = []
    for page in range(pages):
        rows = await conn.fetch(
            "SELECT lp, t_xmin::text AS xmin, t_xmax::text AS xmax, t_attrs"
            " FROM heap_page_item_attrs(get_raw_page($1, $2), $1::regclass)"
            " WHERE t_attrs IS NOT NULL ORDER BY lp", table, page)
        found += [{"page": page, "lp": r["lp"], "xmin": r["xmin"], "xmax": r["xmax"],
                   "attrs": r["t_attrs"]} for r in rows]
    return found


def int8(raw: bytes | None) -> int | None:
    return None if raw is None else int(struct.unpack("<q", raw)[0])


def int2(raw: bytes | None) -> int | None:
    return None if raw is None else int(struct.unpack("<h", raw)[0])


async def index_order(conn: asyncpg.Connection, index: str) -> list[tuple[int, int]]:
    """The heap (page, item) each leaf entry of a B-tree points to, in key order."""
    pages = await conn.fetchval(
        "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int", index)
    order: list[tuple[int, int]] = []
    for page in range(1, pages):  # page 0 is the metapage
        stats = await conn.fetchrow(
            "SELECT type::text AS type, btpo_level, btpo_next FROM bt_page_stats($1, $2)",
            index, page)
        if stats["btpo_level"] != 0 or stats["type"] not in ("l", "r"):
            continue
        rows = await conn.fetch(
            "SELECT itemoffset, ctid, htid FROM bt_page_items($1, $2) ORDER BY itemoffset",
            index, page)
        first = 1 if stats["btpo_next"] == 0 else 2  # skip the high key
        for r in rows:
            if r["itemoffset"] >= first and r["htid"] is not None:
                order.append((r["htid"][0], r["htid"][1]))
    return order


async def test_no_join_links_a_voter_to_a_choice_after_the_close(server: Server,
                                                                 room: Room) -> None:
    """Five voters cast distinct choices, one by one, and one changes; then the
    poll closes while an old snapshot keeps VACUUM from removing anything, so
    every dead tuple is still on the pages. No join on transaction ids, on
    physical or index order, on times or on content recovers a choice."""
    world, c = room
    conn = await asyncpg.connect(world.url)
    snapshot = await asyncpg.connect(world.url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        poll = await open_secret(c)
        # An old snapshot: VACUUM, and the pruning of pages as they are read,
        # cannot remove a tuple that dies after it.
        await snapshot.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        await snapshot.fetchval("SELECT count(*) FROM poll_ballots")
        first = {"delegate01": 1, "delegate02": 2, "delegate03": 0, "delegate04": 4,
                 "delegate05": 3}
        final = {**first, "delegate03": 3, "delegate05": 0}
        receipts: dict[str, str] = {}
        for who in VOTERS:
            receipts[who] = (await ok(c[who], "vote.cast",
                                      {"poll": poll, "choice": first[who]}))["receipt"]
        for who in ("delegate03", "delegate05"):
            # Its own receipt sent along, as clients did when a receipt named the ballot.
            changed = await ok(c[who], "vote.cast", {"poll": poll, "choice": final[who],
                                                     "receipt": receipts[who]})
            assert changed["changed"] is True
            receipts[who] = changed["receipt"]

        closed = await ok(c["chair"], "poll.close", {"poll": poll})
        assert closed["counts"] == [1, 1, 1, 1, 1]
        await wait_until(lambda: poll_of(c["display"], poll).get("status") == "closed")

        users = {world.users[w]: w for w in VOTERS}
        # The voters' own transactions, as the event log names them.
        events = await conn.fetch(
            "SELECT xmin::text AS x, id, (data->>'member')::bigint AS member"
            " FROM meeting_events WHERE meeting_id = $1 AND kind = 'vote.cast' ORDER BY id",
            world.meeting_id)
        voter_xacts = {e["x"]: users[e["member"]] for e in events}
        assert len(voter_xacts) == 7
        cast_order = list(dict.fromkeys(users[e["member"]] for e in events))

        # The choice table: every tuple ever written for this poll, dead or alive.
        choices = [t for t in await heap_tuples(conn, "poll_secret_choices")
                   if int8(t["attrs"][0]) == poll]
        assert choices, "the choices are on the pages"
        # 1. No choice tuple was written or deleted by a voter's transaction.
        for t in choices:
            assert t["xmin"] not in voter_xacts and t["xmax"] not in voter_xacts, t
        # ... and all come from one transaction, which is every voter's alike.
        assert len({t["xmin"] for t in choices}) == 1
        # 2. Physical order: by choice, so it says nothing but the counts; read
        # against the order of casting it names no one's choice.
        physical = [int2(t["attrs"][2]) for t in choices]
        assert physical == sorted(physical) == [0, 1, 2, 3, 4]
        assert not [w for w, ch in zip(cast_order, physical, strict=True) if final[w] == ch]
        # 3. Index order: every index on the table sorts by a key found nowhere
        # else (the receipt, random) or follows the physical order.
        by_place = {(t["page"], t["lp"]): t for t in choices}
        indexes = [r["i"] for r in await conn.fetch(
            "SELECT indexrelid::regclass::text AS i FROM pg_index"
            " WHERE indrelid = 'poll_secret_choices'::regclass")]
        assert indexes
        for index in indexes:
            pointed = [by_place[p] for p in await index_order(conn, index) if p in by_place]
            assert len(pointed) == len(choices), index
            keys = [bytes(t["attrs"][1]) for t in pointed]
            assert keys == sorted(keys) or pointed == choices, index

        # 4. The ballot table: dead and live tuples carry no readable choice,
        # and every sealed value has the same length; none is left live.
        ballots = [t for t in await heap_tuples(conn, "poll_ballots")
                   if int8(t["attrs"][0]) == poll]
        assert len(ballots) > 5, "dead versions are still on the pages"
        assert all(t["attrs"][4] is None for t in ballots)  # the plain `choice` column
        sealed = [bytes(t["attrs"][5]) for t in ballots if t["attrs"][5] is not None]
        assert len(sealed) == 7 and len({len(s) for s in sealed}) == 1
        for s in sealed:
            for who in VOTERS:
                assert receipts[who].encode() not in s
        live = await conn.fetch("SELECT sealed FROM poll_ballots WHERE poll_id = $1", poll)
        assert len(live) == 5 and all(r["sealed"] is None for r in live)
        # A ballot tuple's transaction is its voter's, or the close's (all alike).
        close_xact = choices[0]["xmin"]
        for t in ballots:
            assert t["xmin"] in voter_xacts or t["xmin"] == close_xact

        # 5. Nothing of the choice table carries a time, a sequence or an id.
        columns = await conn.fetch(
            "SELECT column_name, data_type, column_default FROM information_schema.columns"
            " WHERE table_name = 'poll_secret_choices'")
        assert {r["column_name"] for r in columns} == {"poll_id", "receipt", "choice"}
        assert all(r["column_default"] is None and "time" not in r["data_type"]
                   for r in columns)
        # 6. The logs and the room name who voted, never a choice or a receipt.
        for table in ("meeting_events", "audit_log", "doc_updates", "poll_ballots"):
            text = "\n".join(r["j"] for r in await conn.fetch(
                f'SELECT row_to_json(t)::text AS j FROM "{table}" t'))
            for receipt in receipts.values():
                assert receipt not in text and receipt.encode().hex() not in text
        for e in await conn.fetch(
                "SELECT data FROM meeting_events WHERE meeting_id = $1 AND kind = 'vote.cast'",
                world.meeting_id):
            assert "choice" not in e["data"]
    finally:
        await snapshot.close()
        await conn.close()


async def test_a_receipt_someone_learns_changes_no_ballot(server: Server, room: Room) -> None:
    world, c = room
    poll = await open_secret(c)
    mine = (await ok(c["delegate04"], "vote.cast", {"poll": poll, "choice": 1}))["receipt"]
    theirs = (await ok(c["delegate05"], "vote.cast", {"poll": poll, "choice": 0}))["receipt"]
    # delegate05 learned delegate04's receipt and sends it with another choice:
    # only delegate05's own ballot can change.
    sent = await ok(c["delegate05"], "vote.cast",
                    {"poll": poll, "choice": 4, "receipt": mine})
    assert sent["changed"] is True and sent["receipt"] not in (mine, theirs)
    await ok(c["chair"], "poll.close", {"poll": poll})
    async with http(server, world, "delegate04") as client:
        checked = (await client.get(f"/api/polls/{poll}/receipts",
                                    params={"receipt": mine})).json()
        assert checked["choice"] == 1
        assert (await client.get(f"/api/polls/{poll}/receipts",
                                 params={"receipt": sent["receipt"]})).json()["choice"] == 4
        # The receipt a change replaced names nothing any more.
        assert (await client.get(f"/api/polls/{poll}/receipts",
                                 params={"receipt": theirs})).status_code == 404


async def test_a_tally_that_does_not_add_up_is_refused(server: Server, room: Room) -> None:
    """An operator adds a choice row while the poll is open, or moves a sealed
    choice to another ballot: the close refuses, says why, audits it, and the
    poll stays open until the rows are put right."""
    world, c = room
    poll = await open_secret(c)
    for who, choice in (("delegate01", 0), ("delegate02", 1), ("delegate03", 1)):
        await ok(c[who], "vote.cast", {"poll": poll, "choice": choice})
    await db_exec(world, "INSERT INTO poll_secret_choices (poll_id, receipt, choice)"
                         " VALUES ($1, 'ABCDEFGH23', 0)", poll)
    reply = await c["chair"].intent("poll.close", {"poll": poll})
    assert not reply["ok"] and reply["error"]["code"] == "tally_refused", reply
    assert "không khớp" in reply["error"]["message"]
    assert "do not add up" in reply["error"]["message_en"]
    status = await db(world, "SELECT status, result FROM polls WHERE id = $1", poll)
    assert status[0]["status"] == "open" and status[0]["result"] is None
    audited = await db(world, "SELECT actor_id, details FROM audit_log"
                              " WHERE action = 'poll.tally_refused' AND target = $1",
                       f"poll:{poll}")
    assert audited and audited[0]["actor_id"] == world.users["chair"]
    await db_exec(world, "DELETE FROM poll_secret_choices WHERE poll_id = $1", poll)

    # One voter's sealed choice copied onto another's ballot does not open there.
    u = world.users
    before = await db(world, "SELECT sealed FROM poll_ballots WHERE poll_id = $1"
                             " AND member_id = $2", poll, u["delegate03"])
    await db_exec(world, "UPDATE poll_ballots SET sealed = (SELECT sealed FROM poll_ballots"
                         " WHERE poll_id = $1 AND member_id = $2) WHERE poll_id = $1"
                         " AND member_id = $3", poll, u["delegate01"], u["delegate03"])
    await refused(c["chair"], "poll.close", {"poll": poll}, "tally_refused")
    # A ballot row inserted without a seal is not counted either.
    await db_exec(world, "UPDATE poll_ballots SET sealed = $3 WHERE poll_id = $1"
                         " AND member_id = $2", poll, u["delegate03"], before[0]["sealed"])
    await db_exec(world, "INSERT INTO poll_ballots (poll_id, member_id, cast_by, cast_at)"
                         " VALUES ($1, $2, $2, now())", poll, u["delegate04"])
    await refused(c["chair"], "poll.close", {"poll": poll}, "tally_refused")
    await db_exec(world, "DELETE FROM poll_ballots WHERE poll_id = $1 AND member_id = $2",
                  poll, u["delegate04"])
    closed = await ok(c["chair"], "poll.close", {"poll": poll})
    assert closed["counts"] == [1, 2, 0, 0, 0]
    audited = await db(world, "SELECT count(*) AS n FROM audit_log"
                              " WHERE action = 'poll.tally_refused' AND target = $1",
                       f"poll:{poll}")
    assert audited[0]["n"] == 3


async def test_an_unsealed_ballot_is_never_counted(server: Server, room: Room) -> None:
    """An insider adds a ballot stored in the open (as the code before sealing
    did) with its plain choice row: there is no switch to make it count."""
    world, c = room
    u = world.users
    poll = await open_secret(c)
    await ok(c["delegate01"], "vote.cast", {"poll": poll, "choice": 0})
    await db_exec(world, "INSERT INTO poll_ballots (poll_id, member_id, cast_by, cast_at)"
                         " VALUES ($1, $2, $2, now())", poll, u["delegate03"])
    await db_exec(world, "INSERT INTO poll_secret_choices (poll_id, receipt, choice)"
                         " VALUES ($1, 'ABCDEFGHJK', 1)", poll)
    await refused(c["chair"], "poll.close", {"poll": poll}, "tally_refused")
    left = await db(world, "SELECT status FROM polls WHERE id = $1", poll)
    assert left[0]["status"] == "open"
    await ok(c["chair"], "poll.cancel", {"poll": poll})


async def test_only_voters_check_receipts_and_a_poll_may_give_none(server: Server,
                                                                  room: Room) -> None:
    world, c = room
    poll = await open_secret(c)
    mine = (await ok(c["delegate01"], "vote.cast", {"poll": poll, "choice": 3}))["receipt"]
    await ok(c["chair"], "poll.close", {"poll": poll})
    # The chair did not vote, the display shows the room: neither looks a receipt up.
    for who in ("chair", "display", "secretary", "guest", "delegate02"):
        async with http(server, world, who) as client:
            r = await client.get(f"/api/polls/{poll}/receipts", params={"receipt": mine})
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", who
    async with http(server, world, "delegate01") as client:
        r = await client.get(f"/api/polls/{poll}/receipts", params={"receipt": mine})
        assert r.status_code == 200 and r.json()["choice"] == 3
    audited = await db(world, "SELECT actor_id, details FROM audit_log"
                              " WHERE action = 'poll.receipts' AND target = $1", f"poll:{poll}")
    assert [(a["actor_id"], a["details"]) for a in audited] == [
        (world.users["delegate01"], {"one": True})]
    assert mine not in str(audited)

    # Receipts off: the voter gets none, and there is nothing to look up.
    quiet = await open_secret(c, receipts=False)
    assert poll_of(c["display"], quiet)["receipts"] is False
    await refused(c["chair"], "poll.open", {"question": "x", "kind": "secret",
                                            "rule": "present_majority", "receipts": "no"},
                  "bad_intent")
    cast = await ok(c["delegate01"], "vote.cast", {"poll": quiet, "choice": 1})
    assert cast["receipt"] is None
    closed = await ok(c["chair"], "poll.close", {"poll": quiet})
    assert closed["counts"] == [0, 1, 0, 0, 0]
    async with http(server, world, "delegate01") as client:
        r = await client.get(f"/api/polls/{quiet}/receipts")
        assert r.status_code == 404 and "no receipts" in r.json()["error"]["message_en"]
        assert (await client.get(f"/api/polls/{quiet}")).json()["poll"]["receipts"] is False


async def test_another_server_counts_a_poll_after_the_first_died(server: Server,
                                                               tmp_path: Path) -> None:
    """The key is in the keys folder every server shares, not in a process's
    memory: ballots sealed by a server killed mid-poll are counted by another."""
    # As deployed: every server of the database holds the same keys folder.
    shared = {"PHONGHOP_KEYS_DIR": str(server.workdir / "keys")}
    first = Server(server.database_url, tmp_path / "first", dict(shared))
    second = Server(server.database_url, tmp_path / "second", dict(shared))
    for node in (first, second):
        node.workdir.mkdir()
    await first.start()
    world = await build_world(server.database_url, delegates=5)
    c = await connect_all(first, world, ("chair", *VOTERS))
    try:
        await ok(c["chair"], "session.open")
        await check_in(c, "chair", *VOTERS)
        poll = (await ok(c["chair"], "poll.open", {
            "question": "Kín", "kind": "secret", "rule": "present_majority"}))["poll"]
        for k, who in enumerate(VOTERS):
            await ok(c[who], "vote.cast", {"poll": poll, "choice": k % 2})
    finally:
        await first.stop(kill=True)
        await asyncio.gather(*(x.close() for x in c.values()))
    await second.start()
    try:
        chair = (await connect_all(second, world, ("chair",)))["chair"]
        try:
            closed = await ok(chair, "poll.close", {"poll": poll})
            assert closed["counts"] == [3, 2, 0]
        finally:
            await chair.close()
    finally:
        await second.stop()


async def test_a_server_with_another_ballot_key_refuses_to_start(server: Server,
                                                                 tmp_path: Path) -> None:
    """It could seal nothing the other servers open, nor open what they sealed."""
    other = tmp_path / "other-keys"
    other.mkdir(mode=0o700)
    # The same audit key as the others: only the ballot key differs.
    shutil.copy2(server.workdir / "keys" / "audit.key", other / "audit.key")
    odd = Server(server.database_url, tmp_path / "odd", {"PHONGHOP_KEYS_DIR": str(other)})
    odd.workdir.mkdir()
    with pytest.raises(RuntimeError, match="server exited"):
        await odd.start()
    assert "ballot.key" in odd.log_text()
