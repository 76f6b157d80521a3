"""A dialogue session keeps its state in step with the log, across writers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from session_server.core import StaleSequence
from session_server.core import commands as c
from session_server.core.model import QuestionStatus
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.base import EventLog
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
