"""Failed logins and the laptops accounts signed in on, for the backoff of
`domain.throttle`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import asyncpg

from collab_server.domain.throttle import (
    ACCOUNT,
    ADDRESS,
    CLIENT,
    CLIENT_BY_ADDRESS,
    WINDOW,
    Bucket,
    wait,
)


def device_hash(device: str) -> bytes:
    return hashlib.sha256(b"device:" + device.encode()).digest()


@dataclass(frozen=True, slots=True)
class Verdict:
    client: str  # "d:<hash>" for a laptop known to the account, else "a:<address>"
    known_device: bool
    wait_s: float  # 0: the attempt may go ahead
    bucket: str  # the bucket that asks for the wait ("" when none)


_COUNT = ("SELECT count(*) AS n, extract(epoch FROM now() - max(at))::float8 AS age"
          " FROM login_failures WHERE at > now() - $1::interval AND ")


class LoginThrottle:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def attempt(self, username: str, ip: str, device: str | None) -> Verdict:
        """May this attempt go ahead? If so it is counted as a failure at once
        (forgiven by `succeeded`), under a lock per username, so that parallel
        guesses cannot all pass the check before the first one is counted."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('login:' || lower($1)))",
                               username)
            known = device is not None and bool(await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM login_devices d JOIN users u ON u.id = d.user_id"
                " WHERE d.device_hash = $1 AND lower(u.username) = lower($2))",
                device_hash(device), username))
            client = f"d:{device_hash(device).hex()}" if known and device else f"a:{ip}"
            own = CLIENT if known else CLIENT_BY_ADDRESS
            rows: list[tuple[Bucket, asyncpg.Record]] = [(own, await conn.fetchrow(
                _COUNT + "lower(username) = lower($2) AND client = $3", WINDOW, username,
                client))]
            if not known:
                rows.append((ACCOUNT, await conn.fetchrow(
                    _COUNT + "lower(username) = lower($2) AND NOT known_device", WINDOW,
                    username)))
                rows.append((ADDRESS, await conn.fetchrow(
                    _COUNT + "ip = $2 AND NOT known_device", WINDOW, ip)))
            longest, name = max((wait(bucket, int(row["n"]), row["age"]), bucket.name)
                                for bucket, row in rows)
            if longest <= 0:
                await conn.execute(
                    "INSERT INTO login_failures (username, ip, client, known_device)"
                    " VALUES ($1, $2, $3, $4)", username[:100], ip, client, known)
        return Verdict(client, known, longest, name if longest > 0 else "")

    async def forgive(self, username: str, verdict: Verdict) -> None:
        """The right password: this client's own failures (this attempt's
        included) are forgiven. Those of other clients, and of unknown clients
        towards the account, stay: the owner signing in must not reset a
        guesser's wait."""
        async with self.pool.acquire() as conn:
            await conn.execute(
                "DELETE FROM login_failures WHERE (lower(username) = lower($1) AND client = $2)"
                " OR at < now() - interval '1 day'", username, verdict.client)

    async def succeeded(self, user_id: int, username: str, verdict: Verdict,
                        device: str) -> None:
        """Forgiven, and the laptop becomes known to the account."""
        await self.forgive(username, verdict)
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO login_devices (device_hash, user_id) VALUES ($1, $2)"
                " ON CONFLICT (device_hash, user_id) DO UPDATE SET last_login_at = now()",
                device_hash(device), user_id)
