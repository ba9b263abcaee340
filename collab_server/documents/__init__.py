"""The document engine: bytes in, bytes or data out; no database, no HTTP.

validate   is this upload a whole, sane PDF; a copy without active content
convert    Office files to PDF with LibreOffice
text       page text, Vietnamese search without diacritics, snippets
render     a page as a WebP or PNG image of a given width; the watermark
cache      rendered pages on disk and in memory, one render per page
pool       worker processes for PyMuPDF work
ingest     an upload made ready to serve, in one call
errors     what can go wrong, as AppError
"""
