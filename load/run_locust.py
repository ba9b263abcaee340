"""Run the locust session scenarios (load/locustfile.py) headless, for a bounded
time, and print p50/p95/p99 per step. Not a test: it measures and prints.

    .venv/bin/python load/run_locust.py [--run-time 150] [--out var/locust/run]
    .venv/bin/python load/run_locust.py --url http://127.0.0.1:8000 \
        --accounts var/demo-accounts.txt [-- extra locust options]

Without --url it starts its own demo server on a fresh embedded PostgreSQL
(bench_live's OwnServer), and stops it and deletes its data at the end.
Writes `<out>_stats.csv`, `<out>_failures.csv`, `<out>_stats_history.csv`
(locust's), `<out>.json` (locust's) and `<out>_summary.json` (this table).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_live import OwnServer, machine, machine_busy_seconds  # noqa: E402


def table(prefix: Path) -> list[dict[str, Any]]:
    """Rows of locust's stats CSV: name, count, failures and percentiles in ms."""
    rows = []
    with Path(f"{prefix}_stats.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            if r["Name"] == "Aggregated":
                continue
            rows.append({"type": r["Type"], "name": r["Name"],
                         "requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
                         "p50": _ms(r, "50%"), "p95": _ms(r, "95%"), "p99": _ms(r, "99%"),
                         "max": _ms(r, "Max Response Time")})
    return rows


def _ms(row: dict[str, str], key: str) -> float | None:
    value = row.get(key, "N/A")
    return None if value in ("N/A", "", None) else float(value)


def failures(prefix: Path) -> list[dict[str, Any]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return [{"name": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
                for r in csv.DictReader(f)]


# The room's goals (docs/benchmarks.md), read from locust's own steps: the
# worst sample of each, since "the last laptop" is what the room waits for.
ROOM_GOALS = (
    ("login", "max", 3000, "a room logs in at once: the last signed in"),
    ("page turn → image on laptop", "max", 300, "page turn: the last laptop has the page"),
    ("vote commit", "max", 150, "vote: every ballot committed and answered"),
    ("wifi drop → whole room back", "max", 1000, "wifi drop: the whole room resynced"),
)


def goals(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {r["name"]: r for r in steps}
    out = []
    for step, stat, limit, what in ROOM_GOALS:
        row = by_name.get(step)
        value = row.get(stat) if row else None
        failed = bool(row and row["failures"])
        met = value is not None and value <= limit and not failed
        out.append({"goal": what, "step": step, "limit_ms": limit, "measured_ms": value,
                    "failures": row["failures"] if row else None,
                    "verdict": "not measured" if value is None else "met" if met else "missed"})
    return out


def print_report(summary: dict[str, Any]) -> None:
    print()
    print(f"Phòng họp không giấy, locust session: {summary['users']} laptops, "
          f"{summary['run_time_s']:g} s, server {summary['server']}")
    header = (f"{'type':<5} {'step':<48} {'n':>6} {'fail':>5} "
              f"{'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    print(header)
    print("-" * len(header))

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    for r in summary["steps"]:
        print(f"{r['type']:<5} {r['name'][:48]:<48} {r['requests']:>6} {r['failures']:>5} "
              f"{ms(r['p50']):>8} {ms(r['p95']):>8} {ms(r['p99']):>8} {ms(r['max']):>8}")
    print("(milliseconds; locust rounds samples above 100 ms to 2 significant digits)")
    if summary["errors"]:
        print("errors:")
        for e in summary["errors"]:
            print(f"  {e['count']:>5} × {e['name']}: {e['error'][:110]}")
    else:
        print("errors: none")
    print("goals of the room:")
    for g in summary.get("goals") or goals(summary["steps"]):
        measured = "-" if g["measured_ms"] is None else f"{g['measured_ms']:.0f} ms"
        print(f"  {g['verdict']:<12} {g['goal']} (limit {g['limit_ms']} ms; measured {measured}"
              + (f", {g['failures']} failed" if g["failures"] else "") + ")")
    cpu = summary.get("cpu_pct") or {}
    if cpu:
        print("CPU during the run, % of one core: " +
              ", ".join(f"{k} {v:g}" for k, v in cpu.items()))


async def run(args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    own: OwnServer | None = None
    try:
        if args.url:
            base, accounts = args.url.rstrip("/"), args.accounts
        else:
            own = OwnServer()
            print(f"starting a server with the demo data in {own.data_dir} ...", flush=True)
            await own.start()
            base, accounts = own.url, str(own.data_dir / "demo-accounts.txt")
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(Path(sys.executable).with_name("locust")), "-f", str(HERE / "locustfile.py"),
            "--headless", "-u", str(args.users), "-r", str(args.users),
            "-t", f"{args.run_time:g}s", "--stop-timeout", "5", "--host", base,
            "--accounts", accounts, "--room-size", str(args.users),
            "--prefix", args.prefix, "--meeting", str(args.meeting),
            "--csv", str(out), "--json-file", str(out), "--only-summary",
            "--loglevel", "WARNING", *extra,
        ]
        print(" ".join(command[1:]).replace(str(ROOT) + "/", ""), flush=True)
        cpu_before = own.cpu() if own else None
        busy_before, wall_before = machine_busy_seconds(), time.monotonic()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        children_before = children.ru_utime + children.ru_stime
        process = await asyncio.create_subprocess_exec(*command, cwd=ROOT)
        try:
            async with asyncio.timeout(args.run_time + 180):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
            raise SystemExit("locust did not stop in time; killed") from None
        wall = time.monotonic() - wall_before
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu: dict[str, float] = {
            "whole machine": round(100 * (machine_busy_seconds() - busy_before) / wall, 1),
            "locust": round(100 * (children.ru_utime + children.ru_stime - children_before)
                            / wall, 1),
        }
        if own is not None and cpu_before is not None:
            after = own.cpu() or {}
            cpu |= {k: round(100 * (after[k] - cpu_before[k]) / wall, 1) for k in after}
            cpu["anything else"] = round(cpu["whole machine"] - cpu["locust"] - cpu["server"]
                                         - cpu["postgres"], 1)
        return {
            "machine": machine(),
            "command": " ".join(["load/run_locust.py", *sys.argv[1:]]),
            "locust_command": command[1:],
            "server": "own (started by run_locust.py)" if own else base,
            "users": args.users,
            "run_time_s": args.run_time,
            "locust_exit_code": process.returncode,
            "cpu_pct": cpu,
            "steps": table(out),
            "goals": goals(table(out)),
            "errors": failures(out),
        }
    finally:
        if own is not None:
            await own.stop()


def main() -> int:
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running server (default: start one with the demo data)")
    p.add_argument("--accounts", default=str(ROOT / "var" / "demo-accounts.txt"),
                   help="its accounts file (only with --url): demo-accounts.txt, or the file"
                        " of `phonghop rehearsal create`")
    p.add_argument("--prefix", default="",
                   help="before every username (the rehearsal's, e.g. dt1a2b3c-)")
    p.add_argument("--meeting", type=int, default=0,
                   help="the meeting to run (0: the chair's)")
    p.add_argument("--users", type=int, default=92,
                   help="laptops: chair + delegates + projector (92)")
    p.add_argument("--run-time", type=float, default=150.0, help="seconds of locust (150)")
    p.add_argument("--out", default=str(ROOT / "var" / "locust" / "session"),
                   help="prefix of the CSV and JSON files")
    args = p.parse_args(argv)
    args.accounts = str(Path(args.accounts).resolve())
    if not 3 <= args.users <= 1002:
        raise SystemExit("--users must be 3..1002 (chair, delegates, projector)")
    if not 10 <= args.run_time <= 900:
        raise SystemExit("--run-time must be 10..900 s")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    summary = asyncio.run(run(args, extra))
    print_report(summary)
    path = Path(f"{args.out}_summary.json")
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"results written to {path} (and locust's CSV/JSON beside it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
