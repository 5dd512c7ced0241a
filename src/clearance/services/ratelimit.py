"""Requests-per-minute and tokens-per-minute limits as token buckets.

Each bucket holds one second of budget and refills continuously, so traffic is smooth rather
than a burst at the top of every minute (which trips providers' shorter sub-windows). The
token bucket may go into debt: an item larger than one second of token budget still runs,
and the following items wait for the debt to be repaid.
"""

from __future__ import annotations

import asyncio
import time


class _Bucket:
    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self.stamp = time.monotonic()

    def refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for(self, need: float) -> float:
        """Seconds until ``need`` can be taken (0 when it can now); debt allowed past zero."""
        self.refill()
        threshold = min(need, self.capacity)
        return 0.0 if self.level >= threshold else (threshold - self.level) / self.rate


class RateLimiter:
    def __init__(self, requests_per_minute: int | None = None, tokens_per_minute: int | None = None) -> None:
        self._req = _Bucket(requests_per_minute) if requests_per_minute else None
        self._tok = _Bucket(tokens_per_minute) if tokens_per_minute else None
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        return self._req is not None or self._tok is not None

    async def acquire(self, tokens: int) -> None:
        if not self.active:
            return
        async with self._lock:  # FIFO: waiters are served in arrival order
            while True:
                wait = 0.0
                if self._req is not None:
                    wait = max(wait, self._req.wait_for(1.0))
                if self._tok is not None:
                    wait = max(wait, self._tok.wait_for(float(tokens)))
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            if self._req is not None:
                self._req.level -= 1.0
            if self._tok is not None:
                self._tok.level -= tokens

    def settle(self, estimated: int, actual: int | None) -> None:
        """Correct the token bucket once the real usage is known."""
        if self._tok is not None and actual is not None:
            self._tok.level += estimated - actual


def estimate_tokens(text: str, max_tokens: int | None) -> int:
    # ~1 token per CJK character and per 4 Latin characters, plus the completion budget.
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    return cjk + (len(text) - cjk) // 4 + 1 + (max_tokens or 256)
