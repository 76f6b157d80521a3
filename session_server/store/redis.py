"""The scale-out event log: one Redis Stream per dialogue.

URL: ``redis://host:port/db`` (``rediss://`` for TLS, ``?password=…`` or
``redis://:password@host``), read by ``redis.asyncio.Redis.from_url``.
Imported only when a Redis URL is configured.

Keys, per dialogue ``d``:

- ``ss:{d}:log``: the Stream. Event ``n`` has the explicit id ``n-0``, one
  field ``e`` holding the event's JSON (``core/codec.py``);
- ``ss:{d}:epoch``: the log's epoch, made (``SET NX``) by the first
  ``head`` or ``append`` that finds it missing;
- ``ss:dialogues``: a set of the ids whose log holds at least one event;
- ``ss:instance``: a server-wide marker made by the first script that runs
  on an empty Redis. Readers compare it after reconnecting: a different or
  missing marker means the Redis they talk to is not the one they knew;
- ``ss:organiser_sessions``: a hash of the organiser's signed-in sessions,
  key → the Unix time it expires (``web/access.py``);
- ``ss:health``: written by ``probe`` (the time of the last probe) while the
  log is reported down (``runtime/health.py``): a write a Redis out of memory,
  read-only or unreachable refuses, as it refuses appends.

Every ``append`` is one Lua script (``EVALSHA``, registered with
``register_script``): it reads the stream's length, refuses a stale
``expected_seq`` (and an ``expected_epoch`` this log object remembers but the
server no longer holds), then ``XADD``\\s every event of the batch with its
explicit id and creates the epoch, all in one atomic step. Two processes can
never both append at the same position, and a batch is all or nothing.

Epoch: it changes whenever history may have been lost. A Redis restarted
empty (no persistence, a flush, an evicted key) has no ``ss:{d}:epoch``: the
next ``head`` makes a new one, and an ``append`` from a process that still
remembers the old epoch is refused with ``StaleSequence``, so the caller
catches up, sees the new epoch and rebuilds. With ``appendonly yes`` and
``appendfsync always`` every acknowledged append survives a crash of Redis
and the epoch stays the same. Restoring an *older* snapshot (an RDB file, a
backup) cannot be noticed from inside Redis: after such a restore delete the
epoch keys (``redis-cli --scan --pattern 'ss:*:epoch' | xargs redis-cli del``)
so every process rebuilds (``docs/scaling.md``).

Trimming: never. The stream *is* the record of the dialogue (the conclusion
notice, the export and every rebuild replay it), so no ``MAXLEN`` and no
``XTRIM`` on a live dialogue's log. A closed dialogue's keys may be deleted
(or moved elsewhere) once its export is archived; a day's dialogue is a few
thousand events, a few megabytes. Run Redis with ``maxmemory-policy
noeviction``, so a full Redis refuses writes (``Unavailable``) instead of
evicting a log.

Faults: every transport error of the client (a connection refused, reset or
timed out, and whatever a broken connection makes the client or the event
loop raise, such as uvloop's ``RuntimeError: … the handler is closed``), a
Redis loading its data, a read-only replica, ``OOM`` or ``MISCONF`` all
surface as :class:`~session_server.core.errors.Unavailable`
(``log.unavailable``, HTTP 503), never as an internal error. Only a reply
error that means a bug (a wrong type, a script error) stays as it is.

A command that meets a broken connection or a timeout is sent once more on a
new one (a pooled connection goes stale whenever Redis restarts). Retrying an
append is safe: if the first attempt was stored after all, the script
refuses the second as stale, the caller catches up and decides again, and
the command is recognised as done by its command id (every command has one,
and its events carry it: ``core/commands.py``), so it is answered with its
true outcome, success, and never decided twice (an approval is not refused
as an illegal transition of the question it approved); nothing is appended
twice. An append that fails with ``Unavailable`` may still have been stored:
the session reads the log back once and answers success when the records
there carry the command's id; otherwise ``Unavailable`` stands, and a retry
of the same command id is recognised the same way once Redis answers
(``runtime/session.py``). The follower's blocking read is never retried
behind the tailer's back: a broken connection there makes the tailer catch
every session up (and notice a new epoch) first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis import exceptions as rex
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from session_server.core.codec import event_from_dict, event_to_dict
from session_server.core.errors import StaleSequence, Unavailable
from session_server.core.events import Event
from session_server.store.base import EventLog, LogHead, Record, check_dialogue_id

__all__ = ["RedisEventLog"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

PREFIX = "ss:"
DIALOGUES = PREFIX + "dialogues"
INSTANCE = PREFIX + "instance"
HEALTH = PREFIX + "health"
SESSIONS = PREFIX + "organiser_sessions"

_APPEND = """
-- KEYS: stream, epoch, dialogues set, instance marker
-- ARGV: dialogue id, expected seq, remembered epoch (or ''), new epoch, new instance,
--       event JSON...
redis.call('SET', KEYS[4], ARGV[5], 'NX')
local length = redis.call('XLEN', KEYS[1])
local expected = tonumber(ARGV[2])
local epoch = redis.call('GET', KEYS[2])
if (not epoch) and ARGV[3] ~= '' then
  -- this caller knew an epoch the server lost: history may be gone
  return {0, length, ''}
end
if epoch and ARGV[3] ~= '' and epoch ~= ARGV[3] then
  return {0, length, epoch}
end
if length ~= expected then
  return {0, length, epoch or ''}
end
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[2], epoch)
end
local n = #ARGV - 5
for i = 1, n do
  redis.call('XADD', KEYS[1], tostring(expected + i) .. '-0', 'e', ARGV[5 + i])
end
if n > 0 then
  redis.call('SADD', KEYS[3], ARGV[1])
end
return {1, expected + n, epoch}
"""

_HEAD = """
-- KEYS: stream, epoch, instance marker; ARGV: new epoch, new instance
redis.call('SET', KEYS[3], ARGV[2], 'NX')
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
end
return {epoch, redis.call('XLEN', KEYS[1])}
"""

_UNAVAILABLE_REPLIES = (
    "OOM",
    "MISCONF",
    "READONLY",
    "LOADING",
    "MASTERDOWN",
    "NOREPLICAS",
    "BUSY",
    "CLUSTERDOWN",
    "TRYAGAIN",
)
"""Codes of the error replies that mean "Redis refuses writes for now"."""

_UNAVAILABLE_REPLY_ERRORS: tuple[type[Exception], ...] = tuple(
    cls
    for name in (
        "OutOfMemoryError",
        "ReadOnlyError",
        "MasterDownError",
        "TryAgainError",
        "ClusterDownError",
    )
    if isinstance(cls := getattr(rex, name, None), type)
)
"""The client's classes for some of those replies: it strips their code from
the message (``OOM command not allowed…`` arrives as ``OutOfMemoryError("command
not allowed…")``)."""


def stream_key(dialogue_id: str) -> str:
    return f"{PREFIX}{dialogue_id}:log"


def epoch_key(dialogue_id: str) -> str:
    return f"{PREFIX}{dialogue_id}:epoch"


def dialogue_of(key: str) -> str:
    return key.removeprefix(PREFIX).removesuffix(":log")


def _no_retry() -> Retry:
    return Retry(NoBackoff(), 0)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc``, raised by a call of the Redis client, means "Redis
    cannot be used now" rather than a bug.

    Every transport error is: a connection refused, reset or timed out, and
    whatever else a broken connection makes the client or the event loop
    raise (uvloop's ``RuntimeError: … the handler is closed`` on a reset
    socket, an ``AttributeError`` or ``IncompleteReadError`` from the
    client's internals). So are the replies that say Redis refuses writes
    for now (``OOM``, ``MISCONF``, ``READONLY``, ``LOADING``…). What stays a
    bug: any other reply error (a wrong type, a script error) and a
    ``DataError`` (arguments the client refused to send)."""
    if isinstance(exc, rex.ResponseError):
        if isinstance(exc, _UNAVAILABLE_REPLY_ERRORS):
            return True
        code = getattr(exc, "status_code", None)  # redis-py 7+: the reply's code
        text = str(exc).lstrip("-").upper()
        return code in _UNAVAILABLE_REPLIES or text.startswith(_UNAVAILABLE_REPLIES)
    if isinstance(exc, rex.DataError):
        return False
    return isinstance(exc, Exception)


class RedisEventLog(EventLog):
    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self._client: aioredis.Redis = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),  # once, on a fresh connection: see the docstring
        )
        self._append_script = self._client.register_script(_APPEND)
        self._head_script = self._client.register_script(_HEAD)
        self._epochs: dict[str, str] = {}
        """The epoch this object last saw of each dialogue."""
        self._follower: aioredis.Redis | None = None
        self._closed = False

    @classmethod
    def from_url(cls, url: str) -> RedisEventLog:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"not a redis URL: {url!r} (redis://host:port/db)")
        return cls(url)

    # --- the contract --------------------------------------------------------------

    async def append(self, dialogue_id: str, events: Sequence[Event], expected_seq: int) -> int:
        check_dialogue_id(dialogue_id)
        bodies = [_encode(event) for event in events]  # all encodable, before storing any
        remembered = self._epochs.get(dialogue_id, "")
        ok, actual, epoch = await self._run(
            self._append_script(
                keys=[stream_key(dialogue_id), epoch_key(dialogue_id), DIALOGUES, INSTANCE],
                args=[
                    dialogue_id,
                    expected_seq,
                    remembered,
                    uuid.uuid4().hex,
                    uuid.uuid4().hex,
                    *bodies,
                ],
            )
        )
        if not int(ok):
            if remembered and _text(epoch) != remembered:
                # history this object knew may be gone: the caller catches up
                # (``head`` gives the new epoch) and decides again
                self._epochs.pop(dialogue_id, None)
            raise StaleSequence(expected_seq, int(actual))
        self._epochs[dialogue_id] = _text(epoch)
        return int(actual)

    async def read(
        self, dialogue_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[Record]:
        check_dialogue_id(dialogue_id)
        if limit is not None and limit <= 0:
            return []
        entries: Any = await self._run(
            self._client.xrange(
                stream_key(dialogue_id), f"{max(after_seq, 0) + 1}-0", "+", count=limit
            )
        )
        return [_record(entry_id, fields) for entry_id, fields in entries]

    async def head(self, dialogue_id: str) -> LogHead:
        check_dialogue_id(dialogue_id)
        epoch, seq = await self._run(
            self._head_script(
                keys=[stream_key(dialogue_id), epoch_key(dialogue_id), INSTANCE],
                args=[uuid.uuid4().hex, uuid.uuid4().hex],
            )
        )
        head = LogHead(epoch=_text(epoch), seq=int(seq))
        self._epochs[dialogue_id] = head.epoch
        return head

    async def dialogues(self) -> list[str]:
        members = await self._run(self._client.smembers(DIALOGUES))
        return sorted(_text(m) for m in members)

    async def open_session(self, key: str, expires_at: float) -> None:
        held: dict[Any, Any] = await self._run(self._client.hgetall(SESSIONS))
        now = time.time()
        expired = [k for k, v in held.items() if float(_text(v)) <= now]
        if expired:  # the expired ones go when a new one comes (a few a day)
            await self._run(self._client.hdel(SESSIONS, *expired))
        await self._run(self._client.hset(SESSIONS, key, repr(expires_at)))

    async def session_alive(self, key: str, now: float) -> bool:
        value = await self._run(self._client.hget(SESSIONS, key))
        return value is not None and float(_text(value)) > now

    async def close_session(self, key: str) -> None:
        await self._run(self._client.hdel(SESSIONS, key))

    async def close_sessions(self, now: float) -> int:
        held: dict[Any, Any] = await self._run(self._client.hgetall(SESSIONS))
        await self._run(self._client.delete(SESSIONS))
        return sum(1 for v in held.values() if float(_text(v)) > now)

    async def probe(self) -> None:
        await self._run(self._client.set(HEALTH, str(time.time())), quiet=True)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for client in (self._follower, self._client):
            if client is not None:
                try:
                    await client.aclose()
                except Exception:  # closing a broken connection: nothing to save
                    logger.debug("closing a redis client failed", exc_info=True)

    # --- following the logs (runtime/tail.py) -------------------------------------------

    async def instance(self) -> str:
        """The server-wide marker ("" when the Redis holds none yet)."""
        value = await self._run(self._client.get(INSTANCE))
        return "" if value is None else _text(value)

    async def follow(self, positions: Mapping[str, int], block_ms: int) -> dict[str, list[Record]]:
        """Block up to ``block_ms`` for events after ``positions`` (dialogue →
        last seq known) on one dedicated connection (``XREAD BLOCK``)."""
        if not positions:
            return {}
        if self._follower is None:
            self._follower = aioredis.Redis.from_url(
                self.url,
                socket_timeout=self.timeout + block_ms / 1000,
                socket_connect_timeout=self.timeout,
                retry=_no_retry(),
                retry_on_error=[],
                single_connection_client=True,
            )
        streams: dict[Any, Any] = {stream_key(d): f"{max(s, 0)}-0" for d, s in positions.items()}
        try:
            reply: Any = await self._run(self._follower.xread(streams, count=1000, block=block_ms))
        except Unavailable:
            follower, self._follower = self._follower, None
            if follower is not None:
                try:
                    await follower.aclose()
                except Exception:
                    logger.debug("closing the follower failed", exc_info=True)
            raise
        out: dict[str, list[Record]] = {}
        for key, entries in reply or []:
            out[dialogue_of(_text(key))] = [_record(i, f) for i, f in entries]
        return out

    # --- plumbing ----------------------------------------------------------------------

    async def _run(self, call: Awaitable[T], *, quiet: bool = False) -> T:
        if self._closed:
            close = getattr(call, "close", None)
            if close is not None:
                close()  # a coroutine never awaited
            raise Unavailable("log.unavailable")
        try:
            return await call
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            # the client's own errors are expected; anything else gets its traceback
            expected = isinstance(exc, (rex.RedisError, OSError, asyncio.TimeoutError))
            logger.log(
                logging.DEBUG if quiet else logging.ERROR,
                "event log %s unavailable: %s: %s",
                _safe_url(self.url),
                type(exc).__name__,
                exc,
                exc_info=None if expected else exc,
            )
            raise Unavailable("log.unavailable") from exc


def _encode(event: Event) -> bytes:
    text = json.dumps(event_to_dict(event), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _record(entry_id: Any, fields: Mapping[Any, Any]) -> Record:
    seq = int(_text(entry_id).split("-", 1)[0])
    body = fields.get(b"e", fields.get("e"))
    return Record(seq=seq, event=event_from_dict(json.loads(body)))


def _safe_url(url: str) -> str:
    """``url`` without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
