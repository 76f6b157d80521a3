"""The in-memory event log: the reference implementation of the contract.

Keeps nothing across a restart; used by tests and by benchmarks that measure
everything but storage.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from session_server.core.codec import event_to_dict
from session_server.core.errors import StaleSequence
from session_server.core.events import Event
from session_server.store.base import EventLog, LogHead, Record, check_dialogue_id

__all__ = ["MemoryEventLog"]


class MemoryEventLog(EventLog):
    def __init__(self) -> None:
        self._logs: dict[str, list[Event]] = {}
        self._epochs: dict[str, str] = {}
        self._sessions: dict[str, float] = {}

    def _epoch(self, dialogue_id: str) -> str:
        check_dialogue_id(dialogue_id)
        if dialogue_id not in self._epochs:
            self._epochs[dialogue_id] = uuid.uuid4().hex
            self._logs[dialogue_id] = []
        return self._epochs[dialogue_id]

    async def append(self, dialogue_id: str, events: Sequence[Event], expected_seq: int) -> int:
        self._epoch(dialogue_id)
        log = self._logs[dialogue_id]
        if expected_seq != len(log):
            raise StaleSequence(expected_seq, len(log))
        batch = list(events)
        for event in batch:  # refuse what a durable log could not store, before storing any
            json.dumps(event_to_dict(event), ensure_ascii=False).encode("utf-8")
        log.extend(batch)
        return len(log)

    async def read(
        self, dialogue_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[Record]:
        self._epoch(dialogue_id)
        log = self._logs[dialogue_id]
        start = max(after_seq, 0)
        stop = len(log) if limit is None else min(len(log), start + max(limit, 0))
        return [Record(seq=i + 1, event=log[i]) for i in range(start, stop)]

    async def head(self, dialogue_id: str) -> LogHead:
        epoch = self._epoch(dialogue_id)
        return LogHead(epoch=epoch, seq=len(self._logs[dialogue_id]))

    async def dialogues(self) -> list[str]:
        return sorted(d for d, log in self._logs.items() if log)

    async def open_session(self, key: str, expires_at: float) -> None:
        self._sessions[key] = expires_at

    async def session_alive(self, key: str, now: float) -> bool:
        return self._sessions.get(key, now) > now

    async def close_session(self, key: str) -> None:
        self._sessions.pop(key, None)

    async def close_sessions(self, now: float) -> int:
        alive = sum(1 for expires_at in self._sessions.values() if expires_at > now)
        self._sessions.clear()
        return alive
