"""Prometheus text exposition of the live core, without a client library:
a few counters, gauges read at scrape time, and one histogram."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable

# Seconds: intents take milliseconds; a slow commit shows in the upper buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
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
        ):
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram",
                    *histogram.lines(name)]
        return "\n".join(out) + "\n"
