"""The event log contract: the one source of truth of every dialogue.

Each dialogue has its own log: a gap-free sequence of events numbered from 1,
and an ``epoch`` that changes whenever history may have been lost (a restore,
a Redis without persistence restarted). Readers that hold ``{epoch, seq}``
can tell "I missed events N+1.." from "what I knew may be gone".

``append`` is atomic: all the events or none, and only if the log's last
sequence number is still ``expected_seq``; otherwise it raises
:class:`~session_server.core.errors.StaleSequence` and writes nothing. A log
that cannot be written raises :class:`~session_server.core.errors.Unavailable`;
an append that raised it (a timeout, a lost connection) may have been stored
all the same, and the caller finds out by reading the log back: events carry
the id of the command that made them (``runtime/session.py``).

The same store keeps the organiser's signed-in sessions (``web/access.py``):
a key per session (a digest of the cookie's random id, never the id) and
when it expires. They live beside the logs so that every process sees a
sign-out or a password rotation at once, and a restart keeps the organiser
signed in; a store that keeps nothing (``memory://``) forgets them too.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Sequence
from dataclasses import dataclass

from session_server.core.errors import InvalidInput
from session_server.core.events import Event

__all__ = ["EventLog", "LogHead", "Record", "check_dialogue_id"]

_DIALOGUE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def check_dialogue_id(dialogue_id: str) -> str:
    if not _DIALOGUE_ID.fullmatch(dialogue_id):
        raise InvalidInput("input.bad_identifier", field="dialogue_id")
    return dialogue_id


@dataclass(frozen=True)
class Record:
    """One stored event and its position in the log."""

    seq: int
    event: Event


@dataclass(frozen=True)
class LogHead:
    epoch: str
    seq: int


class EventLog(abc.ABC):
    """An append-only, per-dialogue event log."""

    @abc.abstractmethod
    async def append(self, dialogue_id: str, events: Sequence[Event], expected_seq: int) -> int:
        """Store ``events`` after ``expected_seq``; return the new last seq."""

    @abc.abstractmethod
    async def read(
        self, dialogue_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[Record]:
        """Events with ``seq > after_seq``, in order, at most ``limit``."""

    @abc.abstractmethod
    async def head(self, dialogue_id: str) -> LogHead:
        """The log's epoch and last sequence number (0 when empty)."""

    @abc.abstractmethod
    async def dialogues(self) -> list[str]:
        """Ids of the dialogues whose log holds at least one event, sorted."""

    # --- the organiser's sessions ---------------------------------------------------

    @abc.abstractmethod
    async def open_session(self, key: str, expires_at: float) -> None:
        """Keep the organiser's session ``key`` until ``expires_at`` (Unix time)."""

    @abc.abstractmethod
    async def session_alive(self, key: str, now: float) -> bool:
        """Whether ``key`` was opened, not closed, and expires after ``now``."""

    @abc.abstractmethod
    async def close_session(self, key: str) -> None:
        """Forget ``key`` (a sign-out); closing an unknown key does nothing."""

    @abc.abstractmethod
    async def close_sessions(self, now: float) -> int:
        """Forget every session (a password rotation); return how many were alive."""

    async def probe(self) -> None:
        """A light write that proves the log can be written now, or
        ``Unavailable``; run while the log is reported down
        (``runtime/health.py``). The default, for a log that cannot fail,
        does nothing."""
        return None

    async def close(self) -> None:
        """Release connections; the default has none."""
        return None
