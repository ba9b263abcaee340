"""A room asks for a newly presented page: 91 laptops at the same instant,
through HTTP, against the demo server. Not a test: it measures and prints.

    .venv/bin/python load/bench_pages.py [--url URL --accounts FILE] [--json PATH]
    .venv/bin/python load/bench_pages.py --breakdown      (one reader's copy, in process)

Cases: the text of a page, public and internal (audited: what a view costs
apart from the image); a public page cold (nobody has rendered it) and warm (rendered once),
and the same for an internal page, which every reader gets watermarked with
their own name, so the per-reader work cannot be shared. Then the page turn
of an internal document once the server has prepared the next page for
every reader (documents/prepared.py): the time it took to prepare them, and
the storm on the prepared page. PHONGHOP_PREPARED_PAGES_MB=0 in the
environment turns the preparation off in the server this starts.

--breakdown times where one reader's watermarked copy goes (decode, mask,
tint, encode), CPU medians in this process, on a page of the demo's
internal document.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
# --breakdown times this checkout's code, not an installed copy's.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
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
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(*self.address)
            assert self.reader is not None
            self.writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n"
                              f"Authorization: Bearer {self.token}\r\n\r\n".encode())
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionResetError):
                # The server closes a connection idle for 5 s (uvicorn's keep-alive),
                # as while the bench waits for pages to be prepared: open another.
                self.close()
                self.writer = None
                if attempt == 2:
                    raise
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


async def preparation(base: str) -> dict[str, float]:
    """The server's counters of pages made ahead (/-/metrics)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        text = (await client.get("/-/metrics")).text
    values = {name: float(value) for name, _, value in
              (line.partition(" ") for line in text.splitlines() if line and line[0] != "#")}
    return {key: values.get(name, 0.0) for key, name in (
        ("prepared", "phonghop_pages_prepared_total"),
        ("served", "phonghop_pages_served_prepared_total"),
        ("dropped", "phonghop_pages_prepared_dropped_total"),
        ("waiting", "phonghop_pages_preparing"))}


async def settle(base: str, timeout: float = 300) -> dict[str, Any]:
    """Wait until nothing is left to prepare; how long that took."""
    started = time.perf_counter()
    before = await preparation(base)
    while True:
        now = await preparation(base)
        if now["waiting"] == 0:
            return {"prepare_s": round(time.perf_counter() - started, 2),
                    "prepared": int(now["prepared"] - before["prepared"])}
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"pages still being prepared after {timeout} s: {now}")
        await asyncio.sleep(0.05)


async def turn(base: str, laptops: list[Laptop], path: str) -> dict[str, Any]:
    """The storm on a page prepared for everyone, and how many were served prepared."""
    before = await preparation(base)
    result = await storm(laptops, path)
    after = await preparation(base)
    return {**result, "served_prepared": int(after["served"] - before["served"])}


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
        # Pages apart, so each cold case finds its page neither rendered nor
        # prepared: a page read prepares its neighbours.
        p = args.page
        cases = (("public webp", public, p, "webp", None),
                 ("internal webp", internal, p, "webp", p + 1),
                 ("internal jpeg", internal, p + 4, "jpeg", p + 5))
        laptops = [Laptop(base, token) for token in tokens.values()]

        def page_path(doc: dict[str, Any], page: int, fmt: str) -> str:
            return f"/api/documents/{doc['id']}/pages/{page}?w=laptop&fmt={fmt}"

        try:
            # Connections are open before the page is presented, as in the room.
            await asyncio.gather(*(laptop.get("/api/me") for laptop in laptops))
            async def reconnect() -> None:
                await asyncio.gather(*(laptop.get("/api/me") for laptop in laptops))

            # The same storm on a page's text, small and never marked: what a
            # page view costs apart from the image (an internal view is audited).
            for name, doc in (("public text", public), ("internal text (audited)", internal)):
                results[name] = await storm(
                    laptops, f"/api/documents/{doc['id']}/pages/{p + 8}/text")
            for name, doc, page, fmt, following in cases:
                await settle(base)
                await reconnect()
                for state in ("cold", "warm"):
                    results[f"{name}, {state}"] = await storm(laptops,
                                                              page_path(doc, page, fmt))
                if following is not None:
                    # The presenter stays on the page a while; then turns it.
                    prepared = await settle(base)
                    await reconnect()
                    results[f"{name}, turn"] = {
                        **await turn(base, laptops, page_path(doc, following, fmt)),
                        **prepared}
        finally:
            for laptop in laptops:
                laptop.close()
        return results
    finally:
        if own is not None:
            await own.stop()


def cpu_median_ms(fn: Callable[[int], object], runs: int) -> float:
    """CPU time of `fn(i)` in this process, median of `runs` (CPU, not wall
    time: the machine is shared, and other processes' load shows less)."""
    times = []
    for i in range(runs):
        started = time.process_time()
        fn(i)
        times.append((time.process_time() - started) * 1000)
    return round(statistics.median(times), 1)


def breakdown(page_no: int, runs: int) -> dict[str, Any]:
    """Where one reader's watermarked copy of a 1280-px page goes. Each run
    marks with another reader's text, so no mask comes from the cache; the
    decoded page does, as in a worker during a page turn."""
    from PIL import Image

    from collab_server.demo import DOCUMENTS, demo_pdf
    from collab_server.documents import render

    title, _, pages, _ = next(d for d in DOCUMENTS if d[3] == "internal")
    page = render.render_page(demo_pdf(title, pages), page_no, 1280, "webp")
    lines = ["Đại biểu Nguyễn Văn Một", "Sở Kế hoạch và Đầu tư", "09:15 03/12/2026"]

    def text(i: int) -> list[str]:
        return [f"{lines[0]} {i}", *lines[1:]]

    decoded = render._decode(page)
    marked = Image.open(io.BytesIO(render.watermark(page, text(0), "png"))).convert("RGB")
    parts = {
        "decode webp": cpu_median_ms(
            lambda i: Image.open(io.BytesIO(page)).convert("RGB"), runs),
        "mask": cpu_median_ms(
            lambda i: render._mask.__wrapped__(decoded.size, "\n".join(text(i))), runs),
        "encode webp (fast)": cpu_median_ms(
            lambda i: render.encode(marked, "webp", fast=True), runs),
        "encode jpeg": cpu_median_ms(lambda i: render.encode(marked, "jpeg"), runs),
        "watermark -> jpeg": cpu_median_ms(
            lambda i: render.watermark(page, text(i), "jpeg"), runs),
        "watermark -> webp": cpu_median_ms(
            lambda i: render.watermark(page, text(i), "webp"), runs),
    }
    # The copy of the page and the tint through the mask: what is left.
    parts["copy + tint (by difference)"] = round(
        parts["watermark -> jpeg"] - parts["mask"] - parts["encode jpeg"], 1)
    return {"machine": machine(), "page_px": list(decoded.size), "runs": runs, "ms": parts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running demo server (default: start one)")
    parser.add_argument("--accounts", default="var/demo-accounts.txt")
    parser.add_argument("--clients", type=int, default=91)
    parser.add_argument("--page", type=int, default=3)
    parser.add_argument("--json", help="write the results here as JSON")
    parser.add_argument("--breakdown", action="store_true",
                        help="time the parts of one reader's copy, in this process")
    parser.add_argument("--runs", type=int, default=31, help="runs per part (--breakdown)")
    args = parser.parse_args()
    if args.breakdown:
        parts = breakdown(args.page, args.runs)
        print(f"one reader's watermarked page {parts['page_px'][0]}x{parts['page_px'][1]}, "
              f"CPU ms, median of {parts['runs']}, {parts['machine']['cpu']}")
        for name, ms in parts["ms"].items():
            print(f"  {name:<28} {ms:8.1f}")
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(parts, indent=2), encoding="utf-8")
        return 0
    results = asyncio.run(run(args))
    print(f"{results['clients']} laptops ask for one page at once (1280 px), "
          f"{results['machine']['nproc']} CPU(s), {results['machine']['cpu']}")
    for key, value in results.items():
        if isinstance(value, dict) and "last_ms" in value:
            extra = (f"  served prepared {value['served_prepared']}"
                     f" (prepared {value['prepared']} in {value['prepare_s']} s before)"
                     if "served_prepared" in value else "")
            print(f"  {key:<28} first {value['first_ms']:8.1f} ms  p50 {value['p50']:8.1f} ms"
                  f"  last {value['last_ms']:8.1f} ms  images {value['distinct_images']}"
                  f"{extra}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
