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
    """``hit(key, now)`` spends one token or raises ``RateLimited``.

    Buckets refill continuously at ``count/seconds``; at most ``max_keys``
    are kept (the fullest are forgotten first, which costs nobody a token)."""

    def __init__(self, rate: Rate, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, key: str, now: float) -> RateLimited | None:
        """``hit``, with the refusal returned instead of raised."""
        try:
            self.hit(key, now)
        except RateLimited as refused:
            return refused
        return None

    def hit(self, key: str, now: float) -> None:
        capacity = float(self.rate.count)
        per_second = self.rate.count / self.rate.seconds
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * per_second)
        if tokens < 1.0:
            wait = math.ceil((1.0 - tokens) / per_second)
            self._buckets[key] = (tokens, now)
            raise RateLimited("rate.limited", seconds=wait)
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_keys:
            self._prune(now)

    def _prune(self, now: float) -> None:
        per_second = self.rate.count / self.rate.seconds
        full = [
            k
            for k, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * per_second >= self.rate.count
        ]
        for key in full:
            del self._buckets[key]
