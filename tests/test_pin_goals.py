"""load/goals.py counts the room's own way of signing in: the PIN on the
room's laptops, from load/bench_logins.py, next to the password logins."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_goals import goals, row


def test_the_rooms_sign_in_goal_reads_the_pin_benchmark(tmp_path: Path) -> None:
    first = goals(tmp_path, "--no-record")
    assert row(first, "a room signs in at once on its laptops (PIN)")[2:] == \
        ["—", "—", "not run"]
    (tmp_path / "bench-logins.json").write_text(json.dumps({
        "machine": {"loadavg_at_start": [1.0, 1.0, 1.0]},
        "logins": {"password_median_ms": 3400.0, "pin_median_ms": 640.0}}))
    (tmp_path / "bench-live.json").write_text(json.dumps({
        "machine": {"loadavg_at_start": [1.0, 1.0, 1.0]}, "logins": {"total_ms": 3300.0}}))
    lines = goals(tmp_path)
    assert row(lines, "a room signs in at once on its laptops (PIN)")[2:] == \
        ["640 ms", "640 ms (1)", "met"]
    assert row(lines, "a room logs in at once with passwords")[2:] == \
        ["3,300 ms", "3,300 ms (1)", "missed"]
