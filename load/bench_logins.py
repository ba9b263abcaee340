"""Logins at the start of a session (not a test; `make bench`): a room of 92
people signs in at once, with passwords, and with PINs on the room's
registered laptops (collab_server/domain/pin.py), in alternating rounds.

Setup (once): the demo meeting is moved to start now (so it is today's
meeting of its room), the body's admin registers 92 laptops to the room (one
device cookie each, as 92 real laptops would hold), every person sets a PIN
(with the password, as on the account screen). Then, `--runs` times: the 92
sign in at once with their passwords; all log out; the 92 sign in at once
with their PINs, each from its own laptop; all log out. Reported per round:
the time until the last was signed in, and each login's time; then the
median over the runs. Each client is an httpx request in this one process,
sharing the 2 cores with the server and PostgreSQL.

    .venv/bin/python load/bench_logins.py [--runs 5] [--json var/bench-logins.json]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_live import (  # noqa: E402
    OwnServer,
    machine,
    machine_busy_seconds,
    now,
    own_cpu_seconds,
    parse_accounts,
    summary_ms,
)

PIN_OF = "{:06d}"  # person n's PIN: 100000 + 7919 n, never a run or a repeat


def pin_for(n: int) -> str:
    return PIN_OF.format(100000 + (7919 * n) % 900000)


async def _all_at_once(base: str, calls: list[tuple[dict[str, Any], dict[str, str]]],
                       path: str) -> tuple[list[str], list[float], float]:
    """POST every body at once, each with its own cookies (its own laptop)."""
    times: list[float] = []
    tokens: list[str] = []
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120,
                                 headers={"origin": base}) as client:

        async def one(body: dict[str, Any], cookies: dict[str, str]) -> None:
            started = now()
            # A cookie header of this laptop's own, not the client's shared jar.
            cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
            r = await client.post(path, json=body, headers={"cookie": cookie} if cookie else {})
            times.append(now() - started)
            if r.status_code != 200:
                raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")
            tokens.append(r.json()["token"])

        started = now()
        await asyncio.gather(*(one(body, cookies) for body, cookies in calls))
        total = now() - started
    return tokens, times, total


def _cpu(round_: dict[str, Any]) -> str:
    c = round_["cpu_s"]
    return f"{c['server']:.1f}/{c['postgres']:.1f}/{c['machine']:.1f}"


async def _logout_all(base: str, tokens: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for token in tokens:
            r = await client.post("/api/logout", headers={"authorization": f"Bearer {token}"})
            r.raise_for_status()


async def setup(base: str, accounts: dict[str, str], people: list[str]) -> list[str]:
    """The meeting today, a PIN each, one registered laptop each: their device tokens."""
    async with httpx.AsyncClient(base_url=base, timeout=120, headers={"origin": base}) as c:
        admin = (await c.post("/api/login", json={"username": "quantri",
                                                  "password": accounts["quantri"]})).json()
        auth = {"authorization": f"Bearer {admin['token']}"}
        c.cookies.clear()
        meetings = (await c.get("/api/meetings", headers=auth)).json()["meetings"]
        meeting = next(m for m in meetings if m.get("room"))
        starts = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        r = await c.patch(f"/api/meetings/{meeting['id']}", json={"starts_at": starts},
                          headers=auth)
        if r.status_code != 200:
            raise RuntimeError(f"moving the meeting to today: {r.status_code} {r.text[:300]}")
        rooms = (await c.get("/api/rooms", headers=auth)).json()["rooms"]
        room = next(x for x in rooms if x["name"] == meeting["room"])
        devices: list[str] = []
        for n in range(len(people)):
            c.cookies.clear()
            r = await c.post(f"/api/rooms/{room['id']}/devices", json={"name": f"Ghế {n + 1}"},
                             headers=auth)
            r.raise_for_status()
            devices.append(r.cookies["phonghop_room"])
        for n, user in enumerate(people):
            c.cookies.clear()
            token = (await c.post("/api/login", json={"username": user,
                                                      "password": accounts[user]})).json()
            c.cookies.clear()
            r = await c.put("/api/me/pin", json={"current_password": accounts[user],
                                                 "pin": pin_for(n)},
                            headers={"authorization": f"Bearer {token['token']}"})
            if r.status_code != 200:
                raise RuntimeError(f"PIN of {user}: {r.status_code} {r.text[:200]}")
            await c.post("/api/logout", headers={"authorization": f"Bearer {token['token']}"})
        c.cookies.clear()
        await c.post("/api/logout", headers=auth)
    return devices


async def run(args: argparse.Namespace) -> dict[str, Any]:
    own = OwnServer()
    print(f"starting a server with the demo data in {own.data_dir} ...", flush=True)
    try:
        await own.start()
        base = own.url
        accounts = parse_accounts(own.accounts())
        delegates = sorted(u for u in accounts if re.fullmatch(r"delegate\d+", u))
        people = ["chutoa", "thuky", *delegates][:args.people]
        devices = await setup(base, accounts, people)
        print(f"{len(people)} people with a PIN, {len(devices)} laptops registered", flush=True)
        rounds: dict[str, list[dict[str, Any]]] = {"password": [], "pin": []}
        calls = {
            "password": ([({"username": u, "password": accounts[u]}, {}) for u in people],
                         "/api/login"),
            "pin": ([({"username": u, "pin": pin_for(i)}, {"phonghop_room": devices[i]})
                     for i, u in enumerate(people)], "/api/login/pin"),
        }
        for n in range(args.runs):
            for kind, (bodies, path) in calls.items():
                before = (own.cpu() or {}, own_cpu_seconds(), machine_busy_seconds())
                tokens, times, total = await _all_at_once(base, bodies, path)
                after = (own.cpu() or {}, own_cpu_seconds(), machine_busy_seconds())
                rounds[kind].append({
                    "total_ms": round(total * 1000, 1), "each_ms": summary_ms(times),
                    # CPU seconds during the round: what the logins cost, and
                    # what else the machine was doing meanwhile.
                    "cpu_s": {"server": round(after[0].get("server", 0)
                                              - before[0].get("server", 0), 2),
                              "postgres": round(after[0].get("postgres", 0)
                                                - before[0].get("postgres", 0), 2),
                              "clients": round(after[1] - before[1], 2),
                              "machine": round(after[2] - before[2], 2)}})
                await _logout_all(base, tokens)
            print(f"run {n + 1}: {len(people)} at once, the last signed in after"
                  f" {rounds['password'][-1]['total_ms']:.0f} ms with passwords,"
                  f" {rounds['pin'][-1]['total_ms']:.0f} ms with PINs (CPU s, server/postgres/"
                  f"machine: {_cpu(rounds['password'][-1])} and {_cpu(rounds['pin'][-1])})",
                  flush=True)
        return {
            "machine": machine(),
            "command": " ".join(["load/bench_logins.py", *sys.argv[1:]]),
            "people": len(people),
            "runs": args.runs,
            "password": rounds["password"],
            "pin": rounds["pin"],
            "logins": {
                "password_median_ms": statistics.median(r["total_ms"] for r in rounds["password"]),
                "pin_median_ms": statistics.median(r["total_ms"] for r in rounds["pin"]),
            },
        }
    finally:
        await own.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--people", type=int, default=92)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    g = results["logins"]
    print(f"median of {args.runs} runs, {results['people']} at once: the last signed in after"
          f" {g['password_median_ms']:.0f} ms with passwords, {g['pin_median_ms']:.0f} ms with"
          f" PINs on the room's laptops (load average at start"
          f" {results['machine']['loadavg_at_start'][0]:.1f})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
