"""The document engine: bytes in, bytes or data out; no database, no HTTP.

validate   is this upload a whole, sane PDF; a copy without active content
convert    Office files to PDF with LibreOffice
text       page text, Vietnamese search without diacritics, snippets
render     a page as a WebP or PNG image of a given width; the watermark
cache      rendered pages on disk and in memory, one render per page
prepared   watermarked pages made ahead of a page turn, per reader, in memory
pool       worker processes for PyMuPDF work
ingest     an upload made ready to serve, in one call
errors     what can go wrong, as AppError
"""

from __future__ import annotations

import sys

# PyMuPDF 2 imports its optional page-layout analysis and Markdown export
# (numpy and onnxruntime: about 0.7 s of CPU and tens of MB) in every process
# that imports it, and they are installed with PyMuPDF. We never use them
# (text comes from get_text, tables are not analysed), so the server and each
# render worker skip them: an entry of None in sys.modules makes that import
# fail, and PyMuPDF carries on without it (tests/test_documents.py checks).
for _optional in ("pymupdf.layout", "pymupdf4llm"):
    sys.modules.setdefault(_optional, None)  # type: ignore[arg-type]
