"""Meeting roles and what each may read and write live."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    DELEGATE = "delegate"
    GUEST = "guest"
    DISPLAY = "display"


# Notes are personal: a display has no person behind it.
MAY_TAKE_NOTES = frozenset({Role.CHAIR, Role.SECRETARY, Role.DELEGATE, Role.GUEST})
