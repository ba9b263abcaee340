"""An uploaded PDF made ready to serve, in one call: checked, cleaned, its
text extracted, its content address computed.

This is PyMuPDF work that holds the GIL for seconds on a long document:
run it in a worker (`await pool.run(ingest_pdf, data, timeout=...)`), not on
the event loop. Everything in `Ingested` pickles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from collab_server.documents.text import extract_pages
from collab_server.documents.validate import MAX_PAGES, PdfInfo, cleaned, inspect_pdf


@dataclass(frozen=True, slots=True)
class Ingested:
    info: PdfInfo
    pdf: bytes
    """The cleaned copy: the one to store and serve."""
    sha256: str
    """Hex digest of `pdf`: the PageCache key."""
    texts: list[str]
    """One string per page, for search."""
    active: bool = False
    """The upload had scripts, attachments or launch actions (not in `pdf`)."""


def ingest_pdf(data: bytes, *, max_pages: int = MAX_PAGES) -> Ingested:
    info = inspect_pdf(data, max_pages=max_pages)
    pdf, active = cleaned(data)
    return Ingested(
        info=info,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        texts=extract_pages(pdf),
        active=active,
    )
