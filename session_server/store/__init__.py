"""Event logs, chosen by URL: ``memory://``, ``sqlite:///path.db``, ``redis://host:port/db``."""

from __future__ import annotations

from session_server.store.base import EventLog, LogHead, Record, check_dialogue_id

__all__ = ["EventLog", "LogHead", "Record", "check_dialogue_id", "open_log"]


def open_log(url: str) -> EventLog:
    """The event log named by ``url``; backends are imported only when used."""
    if url.startswith("memory:"):
        from session_server.store.memory import MemoryEventLog

        return MemoryEventLog()
    if url.startswith("sqlite:"):
        from session_server.store.sqlite import SQLiteEventLog

        return SQLiteEventLog.from_url(url)
    if url.startswith(("redis://", "rediss://")):
        from session_server.store.redis import RedisEventLog

        return RedisEventLog.from_url(url)
    raise ValueError(
        f"unsupported event log URL: {url!r} (memory://, sqlite:///path.db, redis://host:6379/0)"
    )
