"""Phòng họp không giấy: the live meeting server."""

from __future__ import annotations

__version__ = "0.1.0"
