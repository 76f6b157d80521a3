"""The Redis event log under faults, on private real ``redis-server``\\s.

- AOF with ``appendfsync always``: no acknowledged append is lost when Redis
  is killed with SIGKILL, and the epoch stays;
- Redis restarted without persistence: the epoch changes, sessions rebuild,
  and a process that remembers the old history cannot append on top of the
  new one;
- Redis down: appends and reads are refused with ``Unavailable``; the same
  log object works again once Redis is back, without a restart;
- Redis full (``OOM``): appends are ``Unavailable``, the log is reported
  down, and the probe sees it back;
- the tailer: a second "process" (its own log object) sees what the first
  appended, says when the log is unreachable, and resumes on its own;
- the web app on a Redis whose connections are reset: whatever the client or
  the event loop raises, a command is answered 503 with the bilingual
  ``log.unavailable`` body, never 500;
- the web app on a Redis that stores an append and then hangs past the
  socket timeout: the command is answered with its true outcome (success,
  applied once, its events once in the log), whether the client's retry was
  refused as stale or the append ended ``Unavailable`` and was read back; a
  retry of the same command id after a 503 succeeds without a second append.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis
from redis._parsers.base import BaseParser
from redis.asyncio.connection import AbstractConnection
from starlette.applications import Starlette
from starlette.testclient import TestClient

from session_server.core import commands as c
from session_server.core.errors import StaleSequence, Unavailable
from session_server.core.events import QuestionApproved, QuestionSubmitted
from session_server.core.model import QuestionStatus
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.health import LogHealth
from session_server.runtime.session import DialogueSession
from session_server.runtime.tail import LogTailer
from session_server.store import open_log
from session_server.store.base import Record
from session_server.store.redis import RedisEventLog, is_unavailable
from session_server.web.app import create_app
from tests.conftest import MODERATOR, NOW, phone
from tests.redis_fixture import RedisServer
from tests.redis_relay import RedisRelay
from tests.test_store_contract import question
from tests.webapp import SECRET, seed, settings, token

pytestmark = pytest.mark.slow


@pytest.fixture
def aof_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer.start(tmp_path / "aof", appendonly=True)
    yield server
    server.stop()


@pytest.fixture
def volatile_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer.start(tmp_path / "volatile")
    yield server
    server.stop()


@pytest.fixture
async def volatile_log(volatile_server: RedisServer) -> AsyncIterator[RedisEventLog]:
    log = open_log(volatile_server.url)
    assert isinstance(log, RedisEventLog)
    yield log
    await log.close()


async def wait_for(predicate: object, timeout: float = 10.0) -> None:
    assert callable(predicate)
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def test_acknowledged_appends_survive_sigkill_with_aof_always(
    aof_server: RedisServer,
) -> None:
    n = 200
    log = open_log(aof_server.url)
    try:
        for seq in range(n):
            assert await log.append("d1", [question(seq + 1)], seq) == seq + 1
        epoch = (await log.head("d1")).epoch
    finally:
        await log.close()
    aof_server.kill()
    aof_server.launch()
    log = open_log(aof_server.url)
    try:
        head = await log.head("d1")
        assert (head.epoch, head.seq) == (epoch, n)
        records = await log.read("d1")
        assert [r.seq for r in records] == list(range(1, n + 1))
        assert [r.event for r in records] == [question(i) for i in range(1, n + 1)]
        assert await log.dialogues() == ["d1"]
    finally:
        await log.close()


async def test_restart_without_persistence_changes_the_epoch_and_sessions_rebuild(
    volatile_server: RedisServer, volatile_log: RedisEventLog
) -> None:
    session = DialogueSession(volatile_log, DEMO_DIALOGUE_ID)
    await session.load()
    await session.execute_all(demo_commands(NOW), NOW)
    before = (session.epoch, session.seq)
    assert before[1] > 0
    seen: list[bool] = []
    session.listeners.append(lambda records, rebuilt: seen.append(rebuilt))

    volatile_server.restart()  # --save "" --appendonly no: comes back empty
    head = await volatile_log.head(DEMO_DIALOGUE_ID)  # on a new connection
    assert head.seq == 0 and head.epoch != before[0]
    assert await session.catch_up() == []
    assert (session.epoch, session.seq) == (head.epoch, 0)
    assert not session.state.created and not session.state.questions
    assert seen == [True]


async def test_a_process_remembering_lost_history_cannot_append_over_the_new_one(
    volatile_server: RedisServer, volatile_log: RedisEventLog
) -> None:
    """Process A holds 30-odd events; Redis comes back empty; process B (a
    fresh log object) writes as many new events; A's next command must not
    land at "its" position on B's history: it catches up, sees the new epoch,
    rebuilds and decides against the real state."""
    a = DialogueSession(volatile_log, DEMO_DIALOGUE_ID)
    await a.load()
    await a.execute_all(demo_commands(NOW), NOW)
    old_epoch, old_seq = a.epoch, a.seq

    volatile_server.restart()
    other = open_log(volatile_server.url)
    try:
        b = DialogueSession(other, DEMO_DIALOGUE_ID)
        await b.load()
        await b.execute_all(demo_commands(NOW, live=False), NOW)
        while b.seq < old_seq:
            await b.execute(
                c.SubmitQuestion(phone(f"p{b.seq}"), f"Câu {b.seq}?", f"k-{b.seq:08d}", "tinh"), NOW
            )
        assert b.seq == old_seq and b.epoch != old_epoch
        # A still believes the old history, at the same position as B's log
        outcome = await a.execute(
            c.SubmitQuestion(phone("a"), "Câu của A?", "k-from-a-1", "tinh"), NOW
        )
        assert a.epoch == b.epoch
        assert outcome.seq == old_seq + 1
        await b.catch_up()
        assert a.state == b.state
        assert any(q.text == f"Câu {old_seq - 1}?" for q in a.state.questions.values())
    finally:
        await other.close()


async def test_redis_down_is_unavailable_and_the_log_recovers(
    volatile_server: RedisServer, volatile_log: RedisEventLog
) -> None:
    await volatile_log.append("d1", [question(1)], 0)
    volatile_server.stop()
    for call in (
        volatile_log.append("d1", [question(2)], 1),
        volatile_log.read("d1"),
        volatile_log.head("d1"),
        volatile_log.dialogues(),
    ):
        with pytest.raises(Unavailable) as refused:
            await call
        assert refused.value.code == "log.unavailable"
        assert refused.value.status == 503
    volatile_server.launch()
    head = await volatile_log.head("d1")  # the same object, no restart
    assert head.seq == 0  # (restarted empty)
    assert await volatile_log.append("d1", [question(1)], 0) == 1


async def test_stale_appends_refused_across_two_log_objects(
    volatile_log: RedisEventLog, volatile_server: RedisServer
) -> None:
    other = open_log(volatile_server.url)
    try:
        results = await asyncio.gather(
            volatile_log.append("d1", [question(1, "một")], 0),
            other.append("d1", [question(1, "hai")], 0),
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in results) == ["StaleSequence", "int"]
        assert (await volatile_log.head("d1")).epoch == (await other.head("d1")).epoch
        with pytest.raises(StaleSequence):
            await other.append("d1", [question(2)], 0)
    finally:
        await other.close()


async def test_the_tailer_follows_other_processes_and_survives_an_outage(
    volatile_server: RedisServer, volatile_log: RedisEventLog
) -> None:
    writer = DialogueSession(volatile_log, DEMO_DIALOGUE_ID)
    await writer.load()
    await writer.execute_all(demo_commands(NOW), NOW)

    other_log = open_log(volatile_server.url)
    assert isinstance(other_log, RedisEventLog)
    reader = DialogueSession(other_log, DEMO_DIALOGUE_ID)
    await reader.load()
    heard: list[tuple[list[Record], bool]] = []
    reader.listeners.append(lambda records, rebuilt: heard.append((records, rebuilt)))
    links: list[bool] = []
    tailer = LogTailer(other_log, lambda: {DEMO_DIALOGUE_ID: reader}, links.append)
    tailer.start()
    try:
        await writer.execute(c.ApproveQuestion(MODERATOR, 3), NOW)
        await wait_for(lambda: reader.seq == writer.seq)
        assert reader.state == writer.state
        assert heard and not heard[-1][1] and heard[-1][0][-1].seq == writer.seq

        volatile_server.stop()
        await wait_for(lambda: links == [False])
        with pytest.raises(Unavailable):
            await reader.execute(c.SubmitQuestion(phone(), "Câu?", "k-down-0001", "tinh"), NOW)
        assert reader.state.questions[3].status is QuestionStatus.APPROVED  # reads from memory

        volatile_server.launch()  # empty: a new epoch
        await wait_for(lambda: links == [False, True])
        await wait_for(lambda: reader.seq == 0)
        assert heard[-1] == ([], True)
        await writer.catch_up()
        await writer.execute_all(demo_commands(NOW), NOW)
        await wait_for(lambda: reader.seq == writer.seq)
        assert reader.state == writer.state and reader.epoch == writer.epoch
    finally:
        await tailer.stop()
        await other_log.close()


# --- the web app on a Redis that fails ------------------------------------------------------

UVLOOP_RESET = RuntimeError(
    "unable to perform operation on <TCPTransport closed=True reading=False 0x7f3a2c0d5e40>; "
    "the handler is closed"
)
"""What uvloop raises for a write on a socket Redis has just reset."""

TRANSPORT_ERRORS = [
    pytest.param(UVLOOP_RESET, id="uvloop-handler-closed"),
    pytest.param(
        AttributeError("'NoneType' object has no attribute 'writelines'"), id="writer-gone"
    ),
    pytest.param(asyncio.IncompleteReadError(b"", 1), id="incomplete-read"),
    pytest.param(ConnectionResetError(104, "Connection reset by peer"), id="reset-by-peer"),
]


def reply(text: str) -> Exception:
    """The exception the client raises for the error reply ``text``."""
    error: Exception = BaseParser.parse_error(text)
    return error


def redis_app(url: str, timeout: float = 1.0) -> Starlette:
    """The web app on the demo dialogue, stored in the Redis at ``url``."""

    async def seeded() -> None:
        log = RedisEventLog(url)
        try:
            await seed(log)
        finally:
            await log.close()

    asyncio.run(seeded())
    return create_app(settings(), RedisEventLog(url, timeout=timeout), SECRET)


def post_command(client: TestClient, app: Starlette, **body: Any) -> Any:
    return client.post(
        "/api/v1/commands",
        json=body,
        headers={"Authorization": f"Bearer {token(app, 'moderator01')}"},
    )


def append_sha(app: Starlette) -> bytes:
    log = app.state.registry.log
    assert isinstance(log, RedisEventLog)
    sha: str = log._append_script.sha
    return sha.encode()


class ResetOnWrite:
    """Arms a reset for the next append written to Redis: the connections are
    killed (``CLIENT KILL TYPE normal``) and the write raises ``error``, as
    the event loop or an older client does when the reset lands during it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, server: RedisServer) -> None:
        self.server = server
        self.armed: BaseException | None = None
        self.marker = b""
        self.raised = 0
        original = AbstractConnection.send_packed_command

        async def send(conn: AbstractConnection, command: Any, check_health: bool = True) -> None:
            error, parts = self.armed, command if isinstance(command, Sequence) else [command]
            if error is not None and any(self.marker in bytes(part) for part in parts):
                self.armed = None
                self.raised += 1
                await conn.disconnect(nowait=True)
                raise error
            await original(conn, command, check_health)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", send)

    def arm(self, error: BaseException, marker: bytes) -> None:
        client = redis.Redis.from_url(self.server.url)
        try:
            client.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        finally:
            client.close()
        self.armed, self.marker = error, marker


@pytest.mark.parametrize("error", TRANSPORT_ERRORS)
def test_a_reset_connection_is_503_with_the_bilingual_body_never_500(
    volatile_server: RedisServer, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    app = redis_app(volatile_server.url)
    faults = ResetOnWrite(monkeypatch, volatile_server)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert (
            post_command(client, app, action="move_question", question_id=1, position=0).status_code
            == 200
        )
        faults.arm(error, append_sha(app))
        refused = post_command(client, app, action="move_question", question_id=1, position=1)
        assert faults.raised == 1
        assert refused.status_code == 503, refused.text
        body = refused.json()
        assert body["error"] == "log.unavailable"
        assert body["message"]["vi"].startswith("Hệ thống tạm thời không ghi được")
        assert body["message"]["en"].startswith("The system cannot record right now")
        # the same app, on a fresh connection: the log is back
        again = post_command(client, app, action="move_question", question_id=1, position=1)
        assert again.status_code == 200, again.text


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (UVLOOP_RESET, True),
        (AttributeError("'NoneType' object has no attribute 'write'"), True),
        (asyncio.IncompleteReadError(b"", 5), True),
        (redis.ConnectionError("Connection closed by server."), True),
        (redis.TimeoutError("Timeout reading from 127.0.0.1:6379"), True),
        (redis.exceptions.InvalidResponse("Protocol Error: b'\\x00'"), True),
        (reply("OOM command not allowed when used memory > 'maxmemory'."), True),
        (
            reply(
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable "
                "to persist to disk."
            ),
            True,
        ),
        (reply("READONLY You can't write against a read only replica."), True),
        (reply("LOADING Redis is loading the dataset in memory"), True),
        (
            reply(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
            ),
            True,
        ),
        (reply("NOREPLICAS Not enough good replicas to write."), True),
        (reply("BUSY Redis is busy running a script."), True),
        (reply("WRONGTYPE Operation against a key holding the wrong kind of value"), False),
        (reply("ERR user_script:3: Script attempted to access nonexistent global variable"), False),
        (reply("NOPERM this user has no permissions to run the 'evalsha' command"), False),
        (redis.DataError("Invalid input of type: 'dict'."), False),
    ],
)
def test_only_reply_errors_that_are_bugs_stay_bugs(error: Exception, unavailable: bool) -> None:
    assert is_unavailable(error) is unavailable


async def test_a_full_redis_is_unavailable_reported_down_and_probed_back(
    volatile_server: RedisServer, volatile_log: RedisEventLog
) -> None:
    """``maxmemory`` reached with ``noeviction``: appends are refused with
    ``OOM`` (the client's ``OutOfMemoryError``), reads still work; the log is
    reported down and the probe sees it back once Redis has memory again."""
    health = LogHealth(volatile_log, probe_seconds=0.1)
    heard: list[bool] = []
    health.listeners.append(heard.append)
    session = DialogueSession(volatile_log, DEMO_DIALOGUE_ID, health=health)
    await session.load()
    await session.execute_all(demo_commands(NOW), NOW)
    admin = redis.Redis.from_url(volatile_server.url)
    try:
        admin.config_set("maxmemory", 1)
        with pytest.raises(Unavailable) as refused:
            await session.execute(c.ApproveQuestion(MODERATOR, 3), NOW)
        assert refused.value.code == "log.unavailable"
        assert isinstance(refused.value.__cause__, redis.exceptions.OutOfMemoryError)
        assert heard == [False]
        await asyncio.sleep(0.5)
        assert heard == [False]  # the probe is refused too
        admin.config_set("maxmemory", 0)
        await wait_for(lambda: heard == [False, True])
        await session.execute(c.ApproveQuestion(MODERATOR, 3), NOW)
        assert session.state.questions[3].status is QuestionStatus.APPROVED
    finally:
        admin.config_set("maxmemory", 0)
        admin.close()
        await health.stop()


def stored_events(url: str) -> list[Record]:
    async def read() -> list[Record]:
        log = RedisEventLog(url)
        try:
            return await log.read(DEMO_DIALOGUE_ID)
        finally:
            await log.close()

    return asyncio.run(read())


def approvals_of(url: str, question_id: int) -> list[Record]:
    return [
        r
        for r in stored_events(url)
        if isinstance(r.event, QuestionApproved) and r.event.question_id == question_id
    ]


@pytest.fixture
def relay(volatile_server: RedisServer) -> Iterator[RedisRelay]:
    relay = RedisRelay(volatile_server.port)
    yield relay
    relay.close()


@pytest.mark.parametrize(
    "lost",
    [pytest.param(1, id="retry-refused-as-stale"), pytest.param(2, id="unavailable-read-back")],
)
def test_an_approval_stored_before_a_hang_is_answered_as_done_once(
    volatile_server: RedisServer, relay: RedisRelay, lost: int
) -> None:
    """Redis stores the approval, then its answer never comes (nor, with two
    lost, the answer to the client's own retry): the moderator is told it
    is approved, not 409 ``question.illegal_transition``."""
    app = redis_app(relay.url, timeout=0.4)
    with TestClient(app, raise_server_exceptions=False) as client:
        relay.hold_replies(append_sha(app), lost)
        answer = post_command(client, app, action="approve_question", question_id=3)
        assert relay.held == lost
        assert answer.status_code == 200, answer.text
        assert answer.json()["events"] == ["QuestionApproved"]
        state = client.get(
            f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/state",
            headers={"Authorization": f"Bearer {token(app, 'moderator01')}"},
        )
        (q3,) = [q for q in state.json()["questions"] if q["question_id"] == 3]
        assert q3["status"] == "approved"
    assert len(approvals_of(volatile_server.url, 3)) == 1


@pytest.mark.parametrize(
    "lost",
    [pytest.param(1, id="retry-refused-as-stale"), pytest.param(2, id="unavailable-read-back")],
)
def test_a_submission_stored_before_a_hang_is_answered_created_once(
    volatile_server: RedisServer, relay: RedisRelay, lost: int
) -> None:
    app = redis_app(relay.url, timeout=0.4)
    with TestClient(app, raise_server_exceptions=False) as client:
        relay.hold_replies(append_sha(app), lost)
        answer = client.post(
            "/api/v1/questions",
            json={"text": "Câu hỏi gửi lúc Redis treo?", "idempotency_key": "k-hang-000001"},
            headers={"Authorization": f"Bearer {token(app, 'opchaudoc01')}"},
        )
        assert relay.held == lost
        assert answer.status_code == 201, answer.text
        question_id = answer.json()["question_id"]
    submitted = [
        r.event
        for r in stored_events(volatile_server.url)
        if isinstance(r.event, QuestionSubmitted) and r.event.idempotency_key == "k-hang-000001"
    ]
    assert [q.question_id for q in submitted] == [question_id]


def test_a_retry_of_the_same_command_id_after_a_503_succeeds_without_a_second_append(
    volatile_server: RedisServer,
) -> None:
    """Redis stopped (SIGSTOP) past every timeout: the approval is answered
    503. Redis resumes and runs the append it had received. The moderator's
    screen sends the same command (the same command id) again: success, and
    the log holds the approval once."""
    app = redis_app(volatile_server.url, timeout=0.3)
    assert volatile_server.process is not None
    pid = volatile_server.process.pid
    body = {"action": "approve_question", "question_id": 3, "command_id": "approve-3-retry-01"}
    with TestClient(app, raise_server_exceptions=False) as client:
        # a pooled connection, ready: a command on a new one never gets past
        # the handshake to a stopped Redis, and so is never stored
        assert (
            post_command(client, app, action="move_question", question_id=1, position=0).status_code
            == 200
        )
        os.kill(pid, signal.SIGSTOP)
        try:
            refused = post_command(client, app, **body)
        finally:
            os.kill(pid, signal.SIGCONT)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "log.unavailable"
        deadline = time.monotonic() + 10
        while not approvals_of(volatile_server.url, 3):  # stored once Redis ran again
            assert time.monotonic() < deadline, "the approval Redis had received never landed"
            time.sleep(0.05)
        again = post_command(client, app, **body)
        assert again.status_code == 200, again.text
        assert post_command(client, app, **body).status_code == 200
    assert len(approvals_of(volatile_server.url, 3)) == 1
