"""The time plan of an agenda: each item starts when the one before ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta


def time_plan(start: datetime, durations: Sequence[int]) -> list[tuple[datetime, datetime]]:
    plan = []
    at = start
    for minutes in durations:
        end = at + timedelta(minutes=max(0, minutes))
        plan.append((at, end))
        at = end
    return plan
