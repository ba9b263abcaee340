"""CSV the project writes, made safe to open in a spreadsheet program.

A cell that starts with `=`, `+`, `-` or `@` (or a tab, a carriage return or
a line feed before one) is read by Excel and LibreOffice as a formula: a poll
option or a person's name could run `=HYPERLINK(...)` or a DDE command on the
clerk's machine. Such a cell gets a leading single quote, as OWASP advises;
spreadsheets show the text without it, and a reader of the raw file still
sees every character. Every CSV leaves through `csv_bytes`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def inert(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_bytes(rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a byte order mark, so spreadsheet programs read Vietnamese."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([inert(c) for c in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")
