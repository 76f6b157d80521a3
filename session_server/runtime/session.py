"""One dialogue's state in this process, kept in step with its event log.

``DialogueSession.load`` rebuilds the state by replaying the log;
``execute`` decides a command against the latest state, appends the events
at the position it decided from, and applies them. When another process (or
task) appended first, the log refuses the stale position; the session
catches up and decides again, so no command is dropped silently and none is
applied twice.

A command whose outcome is unknown is answered with its true outcome, found
in the log. Every command has an id (the client's, or one made here, so its
own retries are recognisable), and its events carry it (``core/commands.py``):

- an append that was stored although its answer was lost (a timeout, a reset
  connection), re-sent by the Redis client or by the loop below, is refused
  as stale; the session catches up, the state now holds the command's id,
  ``decide`` sees a repeat, and the command is answered as done, with the
  records it stored;
- an append that fails with ``Unavailable`` may have been stored all the
  same: the session reads the log back once after the position it wrote at;
  when the records there carry the command's id, it applies them and
  answers success; otherwise ``Unavailable`` stands;
- a client that retries with the same command id once the log is back is
  answered as success, and nothing is appended twice.

Each append is reported to the log's health (``runtime/health.py``), when
the session has one: ``Unavailable`` reports the log down, an append the log
answered reports it up.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from session_server.core import apply, decide
from session_server.core.commands import Command
from session_server.core.errors import StaleSequence, Unavailable
from session_server.core.events import Event
from session_server.core.model import NO_CONDITIONS, Conditions, Limits, State
from session_server.runtime.health import LogHealth
from session_server.store.base import EventLog, Record

__all__ = ["DialogueSession", "Outcome", "with_command_id"]

logger = logging.getLogger(__name__)

_PAGE = 2000
_MAX_RETRIES = 20


def _no_conditions() -> Conditions:
    return NO_CONDITIONS


def with_command_id(command: Command) -> Command:
    """``command``, with an id made here (uuid4 hex) when it carries none."""
    if command.command_id:
        return command
    return dataclasses.replace(command, command_id=uuid.uuid4().hex)


@dataclass(frozen=True)
class Outcome:
    """What a command did: the records it appended (none for a repeat, or
    for a command that changed nothing)."""

    records: tuple[Record, ...]
    epoch: str
    seq: int


class DialogueSession:
    def __init__(
        self,
        log: EventLog,
        dialogue_id: str,
        limits: Limits | None = None,
        *,
        health: LogHealth | None = None,
    ) -> None:
        self.log = log
        self.health = health
        """Told whether each append could be written (shared by the log's sessions)."""
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

    async def execute(
        self, command: Command, now: datetime, conditions: Callable[[], Conditions] | None = None
    ) -> Outcome:
        """Decide ``command`` against the latest state and record its events.

        Raises the ``SessionError`` of a refused command; the state and the
        log are then unchanged. A command without an id gets one here.
        ``conditions`` tells the core what the server knows outside the log
        (media links), read under the lock at each decision."""
        command = with_command_id(command)
        known = conditions or _no_conditions
        async with self._lock:
            return await self._commit(
                lambda: decide(self.state, command, now, known()), {command.scoped_id()}
            )

    async def execute_batch(self, commands: Sequence[Command], now: datetime) -> Outcome:
        """Decide ``commands`` one after another (each against the state the
        ones before it leave) and append all their events at once: all or
        nothing. The first refusal raises and nothing is written."""
        commands = [with_command_id(command) for command in commands]
        async with self._lock:
            return await self._commit(
                lambda: self._decide_batch(commands, now),
                {command.scoped_id() for command in commands},
            )

    def _decide_batch(self, commands: Sequence[Command], now: datetime) -> list[Event]:
        scratch = copy.deepcopy(self.state)
        events: list[Event] = []
        for command in commands:
            decided = decide(scratch, command, now)
            for event in decided:
                apply(scratch, event)
            events.extend(decided)
        return events

    async def _commit(
        self, decide_events: Callable[[], list[Event]], command_ids: Collection[str]
    ) -> Outcome:
        """Append what ``decide_events`` decides at the position it decided
        from; when another writer got there first, catch up and decide
        again. ``command_ids`` are the scoped ids of the commands decided:
        records that carry them are this call's own, stored by an attempt
        whose answer was lost. Called with the lock held."""
        mine: list[Record] = []
        for _attempt in range(_MAX_RETRIES):
            events = decide_events()
            if not events:
                # nothing to do, or a repeat: what an earlier attempt stored
                return Outcome(records=tuple(mine), epoch=self.epoch, seq=self.seq)
            expected = self.seq
            try:
                new_seq = await self.log.append(self.dialogue_id, events, expected)
            except StaleSequence:
                self._written(True)
                caught = await self._catch_up()
                mine.extend(r for r in caught if r.event.command_id in command_ids)
                continue
            except Unavailable:
                found = await self._read_back(expected, command_ids)
                self._written(found is not None)  # stored after all: the log works
                if found is None:
                    raise
                return found
            self._written(True)
            first = new_seq - len(events) + 1
            records = [Record(seq=first + i, event=ev) for i, ev in enumerate(events)]
            self._apply(records)
            self._notify(records, rebuilt=False)
            return Outcome(records=tuple(records), epoch=self.epoch, seq=self.seq)
        raise StaleSequence(self.seq, -1)

    def _written(self, ok: bool) -> None:
        if self.health is not None:
            self.health.report_write(ok)

    async def _read_back(self, expected: int, command_ids: Collection[str]) -> Outcome | None:
        """After an append at ``expected`` failed with ``Unavailable``: read
        the log after ``expected`` once. When the records there carry these
        commands' ids, the append was stored after all: apply what was read
        and return the outcome; else ``None`` (the failure stands)."""
        try:
            records = await self.log.read(self.dialogue_id, after_seq=expected)
        except Unavailable:
            return None
        mine = [r for r in records if r.event.command_id in command_ids]
        if not mine or self.seq != expected:
            return None
        logger.warning(
            "dialogue %s: an append that failed was stored after all (seq %d)",
            self.dialogue_id,
            mine[0].seq,
        )
        self._apply(records)
        self._notify(records, rebuilt=False)
        return Outcome(records=tuple(mine), epoch=self.epoch, seq=self.seq)

    async def execute_all(self, commands: Iterable[Command], now: datetime) -> None:
        for command in commands:
            await self.execute(command, now)
