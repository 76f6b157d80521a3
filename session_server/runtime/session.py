"""One dialogue's state in this process, kept in step with its event log.

``DialogueSession.load`` rebuilds the state by replaying the log;
``execute`` decides a command against the latest state, appends the events
at the position it decided from, and applies them. When another process (or
task) appended first, the log refuses the stale position; the session
catches up and decides again, so no command is dropped silently and none is
applied twice.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from session_server.core import apply, decide
from session_server.core.commands import Command
from session_server.core.errors import StaleSequence
from session_server.core.events import Event
from session_server.core.model import Limits, State
from session_server.store.base import EventLog, Record

__all__ = ["DialogueSession", "Outcome"]

logger = logging.getLogger(__name__)

_PAGE = 2000
_MAX_RETRIES = 20


@dataclass(frozen=True)
class Outcome:
    """What a command did: the records it appended (none for a repeat)."""

    records: tuple[Record, ...]
    epoch: str
    seq: int


class DialogueSession:
    def __init__(self, log: EventLog, dialogue_id: str, limits: Limits | None = None) -> None:
        self.log = log
        self.dialogue_id = dialogue_id
        self.limits = limits or Limits()
        self.state = State(limits=self.limits)
        self.epoch = ""
        self.seq = 0
        self._lock = asyncio.Lock()
        self.listeners: list[Callable[[list[Record], bool], None]] = []
        """Called with new records after they are applied; the flag is true
        when the state was rebuilt from scratch (a new epoch)."""

    async def load(self) -> None:
        """Rebuild the state from the whole log."""
        async with self._lock:
            await self._rebuild()

    async def _rebuild(self) -> None:
        head = await self.log.head(self.dialogue_id)
        state = State(limits=self.limits)
        seq = 0
        while True:
            page = await self.log.read(self.dialogue_id, after_seq=seq, limit=_PAGE)
            for record in page:
                apply(state, record.event)
                seq = record.seq
            if len(page) < _PAGE:
                break
        self.state, self.epoch, self.seq = state, head.epoch, seq
        logger.info("dialogue %s rebuilt: epoch %s seq %d", self.dialogue_id, head.epoch, seq)
        self._notify([], rebuilt=True)

    async def catch_up(self) -> list[Record]:
        """Apply what other writers appended; rebuild if the epoch changed."""
        async with self._lock:
            return await self._catch_up()

    async def _catch_up(self) -> list[Record]:
        head = await self.log.head(self.dialogue_id)
        if head.epoch != self.epoch or head.seq < self.seq:
            await self._rebuild()
            return []
        records: list[Record] = []
        while self.seq < head.seq:
            page = await self.log.read(self.dialogue_id, after_seq=self.seq, limit=_PAGE)
            if not page:
                break
            self._apply(page)
            records.extend(page)
        if records:
            self._notify(records, rebuilt=False)
        return records

    async def receive(self, records: list[Record]) -> list[Record]:
        """Apply records another process appended, as a reader of the log saw
        them (``runtime/tail.py``); those already applied are skipped, and a
        gap is filled by catching up from the log."""
        async with self._lock:
            fresh = [r for r in records if r.seq > self.seq]
            if not fresh:
                return []
            if fresh[0].seq != self.seq + 1:
                return await self._catch_up()
            self._apply(fresh)
            self._notify(fresh, rebuilt=False)
            return fresh

    def _apply(self, records: Iterable[Record]) -> None:
        for record in records:
            if record.seq != self.seq + 1:
                raise RuntimeError(f"gap in log: expected {self.seq + 1}, read {record.seq}")
            apply(self.state, record.event)
            self.seq = record.seq

    def _notify(self, records: list[Record], rebuilt: bool) -> None:
        for listener in list(self.listeners):
            listener(records, rebuilt)

    async def execute(self, command: Command, now: datetime) -> Outcome:
        """Decide ``command`` against the latest state and record its events.

        Raises the ``SessionError`` of a refused command; the state and the
        log are then unchanged."""
        async with self._lock:
            return await self._commit(lambda: decide(self.state, command, now))

    async def execute_batch(self, commands: Sequence[Command], now: datetime) -> Outcome:
        """Decide ``commands`` one after another (each against the state the
        ones before it leave) and append all their events at once: all or
        nothing. The first refusal raises and nothing is written."""
        async with self._lock:
            return await self._commit(lambda: self._decide_batch(commands, now))

    def _decide_batch(self, commands: Sequence[Command], now: datetime) -> list[Event]:
        scratch = copy.deepcopy(self.state)
        events: list[Event] = []
        for command in commands:
            decided = decide(scratch, command, now)
            for event in decided:
                apply(scratch, event)
            events.extend(decided)
        return events

    async def _commit(self, decide_events: Callable[[], list[Event]]) -> Outcome:
        """Append what ``decide_events`` decides at the position it decided
        from; when another writer got there first, catch up and decide
        again. Called with the lock held."""
        for _attempt in range(_MAX_RETRIES):
            events = decide_events()
            if not events:
                return Outcome(records=(), epoch=self.epoch, seq=self.seq)
            try:
                new_seq = await self.log.append(self.dialogue_id, events, self.seq)
            except StaleSequence:
                await self._catch_up()
                continue
            first = new_seq - len(events) + 1
            records = [Record(seq=first + i, event=ev) for i, ev in enumerate(events)]
            self._apply(records)
            self._notify(records, rebuilt=False)
            return Outcome(records=tuple(records), epoch=self.epoch, seq=self.seq)
        raise StaleSequence(self.seq, -1)

    async def execute_all(self, commands: Iterable[Command], now: datetime) -> None:
        for command in commands:
            await self.execute(command, now)
