"""A room asks for a newly presented page: 91 laptops at the same instant,
through HTTP, against the demo server. Not a test: it measures and prints.

    .venv/bin/python load/bench_pages.py [--url URL --accounts FILE] [--json PATH]

Cases: a public page cold (nobody has rendered it) and warm (rendered once),
and the same for an internal page, which every reader gets watermarked with
their own name, so the per-reader work cannot be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_live import OwnServer, login_all, machine, parse_accounts, summary_ms  # noqa: E402


class Laptop:
    """One keep-alive HTTP/1.1 connection, spoken by hand: httpx costs the
    client ~10 ms of CPU per 100 KB response, enough to hide the server."""

    def __init__(self, base: str, token: str) -> None:
        host, port = base.split("//", 1)[1].split(":")
        self.address = (host, int(port))
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> bytes:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(*self.address)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n"
                          f"Authorization: Bearer {self.token}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        body = await self.reader.readexactly(length)
        if status != 200:
            raise RuntimeError(f"{path}: {status} {body[:200]!r}")
        return body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def storm(laptops: list[Laptop], path: str) -> dict[str, Any]:
    """Everyone asks at once; time from the first request to each answer."""
    started = time.perf_counter()
    times: list[float] = []
    sizes: set[int] = set()

    async def one(laptop: Laptop) -> None:
        body = await laptop.get(path)
        times.append(time.perf_counter() - started)
        sizes.add(len(body))

    await asyncio.gather(*(one(laptop) for laptop in laptops))
    return {**summary_ms(times), "first_ms": round(min(times) * 1000, 1),
            "last_ms": round(max(times) * 1000, 1), "distinct_images": len(sizes)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    own = None
    if args.url:
        base = args.url
        accounts_text = await asyncio.to_thread(Path(args.accounts).read_text, encoding="utf-8")
    else:
        own = OwnServer()
        print(f"starting a server with the demo data in {own.data_dir} ...", flush=True)
        await own.start()
        base, accounts_text = own.url, own.accounts()
    try:
        accounts = parse_accounts(accounts_text)
        users = ["chutoa"] + [f"delegate{i:02d}" for i in range(1, args.clients)]
        tokens, _, _ = await login_all(base, accounts, users)
        limits = httpx.Limits(max_connections=len(users), max_keepalive_connections=len(users))
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
            headers = {"authorization": f"Bearer {tokens['chutoa']}"}
            meetings = (await client.get("/api/meetings", headers=headers)).json()["meetings"]
            meeting = next(m for m in meetings if m["role"] == "chair")
            docs = (await client.get(f"/api/meetings/{meeting['id']}/documents",
                                     headers=headers)).json()["documents"]
            public = next(d for d in docs if d["confidentiality"] == "public")
            internal = next(d for d in docs if d["confidentiality"] != "public")
        results: dict[str, Any] = {"machine": machine(), "clients": len(users)}
        cases = (("public webp", public, args.page, "webp"),
                 ("internal webp", internal, args.page, "webp"),
                 ("internal jpeg", internal, args.page + 1, "jpeg"))
        laptops = [Laptop(base, token) for token in tokens.values()]
        try:
            # Connections are open before the page is presented, as in the room.
            await asyncio.gather(*(laptop.get("/api/me") for laptop in laptops))
            for name, doc, page, fmt in cases:
                path = f"/api/documents/{doc['id']}/pages/{page}?w=laptop&fmt={fmt}"
                for state in ("cold", "warm"):
                    results[f"{name}, {state}"] = await storm(laptops, path)
        finally:
            for laptop in laptops:
                laptop.close()
        return results
    finally:
        if own is not None:
            await own.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running demo server (default: start one)")
    parser.add_argument("--accounts", default="var/demo-accounts.txt")
    parser.add_argument("--clients", type=int, default=91)
    parser.add_argument("--page", type=int, default=3)
    parser.add_argument("--json", help="write the results here as JSON")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(f"{results['clients']} laptops ask for one page at once (1280 px), "
          f"{results['machine']['nproc']} CPU(s), {results['machine']['cpu']}")
    for key, value in results.items():
        if isinstance(value, dict) and "last_ms" in value:
            print(f"  {key:<28} first {value['first_ms']:8.1f} ms  p50 {value['p50']:8.1f} ms"
                  f"  last {value['last_ms']:8.1f} ms  images {value['distinct_images']}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
