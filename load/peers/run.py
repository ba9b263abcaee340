"""Side by side with peers: the same neutral Yjs load generator (gen.mjs, Node,
only yjs, y-protocols, lib0 and ws) against Phòng họp không giấy, a stock
Hocuspocus server and a stock pycrdt-websocket server, on this machine, one
server at a time, each pinned to one core and the generator to the other.

    load/peers/run.sh [--servers phonghop,hocuspocus,pycrdt] [--scenarios 1,2,3,4]
                      [--duration 25] [--json var/peers.json]

Not a test: it measures, prints a table and writes JSON. Every server it
starts listens on 127.0.0.1 and is stopped at the end; every scenario is
bounded in time (gen.mjs gives up on its own too).

Phòng họp không giấy has no document that many clients may write: the room
is written by the server alone, notes are personal. The only shared writable
document is a meeting's presenter ink (`meeting/{id}/ink`), which the chair
may write while nobody else is named presenter. So here the W writers are W
sockets logged in as the chair (one token) and the other clients are
delegates reading. Every room of every scenario is a new meeting that the
secretary (`thuky`) creates through the HTTP API, with the chair and the 90
delegates as participants, so each starts from an empty ink document (the
peers get a new document name per scenario); four rooms are four meetings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
from bench_live import (  # noqa: E402
    OwnServer,
    _proc_stat,
    cpu_seconds,
    free_port,
    login_all,
    machine,
    machine_busy_seconds,
    parse_accounts,
)

CLIENTS = 91


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    rooms: int
    writers: int
    rate: float
    presence: bool


SCENARIOS = {
    "1": Scenario("1", "1 room × 91, 10 writers at 2 Hz", 1, 10, 2.0, False),
    "2": Scenario("2", "1 room × 91, 10 writers at 2 Hz + presence of all at 1 Hz", 1, 10, 2.0,
                  True),
    "3": Scenario("3", "1 room × 91, 30 writers at 10 Hz", 1, 30, 10.0, False),
    "4": Scenario("4", "4 rooms × 91, 10 writers at 2 Hz each", 4, 10, 2.0, False),
}


def pin(pid: int, cores: set[int]) -> None:
    """Pin every thread of a process (what `taskset -a -p` does)."""
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task.name), cores)


def tree_cpu(pid: int) -> float:
    """User+system seconds of a process and all its descendants that are alive."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None:
                parents[int(entry.name)], times[int(entry.name)] = stat
    family, frontier = set(), {pid}
    while frontier:
        family |= frontier
        frontier = {p for p, parent in parents.items() if parent in frontier} - family
    return sum(times.get(p, 0.0) for p in family)


# -- servers -----------------------------------------------------------------------------


class Server:
    name = ""
    dialect = "y-websocket"

    async def start(self, core: int) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def rooms(self, scenario: Scenario) -> list[dict[str, Any]]:
        raise NotImplementedError

    def cpu(self) -> dict[str, float]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class Subprocess(Server):
    """A peer server: one process that prints `listening <port>` when ready."""

    command: list[str] = []

    def __init__(self) -> None:
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.log = Path(tempfile.mkstemp(prefix=f"peers-{self.name}-", suffix=".log")[1])

    async def start(self, core: int) -> None:
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                "taskset", "-c", str(core), *self.command, str(self.port),
                cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=log)
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 30)
        if not line.startswith(b"listening"):
            raise RuntimeError(f"{self.name} did not start: {line!r}\n{self.log.read_text()}")
        pin(self.process.pid, {core})

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.log.unlink(missing_ok=True)

    def cpu(self) -> dict[str, float]:
        assert self.process is not None
        return {"server": tree_cpu(self.process.pid)}


class Hocuspocus(Subprocess):
    name = "hocuspocus"
    dialect = "hocuspocus"
    command = ["node", str(HERE / "hocuspocus-server.mjs")]

    async def rooms(self, scenario: Scenario) -> list[dict[str, Any]]:
        url = f"ws://127.0.0.1:{self.port}"
        return [{"doc": f"s{scenario.key}-room-{r}",
                 "clients": [{"url": url, "writer": i < scenario.writers}
                             for i in range(CLIENTS)]}
                for r in range(scenario.rooms)]

    def describe(self) -> str:
        version = json.loads((HERE / "node_modules/@hocuspocus/server/package.json")
                             .read_text())["version"]
        return f"@hocuspocus/server {version}, defaults (no extensions, no persistence)"


class PycrdtWebsocket(Subprocess):
    name = "pycrdt-websocket"
    command = [str(HERE / ".venv/bin/python"), str(HERE / "pycrdt_server.py")]

    async def rooms(self, scenario: Scenario) -> list[dict[str, Any]]:
        return [{"doc": f"s{scenario.key}-room-{r}",
                 "clients": [{"url": f"ws://127.0.0.1:{self.port}/s{scenario.key}-room-{r}",
                              "writer": i < scenario.writers} for i in range(CLIENTS)]}
                for r in range(scenario.rooms)]

    def describe(self) -> str:
        versions = {}
        for dist in (HERE / ".venv/lib").glob("python*/site-packages/*.dist-info"):
            name, _, version = dist.name.removesuffix(".dist-info").partition("-")
            versions[name.lower()] = version
        return (f"pycrdt-websocket {versions.get('pycrdt_websocket', '?')} (pycrdt "
                f"{versions.get('pycrdt', '?')}), uvicorn {versions.get('uvicorn', '?')}, "
                "no store")


class Phonghop(Server):
    name = "phonghop"

    def __init__(self) -> None:
        self.own = OwnServer()
        self.user_ids: dict[str, int] = {}
        self.tokens: dict[str, str] = {}

    async def start(self, core: int) -> None:
        # The server, its embedded PostgreSQL and its render workers are forked
        # from this thread: pinned now, they inherit the core.
        mine = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {core})
        try:
            await self.own.start()
        finally:
            os.sched_setaffinity(0, mine)
        assert self.own.process is not None
        for pid in self._family():
            pin(pid, {core})
        accounts = parse_accounts(self.own.accounts())
        delegates = sorted(u for u in accounts if re.fullmatch(r"delegate\d+", u))
        users = ["chutoa", "thuky", "quantri", *delegates]
        self.tokens, _, took = await login_all(self.own.url, accounts, users)
        print(f"  {len(users)} logins in {took:.1f} s", flush=True)
        self.user_ids = await self._user_ids()

    def _family(self) -> set[int]:
        assert self.own.process is not None
        parents = {int(e.name): (_proc_stat(int(e.name)) or (0, 0.0))[0]
                   for e in Path("/proc").iterdir() if e.name.isdigit()}
        family, frontier = set(), {self.own.process.pid}
        while frontier:
            family |= frontier
            frontier = {p for p, parent in parents.items() if parent in frontier} - family
        return family

    def _client(self, user: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.own.url, timeout=30,
                                 headers={"authorization": f"Bearer {self.tokens[user]}"})

    async def _user_ids(self) -> dict[str, int]:
        # Login names are shown to the body's admins only (docs/security.md).
        async with self._client("quantri") as client:
            users = await client.get("/api/users", params={"body": "mine"})
            users.raise_for_status()
            return {u["username"]: int(u["id"]) for u in users.json()["users"]}

    async def _new_meeting(self, title: str) -> int:
        """A meeting like the demo's: the chair and the 90 delegates. A fresh one
        per room and scenario, so every scenario starts from an empty ink
        document, as the peers start from a new document name."""
        starts = datetime.now(UTC) + timedelta(days=7)
        async with self._client("thuky") as client:
            r = await client.post("/api/meetings", json={
                "title": title, "kind": "regular", "confidentiality": "internal",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=3)).isoformat()})
            r.raise_for_status()
            meeting = int(r.json()["meeting"]["id"])
            for username, user_id in self.user_ids.items():
                role = "chair" if username == "chutoa" else (
                    "delegate" if re.fullmatch(r"delegate\d+", username) else None)
                if role is not None:
                    r = await client.post(f"/api/meetings/{meeting}/participants",
                                          json={"user_id": user_id, "role": role})
                    r.raise_for_status()
        return meeting

    async def rooms(self, scenario: Scenario) -> list[dict[str, Any]]:
        ws = self.own.url.replace("http", "ws", 1)
        delegates = sorted(u for u in self.tokens if u.startswith("delegate"))
        rooms = []
        meetings = [await self._new_meeting(f"Phiên họp đo tải {scenario.key}.{r + 1}")
                    for r in range(scenario.rooms)]
        for meeting in meetings:
            path = f"{ws}/ws/meeting/{meeting}/ink"
            clients = [{"url": f"{path}?token={self.tokens['chutoa']}&device=bench-w{i}",
                        "writer": True} for i in range(scenario.writers)]
            clients += [{"url": f"{path}?token={self.tokens[u]}&device=bench", "writer": False}
                        for u in delegates[:CLIENTS - scenario.writers]]
            rooms.append({"doc": f"meeting/{meeting}/ink", "clients": clients})
        return rooms

    def cpu(self) -> dict[str, float]:
        assert self.own.process is not None
        return dict(cpu_seconds(self.own.process.pid, self.own.data_dir / "pg"))

    def describe(self) -> str:
        return ("Phòng họp không giấy, `serve --demo` (embedded PostgreSQL, every update "
                "stored), `meeting/{id}/ink`")

    async def stop(self) -> None:
        await self.own.stop()


SERVERS = {"phonghop": Phonghop, "hocuspocus": Hocuspocus, "pycrdt": PycrdtWebsocket}


# -- one scenario ------------------------------------------------------------------------


async def scenario_run(server: Server, scenario: Scenario, args: argparse.Namespace,
                       workdir: Path) -> dict[str, Any]:
    config = {"dialect": server.dialect, "rooms": await server.rooms(scenario),
              "rate": scenario.rate, "duration": args.duration, "warmup": 2, "drain": 3,
              "presence": scenario.presence, "join_timeout": 60, "join_retry": 5}
    path = workdir / f"{server.name}-{scenario.key}.json"
    path.write_text(json.dumps(config))
    process = await asyncio.create_subprocess_exec(
        "taskset", "-c", str(args.gen_core), "node", str(HERE / "gen.mjs"), str(path),
        cwd=HERE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        limit=16 * 1024 * 1024)
    assert process.stdout is not None and process.stderr is not None
    marks: dict[str, tuple[float, dict[str, float]]] = {}
    result: dict[str, Any] | None = None
    limit = 60 + 2 + args.duration + 3 + 60
    try:
        async with asyncio.timeout(limit):
            async for raw in process.stdout:
                line = raw.decode().strip()
                if line.startswith("phase "):
                    marks[line.split()[1]] = (time.monotonic(),
                                              server.cpu() | {"machine": machine_busy_seconds()})
                elif line.startswith("result "):
                    result = json.loads(line[len("result "):])
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"gen.mjs did not finish within {limit} s") from None
    if result is None:
        raise RuntimeError(f"gen.mjs failed: {(await process.stderr.read()).decode()[-2000:]}")
    (t0, c0), (t1, c1) = marks["write-start"], marks["write-end"]
    result["server_cpu_pct"] = {k: round(100 * (c1[k] - c0[k]) / (t1 - t0), 1) for k in c0
                                 if k != "machine"}
    result["machine_cpu_pct"] = round(100 * (c1["machine"] - c0["machine"]) / (t1 - t0), 1)
    return result


# -- report --------------------------------------------------------------------------------


def fmt(value: Any) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def rows(results: dict[str, Any]) -> list[str]:
    head = ("| scenario | server | p50 ms | p99 ms | delivered / expected | server CPU, % of a core"
            " | presence p50 / p99 ms, delivered | joined (first try) | generator CPU %,"
            " lag p99 ms | whole machine % |")
    out = [head, "|" + "---|" * 10]
    for key, per_server in results["scenarios"].items():
        for name, r in per_server.items():
            if "error" in r:
                out.append(f"| {key} | {name} | failed: {r['error'][:80]} ||||||||")
                continue
            u = r["updates"]
            cpu = r["server_cpu_pct"]
            cpu_text = (f"{cpu['server']:g} + PostgreSQL {cpu['postgres']:g}" if "postgres" in cpu
                        else f"{cpu['server']:g}")
            p = r.get("presence_updates")
            presence = (f"{fmt(p['latency_ms']['p50'])} / {fmt(p['latency_ms']['p99'])}, "
                        f"{p['delivered']} / {p['expected']}") if p else "-"
            join = r["join"]
            share = 100 * u["delivered"] / max(1, u["expected"])
            out.append(
                f"| {key} | {name} | {fmt(u['latency_ms']['p50'])} | {fmt(u['latency_ms']['p99'])}"
                f" | {u['delivered']} / {u['expected']} ({share:.1f} %)"
                f" | {cpu_text} | {presence} | {join['synced']} / {join['clients']}"
                f" ({join['synced_first_try']}) | {r['generator']['cpu_pct']:g},"
                f" {fmt(r['generator']['loop_lag_ms']['p99'])} | {r['machine_cpu_pct']:g} |")
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    os.sched_setaffinity(0, {args.gen_core})
    workdir = Path(tempfile.mkdtemp(prefix="peers-run-"))
    results: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join(["load/peers/run.sh", *sys.argv[1:]]),
        "cores": {"server": args.server_core, "generator": args.gen_core},
        "duration_s": args.duration,
        "servers": {},
        "scenarios": {SCENARIOS[k].title: {} for k in args.scenarios},
    }
    for name in args.servers:
        server = SERVERS[name]()
        print(f"{name}: starting on core {args.server_core} ...", flush=True)
        try:
            await server.start(args.server_core)
            results["servers"][name] = server.describe()
            for key in args.scenarios:
                scenario = SCENARIOS[key]
                print(f"  scenario {key}: {scenario.title} ...", flush=True)
                try:
                    r = await scenario_run(server, scenario, args, workdir)
                except RuntimeError as exc:
                    r = {"error": str(exc)}
                results["scenarios"][scenario.title][name] = r
                if "error" not in r:
                    u = r["updates"]
                    print(f"    p50 {fmt(u['latency_ms']['p50'])} ms, p99 "
                          f"{fmt(u['latency_ms']['p99'])} ms, delivered {u['delivered']}/"
                          f"{u['expected']}, server CPU {r['server_cpu_pct']}", flush=True)
                else:
                    print(f"    failed: {r['error']}", flush=True)
        finally:
            await server.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    return results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--servers", default="phonghop,hocuspocus,pycrdt",
                   help="comma-separated: phonghop, hocuspocus, pycrdt")
    p.add_argument("--scenarios", default="1,2,3,4", help="comma-separated: 1, 2, 3, 4")
    p.add_argument("--duration", type=float, default=25.0, help="seconds of writing (25)")
    p.add_argument("--server-core", type=int, default=1)
    p.add_argument("--gen-core", type=int, default=0)
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.servers if s not in SERVERS] + \
        [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown: {', '.join(unknown)}")
    if args.duration <= 0 or args.duration > 120:
        raise SystemExit("--duration must be 0..120 s")
    results = asyncio.run(run(args))
    print()
    print(f"{len(args.servers)} servers, pinned to core {args.server_core}; generator on core "
          f"{args.gen_core}; {args.duration:g} s of writing per scenario")
    for name, text in results["servers"].items():
        print(f"  {name}: {text}")
    for line in rows(results):
        print(line)
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
