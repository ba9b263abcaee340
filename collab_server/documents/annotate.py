"""A person's notes drawn into a copy of the PDF: strokes and highlights as
ink annotations, text notes as free-text boxes, a footer saying whose notes
these are, and on internal documents the reader's name across every page.

The notes document is written by the person's browser (docs/protocol.md,
"Personal notes"), so nothing in it is trusted: every element is checked,
numbers are clamped, and what cannot be drawn is skipped, never fatal.

PyMuPDF holds the GIL for the whole of its work, so the server runs
`export_notes` in its worker processes; everything here is pure.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import pycrdt
import pymupdf
from pymupdf import mupdf

from collab_server.documents.errors import RenderFailed
from collab_server.documents.fonts import font_buffer
from collab_server.documents.render import ANGLE, COLOR, OPACITY

# -- the schema ----------------------------------------------------------------------

# One root Y.Array per page and kind. Root types: two replicas that start the
# same page while apart merge their elements; a nested type created on both
# sides would keep only one side's (Yjs resolves a map key to one value).
ROOT = re.compile(r"(strokes|notes):([1-9][0-9]{0,5})")


def strokes_root(page: int) -> str:
    return f"strokes:{page}"


def notes_root(page: int) -> str:
    return f"notes:{page}"


TOOLS = ("pen", "highlighter")
MAX_TEXT = 2000  # characters of one note; longer text is cut
MAX_POINTS = 5000  # points of one stroke; longer strokes are thinned
MAX_STROKES = 2000  # per page; the rest are skipped
MAX_NOTES = 200  # per page
# Per document, so that no notes document, however made, holds a worker (and
# the page renders of the whole room behind it) for long: a few seconds each.
MAX_TOTAL_POINTS = 200_000
MAX_TOTAL_NOTES = 500
MAX_TOTAL_INKS = 1000  # ink annotations (each holds every stroke of one style on a page)
MAX_INKS = 50  # per page: PyMuPDF adds an annotation in time linear in those already there
MIN_WIDTH, MAX_WIDTH = 0.0005, 0.05  # stroke widths, in page widths
DEFAULT_WIDTH = {"pen": 0.003, "highlighter": 0.018}
DEFAULT_COLOR = {"pen": "#0b0c0c", "highlighter": "#ffdd00", "note": "#ffdd00"}
HIGHLIGHT_OPACITY = 0.35

_HEX = re.compile(r"#[0-9a-fA-F]{6}")
# Controls other than newline and tab; they have no glyph and confuse viewers.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

RGB = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Stroke:
    tool: str
    color: RGB
    width: float  # page widths
    points: list[tuple[float, float]]  # page fractions


@dataclass(frozen=True, slots=True)
class Note:
    x: float
    y: float
    text: str
    color: RGB


def read_notes(updates: Sequence[bytes]) -> dict[str, Any]:
    """The notes document as JSON: each root of the schema by name, as a list
    of whatever its elements are. Other roots are ignored."""
    doc: pycrdt.Doc[Any] = pycrdt.Doc()
    if updates:
        doc.apply_update(updates[0] if len(updates) == 1 else pycrdt.merge_updates(*updates))
    # A root written as another type (a map, a text) reads as an empty array
    # or as characters, which the checks below skip.
    return {name: doc.get(name, type=pycrdt.Array).to_py() or []
            for name in list(doc.keys()) if ROOT.fullmatch(name)}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _fraction(value: object) -> float | None:
    number = _number(value)
    return None if number is None else min(1.0, max(0.0, number))


def _color(value: object, default: str) -> RGB:
    text = value if isinstance(value, str) and _HEX.fullmatch(value) else default
    return (int(text[1:3], 16) / 255, int(text[3:5], 16) / 255, int(text[5:7], 16) / 255)


def _last_by_id(elements: Iterable[object]) -> list[dict[str, Any]]:
    """Objects only; of several with the same id (one note changed on two
    offline devices: each deleted it and inserted its version), the last."""
    kept: dict[object, dict[str, Any]] = {}
    for n, element in enumerate(elements):
        if isinstance(element, dict):
            key = element.get("id")
            kept.pop(key if isinstance(key, str) else n, None)
            kept[key if isinstance(key, str) else n] = element
    return list(kept.values())


@dataclass(slots=True)
class Budget:
    """What is left to draw in one document."""

    points: int = MAX_TOTAL_POINTS
    notes: int = MAX_TOTAL_NOTES
    inks: int = MAX_TOTAL_INKS

    def take(self, kind: str, count: int = 1) -> bool:
        left: int = getattr(self, kind)
        if count > left:
            return False
        setattr(self, kind, left - count)
        return True


def _stroke(raw: dict[str, Any], budget: Budget) -> Stroke | None:
    tool = raw.get("tool")
    points = raw.get("points")
    if tool not in TOOLS or not isinstance(points, list) or len(points) < 2:
        return None
    pairs = len(points) // 2
    # Thinned evenly rather than refused: a long scribble keeps its shape.
    step = math.ceil(pairs / MAX_POINTS)
    coords: list[tuple[float, float]] = []
    for i in range(0, pairs, step):
        x, y = _fraction(points[2 * i]), _fraction(points[2 * i + 1])
        if x is not None and y is not None:
            coords.append((x, y))
    if not coords or not budget.take("points", len(coords)):
        return None
    width = _number(raw.get("width"))
    width = DEFAULT_WIDTH[tool] if width is None else min(MAX_WIDTH, max(MIN_WIDTH, width))
    return Stroke(tool, _color(raw.get("color"), DEFAULT_COLOR[tool]), width, coords)


def _note(raw: dict[str, Any]) -> Note | None:
    x, y, text = _fraction(raw.get("x")), _fraction(raw.get("y")), raw.get("text")
    if x is None or y is None or not isinstance(text, str):
        return None
    # A lone surrogate (half of a JavaScript emoji) cannot be written to a PDF.
    text = text.encode("utf-8", "replace").decode()
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        return None
    return Note(x, y, text[:MAX_TEXT], _color(raw.get("color"), DEFAULT_COLOR["note"]))


def page_marks(notes: Mapping[str, Any], page: int,
               budget: Budget | None = None) -> tuple[list[Stroke], list[Note]]:
    """The valid strokes and notes of page `page` (1-based)."""
    budget = budget or Budget()
    raw_strokes = notes.get(strokes_root(page))
    raw_notes = notes.get(notes_root(page))
    strokes: list[Stroke] = []
    if isinstance(raw_strokes, list):
        for element in _last_by_id(raw_strokes)[:MAX_STROKES]:
            stroke = _stroke(element, budget)
            if stroke is not None:
                strokes.append(stroke)
    found: list[Note] = []
    if isinstance(raw_notes, list):
        for element in _last_by_id(raw_notes)[:MAX_NOTES]:
            note = _note(element)
            if note is not None and budget.take("notes"):
                found.append(note)
    return strokes, found


# -- drawing -------------------------------------------------------------------------

# Resource names of the Vietnamese font: whole, for the notes' appearances;
# cut down to the letters used, in the watermark and footer forms. Distinct,
# because PyMuPDF takes a font already on the page (forms included) by name.
FONT = "PhVn"
MARK_FONT = "PhMark"
NOTE_WIDTH = 0.32  # of the page width
LINE = 1.25  # line height, in font sizes


@cache
def _font() -> pymupdf.Font:
    return pymupdf.Font(fontbuffer=font_buffer())


@cache
def _glyph(char: str) -> int:
    return int(_font().has_glyph(ord(char)))


def _drawable(text: str) -> str:
    """NFC (one glyph per Vietnamese letter, where the font has it), and "?"
    for what the font lacks (emoji, CJK)."""
    return "".join(c if c in " \n" or _glyph(c) else "?"
                   for c in unicodedata.normalize("NFC", text.replace("\t", " ")))


@cache
def _advance(char: str) -> float:
    return float(_font().glyph_advance(ord(char)))


def _width(text: str, size: float) -> float:
    # Font.text_length costs some 13 µs a character; the advances, cached, add
    # up to the same (MuPDF does not kern either).
    return size * sum(_advance(c) for c in text)


def _wrap(text: str, width: float, size: float) -> Iterator[str]:
    space = _width(" ", size)
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            needed = _width(word, size)
            extra = needed + (space if line else 0.0)
            if used + extra <= width:
                line, used = (f"{line} {word}" if line else word), used + extra
                continue
            if line:
                yield line
            line, used = "", 0.0
            if needed <= width:
                line, used = word, needed
                continue
            # A word wider than the box is cut wherever it must be.
            for char in word:
                advance = _width(char, size)
                if line and used + advance > width:
                    yield line
                    line, used = "", 0.0
                line, used = line + char, used + advance
        yield line


def _fit(text: str, width: float, size: float) -> str:
    if _width(text, size) <= width:
        return text
    while text and _width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _inks(page: pymupdf.Page, strokes: list[Stroke], owner: str, budget: Budget) -> None:
    """One ink annotation per tool, colour and width, with a path per stroke:
    one per stroke would make a busy page quadratic (see MAX_INKS)."""
    rect, m = page.rect, page.derotation_matrix
    # The client's fractions are of the page as shown, rotation applied;
    # annotations live in the unrotated page. (Plain arithmetic: a Point
    # times a Matrix costs twenty times as much, for every point.)
    a, b, c, d = m.a * rect.width, m.b * rect.width, m.c * rect.height, m.d * rect.height
    groups: dict[tuple[str, RGB, float], list[list[tuple[float, float]]]] = {}
    # Highlights under the pen's ink.
    for stroke in sorted(strokes, key=lambda s: s.tool != "highlighter"):
        path = [(x * a + y * c + m.e, x * b + y * d + m.f) for x, y in stroke.points]
        if len(path) == 1:
            path.append(path[0])  # a dot
        groups.setdefault((stroke.tool, stroke.color, round(stroke.width, 5)), []).append(path)
    for (tool, color, width), paths in list(groups.items())[:MAX_INKS]:
        if not budget.take("inks"):
            return
        annot = page.add_ink_annot(paths)
        annot.set_border(width=width * rect.width)
        annot.set_colors(stroke=color)
        annot.set_info(title=owner, subject="Bút dạ quang" if tool == "highlighter" else "Bút")
        if tool == "highlighter":
            annot.update(opacity=HIGHLIGHT_OPACITY, blend_mode="Multiply")
        else:
            annot.update()


def _free_text(page: pymupdf.Page, note: Note, owner: str, font_xref: int) -> None:
    """A free-text box with the note's exact text in /Contents and an
    appearance drawn in our own font: MuPDF draws free text only in the
    Base14 fonts, which lack letters such as ạ ả ậ ỉ ọ ộ Ủ ự."""
    rect = page.rect
    size = min(12.0, max(7.0, rect.width / 66))
    pad = size / 2
    width = min(rect.width, max(120.0, NOTE_WIDTH * rect.width))
    lines = list(_wrap(_drawable(note.text), width - 2 * pad, size))
    room = max(1, int((rect.height - 2 * pad) // (size * LINE)))
    if len(lines) > room:
        lines = [*lines[: room - 1], _fit(lines[room - 1] + " …", width - 2 * pad, size)]
    height = len(lines) * size * LINE + 2 * pad
    x0 = min(note.x * rect.width, rect.width - width)
    y0 = min(note.y * rect.height, rect.height - height)
    shown = pymupdf.Rect(max(0.0, x0), max(0.0, y0), max(0.0, x0) + width,
                         max(0.0, y0) + height)
    ink = (1.0, 1.0, 1.0) if _luminance(note.color) < 0.45 else (0.1, 0.1, 0.1)
    annot = page.add_freetext_annot(shown * page.derotation_matrix, note.text, fontsize=size,
                                    text_color=ink, fill_color=note.color,
                                    rotate=page.rotation)
    annot.set_info(title=owner, subject="Ghi chú")
    annot.update()
    doc = page.parent
    kind, value = doc.xref_get_key(annot.xref, "AP/N")
    if kind != "xref":
        raise RenderFailed()
    ap = int(value.split()[0])
    border = tuple(c * 0.6 for c in note.color)
    ascent = float(_font().ascender) * size
    parts = [
        "q", f"{_rgb(note.color)} rg {_rgb(border)} RG 0.6 w",
        f"0.3 0.3 {_g(width - 0.6)} {_g(height - 0.6)} re B", "Q",
        "BT", f"/{FONT} {_g(size)} Tf {_rgb(ink)} rg",
        f"{_g(pad)} {_g(height - pad - ascent)} Td",
    ]
    for n, line in enumerate(lines):
        if n:
            parts.append(f"0 {_g(-size * LINE)} Td")
        parts.append(f"<{''.join(f'{_glyph(c):04x}' for c in line)}> Tj")
    parts.append("ET")
    doc.update_stream(ap, "\n".join(parts).encode())
    doc.xref_set_key(ap, "BBox", f"[0 0 {_g(width)} {_g(height)}]")
    # Drawn upright in its own space; the matrix turns it with the page, so
    # it reads upright however the page is rotated.
    turn = pymupdf.Matrix(page.rotation)
    doc.xref_set_key(ap, "Matrix", f"[{_g(turn.a)} {_g(turn.b)} {_g(turn.c)} {_g(turn.d)} 0 0]")
    doc.xref_set_key(ap, "Resources", f"<</Font <</{FONT} {font_xref} 0 R>>>>")


def _luminance(color: RGB) -> float:
    r, g, b = color
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _g(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def _rgb(color: Iterable[float]) -> str:
    return " ".join(_g(c) for c in color)


def _watermark(page: pymupdf.Page, lines: list[str]) -> None:
    """The reader's name, unit and time, tiled diagonally over an unrotated
    page like the watermark of page images (render.py): copies on a lattice
    turned by the same angle, in rows shifted by half a block."""
    rect = page.rect
    lines = [_drawable(line) for line in lines if line.strip()]
    if not lines:
        return
    size = max(8.0, rect.width / 48)
    block_w = max(_width(line, size) for line in lines)
    block_h = size * LINE * len(lines)
    gap = 2 * size
    angle = math.radians(ANGLE)
    ux, uy = (block_w + gap) * math.cos(angle), -(block_w + gap) * math.sin(angle)
    vx, vy = (block_h + gap) * math.sin(angle), (block_h + gap) * math.cos(angle)
    reach = math.hypot(rect.width, rect.height)
    columns = math.ceil(reach / (block_w + gap)) + 1
    rows = math.ceil(reach / (block_h + gap)) + 1
    margin = max(block_w, block_h)
    color = tuple(c / 255 for c in COLOR)
    shape = page.new_shape()
    for j in range(-rows, rows + 1):
        shift = 0.5 * (j % 2)
        for i in range(-columns, columns + 1):
            cx = rect.width / 2 + (i + shift) * ux + j * vx
            cy = rect.height / 2 + (i + shift) * uy + j * vy
            if not (-margin < cx < rect.width + margin and -margin < cy < rect.height + margin):
                continue
            shape.insert_text((cx - block_w / 2, cy - block_h / 2 + size), lines,
                              fontname=MARK_FONT, fontsize=size, lineheight=LINE, color=color,
                              fill_opacity=OPACITY,
                              morph=(pymupdf.Point(cx, cy), pymupdf.Matrix(ANGLE)))
    shape.commit(overlay=True)


def _footer(page: pymupdf.Page, text: str) -> None:
    """One small line at the bottom of an unrotated page, on a light band so
    it reads over whatever the page has there."""
    rect = page.rect
    size = min(9.0, max(6.0, rect.width / 85))
    margin = size * 1.5
    line = _fit(_drawable(text), rect.width - 2 * margin, size)
    shape = page.new_shape()
    shape.draw_rect(pymupdf.Rect(margin - 2, rect.height - size * 2.2,
                                 margin + _width(line, size) + 2, rect.height - size * 0.4))
    shape.finish(width=0, color=None, fill=(1, 1, 1), fill_opacity=0.85)
    shape.insert_text((margin, rect.height - size), line, fontname=MARK_FONT, fontsize=size,
                      color=(0.25, 0.25, 0.25))
    shape.commit(overlay=True)


def _overlays(doc: pymupdf.Document, *, watermark: list[str] | None, footer: str) -> None:
    """Watermark and footer, drawn on scratch pages and laid over the
    document's pages as forms. Pages of one size share one form (drawing the
    watermark anew on each page of a long document took seconds), and the
    scratch font is cut down to the letters used, so these cost a few KB."""
    with pymupdf.open() as scratch:
        plan: list[tuple[pymupdf.Page, int]] = []
        shared: dict[tuple[float, float], int] = {}
        for page in doc:
            first = page.number == 0
            if not (watermark or first):
                continue
            size = (round(page.rect.width, 2), round(page.rect.height, 2))
            if first or size not in shared:
                sheet = scratch.new_page(width=page.rect.width, height=page.rect.height)
                sheet.insert_font(fontname=MARK_FONT, fontbuffer=font_buffer())
                if watermark:
                    _watermark(sheet, watermark)
                if first:
                    _footer(sheet, footer)
                else:
                    shared[size] = sheet.number
                plan.append((page, sheet.number))
            else:
                plan.append((page, shared[size]))
        scratch.subset_fonts()
        for page, sheet_no in plan:
            # The sheet is the page as shown, so it is turned with the page. Placed
            # on the page unrotated for the while: show_pdf_page misplaces a sheet
            # on a rotated page whose crop box is not at the origin.
            rotation = page.rotation
            if rotation:
                page.set_rotation(0)
            page.show_pdf_page(page.rect, scratch, sheet_no, rotate=rotation, overlay=True)
            if rotation:
                page.set_rotation(rotation)


def annotated_pdf(pdf: bytes, notes: Mapping[str, Any], *, title: str, owner: str,
                  watermark: list[str] | None = None, exported_at: str = "") -> bytes:
    """`pdf` with the person's notes (`read_notes`) as annotations, a footer
    and metadata naming `owner`, and with `watermark` lines tiled across every
    page when given. Raises RenderFailed if the PDF cannot be opened."""
    try:
        doc = pymupdf.open(stream=pdf, filetype="pdf")
    except (RuntimeError, ValueError, mupdf.FzErrorBase) as exc:
        raise RenderFailed() from exc
    with doc:
        try:
            _annotate(doc, notes, title=title, owner=owner, watermark=watermark,
                      exported_at=exported_at)
            return bytes(doc.tobytes(garbage=1, deflate=True))
        except (RuntimeError, ValueError, mupdf.FzErrorBase) as exc:
            raise RenderFailed("Không tạo được bản tài liệu có ghi chú.",
                               "The annotated copy could not be made.") from exc


def _annotate(doc: pymupdf.Document, notes: Mapping[str, Any], *, title: str, owner: str,
              watermark: list[str] | None, exported_at: str) -> None:
    footer = f"Ghi chú cá nhân của {owner} · {title}"
    _overlays(doc, watermark=watermark,
              footer=f"{footer} · {exported_at}" if exported_at else footer)
    budget = Budget()
    for page in doc:
        strokes, texts = page_marks(notes, page.number + 1, budget)
        _inks(page, strokes, owner, budget)
        if texts:
            # Inserted once into the file; each page only refers to it.
            font_xref = page.insert_font(fontname=FONT, fontbuffer=font_buffer())
            for note in texts:  # on top of the ink
                _free_text(page, note, owner, font_xref)
    meta = {k: v for k, v in (doc.metadata or {}).items()
            if k in ("creationDate", "producer") and v}
    doc.set_metadata({
        **meta,
        "title": f"{title} (ghi chú của {owner})",
        "author": owner,
        "subject": f"Bản tài liệu có ghi chú cá nhân của {owner}",
        "keywords": "ghi chú cá nhân; personal notes",
        "creator": "Phòng họp không giấy",
    })


def export_notes(pdf: bytes, updates: Sequence[bytes], *, title: str, owner: str,
                 watermark: list[str] | None = None, exported_at: str = "") -> bytes:
    """`annotated_pdf` of the notes document stored as `updates`: what the
    server runs in a worker, so reading the replica does not hold the loop."""
    return annotated_pdf(pdf, read_notes(updates), title=title, owner=owner,
                         watermark=watermark, exported_at=exported_at)
