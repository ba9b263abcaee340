"""Prometheus text exposition of the live core, without a client library:
a few counters, gauges read at scrape time, and one histogram."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gc
import time
from collections.abc import Callable, Iterable
from typing import Any

# Seconds: intents take milliseconds; a slow commit shows in the upper buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Seconds the event loop could not run (every socket of the process waits).
PAUSE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LAG_PERIOD = 0.1
# Updates merged into one flush.
FLUSH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class Histogram:
    __slots__ = ("buckets", "counts", "total", "count")

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str) -> Iterable[str]:
        running = 0
        for bound, n in zip(self.buckets, self.counts, strict=False):
            running += n
            yield f'{name}_bucket{{le="{bound:g}"}} {running}'
        yield f'{name}_bucket{{le="+Inf"}} {self.count}'
        yield f"{name}_sum {self.total:.6f}"
        yield f"{name}_count {self.count}"


class Metrics:
    def __init__(self) -> None:
        self.frames_in = 0
        self.bytes_in = 0
        self.intent_latency = Histogram(LATENCY_BUCKETS)
        self.flush_size = Histogram(FLUSH_BUCKETS)
        self.loop_lag = Histogram(PAUSE_BUCKETS)
        self.gc_pause = Histogram(PAUSE_BUCKETS)
        self.db_errors = 0
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}
        self.counters: dict[str, tuple[str, Callable[[], float]]] = {}

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.gauges[name] = (help_text, read)

    def counter(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.counters[name] = (help_text, read)

    def render(self) -> str:
        out: list[str] = []
        for kind, table in (("gauge", self.gauges), ("counter", self.counters)):
            for name, (help_text, read) in sorted(table.items()):
                out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}",
                        f"{name} {read():g}"]
        for name, help_text, histogram in (
            ("phonghop_intent_seconds", "Intent latency, received to replied.",
             self.intent_latency),
            ("phonghop_flush_updates", "Updates merged into one flush.", self.flush_size),
            ("phonghop_event_loop_lag_seconds",
             f"How late a timer due every {LAG_PERIOD:g} s fired.", self.loop_lag),
            ("phonghop_gc_pause_seconds", "Garbage collections, each.", self.gc_pause),
        ):
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram",
                    *histogram.lines(name)]
        return "\n".join(out) + "\n"


class PauseWatch:
    """Measures what stops every socket of the process at once: how late the
    event loop runs a timer, and how long each garbage collection takes."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._task: asyncio.Task[None] | None = None
        self._gc_started = 0.0

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.create_task(self._run(), name="pause-watch")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + LAG_PERIOD
            await asyncio.sleep(LAG_PERIOD)
            self.metrics.loop_lag.observe(max(0.0, loop.time() - due))

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.metrics.gc_pause.observe(time.perf_counter() - self._gc_started)

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
