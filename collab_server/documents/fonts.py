"""A font that has every Vietnamese letter, for text we draw ourselves
(watermarks, generated PDFs).

Liberation Sans (Debian's `fonts-liberation2`) when installed; otherwise Noto
Sans from the `pymupdf-fonts` wheel, which ships it not as a .ttf file but
as a compressed buffer inside a Python module, so callers get bytes, never a
path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

# liberation2 first: the older `fonts-liberation` (1.x) lacks some glyphs.
_SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf"),  # Fedora
)

# Every letter of Vietnamese, lower and upper case: checks that a font is fit.
VIETNAMESE_LETTERS = (
    "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ"
)
VIETNAMESE_LETTERS += VIETNAMESE_LETTERS.upper()


@cache
def font_buffer() -> bytes:
    """TrueType bytes of a sans-serif font with every Vietnamese glyph."""
    for path in _SYSTEM_FONTS:
        if path.is_file():
            return path.read_bytes()
    import pymupdf

    # "notos" is pymupdf-fonts' name for Noto Sans Regular.
    return bytes(pymupdf.Font("notos").buffer)
