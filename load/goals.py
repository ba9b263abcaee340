"""The goals table: every speed goal, what was measured, met or not.

`make bench` runs the benchmarks (each writes var/bench-*.json), then this:
it takes each goal's figure from those files, appends them to
var/bench-history.jsonl (one line per `make bench`, so runs on this machine
accumulate), and prints one table with the latest figure and the median
over the recorded runs. A goal whose benchmark did not run says so.

    .venv/bin/python load/goals.py [--var var] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Figures = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Goal:
    name: str
    limit_ms: float
    source: str  # which benchmark's JSON
    read: Callable[[dict[str, Any]], float | None]
    command: str
    unit: str = "ms"


def _at(data: dict[str, Any], *path: str) -> float | None:
    value: Any = data
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, int | float) else None


def _worst(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def _page_turn(data: dict[str, Any]) -> float | None:
    """The last laptop's watermarked page after a turn: a case named for the
    turn if the benchmark has one, else the internal page asked for warm."""
    turns = [v for k, v in data.items() if isinstance(v, dict) and "turn" in k and "last_ms" in v]
    if turns:
        return _worst(*(float(v["last_ms"]) for v in turns))
    return _at(data, "internal webp, warm", "last_ms")


def _all_synced(data: dict[str, Any]) -> float | None:
    """The last socket synced; a run where some never did counts as its
    join timeout (a lower bound: missed either way)."""
    value = _at(data, "join", "all_synced_ms")
    if value is None and "join" in data:
        return 1000 * float(data.get("join_timeout_s", 60))
    return value


def _scale(name: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda data: _at(data, "goals", name, "measured_ms")


GOALS = (
    Goal("one room of 91: intent → every replica, p99", 20, "live",
         lambda d: _at(d, "scenario2", "per_replica_ms", "p99"), "load/bench_live.py"),
    # The room's own path: the people of today's meeting sign in with a PIN on
    # the room's registered laptops (collab_server/domain/pin.py); passwords
    # (one Argon2id hash each) stay the path everywhere else.
    Goal("a room signs in at once on its laptops (PIN): the last signed in", 3000, "logins",
         lambda d: _at(d, "logins", "pin_median_ms"), "load/bench_logins.py"),
    Goal("a room logs in at once with passwords: the last signed in", 3000, "live",
         lambda d: _at(d, "logins", "total_ms"), "load/bench_live.py"),
    Goal("whole-room reconnect: the last of 91 resynced", 1000, "live",
         lambda d: _at(d, "scenario3", "all_synced_ms"), "load/bench_live.py"),
    Goal("vote burst: every ballot on every replica after the last sent", 150, "votes",
         lambda d: _worst(_at(d, "votes_named", "every_replica_after_last_sent_ms"),
                          _at(d, "votes_secret", "every_replica_after_last_sent_ms")),
         "load/bench_votes.py"),
    Goal("page turn, internal document: the last of 91 laptops", 300, "pages", _page_turn,
         "load/bench_pages.py"),
    Goal("many meetings on one process: p99 intent → every replica", 100, "scale",
         _scale("rooms: p99 intent -> each replica"), "load/bench_scale.py"),
    Goal("one meeting's laptops reconnect: all resynced", 1000, "scale",
         _scale("reconnect: one meeting's laptops resynced"), "load/bench_scale.py"),
    Goal("one meeting of 1,000 devices: p99 intent → every replica", 250, "scale",
         _scale("large: p99 intent -> each replica"), "load/bench_scale.py"),
    Goal("100 meetings × 91 on 2 processes: all 9,100 synced after joining at once", 5000,
         "meetings", _all_synced, "load/bench_meetings.py"),
    Goal("100 meetings × 91 on 2 processes: p99 intent → every replica", 100, "meetings",
         lambda d: _at(d, "cursor", "per_replica_ms", "p99"), "load/bench_meetings.py"),
    # Half of the 49 KB measured before the work on it (docs/benchmarks.md).
    Goal("100 meetings × 91 on 2 processes: memory per socket", 24.5, "meetings",
         lambda d: _at(d, "memory", "kb_per_socket_mean"), "load/bench_meetings.py", "KB"),
)


def current(var: Path) -> Figures:
    """Each goal's figure from the benchmarks' latest JSON (None: not run)."""
    loaded: dict[str, dict[str, Any] | None] = {}
    out: Figures = {}
    for goal in GOALS:
        if goal.source not in loaded:
            path = var / f"bench-{goal.source}.json"
            loaded[goal.source] = (json.loads(path.read_text(encoding="utf-8"))
                                   if path.exists() else None)
        data = loaded[goal.source]
        value = goal.read(data) if data is not None else None
        load = (data or {}).get("machine", {}).get("loadavg_at_start") if data else None
        out[goal.name] = {"ms": value, "loadavg": load[0] if load else None}
    return out


def history(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def table(figures: Figures, runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| goal | limit | latest | median (runs) | met |",
             "|---|---|---|---|---|"]
    for goal in GOALS:
        latest = figures[goal.name]["ms"]
        past = [r["figures"][goal.name]["ms"] for r in runs
                if r.get("figures", {}).get(goal.name, {}).get("ms") is not None]
        median = statistics.median(past) if past else None
        judged = median if median is not None else latest
        met = "not run" if judged is None else ("met" if judged <= goal.limit_ms else "missed")
        unit = goal.unit
        lines.append(
            f"| {goal.name} | {goal.limit_ms:g} {unit} | "
            f"{'—' if latest is None else f'{latest:,.0f} {unit}'} | "
            f"{'—' if median is None else f'{median:,.0f} {unit} ({len(past)})'} | {met} |")
    lines.append("")
    lines.append("Judged on the median when runs are recorded; commands: "
                 + ", ".join(sorted({g.command for g in GOALS})) + ".")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var", default="var", help="where the benchmarks wrote their JSON")
    parser.add_argument("--no-record", action="store_true",
                        help="print only; do not append this run to the history")
    args = parser.parse_args()
    var = Path(args.var)
    figures = current(var)
    log = var / "bench-history.jsonl"
    if not args.no_record and any(f["ms"] is not None for f in figures.values()):
        var.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                  "figures": figures}) + "\n")
    for line in table(figures, history(log)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
