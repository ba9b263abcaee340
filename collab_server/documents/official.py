"""Administrative documents in the layout of Decree 30/2020/NĐ-CP: minutes
(biên bản), notices (thông báo), poll results.

A4; margins top 20 mm, bottom 20 mm, left 30 mm, right 15 mm (the smallest
of the ranges the decree allows, as most offices set them). On the first
page: the body's name in capitals on the left with the number under it, the
national motto on the right with its second line underlined and the place
and date under it; then the kind of document and its subject, centred. The
text flows over as many pages as it needs, justified, first lines indented;
page numbers from the second page, centred in the top margin. Signature
blocks side by side after the text, and "Nơi nhận:" below them.

Every glyph comes from a font embedded in the file (Liberation Serif, the
free metric twin of Times New Roman, or Noto Sans without it): PyMuPDF's
Base14 fonts lack letters such as ạ ả ậ ỉ ọ ộ Ủ ự. Pure and CPU-bound: call
it in the worker processes.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pymupdf

MM = 72 / 25.4
PAGE = pymupdf.paper_rect("a4")
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 20 * MM, 20 * MM, 30 * MM, 15 * MM
BODY = pymupdf.Rect(MARGIN_LEFT, MARGIN_TOP, PAGE.width - MARGIN_RIGHT,
                    PAGE.height - MARGIN_BOTTOM)
# The header's columns: the body's name (left), the national motto (right).
LEFT_COLUMN = 65 * MM
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"

_SERIF = Path("/usr/share/fonts/truetype/liberation2")
_FACES = {
    # style: (Liberation Serif file, pymupdf-fonts name of the Noto Sans fallback)
    "regular": ("LiberationSerif-Regular.ttf", "notos"),
    "bold": ("LiberationSerif-Bold.ttf", "notosbo"),
    "italic": ("LiberationSerif-Italic.ttf", "notosit"),
    "bolditalic": ("LiberationSerif-BoldItalic.ttf", "notosbi"),
}
_HEADING = re.compile(r"^\s*[IVXLC]+\s*[.)]\s*\S")


@dataclass(frozen=True, slots=True)
class Signature:
    title: str  # "THƯ KÝ", "CHỦ TỌA"
    name: str


@dataclass(frozen=True, slots=True)
class OfficialDocument:
    organ: str  # the issuing body, as named; printed in capitals
    number: str  # "Số: 12/BB-STN"
    place_date: str  # "Hà Tĩnh, ngày 15 tháng 12 năm 2026"
    kind: str  # "BIÊN BẢN", "THÔNG BÁO"
    subject: str  # the meeting's title, or "Kết luận của ... tại ..."
    text: str  # paragraphs, one per line
    signatures: tuple[Signature, ...] = ()
    recipients: tuple[str, ...] = ()
    author: str = ""


@cache
def font_files() -> dict[str, bytes]:
    """TrueType bytes of each face (bytes, never paths: the fallback lives
    inside a Python module, not in a file)."""
    if all((_SERIF / name).is_file() for name, _ in _FACES.values()):
        return {style: (_SERIF / name).read_bytes() for style, (name, _) in _FACES.items()}
    return {style: bytes(pymupdf.Font(builtin).buffer)
            for style, (_, builtin) in _FACES.items()}


def _archive() -> pymupdf.Archive:
    archive = pymupdf.Archive()
    for style, data in font_files().items():
        archive.add(data, f"{style}.ttf")
    return archive


_CSS = """
@font-face {font-family: vn; src: url(regular.ttf);}
@font-face {font-family: vn; src: url(bold.ttf); font-weight: bold;}
@font-face {font-family: vn; src: url(italic.ttf); font-style: italic;}
@font-face {font-family: vn; src: url(bolditalic.ttf); font-weight: bold; font-style: italic;}
* {font-family: vn; font-size: 13pt; line-height: 1.2;}
body {margin: 0; padding: 0;}
p {margin: 0 0 6pt 0; text-indent: 1cm; text-align: justify;}
p.h {text-indent: 0; font-weight: bold; margin-top: 6pt; text-align: left;}
p.c {text-indent: 0; text-align: center; margin: 0;}
p.gap {margin: 0 0 0 0;}
.organ {font-size: 12pt; font-weight: bold;}
.motto {font-size: 12pt; font-weight: bold;}
.motto2 {font-size: 13pt; font-weight: bold; text-decoration: underline;}
.date {font-style: italic;}
.kind {font-size: 14pt; font-weight: bold;}
.subject {font-size: 14pt; font-weight: bold;}
.sign {font-weight: bold;}
.to-item {font-size: 11pt; text-indent: 0; text-align: left; margin: 0;}
.to-head {font-size: 12pt; font-weight: bold; font-style: italic; text-indent: 0;
          text-align: left; margin: 0;}
"""


@cache
def _top() -> float:
    """Where text starts below the top margin. MuPDF sizes line boxes from
    the font's ascent: Liberation Serif's fits within the line, Noto Sans's
    (made tall for stacked marks such as "Ỗ") reaches about 2 pt above it,
    so with Noto the text starts that much lower, still inside 20-25 mm."""
    font = pymupdf.Font(fontbuffer=font_files()["regular"])
    return MARGIN_TOP + max(0.0, float(font.ascender) - 0.9) * 14


def _story(markup: str) -> pymupdf.Story:
    return pymupdf.Story(html=markup, user_css=_CSS, archive=_archive())


def _centred(css_class: str, text: str) -> str:
    # The class on the paragraph itself: a smaller span in a larger paragraph
    # would sit in a line box sized for the paragraph's font.
    lines = "<br/>".join(html.escape(line, quote=False) for line in text.split("\n"))
    return f'<p class="c {css_class}">{lines}</p>'


def paragraphs(text: str) -> str:
    """The text as HTML: a paragraph per line, headings in bold, blank lines
    as space."""
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            out.append('<p class="gap">&#160;</p>' if out else "")
            continue
        escaped = html.escape(line.strip(), quote=False)
        out.append(f'<p class="h">{escaped}</p>' if _HEADING.match(line) else f"<p>{escaped}</p>")
    return "\n".join(out)


def _place(story: pymupdf.Story, where: pymupdf.Rect) -> tuple[bool, pymupdf.Rect]:
    """Lay out what fits in `where`: whether more remains, and the box filled."""
    more, filled = story.place(where)
    return bool(more), pymupdf.Rect(filled)


def _height(markup: str, width: float) -> float:
    _, filled = _place(_story(markup), pymupdf.Rect(0, 0, width, 10_000))
    return float(filled.height)


def render(document: OfficialDocument) -> bytes:
    """The PDF. The text extracted back from it is the document's text."""
    out = io.BytesIO()
    writer = pymupdf.DocumentWriter(out)
    underlines: list[tuple[int, float, float, float]] = []  # page, x0, x1, y

    # First page: the header in two columns, then the title.
    device = writer.begin_page(PAGE)
    page_no = 0
    top = _top()
    page_frame = pymupdf.Rect(BODY.x0, top, BODY.x1, BODY.y1)
    left = pymupdf.Rect(BODY.x0, top, BODY.x0 + LEFT_COLUMN, top + 200)
    right = pymupdf.Rect(left.x1, top, BODY.x1, top + 200)
    organ = _story(_centred("organ", document.organ.upper()))
    _, organ_box = _place(organ, left)
    organ.draw(device)
    # Under the body's name a short line, a third to a half of its width.
    rule_y = organ_box.y1 + 2
    underlines.append((page_no, left.x0 + left.width * 0.35, left.x1 - left.width * 0.35,
                       rule_y))
    number = _story(_centred("number", document.number))
    _, number_box = _place(number, pymupdf.Rect(left.x0, rule_y + 6, left.x1, left.y1))
    number.draw(device)
    motto = _story(_centred("motto", MOTTO) + _centred("motto2", MOTTO_2))
    _, motto_box = _place(motto, right)
    motto.draw(device)
    date = _story(_centred("date", document.place_date))
    _, date_box = _place(date, pymupdf.Rect(right.x0, motto_box.y1 + 8, right.x1, right.y1))
    date.draw(device)
    below = max(number_box.y1, date_box.y1) + 18
    title = _story(_centred("kind", document.kind) + _centred("subject", document.subject))
    _, title_box = _place(title, pymupdf.Rect(BODY.x0, below, BODY.x1, BODY.y1))
    title.draw(device)
    where = pymupdf.Rect(BODY.x0, title_box.y1 + 14, BODY.x1, BODY.y1)

    # The text, over as many pages as it takes.
    body = _story(paragraphs(document.text))
    while True:
        more, filled = _place(body, where)
        body.draw(device)
        if not more:
            break
        writer.end_page()
        device = writer.begin_page(PAGE)
        page_no += 1
        where = page_frame
    y = float(filled.y1) + 12 if filled.height > 0 else where.y0

    # Signatures side by side, then "Nơi nhận:", on a new page if they do not fit.
    columns = _signature_columns(len(document.signatures))
    signs = _signature_markup(document.signatures)
    to = _recipients_markup(document.recipients)
    needed = max((_height(m, x1 - x0) for m, (x0, x1) in zip(signs, columns, strict=True)),
                 default=0.0) + (_height(to, BODY.width / 2) + 10 if to else 0.0)
    if y + needed > BODY.y1:
        writer.end_page()
        device = writer.begin_page(PAGE)
        page_no += 1
        y = top
    bottom = y
    for markup, (x0, x1) in zip(signs, columns, strict=True):
        story = _story(markup)
        _, box = _place(story, pymupdf.Rect(x0, y, x1, BODY.y1))
        story.draw(device)
        bottom = max(bottom, float(box.y1))
    if to:
        story = _story(to)
        _place(story, pymupdf.Rect(BODY.x0, bottom + 10, BODY.x0 + BODY.width / 2, BODY.y1))
        story.draw(device)
    writer.end_page()
    writer.close()
    return _finish(out.getvalue(), underlines, document)


def _signature_columns(count: int) -> list[tuple[float, float]]:
    """Side by side across the text width; a single signer sits on the right
    half, where the decree places the signature."""
    if count == 1:
        return [(BODY.x0 + BODY.width / 2, BODY.x1)]
    width = BODY.width / max(1, count)
    return [(BODY.x0 + i * width, BODY.x0 + (i + 1) * width) for i in range(count)]


def _signature_markup(signatures: tuple[Signature, ...]) -> list[str]:
    # The space between title and name is where the signature goes.
    return [_centred("sign", s.title) + '<p class="c sign" style="margin-top: 70pt">'
            f'{html.escape(s.name, quote=False)}</p>' for s in signatures]


def _recipients_markup(recipients: tuple[str, ...]) -> str:
    if not recipients:
        return ""
    items = "".join(f'<p class="to-item">{html.escape(r, quote=False)}</p>' for r in recipients)
    return f'<p class="to-head">Nơi nhận:</p>{items}'


def _finish(pdf: bytes, underlines: list[tuple[int, float, float, float]],
            document: OfficialDocument) -> bytes:
    """Lines, page numbers and metadata; fonts cut down to the glyphs used."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        for page_no, x0, x1, y in underlines:
            doc[page_no].draw_line((x0, y), (x1, y), color=(0, 0, 0), width=0.6)
        regular = font_files()["regular"]
        font = pymupdf.Font(fontbuffer=regular)
        for page in list(doc)[1:]:
            label = str(page.number + 1)
            size = 13.0
            width = font.text_length(label, size)
            page.insert_font(fontname="vnpage", fontbuffer=regular)
            page.insert_text(((PAGE.width - width) / 2, MARGIN_TOP / 2 + size / 3), label,
                             fontname="vnpage", fontsize=size)
        doc.set_metadata({
            "title": f"{document.kind} - {document.subject}"[:500],
            "author": document.author[:200],
            "creator": "Phòng họp không giấy",
            "producer": "Phòng họp không giấy (PyMuPDF)",
        })
        doc.subset_fonts()
        data: bytes = doc.tobytes(garbage=4, deflate=True)
    return data
