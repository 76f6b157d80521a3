"""A dialogue session keeps its state in step with the log, across writers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import timedelta

import pytest

from session_server.core import StaleSequence
from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.errors import Unavailable
from session_server.core.events import Event
from session_server.core.model import QuestionStatus
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.health import LogHealth
from session_server.runtime.session import DialogueSession
from session_server.store.base import EventLog, Record
from session_server.store.memory import MemoryEventLog
from tests.conftest import MODERATOR, NOW, phone


async def seeded(log: EventLog) -> DialogueSession:
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    await session.execute_all(demo_commands(NOW), NOW)
    return session


async def test_state_is_rebuilt_by_replay() -> None:
    log = MemoryEventLog()
    live = await seeded(log)
    await live.execute(c.GiveFloor(MODERATOR, "tinh", 1), NOW)
    fresh = DialogueSession(log, DEMO_DIALOGUE_ID)
    await fresh.load()
    assert fresh.state == live.state
    assert (fresh.epoch, fresh.seq) == (live.epoch, live.seq)


async def test_a_second_writer_catches_up_and_decides_again() -> None:
    log = MemoryEventLog()
    first = await seeded(log)
    second = DialogueSession(log, DEMO_DIALOGUE_ID)
    await second.load()
    # first moves on; second still believes the log ends earlier
    await first.execute(c.ApproveQuestion(MODERATOR, 3), NOW)
    outcome = await second.execute(
        c.SubmitQuestion(phone(), "Câu hỏi mới?", "k-00000001", "tinh"), NOW
    )
    assert outcome.seq == first.seq + 1
    assert second.state.questions[3].status is QuestionStatus.APPROVED
    # a command that became illegal meanwhile is refused, not dropped silently
    await first.execute(c.RejectQuestion(MODERATOR, 6, "Trùng"), NOW)
    with pytest.raises(Exception) as info:
        await second.execute(c.ApproveQuestion(MODERATOR, 6), NOW)
    assert getattr(info.value, "code", "") == "question.illegal_transition"


async def test_racing_sessions_account_for_every_command() -> None:
    log = MemoryEventLog()
    sessions = [await seeded(log)]
    for _ in range(3):
        other = DialogueSession(log, DEMO_DIALOGUE_ID)
        await other.load()
        sessions.append(other)

    async def submit(n: int) -> None:
        session = sessions[n % len(sessions)]
        await asyncio.sleep(0)
        await session.execute(
            c.SubmitQuestion(phone(f"p{n}"), f"Câu hỏi {n}?", f"k-{n:08d}", "tinh"),
            NOW + timedelta(seconds=n),
        )

    await asyncio.gather(*(submit(n) for n in range(40)))
    for session in sessions:
        await session.catch_up()
    texts = [q.text for q in sessions[0].state.questions.values()]
    assert sorted(t for t in texts if t.startswith("Câu hỏi ")) == sorted(
        f"Câu hỏi {n}?" for n in range(40)
    )
    assert all(s.state == sessions[0].state for s in sessions)


async def test_a_new_epoch_rebuilds_the_state() -> None:
    log = MemoryEventLog()
    session = await seeded(log)
    seen: list[bool] = []
    session.listeners.append(lambda records, rebuilt: seen.append(rebuilt))
    log._epochs[DEMO_DIALOGUE_ID] = "restored-from-backup"  # history may have been lost
    await session.catch_up()
    assert session.epoch == "restored-from-backup"
    assert seen == [True]


def test_stale_sequence_is_a_session_error() -> None:
    assert StaleSequence(1, 2).code == "log.stale_sequence"


# --- commands whose outcome is unknown ----------------------------------------------------


class LostAnswers(MemoryEventLog):
    """A log that stores an append and then fails to say so, as a Redis does
    whose answer was lost (a timeout, a reset): the next ``lose`` appends
    raise ``error`` after storing; ``unreadable`` makes reads fail too."""

    def __init__(self) -> None:
        super().__init__()
        self.lose = 0
        self.error: Exception = Unavailable("log.unavailable")
        self.unreadable = False
        self.appends = 0

    async def append(self, dialogue_id: str, events: Sequence[Event], expected_seq: int) -> int:
        self.appends += 1
        seq = await super().append(dialogue_id, events, expected_seq)
        if self.lose:
            self.lose -= 1
            raise self.error
        return seq

    async def read(
        self, dialogue_id: str, after_seq: int = 0, limit: int | None = None
    ) -> list[Record]:
        if self.unreadable:
            raise Unavailable("log.unavailable")
        return await super().read(dialogue_id, after_seq, limit)


def approvals(records: Sequence[Record], question_id: int) -> list[Record]:
    return [
        r
        for r in records
        if isinstance(r.event, e.QuestionApproved) and r.event.question_id == question_id
    ]


async def test_a_command_without_an_id_gets_one_made_here() -> None:
    log = MemoryEventLog()
    session = await seeded(log)
    outcome = await session.execute(c.ApproveQuestion(MODERATOR, 3), NOW)
    (record,) = outcome.records
    assert re.fullmatch(r"role:moderator:[0-9a-f]{32}", record.event.command_id)
    assert record.event.command_id in session.state.applied_commands
    # a client's own id is kept
    outcome = await session.execute(c.ApproveQuestion(MODERATOR, 6, command_id="mine-0000001"), NOW)
    assert outcome.records[0].event.command_id == "role:moderator:mine-0000001"


async def test_an_append_stored_but_refused_as_stale_on_retry_is_a_success() -> None:
    """The Redis client re-sent an append whose first answer was lost: the
    script refused the second as stale. The command did what it asked."""
    log = LostAnswers()
    session = await seeded(log)
    log.lose, log.error = 1, StaleSequence(session.seq, session.seq + 1)
    outcome = await session.execute(c.ApproveQuestion(MODERATOR, 3), NOW)
    assert [type(r.event) for r in outcome.records] == [e.QuestionApproved]
    assert session.state.questions[3].status is QuestionStatus.APPROVED
    assert len(approvals(await log.read(DEMO_DIALOGUE_ID), 3)) == 1
    assert log.appends == len(demo_commands(NOW)) + 1


async def test_an_unavailable_append_that_was_stored_is_read_back_as_a_success() -> None:
    log = LostAnswers()
    session = await seeded(log)
    health = LogHealth(log)
    heard: list[bool] = []
    health.listeners.append(heard.append)
    session.health = health
    seen: list[list[Record]] = []
    session.listeners.append(lambda records, rebuilt: seen.append(records))
    log.lose = 1
    outcome = await session.execute(c.ApproveQuestion(MODERATOR, 3), NOW)
    assert approvals(outcome.records, 3) == list(outcome.records)
    assert outcome.seq == session.seq == (await log.head(DEMO_DIALOGUE_ID)).seq
    assert session.state.questions[3].status is QuestionStatus.APPROVED
    assert seen == [list(outcome.records)]
    assert len(approvals(await log.read(DEMO_DIALOGUE_ID), 3)) == 1
    assert heard == [] and health.ok  # it was written: the status bar never blinked
    await health.stop()


async def test_an_unavailable_append_not_found_in_the_log_stays_unavailable() -> None:
    log = LostAnswers()
    session = await seeded(log)
    other = DialogueSession(log, DEMO_DIALOGUE_ID)
    await other.load()
    seq = session.seq
    await other.execute(c.ApproveQuestion(MODERATOR, 6), NOW)  # the log moved on meanwhile

    async def refused(dialogue_id: str, events: Sequence[Event], expected_seq: int) -> int:
        raise Unavailable("log.unavailable")  # and this append never reached it

    log.append = refused  # type: ignore[method-assign]
    with pytest.raises(Unavailable):
        await session.execute(c.ApproveQuestion(MODERATOR, 3), NOW)
    assert session.seq == seq
    assert session.state.questions[3].status is QuestionStatus.SUBMITTED


async def test_a_retry_after_unavailable_succeeds_without_a_second_append() -> None:
    log = LostAnswers()
    session = await seeded(log)
    approve = c.ApproveQuestion(MODERATOR, 3, command_id="approve-3-0001")
    log.lose, log.unreadable = 1, True  # stored, but neither its answer nor a read comes back
    with pytest.raises(Unavailable):
        await session.execute(approve, NOW)
    assert session.state.questions[3].status is QuestionStatus.SUBMITTED
    log.unreadable = False  # the log is back; the client sends the same command again
    outcome = await session.execute(approve, NOW + timedelta(seconds=5))
    assert approvals(outcome.records, 3) == list(outcome.records) != []
    assert session.state.questions[3].status is QuestionStatus.APPROVED
    assert len(approvals(await log.read(DEMO_DIALOGUE_ID), 3)) == 1
    # and again, now that this session knows it: a repeat, no append at all
    appends = log.appends
    again = await session.execute(approve, NOW + timedelta(seconds=10))
    assert again.records == () and log.appends == appends


async def test_a_batch_stored_after_all_is_read_back_whole() -> None:
    log = LostAnswers()
    session = await seeded(log)
    log.lose = 1
    outcome = await session.execute_batch(
        [c.ApproveQuestion(MODERATOR, 3), c.ApproveQuestion(MODERATOR, 6)], NOW
    )
    assert [r.event.question_id for r in outcome.records] == [3, 6]  # type: ignore[attr-defined]
    assert len({r.event.command_id for r in outcome.records}) == 2
