"""Is this upload a PDF we can serve, and a copy of it without active content.

What counts as broken, and why:

- *Not a PDF*: no `%PDF-` header near the start, or MuPDF does not open it
  as a PDF (MuPDF sniffs content, so a DOCX named .pdf opens as a DOCX).
- *Truncated*: MuPDF repairs a cut-off file silently and hands back the
  pages it could still find, so opening is no proof the upload is whole.
  A complete PDF ends with `%%EOF` (readers look for it in the last 1024
  bytes, as the spec allows trailing junk); an upload cut off by a dropped
  connection almost never does. No `%%EOF` there: refused.
- *Repaired*: a file whose cross-reference table is wrong but whose end is
  intact is common in the wild (tools that edit without fixing offsets,
  gateways that rewrite line ends) and Acrobat opens it without a word.
  We accept it if every page loads, report `repaired=True`, and
  `clean_pdf` writes a fresh cross-reference table so what we serve is sound.
- *Encrypted*: a user password we do not have. Owner-only "encryption"
  (permissions) opens without a password: accepted, and the clean copy
  written without it, only if it lets readers print and copy; a file that
  forbids either is refused (`RestrictedPdf`) rather than served without
  the limits its author set.
- *Sizes*: a side under 1 cm or over 5 m is a broken or hostile file, not a
  meeting document. Pages also stay within 1:8, so a page rendered at a fixed
  width stays within WebP's 16383-pixel limit and a sane amount of memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import pymupdf
from pymupdf import mupdf

from collab_server.documents.errors import (
    BadPageSize,
    CorruptPdf,
    EmptyPdf,
    EncryptedPdf,
    NotPdf,
    RestrictedPdf,
    TooManyPages,
)

MAX_PAGES = 2000
POINTS_PER_CM = 72 / 2.54
MIN_SIDE = 1 * POINTS_PER_CM
MAX_SIDE = 500 * POINTS_PER_CM
MAX_ASPECT = 8.0

# Acrobat accepts the header anywhere in the first 1024 bytes, the trailer
# anywhere in the last 1024; we allow the same slack.
_HEAD = 1024
_TAIL = 1024

# Actions that run code, open other files or send data somewhere. Web links
# and page jumps (GoTo, Named) stay: they are how a reader follows a table of
# contents or a cited law; a URI action stays only for the schemes below
# (not javascript:, not file: or \\server\share, which leak credentials).
_ACTIVE_ACTIONS = frozenset(
    {
        "JavaScript",
        "Launch",
        "SubmitForm",
        "ImportData",
        "GoToE",
        "GoToR",
        "Rendition",
        "RichMediaExecute",
        "Sound",
        "Movie",
    }
)
_SAFE_URI_SCHEMES = ("http:", "https:", "mailto:")
# Keys removed wherever they appear: triggers (OpenAction, AA), action
# chains (Next), embedded and associated files (EF, AF, EmbeddedFiles),
# the document-level script tree (JavaScript) and XFA forms, which carry
# scripts of their own.
_ACTIVE_KEYS = frozenset(
    {"OpenAction", "AA", "Next", "EF", "AF", "EmbeddedFiles", "JavaScript", "XFA"}
)
# What readers do with a document here: read its text (copy), export an
# annotated copy or download it (print).
_READER_NEEDS = pymupdf.PDF_PERM_PRINT | pymupdf.PDF_PERM_COPY
# Direct objects nest this deep at most in real files; deeper is an attack
# on our recursion.
_MAX_NESTING = 64


class PageSize(NamedTuple):
    """A page as displayed (rotation applied), in points (1/72 inch)."""

    width: float
    height: float


@dataclass(frozen=True, slots=True)
class PdfInfo:
    page_count: int
    page_sizes: tuple[PageSize, ...]
    repaired: bool
    """MuPDF had to rebuild the cross-reference table (see the module doc)."""


def inspect_pdf(data: bytes, *, max_pages: int = MAX_PAGES) -> PdfInfo:
    """Check that `data` is a whole, readable PDF of sane pages; describe it.

    Raises NotPdf, CorruptPdf, EncryptedPdf, RestrictedPdf, EmptyPdf,
    TooManyPages or BadPageSize.
    """
    doc = open_pdf(data)
    try:
        if doc.permissions & _READER_NEEDS != _READER_NEEDS:
            raise RestrictedPdf()
        try:
            count = doc.page_count
        except (RuntimeError, ValueError, mupdf.FzErrorBase) as exc:
            # A page tree whose /Count lies ("Invalid number of pages").
            raise CorruptPdf() from exc
        if count == 0:
            raise EmptyPdf()
        if count > max_pages:
            raise TooManyPages(
                f"Tài liệu có {doc.page_count} trang, vượt giới hạn {max_pages} trang.",
                f"The document has {doc.page_count} pages, over the limit of {max_pages}.",
            )
        pages = []
        for number in range(doc.page_count):
            try:
                rect = doc.load_page(number).rect
            except (RuntimeError, ValueError, mupdf.FzErrorBase) as exc:
                raise CorruptPdf() from exc
            size = PageSize(round(rect.width, 2), round(rect.height, 2))
            _check_size(number + 1, size)
            pages.append(size)
        return PdfInfo(doc.page_count, tuple(pages), repaired=bool(doc.is_repaired))
    finally:
        doc.close()


def clean_pdf(data: bytes) -> bytes:
    """A copy of the PDF without JavaScript, embedded or attached files,
    launch and open actions, written with a fresh cross-reference table and
    without encryption (`cleaned`, without saying what it removed)."""
    return cleaned(data)[0]


def cleaned(data: bytes) -> tuple[bytes, bool]:
    """`clean_pdf`, and whether there was anything active to remove.

    Not `Document.scrub()`: it only blanks scripts kept as objects of their
    own, misses scripts written inline (in an /OpenAction, an /AA, the
    catalog's /Names), leaves launch actions, and its other options (drop
    every link, redact hidden text, clear metadata) change what the reader
    sees. We walk every object, nested dictionaries included, with MuPDF's
    own bindings, which also delete keys rather than set them to null.
    """
    doc = open_pdf(data)
    try:
        active = 0
        for name in doc.embfile_names():
            doc.embfile_del(name)
            active += 1
        for page in doc:
            for annot in list(page.annots(types=[pymupdf.PDF_ANNOT_FILE_ATTACHMENT])):
                page.delete_annot(annot)
                active += 1
        active += _strip_active(doc)
        out = bytes(doc.tobytes(garbage=3, deflate=True, encryption=pymupdf.PDF_ENCRYPT_NONE))
        return out, active > 0
    finally:
        doc.close()


def open_pdf(data: bytes) -> pymupdf.Document:
    """Open `data` as a PDF that is whole and needs no password."""
    if b"%PDF-" not in data[:_HEAD]:
        raise NotPdf()
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except (RuntimeError, ValueError, mupdf.FzErrorBase) as exc:
        # The header is there but nothing past it parses: garbage or a file
        # cut off right after its start.
        raise CorruptPdf() from exc
    if not doc.is_pdf:
        doc.close()
        raise NotPdf()
    if doc.needs_pass:
        doc.close()
        raise EncryptedPdf()
    if b"%%EOF" not in data[-_TAIL:]:
        doc.close()
        raise CorruptPdf()
    return doc


def _check_size(page_no: int, size: PageSize) -> None:
    short, long = sorted((size.width, size.height))
    if short < MIN_SIDE or long > MAX_SIDE or long / short > MAX_ASPECT:
        w_cm, h_cm = size.width / POINTS_PER_CM, size.height / POINTS_PER_CM
        raise BadPageSize(
            f"Trang {page_no} có kích thước bất thường ({w_cm:.1f} × {h_cm:.1f} cm).",
            f"Page {page_no} has an implausible size ({w_cm:.1f} × {h_cm:.1f} cm).",
        )


def _strip_active(doc: pymupdf.Document) -> int:
    """How many active things were removed."""
    pdf = mupdf.pdf_document_from_fz_document(doc.this)
    removed = 0
    for xref in range(1, mupdf.pdf_xref_len(pdf)):
        try:
            obj = mupdf.pdf_load_object(pdf, xref)
        except mupdf.FzErrorBase:
            continue  # a free or unreadable entry: nothing to strip, not written out
        removed += _strip(obj, 0)
    return removed


def _strip(obj: mupdf.PdfObj, depth: int) -> int:
    """Remove active content from one object and the direct objects inside it
    (indirect ones are visited as objects of their own); how many were."""
    if depth > _MAX_NESTING:
        raise CorruptPdf()
    if mupdf.pdf_is_array(obj):
        removed = 0
        for i in range(mupdf.pdf_array_len(obj)):
            item = mupdf.pdf_array_get(obj, i)
            if not mupdf.pdf_is_indirect(item):
                removed += _strip(item, depth + 1)
        return removed
    if not mupdf.pdf_is_dict(obj):
        return 0
    # By index, never by name: a key need not be UTF-8 (/A#80B is legal PDF) and
    # SWIG cannot pass such a name back to MuPDF as a string.
    if _is_active(obj):
        # An active action, wherever it sits: emptied, so whatever points to
        # it points to nothing that runs.
        for i in reversed(range(mupdf.pdf_dict_len(obj))):
            mupdf.pdf_dict_del(obj, mupdf.pdf_dict_get_key(obj, i))
        return 1
    removed = 0
    for i in reversed(range(mupdf.pdf_dict_len(obj))):
        key_obj = mupdf.pdf_dict_get_key(obj, i)
        value = mupdf.pdf_dict_get_val(obj, i)
        key = _name(key_obj)
        if key in _ACTIVE_KEYS or (key == "A" and _is_active(value)):
            mupdf.pdf_dict_del(obj, key_obj)
            removed += 1
        elif not mupdf.pdf_is_indirect(value):
            removed += _strip(value, depth + 1)
    return removed


def _name(obj: mupdf.PdfObj) -> str | None:
    try:
        return str(mupdf.pdf_to_name(obj))
    except (TypeError, UnicodeDecodeError):
        return None  # not UTF-8: none of the active keys


def _is_active(obj: mupdf.PdfObj) -> bool:
    """Whether a dictionary (or the one a reference points to) is an action
    we do not let through."""
    kind = mupdf.pdf_to_name(mupdf.pdf_dict_gets(obj, "S"))
    if kind == "URI":
        uri = str(mupdf.pdf_to_text_string(mupdf.pdf_dict_gets(obj, "URI")))
        return not uri.strip().lower().startswith(_SAFE_URI_SCHEMES)
    return kind in _ACTIVE_ACTIONS
