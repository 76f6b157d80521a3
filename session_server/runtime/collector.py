"""Garbage collection with many long-lived connections.

Thousands of sockets mean hundreds of thousands of long-lived objects; a
full garbage collection over them stalls the process for hundreds of
milliseconds. A media node's peer connections (aiortc: transports, tasks,
buffers, statistics) are as many again, and its packets make garbage at a
high rate: with 126 peer connections the collector took a tenth of the
event loop's time. After connections arrive (the web hub's sockets, the
media manager's peer connections), the process freezes what exists
(``gc.freeze``) so collections skip it, and thaws and collects everything
once in a long while.
"""

from __future__ import annotations

import asyncio
import gc
import time

__all__ = ["FREEZE_AFTER_SECONDS", "THAW_EVERY_SECONDS", "Collector", "collector"]

FREEZE_AFTER_SECONDS = 1.0
THAW_EVERY_SECONDS = 600.0


class Collector:
    """Process-wide garbage-collection policy for many long-lived sockets:
    freeze what exists a moment after connections arrive, so routine
    collections no longer walk it; thaw and collect fully once in a while,
    so the garbage of closed sockets is reclaimed."""

    def __init__(self) -> None:
        self._pending: asyncio.TimerHandle | None = None
        self._thawed_at = time.monotonic()

    def connections_arrived(self) -> None:
        loop = asyncio.get_running_loop()
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(FREEZE_AFTER_SECONDS, self._freeze)

    def _freeze(self) -> None:
        self._pending = None
        if time.monotonic() - self._thawed_at > THAW_EVERY_SECONDS:
            gc.unfreeze()
            gc.collect()
            self._thawed_at = time.monotonic()
        else:
            gc.collect(1)
        gc.freeze()


collector = Collector()
"""The process's one policy."""
