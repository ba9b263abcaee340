"""Document engine benchmark (not a test).

Scenario 1, ingest: a 300-page PDF of Vietnamese text (generated here) is
validated, cleaned and its text extracted, as on upload. Timed per step in
a fresh worker process, whose peak RSS (getrusage) is the memory an upload
costs; then the same ingest in a thread beside a 1 ms ticker, against in a
worker, to show how long each freezes the event loop.

Scenario 2, page storm: the presenter turns to a page; every laptop of a
full room (91) asks for it at once through PageCache. Cold (nothing cached,
workers already started), warm (in memory), and disk (a new PageCache on the
same folder, as after a restart): time until the last request has it.

Scenario 3, watermark: the same page marked for each of the 91 readers, in
threads, as the HTTP layer does for internal documents.

    .venv/bin/python load/bench_documents.py [--pages 300] [--clients 91]
        [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson
import pymupdf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collab_server.documents import render  # noqa: E402
from collab_server.documents.cache import WIDTHS, PageCache  # noqa: E402
from collab_server.documents.fonts import font_buffer  # noqa: E402
from collab_server.documents.ingest import ingest_pdf  # noqa: E402
from collab_server.documents.render import watermark  # noqa: E402
from collab_server.documents.text import extract_pages  # noqa: E402
from collab_server.documents.validate import clean_pdf, inspect_pdf  # noqa: E402

now = time.perf_counter

PARAGRAPHS = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, "
    "bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương.",
    "Ủy ban nhân dân tỉnh Quảng Bình báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế "
    "- xã hội, bảo đảm quốc phòng, an ninh quý III và phương hướng, nhiệm vụ quý IV.",
    "Đại biểu Hội đồng nhân dân đề nghị làm rõ tiến độ giải ngân vốn đầu tư công, công tác "
    "bồi thường, giải phóng mặt bằng và việc chuyển đổi số trong các cơ quan nhà nước.",
    "Sở Thông tin và Truyền thông chủ trì, phối hợp với các sở, ban, ngành, địa phương triển "
    "khai hệ thống phòng họp không giấy, bảo đảm an toàn, an ninh thông tin.",
    "Tổng kinh phí dự kiến: 4.850.000.000 đồng (Bốn tỷ, tám trăm năm mươi triệu đồng chẵn), "
    "từ nguồn ngân sách tỉnh năm 2026 và các nguồn vốn hợp pháp khác.",
]


def make_document(pages: int) -> bytes:
    """A report of `pages` A4 pages: heading, numbered paragraphs, a table."""
    doc = pymupdf.open()
    font = font_buffer()
    for n in range(1, pages + 1):
        page = doc.new_page(width=595, height=842)
        page.insert_font(fontname="vn", fontbuffer=font)
        page.insert_text((72, 80), f"PHẦN {n}. BÁO CÁO KẾT QUẢ THỰC HIỆN", fontname="vn",
                         fontsize=13)
        body = "\n\n".join(
            f"{k + 1}. {PARAGRAPHS[(n + k) % len(PARAGRAPHS)]}" for k in range(6)
        )
        page.insert_textbox(pymupdf.Rect(72, 100, 523, 600), body, fontname="vn", fontsize=11)
        for row in range(6):
            y = 620 + row * 22
            page.draw_rect(pymupdf.Rect(72, y, 523, y + 22), color=(0, 0, 0), width=0.5)
            page.insert_text((78, y + 15), f"Chỉ tiêu {row + 1}: đạt {80 + row * 3}% kế hoạch",
                             fontname="vn", fontsize=10)
        page.insert_text((280, 810), f"Trang {n}/{pages}", fontname="vn", fontsize=9)
    return bytes(doc.tobytes(deflate=True, garbage=3))


# -- scenario 1: ingest ----------------------------------------------------------------


def peak_rss_mib() -> dict[str, float]:
    """Peak RSS of this process, two ways.

    getrusage's ru_maxrss survives exec: a spawned worker (fork, then exec)
    reports at least the size of its parent at the fork. VmHWM belongs to
    the address space that exec made, so it is the worker's own peak.
    """
    peaks = {"ru_maxrss": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks["vmhwm"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return peaks


def _timed_ingest(path: str) -> dict[str, Any]:
    """Runs in a fresh process, so its peak RSS is the ingest's own."""
    data = Path(path).read_bytes()
    t0 = now()
    info = inspect_pdf(data)
    t1 = now()
    clean = clean_pdf(data)
    t2 = now()
    texts = extract_pages(clean)
    t3 = now()
    return {
        "pages": info.page_count,
        "validate_s": round(t1 - t0, 3),
        "clean_s": round(t2 - t1, 3),
        "extract_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 3),
        "pages_per_s": round(info.page_count / (t3 - t0), 1),
        "clean_bytes": len(clean),
        "text_chars": sum(map(len, texts)),
        "peak_rss_mib": peak_rss_mib(),
    }


def ingest_in_fresh_process(path: Path) -> dict[str, Any]:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as executor:
        idle = executor.submit(peak_rss_mib).result()
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as executor:
        result: dict[str, Any] = executor.submit(_timed_ingest, str(path)).result()
    result["idle_worker_peak_rss_mib"] = idle
    return result


async def loop_stall(work: Any) -> float:
    """Longest gap, in ms, of a 1 ms ticker on the event loop while `work` runs."""
    gap = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal gap
        last = now()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            t = now()
            gap, last = max(gap, t - last), t

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    try:
        await work
    finally:
        stop.set()
        await task
    return round(gap * 1000, 1)


# -- scenario 2 and 3: page storm, watermark ---------------------------------------------


async def storm(cache: PageCache, key: str, page: int, clients: int, load: Any) -> dict[str, Any]:
    done: list[float] = []
    start = now()

    async def one() -> bytes:
        data = await cache.get(key, page, WIDTHS["laptop"], "webp", load)
        done.append(now() - start)
        return data

    results = await asyncio.gather(*(one() for _ in range(clients)))
    return {
        "last_ms": round(max(done) * 1000, 1),
        "first_ms": round(min(done) * 1000, 1),
        "image_bytes": len(results[0]),
        "distinct_results": len(set(results)),
    }


async def page_storm(pdf: bytes, clients: int, folder: Path) -> dict[str, Any]:
    key = hashlib.sha256(pdf).hexdigest()
    loads = 0

    async def load() -> bytes:
        nonlocal loads
        loads += 1
        return pdf

    cache = PageCache(folder)
    t = now()
    await cache.start()
    started = round((now() - t) * 1000, 1)
    try:
        cold = await storm(cache, key, 150, clients, load)
        cold["renders"], cold["pdf_loads"] = cache.renders, loads
        warm = await storm(cache, key, 150, clients, load)
        warm["renders"] = cache.renders
        # The next page: the PDF is on disk and open in a worker already.
        next_page = await storm(cache, key, 151, clients, load)
        next_page["renders"] = cache.renders
        widths = {}
        for name, width in WIDTHS.items():
            t = now()
            await cache.get(key, 152, width, "webp", load)
            widths[name] = round((now() - t) * 1000, 1)
        restarted = PageCache(folder, pool=cache.pool)
        disk = await storm(restarted, key, 150, clients, load)
        disk["renders"] = restarted.renders
    finally:
        await cache.close()
    return {
        "workers_start_ms": started,
        "cold": cold,
        "warm_memory": warm,
        "next_page_doc_open": next_page,
        "from_disk": disk,
        "single_render_ms_by_width": widths,
    }


async def watermark_storm(image: bytes, clients: int) -> dict[str, Any]:
    lines = [["Nguyễn Văn Đại Biểu " + str(i), "Sở Nội vụ tỉnh Quảng Bình", "09:14 27/11/2026"]
             for i in range(clients)]
    t = now()
    watermark(image, lines[0], "webp")
    first = now() - t
    single = []
    for i in range(1, 6):
        t = now()
        watermark(image, lines[i], "webp")
        single.append(now() - t)
    # The drawing alone, without the codecs: the part a faster design could
    # not avoid (a mask for a reader's text, laid over a decoded page).
    page = render._decode(image)
    draw = []
    for i in range(5):
        t = now()
        copy = page.copy()
        copy.paste(render.COLOR, (0, 0, copy.width, copy.height),
                   render._mask(copy.size, f"Người đọc {i}\nĐơn vị\n09:1{i}"))
        draw.append(now() - t)
    t = now()
    stall = await loop_stall(
        asyncio.gather(*(asyncio.to_thread(watermark, image, line, "webp") for line in lines))
    )
    total = now() - t
    return {
        "first_ms": round(first * 1000, 1),
        "one_ms_median": round(sorted(single)[len(single) // 2] * 1000, 1),
        "draw_only_ms_median": round(sorted(draw)[len(draw) // 2] * 1000, 1),
        f"all_{clients}_ms": round(total * 1000, 1),
        "loop_stall_ms": stall,
    }


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "pymupdf": pymupdf.VersionBind}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine()}
    t = now()
    pdf = make_document(args.pages)
    results["document"] = {"pages": args.pages, "bytes": len(pdf),
                           "generate_s": round(now() - t, 2)}
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        folder = Path(tmp)
        path = folder / "doc.pdf"
        path.write_bytes(pdf)
        results["ingest"] = await asyncio.to_thread(ingest_in_fresh_process, path)
        in_thread = await loop_stall(asyncio.to_thread(ingest_pdf, pdf))
        cache = PageCache(folder / "stall")
        await cache.start()
        try:
            in_worker = await loop_stall(cache.pool.run(ingest_pdf, pdf, timeout=300))
        finally:
            await cache.close()
        results["ingest_loop_stall_ms"] = {"thread": in_thread, "worker_process": in_worker}
        results["page_storm"] = await page_storm(pdf, args.clients, folder / "pages")
        image = (folder / "pages").glob("*/*/p150-w1280.webp").__next__().read_bytes()
        results["watermark"] = await watermark_storm(image, args.clients)
    return results


def report(r: dict[str, Any], clients: int) -> None:
    m, d, i = r["machine"], r["document"], r["ingest"]
    print(f"machine: {m['nproc']} CPU {m['cpu']}, Python {m['python']}, PyMuPDF {m['pymupdf']}")
    print(f"document: {d['pages']} pages, {d['bytes'] / 1e6:.1f} MB (generated in "
          f"{d['generate_s']} s)")
    rss, idle = i["peak_rss_mib"], i["idle_worker_peak_rss_mib"]
    print(f"ingest: validate {i['validate_s']} s + clean {i['clean_s']} s + extract "
          f"{i['extract_s']} s = {i['total_s']} s, {i['pages_per_s']} pages/s")
    print(f"  worker peak RSS {rss.get('vmhwm')} MiB (VmHWM; idle worker {idle.get('vmhwm')} "
          f"MiB); getrusage ru_maxrss {rss['ru_maxrss']} MiB (idle {idle['ru_maxrss']}, "
          f"inherits the parent's size through fork+exec)")
    s = r["ingest_loop_stall_ms"]
    print(f"event loop stalled during ingest: {s['thread']} ms in a thread, "
          f"{s['worker_process']} ms in a worker process")
    p = r["page_storm"]
    print(f"page storm, {clients} requests for one page (workers started in "
          f"{p['workers_start_ms']} ms):")
    for name in ("cold", "warm_memory", "next_page_doc_open", "from_disk"):
        row = p[name]
        print(f"  {name:<20} last {row['last_ms']:>7} ms  first {row['first_ms']:>7} ms  "
              f"renders so far {row['renders']}  {row['image_bytes'] / 1e3:.0f} kB")
    print("  one render by width: " + ", ".join(
        f"{k} {v} ms" for k, v in p["single_render_ms_by_width"].items()))
    w = r["watermark"]
    print(f"watermark (1280 px WebP): first {w['first_ms']} ms, then {w['one_ms_median']} ms "
          f"each (drawing alone {w['draw_only_ms_median']} ms, the rest is WebP decode and "
          f"encode); {clients} readers in threads {w[f'all_{clients}_ms']} ms, loop stall "
          f"{w['loop_stall_ms']} ms")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=300)
    p.add_argument("--clients", type=int, default=91)
    p.add_argument("--json", help="write the results here as JSON")
    args = p.parse_args()
    results = asyncio.run(run(args))
    report(results, args.clients)
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
