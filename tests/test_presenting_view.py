"""What the projector is served for a presented page: an internal page with a
small light mark in two corners instead of the reader's mark tiled across the
text (a confidential page keeps the full mark, laptops keep theirs), and a
sharper 3840-px render that only the display may ask for."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from PIL import Image, ImageChops

from collab_server.documents.render import render_page
from tests.browser_support import make_pdf, upload
from tests.conftest import Server, World, build_world
from tests.yclient import YClient

# A stray pixel or two where WebP then JPEG round text edges differently.
CODEC_NOISE = 1e-5
PAGE = make_pdf(["Dự thảo kế hoạch chuyển đổi số tỉnh Quảng Bình năm 2027. " * 8])


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    return await build_world(server.database_url, delegates=1)


@pytest.fixture(scope="module")
async def documents(server: Server, world: World) -> dict[str, int]:
    found = {}
    for level in ("internal", "confidential", "public"):
        doc = await upload(server.http, world.token("secretary"), world.meeting_id, PAGE,
                           f"{level}.pdf", title=level, confidentiality=level)
        found[level] = int(doc["id"])
    return found


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http, timeout=60) as client:
        yield client


async def on_the_wall(http: httpx.AsyncClient, world: World, document: int) -> None:
    """The chair presents page 1 of `document`: the projector reads only the
    page on the wall, in session."""
    ws = str(http.base_url).rstrip("/").replace("http", "ws", 1)
    chair = await YClient(ws, f"meeting/{world.meeting_id}/room", world.token("chair")).connect()
    try:
        await chair.intent("session.open", {})  # the first time; then already open
        reply = await chair.intent("present.page", {"document": document, "page": 1})
        assert reply["ok"], reply
    finally:
        await chair.close()


async def page_image(http: httpx.AsyncClient, world: World, who: str, document: int,
                     width: str = "projector") -> Image.Image:
    if who == "display":
        await on_the_wall(http, world, document)
    r = await http.get(f"/api/documents/{document}/pages/1", params={"w": width, "fmt": "jpeg"},
                       headers={"Authorization": f"Bearer {world.token(who)}"})
    assert r.status_code == 200, r.text
    with Image.open(io.BytesIO(r.content)) as image:
        return image.convert("RGB")


def marked(image: Image.Image) -> Image.Image:
    """Where `image` differs from the page without any mark (1 bit per pixel);
    small JPEG noise is not a mark."""
    plain = Image.open(io.BytesIO(render_page(PAGE, 1, image.width, "png"))).convert("RGB")
    diff = ImageChops.difference(image, plain).convert("L")
    return diff.point(lambda v: 255 if v > 40 else 0)


def share(mask: Image.Image, box: tuple[int, int, int, int]) -> float:
    region = mask.crop(box)
    counts = region.histogram()
    return counts[255] / (region.width * region.height)


def middle(image: Image.Image) -> tuple[int, int, int, int]:
    w, h = image.size
    return (0, h // 8, w, h - h // 8)


async def test_the_projector_gets_a_discreet_corner_mark_on_internal_pages(
        http: httpx.AsyncClient, world: World, documents: dict[str, int]) -> None:
    wall = await page_image(http, world, "display", documents["internal"])
    laptop = await page_image(http, world, "delegate01", documents["internal"])
    w, h = wall.size
    on_wall, on_laptop = marked(wall), marked(laptop)
    # The laptop keeps its mark across the whole page, text included.
    assert share(on_laptop, middle(laptop)) > 0.02
    # The wall: nothing between the margins, a mark in the top-left and the
    # bottom-right corners, small and light.
    assert share(on_wall, middle(wall)) < CODEC_NOISE
    assert share(on_wall, (0, 0, w // 2, h // 16)) > 0.002
    assert share(on_wall, (w // 2, h - h // 16, w, h)) > 0.002
    assert share(on_wall, (0, 0, w, h)) < 0.01
    # Where the mark is, the page stays light grey: white elsewhere of the mask.
    darkest, _ = ImageChops.lighter(wall.convert("L"), ImageChops.invert(on_wall)).getextrema()
    assert isinstance(darkest, int) and darkest > 100, ("light grey, not dark", darkest)

    # The view is still recorded against the display account.
    conn = await asyncpg.connect(world.url)
    try:
        viewers = {r["actor_id"] for r in await conn.fetch(
            "SELECT actor_id FROM audit_log WHERE action = 'document.page_view' AND target = $1",
            f"document:{documents['internal']}")}
    finally:
        await conn.close()
    assert world.users["display"] in viewers


async def test_a_confidential_page_keeps_the_full_mark_on_the_wall(
        http: httpx.AsyncClient, world: World, documents: dict[str, int]) -> None:
    wall = await page_image(http, world, "display", documents["confidential"])
    assert share(marked(wall), middle(wall)) > 0.02


async def test_only_the_display_asks_a_zoomed_render(
        http: httpx.AsyncClient, world: World, documents: dict[str, int]) -> None:
    sharp = await page_image(http, world, "display", documents["internal"], "zoomed")
    assert sharp.width == 3840
    on_sharp = marked(sharp)
    assert share(on_sharp, middle(sharp)) < CODEC_NOISE
    assert share(on_sharp, (sharp.width // 2, sharp.height - sharp.height // 16,
                            sharp.width, sharp.height)) > 0.002
    public = await page_image(http, world, "display", documents["public"], "zoomed")
    assert public.width == 3840
    for who in ("delegate01", "chair", "secretary"):
        r = await http.get(f"/api/documents/{documents['public']}/pages/1",
                           params={"w": "zoomed"},
                           headers={"Authorization": f"Bearer {world.token(who)}"})
        assert r.status_code == 403, (who, r.text)
        assert r.json()["error"]["code"] == "forbidden"
        assert "màn hình trình chiếu" in r.json()["error"]["message"]
