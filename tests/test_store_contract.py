"""One event-log contract, run against every backend.

To add a backend, add a :class:`Backend` to ``BACKENDS``: every test below
then runs against it. Tests that only make sense for one backend (SQLite's
pragmas and locking) come last and say so in their name.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from session_server.core import Actor, Role, State, apply, decide
from session_server.core import commands as c
from session_server.core.errors import InvalidInput, StaleSequence, Unavailable
from session_server.core.events import Event, QuestionApproved, QuestionSubmitted
from session_server.core.model import Asker, BridgeKind, Origin, Phase, TimerKind
from session_server.store import EventLog, open_log
from session_server.store import sqlite as sqlite_module
from session_server.store.sqlite import SQLiteEventLog
from tests.redis_fixture import flush, redis_url

__all__ = ["redis_url"]  # the fixture, imported for the Redis backend

# --- backends -------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    name: str
    url: Callable[[Path], str]
    """The log's URL for a test's private directory; opening it again reopens it."""
    durable: bool
    """Keeps events across close and reopen (and so stores them serialised)."""


BACKENDS = [
    Backend("memory", lambda tmp: "memory://", durable=False),
    Backend("sqlite", lambda tmp: f"sqlite:///{tmp}/events.db", durable=True),
    Backend("redis", lambda tmp: "redis://", durable=True),  # a real redis-server: see below
]


@pytest.fixture(params=BACKENDS, ids=lambda b: b.name)
def backend(request: pytest.FixtureRequest) -> Backend:
    param: Backend = request.param
    if param.name == "redis":
        # a private redis-server for the session (or REDIS_URL), emptied per test
        url: str = request.getfixturevalue("redis_url")
        flush(url)
        return replace(param, url=lambda tmp: url)
    return param


@pytest.fixture
async def event_log(backend: Backend, tmp_path: Path) -> AsyncIterator[EventLog]:
    log = open_log(backend.url(tmp_path))
    yield log
    await log.close()


# --- events made by the core ---------------------------------------------------------

ICT = timezone(timedelta(hours=7))
T0 = datetime(2025, 3, 26, 8, 0, tzinfo=ICT)
ORGANISER = Actor(Role.ORGANISER)
MODERATOR = Actor(Role.MODERATOR)
SECRETARY = Actor(Role.SECRETARY)


def _phone(n: int) -> Actor:
    return Actor(Role.ATTENDEE, device_id=f"device-{n}")


def day_events() -> list[Event]:
    """The events of a short dialogue, made by ``decide`` from real commands."""
    commands: list[c.Command] = [
        c.CreateDialogue(
            ORGANISER,
            title="Đối thoại với thanh niên năm 2025",
            theme="Chuyển đổi số",
            place="Hội trường tỉnh",
            starts_at=T0 + timedelta(days=1),
            legal_basis=("Quyết định số 1/QĐ-UBND",),
        ),
        c.SetBridgePoint(ORGANISER, "hoi-truong", "Hội trường chính", kind=BridgeKind.MAIN),
        c.SetBridgePoint(ORGANISER, "xa-an-phu", "Xã An Phú", operator="Lan", capacity=120),
        c.SetSpeaker(ORGANISER, "pct", "Nguyễn Văn A", position="Phó Chủ tịch"),
        c.SetTopic(ORGANISER, "viec-lam", "Việc làm", speaker_ids=("pct",)),
        c.SetProgramme(
            ORGANISER,
            (
                c.ProgrammeEntry("khai-mac", "Khai mạc", planned_minutes=10),
                c.ProgrammeEntry("doi-thoai", "Đối thoại", planned_minutes=90),
            ),
        ),
        c.ChangePhase(ORGANISER, Phase.INTAKE),
        c.SubmitQuestion(
            _phone(1),
            "Xin hỏi về việc làm cho thanh niên nông thôn?",
            "key-00000001",
            "xa-an-phu",
            topic_id="viec-lam",
            asker_name="Trần Thị B",
            asker_public=True,
        ),
        c.SubmitQuestion(_phone(2), "Chuyện 🚲 xe đạp đi học", "key-00000002", "hoi-truong"),
        c.ApproveQuestion(MODERATOR, 1),
        c.ApproveQuestion(MODERATOR, 2),
        c.SetPublicList(MODERATOR, True),
        c.Vote(_phone(3), 1),
        c.ChangePhase(MODERATOR, Phase.LIVE),
        c.GiveFloor(MODERATOR, "xa-an-phu", question_id=1, question_seconds=60),
        c.StartTimer(MODERATOR, TimerKind.ANSWER, 180),
        c.MarkAnswered(MODERATOR, 1),
        c.AddCommitment(SECRETARY, 1, "Mở lớp nghề", "Sở LĐTBXH", by_when=date(2025, 6, 30)),
        c.ForwardQuestion(MODERATOR, 2, "Sở Giáo dục", deadline=date(2025, 5, 1)),
    ]
    state = State()
    events: list[Event] = []
    for i, command in enumerate(commands):
        for event in decide(state, command, T0 + timedelta(minutes=i)):
            apply(state, event)
            events.append(event)
    return events


def question(seq: int, text: object = "Câu hỏi") -> QuestionSubmitted:
    return QuestionSubmitted(
        at=T0 + timedelta(seconds=seq),
        question_id=seq,
        text=text,  # type: ignore[arg-type]  # tests pass bad values on purpose
        asker=Asker(),
        origin=Origin.PHONE,
        bridge_id="hoi-truong",
        topic_id=None,
        submitted_by=f"device:{seq}",
        idempotency_key=f"key-{seq:08d}",
    )


# --- the contract ------------------------------------------------------------------------


async def test_empty_log_has_seq_zero_and_a_stable_epoch(event_log: EventLog) -> None:
    first = await event_log.head("d1")
    assert first.seq == 0
    assert isinstance(first.epoch, str) and first.epoch
    assert await event_log.head("d1") == first
    assert await event_log.read("d1") == []
    assert await event_log.dialogues() == []


async def test_append_returns_the_new_last_seq(event_log: EventLog) -> None:
    events = day_events()
    assert await event_log.append("d1", events[:1], 0) == 1
    assert await event_log.append("d1", events[1:4], 1) == 4
    assert (await event_log.head("d1")).seq == 4


async def test_appending_nothing_checks_the_seq_and_writes_nothing(event_log: EventLog) -> None:
    assert await event_log.append("d1", [], 0) == 0
    await event_log.append("d1", day_events()[:2], 0)
    assert await event_log.append("d1", [], 2) == 2
    with pytest.raises(StaleSequence):
        await event_log.append("d1", [], 1)
    assert (await event_log.head("d1")).seq == 2


async def test_events_round_trip_equal(event_log: EventLog) -> None:
    events = day_events()
    assert len({type(e) for e in events}) > 15
    await event_log.append("d1", events, 0)
    records = await event_log.read("d1")
    assert [r.seq for r in records] == list(range(1, len(events) + 1))
    assert [r.event for r in records] == events
    assert [type(r.event) for r in records] == [type(e) for e in events]


async def test_read_after_seq_and_limit(event_log: EventLog) -> None:
    events = day_events()[:10]
    await event_log.append("d1", events, 0)
    assert [r.seq for r in await event_log.read("d1", after_seq=7)] == [8, 9, 10]
    assert [r.seq for r in await event_log.read("d1", after_seq=2, limit=3)] == [3, 4, 5]
    assert [r.seq for r in await event_log.read("d1", limit=2)] == [1, 2]
    assert [r.event for r in await event_log.read("d1", after_seq=4, limit=1)] == [events[4]]
    assert await event_log.read("d1", after_seq=10) == []
    assert await event_log.read("d1", after_seq=99) == []
    assert await event_log.read("d1", after_seq=3, limit=0) == []
    assert len(await event_log.read("d1", after_seq=-5)) == 10


@pytest.mark.parametrize("expected_seq", [0, 2, 4, 100])
async def test_stale_expected_seq_is_refused_and_writes_nothing(
    event_log: EventLog, expected_seq: int
) -> None:
    events = day_events()
    await event_log.append("d1", events[:3], 0)
    with pytest.raises(StaleSequence) as refused:
        await event_log.append("d1", events[3:5], expected_seq)
    assert (refused.value.expected, refused.value.actual) == (expected_seq, 3)
    assert (await event_log.head("d1")).seq == 3
    assert [r.event for r in await event_log.read("d1")] == events[:3]


async def test_stale_expected_seq_on_an_empty_log(event_log: EventLog) -> None:
    with pytest.raises(StaleSequence) as refused:
        await event_log.append("d1", day_events()[:1], 1)
    assert (refused.value.expected, refused.value.actual) == (1, 0)
    assert await event_log.read("d1") == []
    assert await event_log.dialogues() == []


@pytest.mark.parametrize("bad", [object(), "lone surrogate \ud800"], ids=["object", "surrogate"])
async def test_an_append_is_all_or_nothing(
    event_log: EventLog, backend: Backend, bad: object
) -> None:
    """A batch holding an event that cannot be stored leaves the log as it was:
    ``object()`` fails to encode, a lone surrogate fails once the JSON is
    handed to the store. Every backend refuses the whole batch."""
    await event_log.append("d1", [question(1)], 0)
    batch = [question(2), question(3, text=bad), question(4)]
    with pytest.raises((TypeError, ValueError)):
        await event_log.append("d1", batch, 1)
    assert (await event_log.head("d1")).seq == 1
    assert [r.seq for r in await event_log.read("d1")] == [1]
    assert await event_log.append("d1", [question(5)], 1) == 2


async def test_dialogues_have_separate_sequences_and_epochs(event_log: EventLog) -> None:
    events = day_events()
    await event_log.append("d1", events[:3], 0)
    await event_log.append("d2", events[3:4], 0)
    await event_log.append("d1", events[4:5], 3)
    one, two = await event_log.head("d1"), await event_log.head("d2")
    assert (one.seq, two.seq) == (4, 1)
    assert one.epoch != two.epoch
    assert [r.event for r in await event_log.read("d2")] == events[3:4]
    assert [r.event for r in await event_log.read("d1")] == events[:3] + events[4:5]


async def test_epoch_is_the_same_before_and_after_appending(event_log: EventLog) -> None:
    epoch = (await event_log.head("d1")).epoch
    await event_log.append("d1", day_events()[:2], 0)
    assert (await event_log.head("d1")).epoch == epoch
    await event_log.append("d2", day_events()[:2], 0)
    assert (await event_log.head("d2")).epoch != epoch


async def test_dialogues_lists_logs_with_events_sorted(event_log: EventLog) -> None:
    events = day_events()
    await event_log.head("empty")
    await event_log.read("also-empty")
    for dialogue_id in ("zeta", "alpha", "m-2025_01"):
        await event_log.append(dialogue_id, events[:1], 0)
    assert await event_log.dialogues() == ["alpha", "m-2025_01", "zeta"]


@pytest.mark.parametrize("dialogue_id", ["", "UPPER", "-dash-first", "a b", "a/b", "x" * 65])
async def test_bad_dialogue_id_is_refused(event_log: EventLog, dialogue_id: str) -> None:
    with pytest.raises(InvalidInput):
        await event_log.append(dialogue_id, day_events()[:1], 0)
    with pytest.raises(InvalidInput):
        await event_log.read(dialogue_id)
    with pytest.raises(InvalidInput):
        await event_log.head(dialogue_id)
    assert await event_log.dialogues() == []


async def test_concurrent_appends_with_the_same_seq_one_wins(event_log: EventLog) -> None:
    await event_log.append("d1", [question(1)], 0)
    tries = [[question(2, text=f"lần {n}"), question(3)] for n in range(8)]
    results = await asyncio.gather(
        *(event_log.append("d1", batch, 1) for batch in tries), return_exceptions=True
    )
    winners = [i for i, r in enumerate(results) if r == 3]
    assert len(winners) == 1
    assert all(isinstance(r, StaleSequence) for i, r in enumerate(results) if i != winners[0])
    records = await event_log.read("d1")
    assert [r.event for r in records[1:]] == tries[winners[0]]


async def test_concurrent_appends_in_a_chain_leave_no_gap(event_log: EventLog) -> None:
    """Many writers that retry on StaleSequence: every event lands exactly once."""

    async def writer(n: int) -> None:
        for k in range(5):
            while True:
                seq = (await event_log.head("d1")).seq
                try:
                    await event_log.append("d1", [question(1000 * n + k)], seq)
                    break
                except StaleSequence:
                    await asyncio.sleep(0)

    await asyncio.gather(*(writer(n) for n in range(6)))
    records = await event_log.read("d1")
    assert [r.seq for r in records] == list(range(1, 31))
    ids = sorted(r.event.question_id for r in records if isinstance(r.event, QuestionSubmitted))
    assert ids == sorted(1000 * n + k for n in range(6) for k in range(5))


async def test_durable_log_keeps_events_and_epoch_across_reopen(
    backend: Backend, tmp_path: Path
) -> None:
    if not backend.durable:
        pytest.skip(f"{backend.name} keeps nothing across close")
    events = day_events()
    log = open_log(backend.url(tmp_path))
    await log.append("d1", events, 0)
    await log.append("d2", events[:1], 0)
    before = (await log.head("d1"), await log.head("d2"))
    await log.close()

    log = open_log(backend.url(tmp_path))
    try:
        assert (await log.head("d1"), await log.head("d2")) == before
        assert [r.event for r in await log.read("d1")] == events
        assert await log.dialogues() == ["d1", "d2"]
        assert await log.append("d1", [question(99)], len(events)) == len(events) + 1
    finally:
        await log.close()


async def test_a_healthy_log_passes_its_probe(event_log: EventLog) -> None:
    await event_log.probe()
    await event_log.append("d1", [question(1)], 0)
    await event_log.probe()
    assert [r.seq for r in await event_log.read("d1")] == [1]  # the probe adds no event


async def test_organiser_sessions_open_expire_and_close(event_log: EventLog) -> None:
    now = time.time()
    await event_log.open_session("a" * 64, now + 60)
    await event_log.open_session("b" * 64, now + 60)
    await event_log.open_session("c" * 64, now + 1)
    assert await event_log.session_alive("a" * 64, now)
    assert not await event_log.session_alive("z" * 64, now)  # never opened
    assert not await event_log.session_alive("c" * 64, now + 1)  # expired
    await event_log.close_session("a" * 64)
    await event_log.close_session("z" * 64)  # unknown: nothing happens
    assert not await event_log.session_alive("a" * 64, now)
    assert await event_log.session_alive("b" * 64, now)
    assert await event_log.close_sessions(now + 2) == 1  # b; c had expired
    assert not await event_log.session_alive("b" * 64, now)
    assert await event_log.dialogues() == []  # sessions are no dialogue


async def test_durable_log_keeps_organiser_sessions_across_reopen(
    backend: Backend, tmp_path: Path
) -> None:
    if not backend.durable:
        pytest.skip(f"{backend.name} keeps nothing across close")
    now = time.time()
    log = open_log(backend.url(tmp_path))
    await log.open_session("k" * 64, now + 60)
    await log.close()
    log = open_log(backend.url(tmp_path))
    try:
        assert await log.session_alive("k" * 64, now)
    finally:
        await log.close()


# --- SQLite only ------------------------------------------------------------------------


def writer_pragma(log: SQLiteEventLog, pragma: str) -> object:
    """``PRAGMA …`` on the log's write connection, on its own thread
    (``max_page_count`` holds for one connection)."""
    return log._writer.submit(lambda: log._writing().execute(pragma).fetchone()[0]).result()


def fill_disk(log: SQLiteEventLog) -> None:
    """No page more for the file: appends that need one fail with SQLITE_FULL,
    as on a full disk."""
    pages = writer_pragma(log, "PRAGMA page_count")
    assert writer_pragma(log, f"PRAGMA max_page_count = {pages}") == pages


async def test_sqlite_full_disk_is_unavailable_and_the_probe_sees_space_return(
    tmp_path: Path,
) -> None:
    log = SQLiteEventLog(tmp_path / "events.db")
    try:
        await log.append("d1", [question(1)], 0)
        await log.probe()
        fill_disk(log)
        seq = 1
        with pytest.raises(Unavailable) as refused:
            while seq < 100:
                seq = await log.append("d1", [question(seq + 1, "x" * 900)], seq)
        assert refused.value.code == "log.unavailable"
        cause = refused.value.__cause__
        assert isinstance(cause, sqlite3.Error)
        assert cause.sqlite_errorcode & 0xFF == sqlite3.SQLITE_FULL
        assert sqlite3.SQLITE_FULL in sqlite_module._UNAVAILABLE
        for _ in range(2):  # a probe needs a page too
            with pytest.raises(Unavailable):
                await log.probe()
        assert (await log.head("d1")).seq == seq
        writer_pragma(log, "PRAGMA max_page_count = 1000000")  # space is back
        await log.probe()
        assert await log.append("d1", [question(seq + 1, "x" * 900)], seq) == seq + 1
        assert (await log.read("d1"))[-1].seq == seq + 1
    finally:
        await log.close()


async def test_sqlite_uses_wal_and_synchronous_full(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    log = SQLiteEventLog.from_url(f"sqlite:///{path}")
    try:
        await log.append("d1", [question(1)], 0)
        settings = await log.settings()
        assert settings["journal_mode"] == "wal"
        assert settings["synchronous"] == 2  # FULL
        assert settings["busy_timeout"] == 5000
        fresh = sqlite3.connect(path)
        try:
            assert fresh.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            tables = {row[0] for row in fresh.execute("SELECT name FROM sqlite_master")}
            assert {"logs", "events"} <= tables
            (body,) = fresh.execute("SELECT body FROM events").fetchone()
            assert body.startswith('{"name":"QuestionSubmitted","at":"2025-03-26T08:00:01+07:00"')
            assert "Câu hỏi" in body
        finally:
            fresh.close()
    finally:
        await log.close()


@pytest.mark.parametrize(
    ("url", "path", "synchronous"),
    [
        ("sqlite:///relative/events.db", "relative/events.db", "FULL"),
        ("sqlite:////abs/events.db", "/abs/events.db", "FULL"),
        ("sqlite:///events.db?synchronous=NORMAL", "events.db", "NORMAL"),
        ("sqlite:////abs/events.db?synchronous=normal", "/abs/events.db", "NORMAL"),
    ],
)
def test_sqlite_from_url(url: str, path: str, synchronous: str) -> None:
    log = SQLiteEventLog.from_url(url)
    assert (str(log.path), log.synchronous) == (path, synchronous)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///",
        "sqlite://host/events.db",
        "redis:///events.db",
        "sqlite:///events.db?synchronous=OFF",
        "sqlite:///events.db?journal=delete",
    ],
)
def test_sqlite_from_url_refuses_bad_urls(url: str) -> None:
    with pytest.raises(ValueError):
        SQLiteEventLog.from_url(url)


async def test_sqlite_synchronous_normal(tmp_path: Path) -> None:
    log = SQLiteEventLog.from_url(f"sqlite:///{tmp_path}/events.db?synchronous=NORMAL")
    try:
        assert (await log.settings())["synchronous"] == 1
    finally:
        await log.close()


async def test_sqlite_two_logs_on_one_file_share_the_sequence(tmp_path: Path) -> None:
    """Two processes (here two log objects, each with its own writer) on one file."""
    one = SQLiteEventLog(tmp_path / "events.db")
    two = SQLiteEventLog(tmp_path / "events.db")
    try:
        assert (await one.head("d1")).epoch == (await two.head("d1")).epoch
        results = await asyncio.gather(
            one.append("d1", [question(1, "một")], 0),
            two.append("d1", [question(1, "hai")], 0),
            return_exceptions=True,
        )
        assert sorted(map(type, results), key=str) == sorted([int, StaleSequence], key=str)
        assert await two.append("d1", [question(2)], 1) == 2
        assert [r.seq for r in await one.read("d1")] == [1, 2]
    finally:
        await one.close()
        await two.close()


async def test_sqlite_locked_file_is_unavailable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "events.db"
    log = SQLiteEventLog(path, busy_timeout=0.1)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await log.append("d1", [question(1)], 0)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(Unavailable) as refused:
            await log.append("d1", [question(2)], 1)
        assert refused.value.code == "log.unavailable"
        assert "database is locked" in caplog.text
        assert (await log.head("d1")).seq == 1  # readers are not blocked by the writer
        other.execute("ROLLBACK")
        assert await log.append("d1", [question(2)], 1) == 2
    finally:
        other.close()
        await log.close()


async def test_sqlite_closed_log_is_unavailable(tmp_path: Path) -> None:
    log = SQLiteEventLog(tmp_path / "events.db")
    await log.append("d1", [question(1)], 0)
    await log.close()
    await log.close()
    with pytest.raises(Unavailable):
        await log.append("d1", [question(2)], 1)


async def test_sqlite_rolls_back_a_batch_that_fails_midway(tmp_path: Path) -> None:
    """The lone surrogate encodes to JSON but fails when SQLite gets the text,
    after the batch's first row went into the transaction."""
    log = SQLiteEventLog(tmp_path / "events.db")
    try:
        await log.append("d1", [question(1)], 0)
        with pytest.raises(UnicodeEncodeError):
            await log.append("d1", [question(2), question(3, text="\ud800")], 1)
        assert [r.seq for r in await log.read("d1")] == [1]
        assert await log.append("d1", [replace(question(2), text="ổn")], 1) == 2
        assert [r.event for r in await log.read("d1", after_seq=1)] == [
            replace(question(2), text="ổn")
        ]
    finally:
        await log.close()


async def test_sqlite_reads_what_another_log_object_appended(tmp_path: Path) -> None:
    """A reader connection sees appends committed through another connection."""
    writer = SQLiteEventLog(tmp_path / "events.db")
    reader = SQLiteEventLog(tmp_path / "events.db")
    try:
        assert await reader.read("d1") == []
        await writer.append("d1", [QuestionApproved(at=T0, question_id=1)], 0)
        assert [r.seq for r in await reader.read("d1")] == [1]
        assert (await reader.head("d1")).seq == 1
    finally:
        await writer.close()
        await reader.close()
