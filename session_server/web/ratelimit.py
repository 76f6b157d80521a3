"""Token-bucket rate limits per device, bridge point or connection."""

from __future__ import annotations

import math
from dataclasses import dataclass

from session_server.core.errors import InvalidInput, RateLimited

__all__ = ["Rate", "RateLimiter"]


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"6/60"``: six per sixty seconds."""
        try:
            count, seconds = text.split("/", 1)
            rate = cls(int(count), float(seconds))
        except ValueError:
            raise InvalidInput("input.bad_value", field="rate") from None
        if rate.count < 1 or rate.seconds <= 0:
            raise InvalidInput("input.bad_value", field="rate")
        return rate


class RateLimiter:
    """Token buckets: ``hit(key, now)`` spends one token or raises ``RateLimited``.

    Buckets refill continuously at ``count/seconds``; a call may give its own
    ``rate`` (a bucket sized by the event's facts, e.g. a bridge point's
    capacity). ``wait`` only looks, so several layers can be checked before
    any is charged. At most ``max_keys`` buckets are kept (the fullest are
    forgotten first, which costs nobody a token)."""

    def __init__(self, rate: Rate, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def _tokens(self, key: str, now: float, rate: Rate) -> float:
        capacity = float(rate.count)
        tokens, last = self._buckets.get(key, (capacity, now))
        return min(capacity, tokens + (now - last) * rate.count / rate.seconds)

    def wait(self, key: str, now: float, rate: Rate | None = None) -> int:
        """Seconds before ``key`` has a token (0: it has one now)."""
        rate = rate or self.rate
        tokens = self._tokens(key, now, rate)
        if tokens >= 1.0:
            return 0
        return max(1, math.ceil((1.0 - tokens) / (rate.count / rate.seconds)))

    def spend(self, key: str, now: float, rate: Rate | None = None) -> None:
        """Take one token (the caller checked ``wait``)."""
        rate = rate or self.rate
        self._buckets[key] = (self._tokens(key, now, rate) - 1.0, now)
        if len(self._buckets) > self.max_keys:
            self._prune(now)

    def check(self, key: str, now: float, rate: Rate | None = None) -> RateLimited | None:
        """``hit``, with the refusal returned instead of raised."""
        try:
            self.hit(key, now, rate)
        except RateLimited as refused:
            return refused
        return None

    def hit(self, key: str, now: float, rate: Rate | None = None) -> None:
        wait = self.wait(key, now, rate)
        if wait:
            raise RateLimited("rate.limited", seconds=wait)
        self.spend(key, now, rate)

    def _prune(self, now: float) -> None:
        """Forget the buckets that are full again (at the default rate; a
        bucket of another rate refills as fast or faster once forgotten)."""
        rate = self.rate
        full = [key for key in self._buckets if self._tokens(key, now, rate) >= rate.count]
        for key in full:
            del self._buckets[key]
