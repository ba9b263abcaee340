"""load/goals.py: the goals table of `make bench` reads what the benchmarks
wrote, keeps a history, and judges on the median of the recorded runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def goals(var: Path, *extra: str) -> list[str]:
    out = subprocess.run([sys.executable, "load/goals.py", "--var", str(var), *extra],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return out.splitlines()


def row(lines: list[str], start: str) -> list[str]:
    line = next(x for x in lines if x.startswith(f"| {start}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_table_judges_each_goal_on_the_median_of_the_runs(tmp_path: Path) -> None:
    def votes(named: float, secret: float) -> None:
        (tmp_path / "bench-votes.json").write_text(json.dumps({
            "machine": {"loadavg_at_start": [0.5, 0.4, 0.3]},
            "votes_named": {"every_replica_after_last_sent_ms": named},
            "votes_secret": {"every_replica_after_last_sent_ms": secret}}))

    votes(90.0, 120.0)
    first = goals(tmp_path)
    assert row(first, "vote burst")[2:] == ["120 ms", "120 ms (1)", "met"]  # the worse poll
    assert row(first, "page turn")[2:] == ["—", "—", "not run"]
    votes(400.0, 100.0)
    goals(tmp_path)
    votes(200.0, 100.0)
    third = goals(tmp_path)
    # Runs: 120, 400, 200: the median 200 misses the 150 ms goal.
    assert row(third, "vote burst")[2:] == ["200 ms", "200 ms (3)", "missed"]
    assert len((tmp_path / "bench-history.jsonl").read_text().splitlines()) == 3
    # Printing only adds nothing to the history.
    goals(tmp_path, "--no-record")
    assert len((tmp_path / "bench-history.jsonl").read_text().splitlines()) == 3
