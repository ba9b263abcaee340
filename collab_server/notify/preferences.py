"""Each person's channels and addresses (schema/024 `notification_settings`)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg

# What a mail server accepts from a person typing their address; not RFC 5322
# in full (quoted local parts are no one's work address).
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# A Vietnamese mobile (0912 345 678) or an international number (+84 912 345 678).
PHONE_DIGITS = (9, 15)


@dataclass(frozen=True, slots=True)
class Preferences:
    email: str = ""
    phone: str = ""
    by_email: bool = True
    by_gateway: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def clean_email(value: str) -> str | None:
    """The address as stored, "" for none, None when it is not one."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > 254 or not EMAIL_RE.match(value):
        return None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_phone(value: str) -> str | None:
    """Digits only, with a leading + kept; "" for none, None when it is not one."""
    value = value.strip()
    if not value:
        return ""
    plus = value.startswith("+")
    digits = re.sub(r"[\s.()-]", "", value[1:] if plus else value)
    if not digits.isdigit() or not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        return None
    return ("+" if plus else "") + digits


async def get(pool: asyncpg.Pool, user_id: int) -> Preferences:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT email, phone, by_email, by_gateway FROM notification_settings"
            " WHERE user_id = $1", user_id)
    return Preferences(**dict(row)) if row is not None else Preferences()


async def save(pool: asyncpg.Pool, user_id: int, prefs: Preferences) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO notification_settings (user_id, email, phone, by_email, by_gateway)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET email = $2,"
            " phone = $3, by_email = $4, by_gateway = $5, updated_at = now()",
            user_id, prefs.email, prefs.phone, prefs.by_email, prefs.by_gateway)
