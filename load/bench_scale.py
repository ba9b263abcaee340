"""Scale benchmark (not a test; `make bench-scale`): many meetings on one
process, and one very large meeting.

Scenario "rooms": M meetings (default 20) of 91 laptops each (chair, 89
delegates, the projector) on one server process. The demo meeting is copied
by the secretary through the HTTP API and each copy is sent out, so every
meeting has its own agenda and room document. All laptops of all meetings
join, then every chair moves its agenda cursor at `--rate` Hz for
`--duration` seconds, the meetings' chairs starting evenly spread over one
period, as unrelated meetings do. Measured: intent -> each replica of its
meeting, over all meetings. Then the whole of one meeting's wifi drops and
its 91 laptops reconnect at once, each with its replica, while the other
meetings stay connected: time until every one of them is resynced.

Scenario "large": one meeting followed by D devices (default 1,000): the
chair, the projector and the 90 delegates' accounts each on many devices
(a socket per device). Same cursor moves, then every device reconnects at
once.

All clients are asyncio websockets with a pycrdt replica each, in this one
process, sharing the machine's cores with the server (see bench_live.py).

    .venv/bin/python load/bench_scale.py [--scenarios rooms,large] [--rooms 20]
        [--devices 1000] [--duration 30] [--rate 1] [--json var/bench-scale.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import math
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pycrdt

from collab_server.cli import raise_open_files

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_live import (  # noqa: E402
    CpuWindow,
    OwnServer,
    Replica,
    cpu_line,
    cursor_run,
    demo_meeting,
    health,
    join_storm,
    login_all,
    machine,
    main_with,
    parse_accounts,
    row,
    server_connections,
    summary_ms,
    wait_for,
)

GOALS_MS = {"rooms": 100.0, "large": 250.0, "reconnect": 1000.0}


async def pause_histograms(base: str) -> dict[str, dict[str, float]]:
    """The server's event-loop lag and GC pause histograms (cumulative buckets)."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        text = (await client.get("/-/metrics")).text
    out: dict[str, dict[str, float]] = {"lag": {}, "gc": {}}
    for line in text.splitlines():
        for key, name in (("lag", "phonghop_event_loop_lag_seconds_bucket"),
                          ("gc", "phonghop_gc_pause_seconds_bucket")):
            if line.startswith(name):
                bound = line.split('le="', 1)[1].split('"', 1)[0]
                out[key][bound] = float(line.rsplit(" ", 1)[1])
    return out


def pauses_between(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]
                   ) -> dict[str, Any]:
    """How many event-loop lags and GC pauses passed 25, 50 and 100 ms, and the
    bucket of the longest (from the cumulative buckets' differences)."""
    out: dict[str, Any] = {}
    for key in ("lag", "gc"):
        delta = {b: after[key].get(b, 0) - before[key].get(b, 0) for b in after[key]}
        total = delta.get("+Inf", 0)
        out[key] = {"n": total, **{f"over_{ms}ms": total - delta.get(f"{ms / 1000:g}", total)
                                   for ms in (25, 50, 100)}}
        longest = next((b for b in sorted((b for b in delta if b != "+Inf"), key=float)
                        if delta[b] == total), "+Inf")
        out[key]["longest_at_most_s"] = longest
    return out


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


class Bench:
    def __init__(self, base: str, tokens: dict[str, str], own: OwnServer | None) -> None:
        self.base = base
        self.ws = base.replace("http", "ws", 1)
        self.tokens = tokens
        self.own = own

    def replica(self, user: str, meeting: int, device: str) -> Replica:
        return Replica(f"{user}@{meeting}/{device}",
                       f"{self.ws}/ws/meeting/{meeting}/room?token={self.tokens[user]}"
                       f"&device={device}")

    async def copies(self, source: int, count: int, label: str) -> list[int]:
        """`count` copies of the demo meeting, sent out (status "invited")."""
        starts = datetime.now(UTC) + timedelta(days=7)
        meetings = []
        async with httpx.AsyncClient(base_url=self.base, timeout=60, headers={
                "authorization": f"Bearer {self.tokens['thuky']}"}) as client:
            for n in range(count):
                r = await client.post(f"/api/meetings/{source}/copy", json={
                    "title": f"Phiên họp đo tải {label} {n + 1}",
                    "starts_at": (starts + timedelta(hours=n)).isoformat()})
                r.raise_for_status()
                meeting = int(r.json()["meeting"]["id"])
                r = await client.post(f"/api/meetings/{meeting}/status", json={"to": "invited"})
                r.raise_for_status()
                meetings.append(meeting)
        return meetings

    def server_rss(self) -> float | None:
        if self.own is None or self.own.process is None:
            return None
        return rss_mb(self.own.process.pid)

    async def cursor(self, rooms: list[tuple[list[Replica], Replica]], duration: float,
                     rate: float) -> dict[str, Any]:
        """Every room's chair moves its cursor; rooms start spread over one period."""
        samples: list[float] = []
        gc.collect()
        gc.freeze()
        histograms = await pause_histograms(self.base)
        cpu = CpuWindow(self.own)
        try:
            results = await asyncio.gather(*(
                cursor_run(replicas, chair, agenda_items(chair), duration, rate,
                           offset=n / (rate * len(rooms)), settle=False, samples=samples)
                for n, (replicas, chair) in enumerate(rooms)))
        finally:
            gc.unfreeze()
        used = cpu.percent()
        pauses = pauses_between(histograms, await pause_histograms(self.base))
        last = [x for r in results for x in r["each_intent_last_replica_ms"]]
        replies = [x for r in results for x in r["each_intent_reply_ms"]]
        return {
            "rooms": len(rooms),
            "replicas": sum(len(replicas) for replicas, _ in rooms),
            "intents": sum(r["intents"] for r in results),
            "rate_hz_per_room": rate,
            "per_replica_ms": summary_ms(samples),
            "last_replica_per_intent_ms": summary_ms([x / 1000 for x in last]),
            "intent_reply_ms": summary_ms([x / 1000 for x in replies]),
            "missed": sum(r["missed"] for r in results),
            "errors": {k: v for r in results for k, v in r["errors"].items()},
            "client_loop_lag_ms_worst_room": max(
                (r["client_loop_lag_ms"] for r in results), key=lambda s: s.get("p99", 0)),
            "cpu": used,
            "server_pauses": pauses,
            "server_rss_mb": self.server_rss(),
            "worst_rooms_p99_ms": sorted(
                (r["per_replica_ms"].get("p99", math.inf) for r in results), reverse=True)[:3],
        }

    async def reconnect(self, replicas: list[Replica], compression: str | None,
                        others: int) -> dict[str, Any]:
        """These replicas drop at once and come back at once (keeping their
        documents, as y-websocket does); `others` sockets stay connected."""
        await asyncio.gather(*(r.close() for r in replicas))
        await wait_for(lambda: all(r.task is not None and r.task.done() for r in replicas),
                       60, "every socket to close")
        await server_connections(self.base, others, 60)
        result = await join_storm(replicas, compression)
        result["staying_connected"] = others
        return result


def agenda_items(chair: Replica) -> list[int]:
    return [int(i["id"]) for i in chair.doc.get("agenda", type=pycrdt.Array).to_py()]


def room_users(accounts: dict[str, str]) -> list[str]:
    delegates = sorted(u for u in accounts if re.fullmatch(r"delegate\d+", u))
    return ["chutoa", *delegates[:89], "manhinh"]


async def scenario_rooms(bench: Bench, source: int, users: list[str], args: argparse.Namespace,
                         compression: str | None) -> dict[str, Any]:
    meetings = [source, *await bench.copies(source, args.rooms - 1, "nhiều phòng")]
    rooms = []
    for meeting in meetings:
        replicas = [bench.replica(u, meeting, "bench") for u in users]
        rooms.append((replicas, replicas[0]))
    everyone = [r for replicas, _ in rooms for r in replicas]
    loads_before = (await health(bench.base))["live"]["loads"]
    try:
        joined = await join_storm(everyone, compression)
        joined["server_loads"] = (await health(bench.base))["live"]["loads"] - loads_before
        cursor = await bench.cursor(rooms, args.duration, args.rate)
        reconnect = await bench.reconnect(rooms[0][0], compression,
                                          len(everyone) - len(rooms[0][0]))
        dropped = (await health(bench.base))["live"]["dropped_clients"]
    finally:
        await asyncio.gather(*(r.close() for r in everyone))
    await server_connections(bench.base, 0, 60)
    return {"meetings": len(meetings), "devices_per_meeting": len(users), "join": joined,
            "cursor": cursor, "reconnect_one_room": reconnect, "dropped_clients": dropped}


async def scenario_large(bench: Bench, source: int, users: list[str], args: argparse.Namespace,
                         compression: str | None) -> dict[str, Any]:
    (meeting,) = await bench.copies(source, 1, "hội nghị lớn")
    chair = bench.replica("chutoa", meeting, "bench-0")
    replicas = [chair, bench.replica("manhinh", meeting, "bench-0")]
    delegates = itertools.cycle(u for u in users if u.startswith("delegate"))
    replicas += [bench.replica(next(delegates), meeting, f"bench-{n}")
                 for n in range(args.devices - 2)]
    try:
        joined = await join_storm(replicas, compression)
        cursor = await bench.cursor([(replicas, chair)], args.duration, args.rate)
        reconnect = await bench.reconnect(replicas, compression, 0)
        dropped = (await health(bench.base))["live"]["dropped_clients"]
    finally:
        await asyncio.gather(*(r.close() for r in replicas))
    await server_connections(bench.base, 0, 60)
    return {"meeting": meeting, "devices": len(replicas),
            "accounts": len({r.url.split("token=")[1].split("&")[0] for r in replicas}),
            "join": joined, "cursor": cursor, "reconnect_all": reconnect,
            "dropped_clients": dropped}


def pause_line(p: dict[str, Any]) -> str:
    lag, gcp = p["lag"], p["gc"]
    return (f"  server event loop late by over 25/50/100 ms: {lag['over_25ms']:g}/"
            f"{lag['over_50ms']:g}/{lag['over_100ms']:g} times (worst <= "
            f"{lag['longest_at_most_s']} s); GC pauses over 25/50/100 ms: "
            f"{gcp['over_25ms']:g}/{gcp['over_50ms']:g}/{gcp['over_100ms']:g} of {gcp['n']:g} "
            f"(worst <= {gcp['longest_at_most_s']} s)")


def cursor_lines(c: dict[str, Any]) -> list[str]:
    return [row("intent -> each replica, ms", c["per_replica_ms"]),
            row("intent -> last replica, ms", c["last_replica_per_intent_ms"]),
            row("intent -> reply to chair, ms", c["intent_reply_ms"]),
            cpu_line(c["cpu"]), pause_line(c["server_pauses"]),
            f"  server memory {c['server_rss_mb']} MB"]


def report(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    lines = [f"Phòng họp không giấy: scale benchmark on {m['nproc']} CPU(s), {m['cpu']}; "
             "the clients share these cores with the server"]
    if "rooms" in results:
        s = results["rooms"]
        c = s["cursor"]
        lines += [
            f"rooms: {s['meetings']} meetings × {s['devices_per_meeting']} devices, one process",
            f"  all {s['join']['clients']} joined and synced after "
            f"{s['join']['all_synced_ms']:.0f} ms ({s['join']['server_loads']} loads)",
            f"  agenda.goto at {c['rate_hz_per_room']:g} Hz in each meeting: {c['intents']} "
            f"intents, missed {c['missed']}, errors {len(c['errors'])}",
            *cursor_lines(c),
            f"  one meeting's {s['reconnect_one_room']['clients']} laptops reconnect at once "
            f"({s['reconnect_one_room']['staying_connected']} other sockets connected): "
            f"all resynced after {s['reconnect_one_room']['all_synced_ms']:.0f} ms",
        ]
    if "large" in results:
        s = results["large"]
        c = s["cursor"]
        lines += [
            f"large: one meeting of {s['devices']} devices ({s['accounts']} accounts)",
            f"  all joined and synced after {s['join']['all_synced_ms']:.0f} ms",
            f"  agenda.goto at {c['rate_hz_per_room']:g} Hz: {c['intents']} intents, "
            f"missed {c['missed']}, errors {len(c['errors'])}",
            *cursor_lines(c),
            f"  all {s['reconnect_all']['clients']} reconnect at once: all resynced after "
            f"{s['reconnect_all']['all_synced_ms']:.0f} ms",
        ]
    for name, goal in results["goals"].items():
        verdict = "MET" if goal["met"] else "NOT MET"
        lines.append(f"goal {name}: < {goal['goal_ms']:g} ms: {verdict} "
                     f"({goal['measured_ms']:.1f} ms)")
    return lines


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_open_files()
    host = machine()
    own: OwnServer | None = None
    try:
        if args.url:
            base = args.url.rstrip("/")
            accounts = parse_accounts(args.accounts_text)
        else:
            own = OwnServer()
            print(f"starting a server with the demo data in {own.data_dir} ...", flush=True)
            await own.start()
            base = own.url
            accounts = parse_accounts(own.accounts())
        users = room_users(accounts)
        tokens, _, took = await login_all(base, accounts, [*users, "thuky"])
        print(f"{len(tokens)} logins in {took:.1f} s", flush=True)
        bench = Bench(base, tokens, own)
        source = await demo_meeting(base, tokens["chutoa"])
        compression = "deflate" if args.deflate else None
        results: dict[str, Any] = {
            "machine": host, "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "server": "own (started by the benchmark)" if own else base,
            "duration_s": args.duration, "rate_hz": args.rate}
        goals: dict[str, Any] = {}
        wanted = args.scenarios.split(",")
        if "rooms" in wanted:
            print(f"rooms: {args.rooms} meetings × {len(users)} devices ...", flush=True)
            s = results["rooms"] = await scenario_rooms(bench, source, users, args, compression)
            goals["rooms: p99 intent -> each replica"] = s["cursor"]["per_replica_ms"]["p99"]
            goals["reconnect: one meeting's laptops resynced"] = (
                s["reconnect_one_room"]["all_synced_ms"])
        if "large" in wanted:
            print(f"large: one meeting of {args.devices} devices ...", flush=True)
            s = results["large"] = await scenario_large(bench, source, users, args, compression)
            goals["large: p99 intent -> each replica"] = s["cursor"]["per_replica_ms"]["p99"]
        results["loadavg_after"] = list(os.getloadavg())
        results["goals"] = {
            name: {"goal_ms": GOALS_MS[name.split(":")[0]], "measured_ms": value,
                   "met": value < GOALS_MS[name.split(":")[0]]}
            for name, value in goals.items()}
        return results
    finally:
        if own is not None:
            await own.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running server (default: start one with the demo data)")
    p.add_argument("--accounts", default="var/demo-accounts.txt",
                   help="demo-accounts.txt of the server at --url")
    p.add_argument("--scenarios", default="rooms,large", help="rooms,large (both)")
    p.add_argument("--rooms", type=int, default=20, help="meetings in scenario rooms (20)")
    p.add_argument("--devices", type=int, default=1000, help="devices in scenario large (1000)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of cursor moves (30)")
    p.add_argument("--rate", type=float, default=1.0, help="intents per second per meeting (1)")
    p.add_argument("--no-deflate", dest="deflate", action="store_false",
                   help="do not offer permessage-deflate (browsers do offer it)")
    p.add_argument("--json", help="write the results here as JSON")
    args = p.parse_args()
    args.accounts_text = Path(args.accounts).read_text(encoding="utf-8") if args.url else ""
    return main_with(run, args, report)


if __name__ == "__main__":
    sys.exit(main())
