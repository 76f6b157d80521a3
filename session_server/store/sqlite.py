"""The embedded event log: one SQLite file in WAL mode.

One writer: a dedicated thread owns the only write connection, and every
``append`` runs there in one ``BEGIN IMMEDIATE`` transaction that checks the
last sequence number, inserts the events and commits (with
``synchronous=FULL`` by default, the commit is on disk when ``append``
returns). Reads run on a second thread with its own connection, so a reader
never waits for a writer's ``fsync``. The event loop never blocks: each call
hops to its thread with ``loop.run_in_executor``.

Several processes may open the same file: ``BEGIN IMMEDIATE`` and the busy
timeout serialise their appends, and the sequence check keeps the log gap-free.
A file that stays locked past the busy timeout, a full disk or an I/O error
surfaces as :class:`~session_server.core.errors.Unavailable`. While the log
is reported down, ``probe`` writes and commits one page-sized row in its own
table (``health``) and deletes it, on the writer thread: it fails as an
append would (a disk too full for one more page, a locked file) and succeeds
once space is back.

An ``append`` whose caller is cancelled may still commit; the caller finds out
from ``head`` or ``read``.

The file holds every question and the organiser's sessions: it is made
readable by its owner only (0600), and so are its ``-wal`` and ``-shm``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from session_server.core.codec import event_from_dict, event_to_dict
from session_server.core.errors import StaleSequence, Unavailable
from session_server.core.events import Event
from session_server.store.base import EventLog, LogHead, Record, check_dialogue_id

__all__ = ["SQLiteEventLog"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    dialogue_id TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    dialogue_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (dialogue_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS health (
    probed_at TEXT NOT NULL,
    pad BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS organiser_sessions (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
"""

_HEAD = """
SELECT epoch, (SELECT coalesce(max(seq), 0) FROM events WHERE dialogue_id = ?)
FROM logs WHERE dialogue_id = ?
"""

_UNAVAILABLE = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
    }
)
"""Primary result codes that mean "the log cannot be used now", not a bug."""

_Row = tuple[str, str]


class SQLiteEventLog(EventLog):
    def __init__(
        self, path: str | Path, *, synchronous: str = "FULL", busy_timeout: float = 5.0
    ) -> None:
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {_SYNCHRONOUS}, not {synchronous!r}")
        self.path = Path(path)
        self.synchronous = synchronous.upper()
        self.busy_timeout = busy_timeout
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-log-writer")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="sqlite-log-reader")
        self._write_conn: sqlite3.Connection | None = None
        self._read_conn: sqlite3.Connection | None = None
        self._closed = False

    @classmethod
    def from_url(cls, url: str) -> SQLiteEventLog:
        """``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``?synchronous=NORMAL``."""
        parts = urlsplit(url)
        if parts.scheme != "sqlite" or parts.netloc or not parts.path.startswith("/"):
            raise ValueError(f"not a sqlite URL: {url!r} (sqlite:///path.db)")
        path = unquote(parts.path[1:])
        if not path:
            raise ValueError(f"sqlite URL without a path: {url!r}")
        options = dict(parse_qsl(parts.query, strict_parsing=bool(parts.query)))
        unknown = set(options) - {"synchronous"}
        if unknown:
            raise ValueError(f"unknown sqlite URL options: {sorted(unknown)}")
        return cls(path, synchronous=options.get("synchronous", "FULL"))

    # --- the contract --------------------------------------------------------------

    async def append(self, dialogue_id: str, events: Sequence[Event], expected_seq: int) -> int:
        check_dialogue_id(dialogue_id)
        rows = [(event.name, _encode(event)) for event in events]
        return await self._run(self._writer, partial(self._append, dialogue_id, rows, expected_seq))

    async def read(
        self, dialogue_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[Record]:
        check_dialogue_id(dialogue_id)
        sql_limit = -1 if limit is None else max(limit, 0)
        return await self._run(
            self._reader, partial(self._read, dialogue_id, max(after_seq, 0), sql_limit)
        )

    async def head(self, dialogue_id: str) -> LogHead:
        check_dialogue_id(dialogue_id)
        head = await self._run(self._reader, partial(self._head, dialogue_id, create=False))
        if head is None:
            head = await self._run(self._writer, partial(self._head, dialogue_id, create=True))
        assert head is not None
        return head

    async def dialogues(self) -> list[str]:
        return await self._run(self._reader, self._dialogues)

    async def open_session(self, key: str, expires_at: float) -> None:
        await self._run(self._writer, partial(self._open_session, key, expires_at))

    async def session_alive(self, key: str, now: float) -> bool:
        return await self._run(self._reader, partial(self._session_alive, key, now))

    async def close_session(self, key: str) -> None:
        await self._run(self._writer, partial(self._close_sessions, key, 0.0))

    async def close_sessions(self, now: float) -> int:
        return await self._run(self._writer, partial(self._close_sessions, None, now))

    async def probe(self) -> None:
        await self._run(self._writer, self._probe, quiet=True)  # the failed append said it

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        for executor, close in (
            (self._writer, self._close_writer),
            (self._reader, self._close_reader),
        ):
            await loop.run_in_executor(executor, close)
            executor.shutdown(wait=False)

    async def settings(self) -> dict[str, str | int]:
        """The write connection's ``journal_mode``, ``synchronous`` (0-3) and
        ``busy_timeout`` (ms), as SQLite reports them."""
        return await self._run(self._writer, self._settings)

    # --- running on the log's threads ---------------------------------------------------

    async def _run(
        self, executor: ThreadPoolExecutor, job: Callable[[], T], *, quiet: bool = False
    ) -> T:
        if self._closed:
            raise Unavailable("log.unavailable")
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, job)
        except sqlite3.Error as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code is None or code & 0xFF not in _UNAVAILABLE:
                raise
            if quiet:
                logger.debug("event log %s still unavailable: %s", self.path, exc)
            else:
                logger.error("event log %s unavailable: %s", self.path, exc, exc_info=exc)
            raise Unavailable("log.unavailable") from exc

    def _private(self) -> None:
        """The file (and its ``-wal``/``-shm``, which SQLite makes with the
        file's mode) readable by its owner only: made so, or made so again
        when an older version left it readable by all."""
        if not self.path.exists():
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        for path in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            try:
                if path.stat().st_mode & 0o077:
                    path.chmod(0o600)
            except OSError:  # absent, or not ours: SQLite says what it must
                continue

    def _connect(self, *, writer: bool) -> sqlite3.Connection:
        self._private()
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise ValueError(f"{self.path}: SQLite refused WAL mode ({mode})")
            conn.executescript(_SCHEMA)
            if writer:
                conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            else:
                conn.execute("PRAGMA query_only = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def _writing(self) -> sqlite3.Connection:
        if self._write_conn is None:
            self._write_conn = self._connect(writer=True)
        return self._write_conn

    def _reading(self) -> sqlite3.Connection:
        if self._read_conn is None:
            self._read_conn = self._connect(writer=False)
        return self._read_conn

    def _append(self, dialogue_id: str, rows: list[_Row], expected_seq: int) -> int:
        conn = self._writing()
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._create_log(conn, dialogue_id)
            (actual,) = conn.execute(
                "SELECT coalesce(max(seq), 0) FROM events WHERE dialogue_id = ?", (dialogue_id,)
            ).fetchone()
            if actual != expected_seq:
                raise StaleSequence(expected_seq, actual)
            conn.executemany(
                "INSERT INTO events (dialogue_id, seq, name, body) VALUES (?, ?, ?, ?)",
                [
                    (dialogue_id, expected_seq + i, name, body)
                    for i, (name, body) in enumerate(rows, start=1)
                ],
            )
            conn.execute("COMMIT")
        except BaseException:
            self._rollback(conn)
            raise
        return expected_seq + len(rows)

    def _probe(self) -> None:
        """Write (one page, so a full file refuses it) and commit, then leave
        nothing behind but a free page for the next probe."""
        conn = self._writing()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT INTO health (probed_at, pad) VALUES (?, zeroblob(?))",
                (datetime.now(UTC).isoformat(), page_size),
            )
            conn.execute("DELETE FROM health")
            conn.execute("COMMIT")
        except BaseException:
            self._rollback(conn)
            raise

    def _open_session(self, key: str, expires_at: float) -> None:
        conn = self._writing()
        conn.execute("BEGIN IMMEDIATE")
        try:
            # the expired ones go when a new one comes (a few a day)
            conn.execute("DELETE FROM organiser_sessions WHERE expires_at <= ?", (time.time(),))
            conn.execute(
                "INSERT OR REPLACE INTO organiser_sessions (key, expires_at) VALUES (?, ?)",
                (key, expires_at),
            )
            conn.execute("COMMIT")
        except BaseException:
            self._rollback(conn)
            raise

    def _session_alive(self, key: str, now: float) -> bool:
        row = (
            self._reading()
            .execute(
                "SELECT 1 FROM organiser_sessions WHERE key = ? AND expires_at > ?", (key, now)
            )
            .fetchone()
        )
        return row is not None

    def _close_sessions(self, key: str | None, now: float) -> int:
        """Forget ``key``, or every session (None); return how many were alive."""
        conn = self._writing()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if key is None:
                (alive,) = conn.execute(
                    "SELECT count(*) FROM organiser_sessions WHERE expires_at > ?", (now,)
                ).fetchone()
                conn.execute("DELETE FROM organiser_sessions")
            else:
                alive = conn.execute(
                    "DELETE FROM organiser_sessions WHERE key = ?", (key,)
                ).rowcount
            conn.execute("COMMIT")
        except BaseException:
            self._rollback(conn)
            raise
        return int(alive)

    def _rollback(self, conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            logger.exception("event log %s: rollback failed; reopening", self.path)
            self._close_writer()

    def _create_log(self, conn: sqlite3.Connection, dialogue_id: str) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO logs (dialogue_id, epoch, created_at) VALUES (?, ?, ?)",
            (dialogue_id, uuid.uuid4().hex, datetime.now(UTC).isoformat()),
        )

    def _head(self, dialogue_id: str, *, create: bool) -> LogHead | None:
        conn = self._writing() if create else self._reading()
        if create:
            self._create_log(conn, dialogue_id)
        row = conn.execute(_HEAD, (dialogue_id, dialogue_id)).fetchone()
        return None if row is None else LogHead(epoch=row[0], seq=row[1])

    def _read(self, dialogue_id: str, after_seq: int, limit: int) -> list[Record]:
        rows = self._reading().execute(
            "SELECT seq, body FROM events WHERE dialogue_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (dialogue_id, after_seq, limit),
        )
        return [Record(seq=seq, event=event_from_dict(json.loads(body))) for seq, body in rows]

    def _dialogues(self) -> list[str]:
        rows = self._reading().execute(
            "SELECT dialogue_id FROM logs AS l WHERE EXISTS "
            "(SELECT 1 FROM events AS e WHERE e.dialogue_id = l.dialogue_id) ORDER BY dialogue_id"
        )
        return [dialogue_id for (dialogue_id,) in rows]

    def _settings(self) -> dict[str, str | int]:
        conn = self._writing()
        return {
            name: conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "busy_timeout")
        }

    def _close_writer(self) -> None:
        if self._write_conn is not None:
            self._write_conn.close()
            self._write_conn = None

    def _close_reader(self) -> None:
        if self._read_conn is not None:
            self._read_conn.close()
            self._read_conn = None


def _encode(event: Event) -> str:
    return json.dumps(event_to_dict(event), ensure_ascii=False, separators=(",", ":"))
