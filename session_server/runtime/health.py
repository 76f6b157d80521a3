"""Whether the event log can be used now, the same way for every store.

Two things make a log usable, and each is reported as it is found:

- **written**: every append a session makes reports it
  (:meth:`LogHealth.report_write`): one that raises ``Unavailable`` (a full
  disk, a locked file, a Redis out of memory or out of reach) reports the
  log down, the next that succeeds reports it up. While it is down, a light
  probe (:meth:`EventLog.probe`: a tiny write and commit) runs every
  ``PROBE_SECONDS``, so a recovery shows even when nobody sends a command;
- **followed** (a log other processes append to, Redis): the tailer reports
  its link (:meth:`LogHealth.report_link`, ``runtime/tail.py``).

``ok`` is both; each listener hears every change of it once (the registry
tells every hub, and the screens' status bar shows ``log.unavailable``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from session_server.core.errors import Unavailable
from session_server.store.base import EventLog

__all__ = ["PROBE_SECONDS", "LogHealth"]

logger = logging.getLogger(__name__)

PROBE_SECONDS = 2.0
"""How often a log reported down is probed."""


class LogHealth:
    def __init__(self, log: EventLog, *, probe_seconds: float = PROBE_SECONDS) -> None:
        self.log = log
        self.probe_seconds = probe_seconds
        self.listeners: list[Callable[[bool], None]] = []
        """Called with the new ``ok`` each time it changes."""
        self.written = True
        """The last append (or probe) succeeded."""
        self.linked = True
        """The tailer follows the log (always, for a log nobody else appends to)."""
        self._probe: asyncio.Task[None] | None = None

    @property
    def ok(self) -> bool:
        return self.written and self.linked

    def report_write(self, ok: bool) -> None:
        """An append (or a probe) succeeded or raised ``Unavailable``."""
        if not ok:
            self._start_probe()
        if ok == self.written:
            return
        if ok:
            logger.warning("event log writable again")
        else:
            logger.error(
                "event log cannot be written: commands are refused; probing it every %.0f s",
                self.probe_seconds,
            )
        before = self.ok
        self.written = ok
        self._changed(before)

    def report_link(self, ok: bool) -> None:
        """The tailer lost or regained the log (``runtime/tail.py``)."""
        before = self.ok
        self.linked = ok
        self._changed(before)

    def _changed(self, before: bool) -> None:
        if self.ok != before:
            for listener in list(self.listeners):
                listener(self.ok)

    async def stop(self) -> None:
        task, self._probe = self._probe, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- the probe ---------------------------------------------------------------------

    def _start_probe(self) -> None:
        if self._probe is not None and not self._probe.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: nothing can probe (nor append)
            return
        self._probe = loop.create_task(self._probing(), name="event-log-probe")

    async def _probing(self) -> None:
        while not self.written:
            await asyncio.sleep(self.probe_seconds)
            if self.written:  # an append got there first
                return
            try:
                await self.log.probe()
            except Unavailable:
                continue
            except Exception:
                logger.exception("probing the event log failed")
                continue
            self.report_write(True)
