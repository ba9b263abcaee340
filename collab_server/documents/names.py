"""File names as people upload them, made safe to store, to list and to send
back in a `Content-Disposition` header.

An uploaded name is the uploader's text: it can carry CR/LF (header
injection in careless clients), control and format characters (U+202E turns
"hợp-đồng‮fdp.exe" into what looks like a .pdf), decomposed Vietnamese
(NFD from macOS, which compares unequal to the same word typed on Windows),
and an extension that lies about the content. What we store: NFC, controls
turned to spaces and format characters dropped, whitespace collapsed, the
stem cut to `MAX_STEM` characters, and the extension of the type we found.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_STEM = 150
FALLBACK_STEM = "tai-lieu"

# What looks like an extension someone typed (".exe", ".docx"), not the end of
# "Báo cáo v1.2" or "Nghị quyết số 12/2024".
_EXTENSION = re.compile(r"[A-Za-z][A-Za-z0-9]{0,4}")
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9 ._()+,-]+")


def clean_text(text: str) -> str:
    """NFC, no control or format characters, single spaces: for names and titles."""
    kept = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if category == "Cc" or char.isspace():
            kept.append(" ")
        elif category not in ("Cf", "Cs", "Co", "Cn"):
            kept.append(char)
    return " ".join("".join(kept).split())


# Direction overrides, embeddings and isolates: "abc\u202eXYZ" shows as
# "abcZYX", so a name or a vote's title could read other than it is.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F])


def without_bidi_controls(text: str) -> str:
    """The text as typed, lines kept, without characters that reorder it."""
    return text.translate(_BIDI_CONTROLS)


def stored_name(filename: str, extension: str) -> str:
    """The name to keep for a file whose content is of type `extension`."""
    name = clean_text(filename)
    stem, dot, given = name.rpartition(".")
    if dot and _EXTENSION.fullmatch(given):
        name = stem
    suffix = f".{extension.lower()}"
    if name.lower().endswith(suffix):
        name = name[: -len(suffix)]
    stem = name.strip(" .")[:MAX_STEM].rstrip(" .") or FALLBACK_STEM
    return stem + suffix


def ascii_name(name: str) -> str:
    """For clients that ignore `filename*`: Vietnamese letters without their
    marks, anything else outside a small safe set as `_`."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    folded = folded.encode("ascii", "ignore").decode()
    return _NOT_ASCII_SAFE.sub("_", folded).strip() or FALLBACK_STEM


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII `filename` and the exact UTF-8 `filename*`
    (RFC 6266, RFC 8187: every byte outside the unreserved set percent-encoded)."""
    return f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
