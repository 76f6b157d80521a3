"""Following a shared event log: how one process sees what others appended.

With SQLite there is one process, and a session's own ``execute`` notifies
its listeners: nothing to follow. With Redis, several processes append to the
same logs; each runs one :class:`LogTailer`, which reads the streams of all
the dialogues this process holds with one blocking read on one connection
(``XREAD BLOCK``, not pub/sub), hands what it read to each session
(:meth:`DialogueSession.receive`), whose listeners (the hubs) render and send.

After every (re)connection it catches every session up first (``head``: a
new epoch rebuilds the state from the log, and the screens re-render in
full), then reads from each session's position: nothing between is missed.
While the log cannot be reached, it says so (``on_link(False)``, given to
the log's health, ``runtime/health.py``: the screens show it), retries with a
growing pause (capped), and says so again when the log answers
(``on_link(True)``). Commands meanwhile are refused with ``Unavailable``;
the screens keep showing the last state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from session_server.core.errors import Unavailable
from session_server.runtime.session import DialogueSession
from session_server.store.base import Record

__all__ = ["Followable", "LogTailer"]

logger = logging.getLogger(__name__)

BLOCK_MS = 1000
"""The longest one read blocks: a dialogue opened meanwhile joins the next read."""
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 5.0


@runtime_checkable
class Followable(Protocol):
    """A log that other processes append to, and that can be followed."""

    async def follow(
        self, positions: Mapping[str, int], block_ms: int
    ) -> dict[str, list[Record]]: ...

    async def instance(self) -> str: ...


class LogTailer:
    def __init__(
        self,
        log: Followable,
        sessions: Callable[[], Mapping[str, DialogueSession]],
        on_link: Callable[[bool], None],
    ) -> None:
        self.log = log
        self.sessions = sessions
        self.on_link = on_link
        self.linked = True
        self.instance = ""
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self.run(), name="log-tailer")

    async def stop(self) -> None:
        """End the tailer: it stops after its current read (at most
        ``BLOCK_MS``), or is cancelled after that."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        done, _ = await asyncio.wait({task}, timeout=BLOCK_MS / 1000 + 1)
        if not done:
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=5)
        if not done:
            logger.error("the log tailer did not stop; abandoning it")
            return
        with contextlib.suppress(asyncio.CancelledError):
            task.result()

    def _link(self, linked: bool) -> None:
        if linked != self.linked:
            self.linked = linked
            if linked:
                logger.warning("event log reachable again: following it")
            else:
                logger.error("event log unreachable: commands are refused until it returns")
            self.on_link(linked)

    async def run(self) -> None:
        pause = BACKOFF_FIRST
        while not self._stopping:
            try:
                await self._catch_up_all()
                self._link(True)
                pause = BACKOFF_FIRST
                await self._follow()
            except Unavailable:
                _still_wanted()
                self._link(False)
            except Exception:
                _still_wanted()
                logger.exception("following the event log failed; starting again")
            if self._stopping:
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, BACKOFF_MAX)

    async def _catch_up_all(self) -> None:
        instance = await self.log.instance()
        if self.instance and instance != self.instance:
            logger.warning(
                "the event log's server changed (%s → %s): history may be lost; "
                "every dialogue checks its epoch",
                self.instance,
                instance or "empty",
            )
        self.instance = instance
        for session in list(self.sessions().values()):
            await session.catch_up()

    async def _follow(self) -> None:
        while not self._stopping:
            sessions = self.sessions()
            if not sessions:
                await asyncio.sleep(BLOCK_MS / 1000)
                continue
            positions = {d: s.seq for d, s in sessions.items()}
            read = await self.log.follow(positions, BLOCK_MS)
            for dialogue_id, records in read.items():
                session = sessions.get(dialogue_id)
                if session is not None and records:
                    await session.receive(records)


def _still_wanted() -> None:
    """Re-raise a cancellation that a client library turned into an error
    (a blocking read cancelled under a timeout surfaces as a timeout)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
