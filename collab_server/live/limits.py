"""Rate limits: a whole room shares one wifi address, so the
limits follow the socket and the account, never the IP alone."""

from __future__ import annotations

import time


class TokenBucket:
    __slots__ = ("rate", "burst", "_tokens", "_stamp")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._stamp = time.monotonic()

    def take(self, cost: float = 1.0) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens < cost:
            return False
        self._tokens -= cost
        return True

    def full(self) -> bool:
        """Back to its whole burst: forgetting this bucket loses nothing."""
        elapsed = time.monotonic() - self._stamp
        return self._tokens + elapsed * self.rate >= self.burst
