"""Live-session benchmark (not a test; `make bench`).

Scenario 1, join storm: every laptop of a full room (chair, delegates,
display) opens the room document of the demo meeting at the same instant on
a cold server; how long until each one is synced.

Scenario 2, cursor: the chair moves the agenda cursor at a steady rate
(default 2 Hz) through the agenda items; for every intent, how long from
sending it until the new cursor is applied on each replica (per-replica
samples) and on the last replica of the room (per-intent samples).

All clients are asyncio websockets with a pycrdt replica each, in this one
process; they share the machine with the server, which is part of what is
measured. Without --url the benchmark starts its own server
(`python -m collab_server serve --demo`) on an embedded PostgreSQL in a
fresh temporary folder and stops it at the end.

    .venv/bin/python load/bench_live.py [--url http://127.0.0.1:8000]
        [--duration 30] [--clients 91] [--rate 2] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pycrdt
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from collab_server.protocol import (
    AwarenessEntry,
    SyncStep1,
    decode,
    encode_awareness,
    encode_intent,
    encode_sync_step1,
    encode_sync_step2,
)

ROOT = Path(__file__).resolve().parents[1]
GOAL_P99_MS = 20.0
SYNC = 0
AWARENESS = 1
INTENT_RESULT = 101
STEP1, STEP2, UPDATE = 0, 1, 2

now = time.perf_counter


# -- statistics ---------------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(samples: list[float]) -> dict[str, float | int]:
    if not samples:
        return {"n": 0}
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 3),
        "p90": round(percentile(ms, 90), 3),
        "p99": round(percentile(ms, 99), 3),
        "max": round(max(ms), 3),
        "mean": round(sum(ms) / len(ms), 3),
    }


# -- CPU accounting (own server only) -------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system seconds) of a process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def cpu_seconds(server_pid: int, pgdata: Path) -> dict[str, float]:
    """CPU used so far, in seconds, by the server process and by the embedded
    PostgreSQL (its postmaster, found by `postmaster.pid`, and its backends)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None:
                parents[int(entry.name)], times[int(entry.name)] = stat
    postgres: set[int] = set()
    with contextlib.suppress(OSError, ValueError, IndexError):
        frontier = {int((pgdata / "postmaster.pid").read_text().split()[0])}
        while frontier:
            postgres |= frontier
            frontier = {pid for pid, parent in parents.items() if parent in frontier} - postgres
    return {"server": times.get(server_pid, 0.0),
            "postgres": sum(times.get(pid, 0.0) for pid in postgres)}


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine (all cores), from /proc/stat."""
    with contextlib.suppress(OSError, ValueError):
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / _TICK
    return 0.0


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


# -- the server -------------------------------------------------------------------------


class CpuWindow:
    """CPU used from creation to `percent()`, in % of one core: these bench
    clients, the whole machine and, with our own server, the server, its
    PostgreSQL and anything else on the machine."""

    def __init__(self, own: OwnServer | None) -> None:
        self.own = own
        self._before = self._read()

    def _read(self) -> tuple[dict[str, float] | None, float, float, float]:
        return (self.own.cpu() if self.own else None, own_cpu_seconds(),
                machine_busy_seconds(), now())

    def percent(self) -> dict[str, float]:
        (server0, own0, busy0, wall0), (server1, own1, busy1, wall1) = self._before, self._read()

        def pct(seconds: float) -> float:
            return round(100 * seconds / (wall1 - wall0), 1)

        out = {"clients_pct": pct(own1 - own0), "machine_pct": pct(busy1 - busy0)}
        if server0 is not None and server1 is not None:
            out["server_pct"] = pct(server1["server"] - server0["server"])
            out["postgres_pct"] = pct(server1["postgres"] - server0["postgres"])
            out["others_pct"] = round(out["machine_pct"] - out["clients_pct"]
                                      - out["server_pct"] - out["postgres_pct"], 1)
        return out


def cpu_line(c: dict[str, float], during: str = "") -> str:
    parts = [f"bench clients {c['clients_pct']:.1f}"]
    if "server_pct" in c:
        parts = [f"server {c['server_pct']:.1f}", f"postgres {c['postgres_pct']:.1f}", *parts,
                 f"anything else on the machine {c['others_pct']:.1f}"]
    else:
        parts.append(f"whole machine {c['machine_pct']:.1f}")
    return f"  CPU{during} (% of one core): " + ", ".join(parts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OwnServer:
    """`python -m collab_server serve --demo` in a fresh data folder."""

    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="phonghop-bench-")))
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    async def start(self, timeout: float = 120.0) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env |= {"PHONGHOP_DATA_DIR": str(self.data_dir), "PHONGHOP_LOG_LEVEL": "warning",
                "PHONGHOP_LOG_FORMAT": "text"}
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "collab_server", "serve", "--demo",
                "--port", str(self.port),
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"the server exited:\n{self.log_tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.url}/-/health", timeout=1)).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    def cpu(self) -> dict[str, float] | None:
        if self.process is None:
            return None
        return cpu_seconds(self.process.pid, self.data_dir / "pg")

    def accounts(self) -> str:
        return (self.data_dir / "demo-accounts.txt").read_text(encoding="utf-8")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                print("warning: the server did not stop within 30 s; killed", file=sys.stderr)
                self.process.kill()
                await self.process.wait()
        await asyncio.to_thread(self._stop_postgres)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def _stop_postgres(self) -> None:
        """The server stops its embedded PostgreSQL on exit; if it did not,
        stop that postmaster (ours: it runs in our temporary folder)."""
        pgdata = self.data_dir / "pg"
        try:
            pid = int((pgdata / "postmaster.pid").read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            return
        if str(pgdata.resolve()).encode() not in cmdline:
            return
        print(f"warning: the server left its PostgreSQL (pid {pid}) running; stopping it",
              file=sys.stderr)
        os.kill(pid, signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + 15
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def parse_accounts(text: str) -> dict[str, str]:
    """Username -> password from demo-accounts.txt, whose lines read
    `  chủ tọa      chutoa      / PASSWORD` or `delegate01 … delegate90 / PASSWORD`."""
    accounts: dict[str, str] = {}
    for line in text.splitlines():
        if " / " not in line:
            continue
        left, password = line.rsplit(" / ", 1)
        words = left.split()
        numbered = [w for w in words if re.fullmatch(r"[a-z]+\d+", w)]
        if len(numbered) == 2:
            stem = re.sub(r"\d+$", "", numbered[0])
            width = len(numbered[0]) - len(stem)
            first, last = (int(w[len(stem):]) for w in numbered)
            for i in range(first, last + 1):
                accounts[f"{stem}{i:0{width}d}"] = password.strip()
        elif words:
            accounts[words[-1]] = password.strip()
    return accounts


# -- clients ----------------------------------------------------------------------------


class Replica:
    """One laptop: a websocket and a pycrdt replica of the room. It decodes
    only sync frames (and intent replies for the chair); awareness frames
    are skipped unread."""

    __slots__ = ("name", "url", "doc", "cursor", "item", "changes", "connected_at",
                 "synced_at", "synced", "ws", "task", "replies", "error")

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.doc: pycrdt.Doc[Any] = pycrdt.Doc()
        self.cursor = self.doc.get("cursor", type=pycrdt.Map)
        self.item: Any = None
        self.changes: list[tuple[float, Any]] = []  # (when applied, cursor item)
        self.connected_at = 0.0
        self.synced_at = 0.0
        self.synced = asyncio.Event()
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.replies: dict[int, float] = {}
        self.error: str | None = None

    def start(self, compression: str | None) -> None:
        """Connect (again): a reconnecting replica keeps its document and
        sends its state vector, as y-websocket does after a wifi drop."""
        self.connected_at = self.synced_at = 0.0
        self.synced = asyncio.Event()
        self.ws = None
        self.error = None
        self.task = asyncio.create_task(self._run(compression), name=self.name)

    async def _run(self, compression: str | None) -> None:
        try:
            async with connect(self.url, max_size=None, compression=compression,
                               ping_interval=None, open_timeout=60) as ws:
                self.ws = ws
                self.connected_at = now()
                # What y-websocket sends on open: sync step 1 and its awareness state.
                await ws.send(encode_sync_step1(self.doc.get_state()))
                await ws.send(encode_awareness([AwarenessEntry(self.doc.client_id, 1, "{}")]))
                async for frame in ws:
                    assert isinstance(frame, bytes)
                    reply = self._handle(frame)
                    if reply is not None:
                        await ws.send(reply)
        except ConnectionClosed as exc:
            self.error = f"closed {exc.rcvd.code if exc.rcvd else 1006}"
        except (OSError, TimeoutError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.synced.set()  # never leave a waiter hanging; `error` tells why

    def _handle(self, frame: bytes) -> bytes | None:
        """Apply one frame; returns the answer to send, if any."""
        kind = frame[0]
        if kind == SYNC:
            sub = frame[1]
            if sub == STEP1:
                message = decode(frame)
                assert isinstance(message, SyncStep1)
                return encode_sync_step2(self.doc.get_update(message.state))
            message = decode(frame)
            self.doc.apply_update(message.update)  # type: ignore[union-attr]
            item = self.cursor.get("item")
            t = now()
            if item != self.item:
                self.item = item
                self.changes.append((t, item))
            if sub == STEP2 and not self.synced.is_set():
                self.synced_at = t
                self.synced.set()
        elif kind == INTENT_RESULT:
            t = now()
            reply = orjson.loads(decode(frame).text)  # type: ignore[union-attr]
            if not reply.get("ok"):
                self.error = f"intent refused: {reply}"
            self.replies[int(reply["id"])] = t
        return None

    async def intent(self, intent_id: int, kind: str, args: dict[str, Any]) -> float:
        assert self.ws is not None
        text = orjson.dumps({"id": intent_id, "type": kind, "args": args}).decode()
        frame = encode_intent(text)
        sent = now()
        await self.ws.send(frame)
        return sent

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self.ws.close()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


class LoopLag:
    """How late this process's event loop wakes up: the clients' own share
    of the latencies measured (they run beside the server on the same cores)."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            started = now()
            await asyncio.sleep(self.period)
            self.samples.append(max(0.0, now() - started - self.period))

    def __enter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


async def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.005)


async def login_all(base: str, accounts: dict[str, str], users: list[str]
                    ) -> tuple[dict[str, str], list[float], float]:
    """Every user logs in at once, as a room does at the start of a session."""
    tokens: dict[str, str] = {}
    times: list[float] = []
    limits = httpx.Limits(max_connections=len(users), max_keepalive_connections=len(users))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

        async def one(user: str) -> None:
            started = now()
            r = await client.post("/api/login", json={"username": user,
                                                      "password": accounts[user]})
            times.append(now() - started)
            r.raise_for_status()
            tokens[user] = r.json()["token"]

        started = now()
        await asyncio.gather(*(one(u) for u in users))
        total = now() - started
    return tokens, times, total


async def health(base: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        body: dict[str, Any] = (await client.get("/-/health")).json()
        return body


async def server_connections(base: str, expected: int, timeout: float) -> None:
    """Poll /-/health until the server counts `expected` live connections."""
    deadline = time.monotonic() + timeout
    while (await health(base))["live"]["connections"] != expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server never got to {expected} connections")
        await asyncio.sleep(0.05)


async def demo_meeting(base: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        r = await client.get("/api/meetings", headers={"authorization": f"Bearer {token}"})
        r.raise_for_status()
        for meeting in r.json()["meetings"]:
            if meeting.get("role") == "chair":
                return int(meeting["id"])
    raise RuntimeError("the chair account takes part in no meeting as chair")


# -- scenarios ----------------------------------------------------------------------------


async def join_storm(replicas: list[Replica], compression: str | None) -> dict[str, Any]:
    started = now()
    for r in replicas:
        r.start(compression)
    await asyncio.wait_for(asyncio.gather(*(r.synced.wait() for r in replicas)), 120)
    failed = {r.name: r.error for r in replicas if r.error or not r.synced_at}
    if failed:
        raise RuntimeError(f"{len(failed)} clients did not sync: {dict(list(failed.items())[:5])}")
    return {
        "clients": len(replicas),
        "connected_ms": summary_ms([r.connected_at - started for r in replicas]),
        "synced_ms": summary_ms([r.synced_at - started for r in replicas]),
        "all_synced_ms": round((max(r.synced_at for r in replicas) - started) * 1000, 3),
    }


async def cursor_run(replicas: list[Replica], chair: Replica, items: list[int],
                     duration: float, rate: float, *, offset: float = 0.0,
                     settle: bool = True, samples: list[float] | None = None
                     ) -> dict[str, Any]:
    """The chair sends `agenda.goto` at `rate` for `duration`, starting
    `offset` seconds from now (rooms of one run start apart, as real ones do).
    `settle`: collect and freeze the clients' garbage first (once per run).
    `samples`, if given, receives the per-replica latencies in seconds."""
    count = max(1, int(duration * rate))
    start_item = chair.item
    # A cycle through the agenda that never "moves" to where the cursor is.
    cycle = [i for i in items if i != start_item] + ([start_item] if start_item in items else [])
    targets = [cycle[k % len(cycle)] for k in range(count)]
    sent: list[float] = []
    if settle:
        # The joins left garbage behind; keep the clients' GC pauses out of the figures.
        gc.collect()
        gc.freeze()
    begin = now() + 0.2 + offset
    begin_unix = time.time() + 0.2 + offset
    with LoopLag() as lag:
        for k, target in enumerate(targets):
            delay = begin + k / rate - now()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the chair, not waiting for a result
            sent.append(await chair.intent(k + 1, "agenda.goto", {"item": target}))
        last = targets[-1]
        await wait_for(
            lambda: all(r.item == last for r in replicas) and len(chair.replies) == count,
            30, "every replica to apply the last intent")
    if settle:
        gc.unfreeze()

    per_replica: list[float] = []
    missed = 0
    last_replica: list[float] = [0.0] * count
    for r in replicas:
        # Changes apply in the order the server made them; a replica may show
        # two of them as one (merged in a flush window), and then the earlier
        # intent counts as missed on that replica.
        k = 0
        for t, item in r.changes:
            if t < sent[0]:
                continue
            match = next((i for i in range(k, count) if targets[i] == item and sent[i] <= t),
                         None)
            if match is None:
                continue
            missed += match - k
            latency = t - sent[match]
            per_replica.append(latency)
            last_replica[match] = max(last_replica[match], latency)
            k = match + 1
        missed += count - k
    if samples is not None:
        samples.extend(per_replica)
    replies = [chair.replies[k + 1] - sent[k] for k in range(count)]
    errors = {r.name: r.error for r in replicas if r.error}
    return {
        "intents": count,
        "rate_hz": rate,
        "started_at_unix": round(begin_unix, 3),
        "replicas": len(replicas),
        "per_replica_ms": summary_ms(per_replica),
        "last_replica_per_intent_ms": summary_ms(last_replica),
        "intent_reply_ms": summary_ms(replies),
        "missed": missed,
        "errors": errors,
        "client_loop_lag_ms": summary_ms(lag.samples),
        # In sending order, to see whether slow intents cluster (first ones, say).
        "each_intent_last_replica_ms": [round(x * 1000, 2) for x in last_replica],
        "each_intent_reply_ms": [round(x * 1000, 2) for x in replies],
    }


# -- report -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "loadavg_at_start": list(os.getloadavg()),
            "pycrdt": pycrdt.__version__ if hasattr(pycrdt, "__version__") else "?"}


def row(label: str, s: dict[str, Any], keys: tuple[str, ...] = ("p50", "p99", "max")) -> str:
    if not s.get("n"):
        return f"  {label:<32} (no samples)"
    cells = "  ".join(f"{k} {s[k]:>8.2f}" for k in keys)
    return f"  {label:<32} {cells}   n={s['n']}"


def table(results: dict[str, Any]) -> Iterator[str]:
    m = results["machine"]
    yield (f"Phòng họp không giấy: live benchmark on {m['nproc']} CPU(s), {m['cpu']}; "
           "the clients share these cores with the server")
    yield f"server {results['server']}, meeting {results['meeting']}, deflate {results['deflate']}"
    login = results["logins"]
    yield f"logins (informative): {login['users']} at once"
    yield row("per login, ms", login["per_login_ms"])
    yield f"  all logged in after {login['total_ms']:.0f} ms"
    s1 = results["scenario1"]
    yield f"scenario 1: {s1['clients']} clients join the room at once ({s1['cold']})"
    yield row("websocket open, ms", s1["connected_ms"])
    yield row("synced, ms", s1["synced_ms"])
    yield f"  all synced after {s1['all_synced_ms']:.1f} ms; {s1['health']}"
    s2 = results["scenario2"]
    yield (f"scenario 2: {s2['intents']} agenda.goto at {s2['rate_hz']:g} Hz, "
           f"{s2['replicas']} replicas, missed {s2['missed']}")
    yield row("intent -> each replica, ms", s2["per_replica_ms"])
    yield row("intent -> last replica, ms", s2["last_replica_per_intent_ms"])
    yield row("intent -> reply to chair, ms", s2["intent_reply_ms"])
    yield row("bench clients' loop lag, ms", s2["client_loop_lag_ms"])
    yield cpu_line(s2["cpu"], " during scenario 2")
    s3 = results["scenario3"]
    yield f"scenario 3 (informative): the same {s3['clients']} replicas rejoin at once, warm room"
    yield row("websocket open, ms", s3["connected_ms"])
    yield row("synced, ms", s3["synced_ms"])
    yield f"  all synced after {s3['all_synced_ms']:.1f} ms; {s3['health']}"
    goal = results["goal"]
    yield (f"goal: p99 intent -> each replica < {goal['p99_ms']:g} ms: "
           f"{'MET' if goal['met'] else 'NOT MET'} (p99 {goal['measured_p99_ms']:.2f} ms)")


async def run(args: argparse.Namespace) -> dict[str, Any]:
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
        delegates = sorted(u for u in accounts if re.fullmatch(r"delegate\d+", u))
        wanted = args.clients - 2
        if wanted < 1 or wanted > len(delegates):
            raise SystemExit(f"--clients must be 3..{len(delegates) + 2}")
        users = ["chutoa", *delegates[:wanted], "manhinh"]

        tokens, login_times, login_total = await login_all(base, accounts, users)
        meeting = args.meeting or await demo_meeting(base, tokens["chutoa"])
        before = await health(base)
        cold = before["live"]["documents"] == 0
        ws_base = base.replace("http", "ws", 1)
        path = f"meeting/{meeting}/room"
        replicas = [Replica(u, f"{ws_base}/ws/{path}?token={tokens[u]}&device=bench")
                    for u in users]
        chair = replicas[0]
        compression = "deflate" if args.deflate else None
        try:
            s1 = await join_storm(replicas, compression)
            after = await health(base)
            s1["cold"] = "cold server, first load" if cold else "room already in memory"
            s1["health"] = (f"server loads {after['live']['loads'] - before['live']['loads']}, "
                            f"connections {after['live']['connections']}")
            items = [int(i["id"]) for i in chair.doc.get("agenda", type=pycrdt.Array).to_py()]

            cpu = CpuWindow(own)
            s2 = await cursor_run(replicas, chair, items, args.duration, args.rate)
            s2["cpu"] = cpu.percent()
            s2["loadavg_after"] = list(os.getloadavg())
            final = await health(base)
            s2["dropped_clients"] = final["live"]["dropped_clients"]
            # Scenario 3 (informative): the room's wifi drops and every laptop
            # comes back at once, each with its replica, into a warm room.
            await asyncio.gather(*(r.close() for r in replicas))
            await wait_for(lambda: all(r.task is not None and r.task.done() for r in replicas),
                           30, "every socket to close")
            await server_connections(base, 0, 30)
            s3 = await join_storm(replicas, compression)
            s3["health"] = f"server loads {(await health(base))['live']['loads']} in all"
        finally:
            await asyncio.gather(*(r.close() for r in replicas))
        p99 = s2["per_replica_ms"].get("p99", math.inf)
        return {
            "machine": host,
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "server": "own (started by the benchmark)" if own else base,
            "meeting": meeting,
            "deflate": bool(args.deflate),
            "logins": {"users": len(users), "per_login_ms": summary_ms(login_times),
                       "total_ms": round(login_total * 1000, 1)},
            "scenario1": s1,
            "scenario2": s2,
            "scenario3": s3,
            "goal": {"p99_ms": GOAL_P99_MS, "measured_p99_ms": p99, "met": p99 < GOAL_P99_MS},
        }
    finally:
        if own is not None:
            await own.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running server (default: start one with the demo data)")
    p.add_argument("--accounts", default=str(ROOT / "var" / "demo-accounts.txt"),
                   help="demo-accounts.txt of the server at --url")
    p.add_argument("--meeting", type=int, help="meeting id (default: the chair's meeting)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of scenario 2 (30)")
    p.add_argument("--clients", type=int, default=91,
                   help="chair + delegates + display (91)")
    p.add_argument("--rate", type=float, default=2.0, help="intents per second (2)")
    p.add_argument("--no-deflate", dest="deflate", action="store_false",
                   help="do not offer permessage-deflate (browsers do offer it)")
    p.add_argument("--json", help="write the results here as JSON")
    args = p.parse_args()
    args.accounts_text = Path(args.accounts).read_text(encoding="utf-8") if args.url else ""
    return main_with(run, args, table)


def main_with(run: Callable[[argparse.Namespace], Awaitable[dict[str, Any]]],
              args: argparse.Namespace,
              report: Callable[[dict[str, Any]], Iterable[str]]) -> int:
    """Run a benchmark (on uvloop when installed), print its report and write
    its results as JSON if `--json` was given."""
    try:
        import uvloop

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        results = runner.run(run(args))
    for line in report(results):
        print(line)
    if args.json:
        write_results(args.json, results)
    return 0


def write_results(path: str, results: dict[str, Any]) -> None:
    """The figures as JSON, for docs/benchmarks.md and later comparison."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"results written to {out}")


if __name__ == "__main__":
    sys.exit(main())
