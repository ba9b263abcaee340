"""Page images: a page of a PDF at a given width, and the reader's name
burned into it.

PyMuPDF holds the GIL for the whole of a render (measured: a 170 ms render
in a thread stalled the event loop for 143 ms), so the server calls
`render_page` in worker processes (`cache.PageCache`), never on the event
loop or in a thread. `watermark` is Pillow only, which releases the GIL
while it decodes and encodes, so a thread is fine for it.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from typing import Literal, TypeAlias

import pymupdf
from PIL import Image, ImageDraw, ImageFont
from pymupdf import mupdf

from collab_server.documents.errors import (
    BadImageFormat,
    BadPageSize,
    BadWidth,
    PageNotFound,
    RenderFailed,
)
from collab_server.documents.fonts import font_buffer

ImageFormat: TypeAlias = Literal["webp", "png", "jpeg"]
FORMATS: tuple[ImageFormat, ...] = ("webp", "png", "jpeg")

MIN_WIDTH = 16
MAX_WIDTH = 4096
# WebP cannot store a side longer than 16383 pixels.
MAX_HEIGHT = 16383

# Quality 80 keeps text crisp. Measured on a 1280-px text page: method 2
# takes half the time of the default 4 for 3 % more bytes; 0-1 are faster
# still but 25 % larger, and a cached page goes to every laptop in the room.
# Watermarked pages (one per reader, never cached) use method 0.
WEBP_OPTIONS = {"quality": 80, "method": 2}


def render_page(
    pdf: bytes | pymupdf.Document, page_no: int, width_px: int, fmt: ImageFormat
) -> bytes:
    """Page `page_no` (1-based) scaled to `width_px` pixels wide, encoded as
    WebP or PNG, on white, with the PDF's own annotations."""
    if fmt not in FORMATS:
        raise BadImageFormat()
    if not MIN_WIDTH <= width_px <= MAX_WIDTH:
        raise BadWidth()
    if isinstance(pdf, pymupdf.Document):
        return _render(pdf, page_no, width_px, fmt)
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return _render(doc, page_no, width_px, fmt)


def _render(doc: pymupdf.Document, page_no: int, width_px: int, fmt: ImageFormat) -> bytes:
    if not 1 <= page_no <= doc.page_count:
        raise PageNotFound()
    try:
        page = doc.load_page(page_no - 1)
        zoom = width_px / page.rect.width
        if page.rect.height * zoom > MAX_HEIGHT:
            raise BadPageSize()
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
    except (RuntimeError, ValueError, mupdf.FzErrorBase) as exc:
        raise RenderFailed() from exc
    image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    if image.width != width_px:
        # MuPDF rounds the page's box outward; a fractional page width can
        # come out one pixel wider.
        image = image.crop((0, 0, width_px, image.height))
    return encode(image, fmt)


def encode(image: Image.Image, fmt: ImageFormat, *, fast: bool = False) -> bytes:
    """WebP, JPEG or PNG bytes of `image`; `fast` trades size for speed."""
    out = io.BytesIO()
    if fmt == "webp":
        options = {"quality": 80, "method": 0} if fast else WEBP_OPTIONS
        image.save(out, "WEBP", **options)
    elif fmt == "jpeg":
        # Eight times faster to encode than WebP (5 ms against 44 ms for a
        # 1280-px page): the format for watermarked pages, one per reader.
        image.save(out, "JPEG", quality=80)
    else:
        # Level 3: measured smaller *and* faster than the default 6 on text pages.
        image.save(out, "PNG", compress_level=3)
    return out.getvalue()


# The watermark. Diagonal, semi-transparent and tiled over the whole page,
# so cropping does not remove it; drawn into the pixels, not laid over them
# in the browser, where it could be switched off.
#
# Cost, for a 1280-px page (CPU medians, `load/bench_pages.py --breakdown`,
# docs/benchmarks.md): WebP encode dominates a WebP answer; for a JPEG
# answer (what the laptops ask) the mask and the tinting were most of it.
# The decoded page is kept (the same page is marked for every reader in the
# room), and the output uses the fast WebP setting. Both the mask and the
# tint are pasted from an image, not from a colour: Pillow 13 pastes a
# colour through a mask on a slower path (measured: the tint took 28 ms
# against 12 ms for the same pixels).

COLOR = (170, 20, 20)
OPACITY = 0.24
ANGLE = 30


def watermark(image: bytes, lines: list[str], fmt: ImageFormat) -> bytes:
    """`image` (WebP or PNG) with `lines` (reader, unit, time...) tiled
    diagonally across it; same size, encoded as `fmt`."""
    if fmt not in FORMATS:
        raise BadImageFormat()
    page = _decode(image).copy()
    text = "\n".join(line.strip() for line in lines if line.strip())
    if text:
        page.paste(Image.new("RGB", page.size, COLOR), (0, 0), _mask(page.size, text))
    return encode(page, fmt, fast=True)


# The projector's mark. The display account reads an internal page for the
# whole room: tiled across the page, its name made the projected text hard
# to read. Written once, small and light, in the top-left and bottom-right
# margins (two corners, so cropping one keeps the other), the mark still
# names the room's display on any photo of the wall.

CORNER_COLOR = (80, 80, 80)
CORNER_OPACITY = 0.5


def corner_mark(image: bytes, lines: list[str], fmt: ImageFormat) -> bytes:
    """`image` (WebP or PNG) with `lines` joined on one small light line in
    two opposite corners; same size, encoded as `fmt`."""
    if fmt not in FORMATS:
        raise BadImageFormat()
    # Not through `_decode`'s cache: a zoomed projector page is 3840 px wide
    # (60 MB decoded) and has a single reader.
    with Image.open(io.BytesIO(image)) as decoded:
        page = decoded.convert("RGB")
    text = " · ".join(line.strip() for line in lines if line.strip())
    if text:
        tile = _corner_tile(page.size, text)
        margin = max(4, tile.height // 2)
        for x, y in ((margin, margin),
                     (page.width - tile.width - margin, page.height - tile.height - margin)):
            page.paste(CORNER_COLOR, (x, y, x + tile.width, y + tile.height), tile)
    return encode(page, fmt, fast=True)


def _corner_tile(size: tuple[int, int], text: str) -> Image.Image:
    """The text's opacity, one line, at most the page's width less margins."""
    width, _ = size
    font_size = max(8, round(width / 64))
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=_font(font_size))
    room = width - 2 * font_size
    if right - left > room > 0:
        font_size = max(6, math.floor(font_size * room / (right - left)))
        left, top, right, bottom = probe.textbbox((0, 0), text, font=_font(font_size))
    tile = Image.new("L", (max(1, math.ceil(right - left)), max(1, math.ceil(bottom - top))), 0)
    ImageDraw.Draw(tile).text((-left, -top), text, font=_font(font_size),
                              fill=round(255 * CORNER_OPACITY))
    return tile


@lru_cache(maxsize=4)
def _decode(image: bytes) -> Image.Image:
    with Image.open(io.BytesIO(image)) as decoded:
        return decoded.convert("RGB")


# A reader leafing through pages within the same minute reuses a mask; a
# 1920-px one is 5 MB, hence only a few.
@lru_cache(maxsize=8)
def _mask(size: tuple[int, int], text: str) -> Image.Image:
    """Opacity of the mark at each pixel, for the whole page."""
    width, height = size
    font_size = max(10, round(width / 48))
    block, tile = _tile(text, font_size)
    # Copies sit on a lattice turned by the same angle as the text, in rows
    # of blocks with a gap, every other row shifted by half a block (like
    # bricks), so no two copies overlap whatever the page size.
    gap = 2 * font_size
    angle = math.radians(ANGLE)
    ux, uy = (block[0] + gap) * math.cos(angle), -(block[0] + gap) * math.sin(angle)
    vx, vy = (block[1] + gap) * math.sin(angle), (block[1] + gap) * math.cos(angle)
    reach = math.hypot(width, height)
    columns = math.ceil(reach / (block[0] + gap)) + 1
    rows = math.ceil(reach / (block[1] + gap)) + 1
    mask = Image.new("L", size, 0)
    # The opacity is in the ink: no pass over the whole mask afterwards.
    ink = Image.new("L", tile.size, round(255 * OPACITY))
    for j in range(-rows, rows + 1):
        shift = 0.5 * (j % 2)
        for i in range(-columns, columns + 1):
            cx = width / 2 + (i + shift) * ux + j * vx
            cy = height / 2 + (i + shift) * uy + j * vy
            x, y = round(cx - tile.width / 2), round(cy - tile.height / 2)
            if x < width and y < height and x + tile.width > 0 and y + tile.height > 0:
                # Through the tile itself, so the empty corners of one
                # copy's box do not erase a neighbour's letters.
                mask.paste(ink, (x, y), tile)
    return mask


def _tile(text: str, font_size: int) -> tuple[tuple[int, int], Image.Image]:
    """The text block's size before turning, and the turned block."""
    font = _font(font_size)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    spacing = font_size // 3
    left, top, right, bottom = probe.multiline_textbbox(
        (0, 0), text, font=font, align="center", spacing=spacing
    )
    block = (math.ceil(right - left), math.ceil(bottom - top))
    tile = Image.new("L", block, 0)
    ImageDraw.Draw(tile).multiline_text(
        (-left, -top), text, font=font, fill=255, align="center", spacing=spacing
    )
    return block, tile.rotate(ANGLE, resample=Image.Resampling.BICUBIC, expand=True)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(font_buffer()), size)
