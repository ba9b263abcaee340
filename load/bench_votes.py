"""Voting benchmark (not a test): a full room votes, then asks to speak, at once.

Against the demo meeting, with the chair, every delegate and the projector
each on their own websocket with a pycrdt replica of the room:

1. Every member checks in; the chair opens the session if needed.
2. Vote storm, once for a named poll and once for a secret one: the chair
   opens a poll, then all 91 members cast within one second (each at a
   random instant of it). Measured: each ballot's reply (committed in
   PostgreSQL before it), the last reply, the moment every replica shows 91
   ballots; then the chair closes the poll: the reply, and the moment the
   result is on every replica.
3. Speaker storm: all 91 members send `speaker.request` at the same instant;
   time until every replica shows 91 requests (then they withdraw).

Without --url it starts its own server with the demo data, as bench_live.py
does, and stops it at the end.

    .venv/bin/python load/bench_votes.py [--url URL --accounts FILE] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pycrdt
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from collab_server.protocol import (
    IntentResult,
    SyncStep1,
    decode,
    encode_intent,
    encode_sync_step1,
    encode_sync_step2,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_live import (  # noqa: E402
    OwnServer,
    demo_meeting,
    login_all,
    machine,
    parse_accounts,
    summary_ms,
    wait_for,
    write_results,
)

SYNC, INTENT_RESULT = 0, 101
STEP1, STEP2 = 0, 1
now = time.perf_counter
_ids = itertools.count(1)


class Laptop:
    """One websocket and one replica of the room. `watch` is checked after
    every update until it holds; the moment it did is `seen_at`."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.doc: pycrdt.Doc[Any] = pycrdt.Doc()
        self.polls = self.doc.get("polls", type=pycrdt.Map)
        self.speakers = self.doc.get("speakers", type=pycrdt.Map)
        self.session = self.doc.get("session", type=pycrdt.Map)
        self.quorum = self.doc.get("quorum", type=pycrdt.Map)
        self.synced = asyncio.Event()
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.replies: dict[int, tuple[float, dict[str, Any]]] = {}
        self.watch: Callable[[], bool] | None = None
        self.seen_at = 0.0
        self.error: str | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        try:
            async with connect(self.url, max_size=None, compression="deflate",
                               ping_interval=None, open_timeout=60) as ws:
                self.ws = ws
                await ws.send(encode_sync_step1(self.doc.get_state()))
                async for frame in ws:
                    assert isinstance(frame, bytes)
                    answer = self._handle(frame)
                    if answer is not None:
                        await ws.send(answer)
        except ConnectionClosed as exc:
            self.error = f"closed {exc.rcvd.code if exc.rcvd else 1006}"
        except (OSError, TimeoutError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.synced.set()

    def _handle(self, frame: bytes) -> bytes | None:
        if frame[0] == SYNC:
            message = decode(frame)
            if isinstance(message, SyncStep1):
                return encode_sync_step2(self.doc.get_update(message.state))
            self.doc.apply_update(message.update)  # type: ignore[union-attr]
            if frame[1] == STEP2:
                self.synced.set()
            if self.watch is not None and self.watch():
                self.seen_at = now()
                self.watch = None
        elif frame[0] == INTENT_RESULT:
            message = decode(frame)
            assert isinstance(message, IntentResult)
            reply = orjson.loads(message.text)
            self.replies[int(reply["id"])] = (now(), reply)
        return None

    def arm(self, watch: Callable[[], bool]) -> None:
        self.seen_at = 0.0
        self.watch = None
        if watch():
            self.seen_at = now()
        else:
            self.watch = watch

    async def send(self, kind: str, args: dict[str, Any]) -> tuple[int, float]:
        assert self.ws is not None
        intent_id = next(_ids)
        frame = encode_intent(orjson.dumps({"id": intent_id, "type": kind,
                                            "args": args}).decode())
        sent = now()
        await self.ws.send(frame)
        return intent_id, sent

    async def ask(self, kind: str, args: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        intent_id, _ = await self.send(kind, args)
        await wait_for(lambda: intent_id in self.replies, timeout, f"reply to {kind}")
        return self.replies[intent_id][1]

    def poll(self, poll: int) -> Any:
        return self.polls.get(str(poll))

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self.ws.close()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def everywhere(laptops: list[Laptop], since: float, what: str,
                     timeout: float = 60) -> float:
    """Seconds from `since` until the watch armed on every replica held everywhere."""
    await wait_for(lambda: all(lap.watch is None for lap in laptops), timeout, what)
    return max(lap.seen_at for lap in laptops) - since


def cpu_delta(own: OwnServer | None, before: dict[str, float] | None,
              wall: float) -> dict[str, float]:
    after = own.cpu() if own is not None else None
    if before is None or after is None:
        return {}
    return {f"{k}_pct": round(100 * (after[k] - before[k]) / wall, 1) for k in after}


async def vote_storm(chair: Laptop, members: list[Laptop], laptops: list[Laptop], kind: str,
                     spread: float, own: OwnServer | None) -> dict[str, Any]:
    opened = await chair.ask("poll.open", {"question": f"Biểu quyết thử ({kind})",
                                           "kind": kind, "rule": "present_majority"})
    if not opened.get("ok"):
        raise RuntimeError(f"poll.open refused: {opened}")
    poll = int(opened["result"]["poll"])
    await wait_for(lambda: all(lap.poll(poll) is not None for lap in laptops), 30, "the poll")
    total = len(members)
    for lap in laptops:
        lap.arm(lambda lap=lap: (lap.poll(poll) or {}).get("cast") == total)
    rng = random.Random(45)
    offsets = [rng.uniform(0, spread) for _ in members]
    sent: dict[str, tuple[int, float]] = {}
    cpu_before = own.cpu() if own else None
    start = now() + 0.05

    async def cast(lap: Laptop, offset: float, choice: int) -> None:
        delay = start + offset - now()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the voter, not waiting for a result
        sent[lap.name] = await lap.send("vote.cast", {"poll": poll, "choice": choice})

    await asyncio.gather(*(cast(lap, off, k % 3) for k, (lap, off)
                           in enumerate(zip(members, offsets, strict=True))))
    await wait_for(lambda: all(sent[lap.name][0] in lap.replies for lap in members), 60,
                   "every ballot's reply")
    replies = [lap.replies[sent[lap.name][0]] for lap in members]
    refused = [r for _, r in replies if not r.get("ok")]
    if refused:
        raise RuntimeError(f"{len(refused)} ballots refused, e.g. {refused[0]}")
    latency = [t - sent[lap.name][1] for lap, (t, _) in zip(members, replies, strict=True)]
    last_reply = max(t for t, _ in replies) - start
    cast_everywhere = await everywhere(laptops, start,
                                       "91 ballots on every replica")
    last_sent = max(t for _, t in sent.values())
    wall = now() - start
    cpu = cpu_delta(own, cpu_before, wall)

    for lap in laptops:
        lap.arm(lambda lap=lap: (lap.poll(poll) or {}).get("status") == "closed")
    close_id, close_sent = await chair.send("poll.close", {"poll": poll})
    await wait_for(lambda: close_id in chair.replies, 30, "the close reply")
    close_at, close_reply = chair.replies[close_id]
    if not close_reply.get("ok"):
        raise RuntimeError(f"poll.close refused: {close_reply}")
    result_everywhere = await everywhere(laptops, close_sent,
                                         "the result on every replica")
    return {
        "kind": kind, "poll": poll, "ballots": total, "spread_s": spread,
        "ballot_reply_ms": summary_ms(latency),
        "all_committed_ms": _ms(last_reply),
        "cast_on_every_replica_ms": _ms(cast_everywhere),
        # The goal of group commit: every ballot on every replica within 150 ms
        # of the last ballot sent.
        "every_replica_after_last_sent_ms": _ms(start + cast_everywhere - last_sent),
        "last_reply_after_last_sent_ms": _ms(start + last_reply - last_sent),
        "close_reply_ms": _ms(close_at - close_sent),
        "result_on_every_replica_ms": _ms(result_everywhere),
        "counts": close_reply["result"]["counts"],
        "cpu_during_storm": cpu,
    }


async def speaker_storm(members: list[Laptop], laptops: list[Laptop],
                        own: OwnServer | None) -> dict[str, Any]:
    total = len(members)
    for lap in laptops:
        lap.arm(lambda lap=lap: len(lap.speakers) >= total)
    cpu_before = own.cpu() if own else None
    start = now()
    sent = await asyncio.gather(*(lap.send("speaker.request", {"kind": "speech"})
                                  for lap in members))
    await wait_for(lambda: all(i in lap.replies for lap, (i, _) in zip(members, sent,
                                                                       strict=True)),
                   60, "every speaker.request reply")
    replies = [lap.replies[i] for lap, (i, _) in zip(members, sent, strict=True)]
    refused = [r for _, r in replies if not r.get("ok")]
    if refused:
        raise RuntimeError(f"{len(refused)} requests refused, e.g. {refused[0]}")
    queued_everywhere = await everywhere(laptops, start,
                                         "91 requests on every replica")
    wall = now() - start
    result = {
        "requests": total,
        "reply_ms": summary_ms([t - s for (t, _), (_, s) in zip(replies, sent, strict=True)]),
        "all_replied_ms": _ms(max(t for t, _ in replies) - start),
        "queue_on_every_replica_ms": _ms(queued_everywhere),
        "cpu": cpu_delta(own, cpu_before, wall),
    }
    # Leave the queue empty, so the benchmark can run again on the same meeting.
    await asyncio.gather(*(lap.ask("speaker.withdraw", {}) for lap in members))
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    own: OwnServer | None = None
    try:
        if args.url:
            base = args.url.rstrip("/")
            accounts = parse_accounts(
                await asyncio.to_thread(Path(args.accounts).read_text, encoding="utf-8"))
        else:
            own = OwnServer()
            print(f"starting a server with the demo data in {own.data_dir} ...", flush=True)
            await own.start()
            base = own.url
            accounts = parse_accounts(own.accounts())
        delegates = sorted(u for u in accounts if re.fullmatch(r"delegate\d+", u))
        users = ["chutoa", *delegates[:args.members - 1], "manhinh"]
        tokens, login_times, login_total = await login_all(base, accounts, users)
        meeting = args.meeting or await demo_meeting(base, tokens["chutoa"])
        ws_base = base.replace("http", "ws", 1)
        laptops = [Laptop(u, f"{ws_base}/ws/meeting/{meeting}/room?token={tokens[u]}"
                             f"&device=bench") for u in users]
        chair, members = laptops[0], laptops[:-1]
        try:
            for lap in laptops:
                lap.start()
            await asyncio.wait_for(asyncio.gather(*(lap.synced.wait() for lap in laptops)), 120)
            failed = {lap.name: lap.error for lap in laptops if lap.error}
            if failed:
                raise RuntimeError(f"clients failed: {dict(list(failed.items())[:5])}")
            if chair.session.get("state") in (None, "not_started"):
                await chair.ask("session.open", {"early": True})
            if chair.session.get("state") != "open":
                raise RuntimeError(f"the session is {chair.session.get('state')}, not open")
            await asyncio.gather(*(lap.ask("attendance.check_in", {}) for lap in members))
            await wait_for(lambda: chair.quorum.get("present") == len(members), 30,
                           "every member present")
            results: dict[str, Any] = {"machine": machine(), "meeting": meeting,
                                       "members": len(members), "replicas": len(laptops),
                                       "server": "own" if own else base,
                                       "logins": {"count": len(users),
                                                  "all_ms": _ms(login_total),
                                                  "each_ms": summary_ms(login_times)}}
            for kind in ("named", "secret"):
                results[f"votes_{kind}"] = await vote_storm(chair, members, laptops, kind,
                                                            args.spread, own)
            results["speakers"] = await speaker_storm(members, laptops, own)
            return results
        finally:
            await asyncio.gather(*(lap.close() for lap in laptops))
    finally:
        if own is not None:
            await own.stop()


def report(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    lines = [f"Phòng họp không giấy: voting benchmark, {results['members']} members, "
             f"{results['replicas']} replicas, {m['nproc']} CPU(s), {m['cpu']} "
             "(clients share the machine with the server);"
             f" load average at start {m['loadavg_at_start'][0]:.1f}"]
    g = results["logins"]
    lines.append(f"logins: {g['count']} at once, all signed in after {g['all_ms']:.0f} ms"
                 f" (each p50 {g['each_ms']['p50']:.0f} ms)")
    for kind in ("named", "secret"):
        v = results[f"votes_{kind}"]
        b = v["ballot_reply_ms"]
        lines += [
            f"{kind} poll: {v['ballots']} ballots cast within {v['spread_s']:g} s",
            f"  ballot -> reply (committed), ms  p50 {b['p50']:7.1f}  p99 {b['p99']:7.1f}"
            f"  max {b['max']:7.1f}",
            f"  all ballots committed after {v['all_committed_ms']:.0f} ms;"
            f" 91 ballots on every replica after {v['cast_on_every_replica_ms']:.0f} ms",
            f"  after the last ballot sent: last reply {v['last_reply_after_last_sent_ms']:.0f} ms,"
            f" on every replica {v['every_replica_after_last_sent_ms']:.0f} ms (goal 150)",
            f"  close -> reply {v['close_reply_ms']:.1f} ms; result on every replica after"
            f" {v['result_on_every_replica_ms']:.1f} ms; counts {v['counts']}",
        ]
        if v["cpu_during_storm"]:
            c = v["cpu_during_storm"]
            lines.append(f"  CPU during the storm (% of one core): server {c['server_pct']},"
                         f" postgres {c['postgres_pct']}")
    s = results["speakers"]
    lines += [
        f"speaker storm: {s['requests']} speaker.request at once",
        f"  request -> reply, ms  p50 {s['reply_ms']['p50']:7.1f}  p99 {s['reply_ms']['p99']:7.1f}"
        f"; all replied after {s['all_replied_ms']:.0f} ms",
        f"  91 requests on every replica after {s['queue_on_every_replica_ms']:.0f} ms",
    ]
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running demo server (default: start one)")
    p.add_argument("--accounts", default="var/demo-accounts.txt",
                   help="demo-accounts.txt of the server at --url")
    p.add_argument("--meeting", type=int, help="meeting id (default: the chair's meeting)")
    p.add_argument("--members", type=int, default=91, help="chair + delegates (91)")
    p.add_argument("--spread", type=float, default=1.0,
                   help="seconds over which the ballots are cast (1)")
    p.add_argument("--json", help="write the results here as JSON")
    args = p.parse_args()
    results = asyncio.run(run(args))
    for line in report(results):
        print(line)
    if args.json:
        write_results(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
