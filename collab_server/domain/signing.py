"""How a body's documents are signed and headed (Decree 30/2020/NĐ-CP,
Appendix I): the place in the date line, the signer's title without the
name of the body it belongs to, and the authority lines above it.

A collective body signs "TM." (on behalf of) over the title of its head;
when a deputy of the head signs, "KT." (for the head) over the deputy's own
title; anyone else signs "TL." (by order of) the head. A People's
Committee's notice signed by a vice-chair reads:

    TM. ỦY BAN NHÂN DÂN
    KT. CHỦ TỊCH
    PHÓ CHỦ TỊCH
    (signature)
    Nguyễn Văn A
"""

from __future__ import annotations

import re
import unicodedata

# Words that start the name of a body inside a person's title: "Chủ tịch
# UBND tỉnh" is the "Chủ tịch" of the "UBND tỉnh".
_ORGAN = re.compile(
    r"\s+(?:UBND|HĐND|Ủy ban|Uỷ ban|Hội đồng nhân dân|Tỉnh ủy|Tỉnh uỷ|tỉnh|thành phố|huyện"
    r"|quận|thị xã|xã|phường)(?:\s|$)", re.IGNORECASE)
# Long and short forms of the same body, for comparing a title with a unit.
_SHORT = (("ủy ban nhân dân", "ubnd"), ("uỷ ban nhân dân", "ubnd"),
          ("hội đồng nhân dân", "hđnd"))
_PLACE = re.compile(r"(?:tỉnh|thành phố|huyện|quận|thị xã)\s+([^()]+?)\s*(?:\(.*\))?$",
                    re.IGNORECASE)


def _folded(text: str) -> str:
    out = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    for long, short in _SHORT:
        out = out.replace(long, short)
    return out


def title_names_unit(title: str, unit: str) -> bool:
    """"Chủ tịch UBND tỉnh" already says "UBND tỉnh" (or "Ủy ban nhân dân tỉnh")."""
    return bool(unit.strip()) and _folded(unit) in _folded(title)


def described(name: str, title: str, unit: str) -> str:
    """"Name, title, unit", the unit left out when the title names it."""
    parts = [name, title] + ([] if title_names_unit(title, unit) else [unit])
    return ", ".join(p.strip() for p in parts if p.strip())


def own_title(title: str) -> str:
    """The title without the body it belongs to: "Phó Chủ tịch UBND tỉnh" is
    signed "PHÓ CHỦ TỊCH" under the body's own name."""
    match = _ORGAN.search(title)
    return (title[:match.start()] if match else title).strip()


def signature_title(authority: str, head: str, signer_title: str, fallback: str) -> str:
    """The lines above the signature, in capitals, one per line."""
    lines = [line.strip().upper() for line in authority.split("\n") if line.strip()]
    own = own_title(signer_title).upper()
    head = head.strip().upper()
    if not head:
        lines.append(own or fallback)
    elif not own or own == head:
        lines.append(head)
    elif own == f"PHÓ {head}":
        lines += [f"KT. {head}", own]
    else:
        lines = [f"TL. {head}", own]
    return "\n".join(lines)


def place_of(place: str, body_name: str) -> str:
    """The place in the date line: the body's setting, else the province or
    district its name ends with ("Ủy ban nhân dân tỉnh Quảng Bình")."""
    if place.strip():
        return place.strip()
    match = _PLACE.search(body_name.strip())
    return match.group(1).strip() if match else ""


SECRETARY_BLOCK = "THƯ KÝ"


def signer_block(layout_signatures: list[list[str]], full_name: str,
                 is_secretary: bool, is_chair: bool) -> tuple[str, str] | None:
    """The signature block (title, name) a person signs digitally, or None:
    their name is on it and they hold the meeting role it stands for, the
    secretary "THƯ KÝ", the chair any other block."""
    for title, name in layout_signatures:
        secretary_block = str(title).strip() == SECRETARY_BLOCK
        holds = is_secretary if secretary_block else is_chair
        if holds and str(name).strip() and str(name).strip() == full_name.strip():
            return str(title), str(name)
    return None
