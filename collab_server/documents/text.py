"""Text of a PDF for search, and Vietnamese search that ignores diacritics.

Delegates type on shared laptops, often without a Vietnamese keyboard, so
"quang binh" must find "Quảng Bình". `fold` maps every character to exactly
one character, so a match found in the folded text sits at the same offsets
in the original, and the snippet can highlight the original words.

Limitation: PDFs made with the old TCVN3 (ABC) or VNI fonts store Vietnamese
as Latin-1 look-alikes ("QuyÕt ®Þnh"); their text comes out as such.
"""

from __future__ import annotations

import html
import re
import unicodedata

import pymupdf
from pymupdf import mupdf

# Ligatures expanded (PRESERVE_LIGATURES off), odd spaces made plain
# (PRESERVE_WHITESPACE off), text outside the page ignored.
_TEXT_FLAGS = pymupdf.TEXT_MEDIABOX_CLIP

# Characters that carry no text: controls, the replacement character MuPDF
# emits for glyphs without a Unicode mapping, soft hyphens.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\u00ad]")


def extract_pages(pdf: bytes) -> list[str]:
    """One string per page: NFC, whitespace collapsed to single spaces.

    A page that is only a scanned image has no text and gives "".
    """
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return [_page_text(doc, number) for number in range(doc.page_count)]


def _page_text(doc: pymupdf.Document, number: int) -> str:
    try:
        return normalize(doc.load_page(number).get_text("text", flags=_TEXT_FLAGS))
    except (RuntimeError, ValueError, mupdf.FzErrorBase):
        # A page whose content MuPDF cannot read still shows (as far as it
        # renders); it is just not searchable. Not worth refusing the upload.
        return ""


def normalize(text: str) -> str:
    # NFC first: some PDF producers write "ậ" as a + two combining marks,
    # and search, folding and display all want one character per letter.
    text = _JUNK.sub("", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


class _FoldTable(dict[int, str]):
    """str.translate table filled on first sight of each character."""

    def __missing__(self, codepoint: int) -> str:
        folded = _fold_char(chr(codepoint))
        self[codepoint] = folded
        return folded


def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", char)[0]
    if unicodedata.combining(base):
        # A lone combining mark (text that was not NFC) must still stay one
        # character; it cannot fold into the letter before it.
        return char
    lower = base.lower()
    # "İ".lower() is two characters; keep the mapping one to one.
    return lower if len(lower) == 1 else base


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower case, without diacritics, đ as d; same length as `text`.

    Works best on NFC text (as `extract_pages` returns): a letter written
    with separate combining marks keeps them.
    """
    return text.translate(_FOLD)


_WORD = re.compile(r"\w+")


def terms(query: str) -> list[str]:
    """The query's words, folded, each once, in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(unicodedata.normalize("NFC", query))):
        seen.setdefault(word, None)
    return list(seen)


def snippet(text: str, query: str, *, width: int = 160) -> str | None:
    """About `width` characters of `text` around the first match of the
    query, as HTML: matched words in <mark>, everything else escaped.

    A word matches at the start of a word of the text ("phong" finds
    "Phòng" and "phòng"), and the whole word is marked. The excerpt centres
    on the first place the query occurs as a phrase, else on the first word
    that matches. None when no word matches.
    """
    words = terms(query)
    if not words:
        return None
    text = normalize(text)
    folded = fold(text)
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    matches = list(re.finditer(rf"(?<!\w)(?:{alternatives})\w*", folded))
    if not matches:
        return None
    phrase = re.search(r"(?<!\w)" + r"\W+".join(re.escape(w) for w in words), folded)
    anchor_start, anchor_end = phrase.span() if phrase else matches[0].span()

    start, end = _window(text, anchor_start, anchor_end, width)
    spans = _merge([m.span() for m in matches if m.start() >= start and m.end() <= end], text)
    parts = ["…"] if start > 0 else []
    pos = start
    for a, b in spans:
        parts.append(html.escape(text[pos:a]))
        parts.append(f"<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    parts.append(html.escape(text[pos:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)


def _window(text: str, anchor_start: int, anchor_end: int, width: int) -> tuple[int, int]:
    """A span of about `width` characters with the anchor a third of the way
    in, widened to whole words."""
    before = max(0, (width - (anchor_end - anchor_start)) // 3)
    start = max(0, anchor_start - before)
    end = min(len(text), max(anchor_end, start + width))
    if end == len(text):
        start = max(0, min(start, end - width))
    if start > 0:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else 0
    if end < len(text):
        space = text.find(" ", end)
        end = space if space >= 0 else len(text)
    return start, end


def _merge(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Join marks separated only by spaces: "<mark>Quảng Bình</mark>"."""
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and not text[merged[-1][1] : a].strip():
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged
