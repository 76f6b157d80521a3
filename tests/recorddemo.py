"""The demo dialogue after its day, for the record's tests: a few questions
answered with summaries and commitments, some forwarded or deferred, one
merged and one rejected, all through the core's own commands."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from session_server.core import apply, decide
from session_server.core import commands as c
from session_server.core.model import Actor, Phase, Role, State
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog

ORGANISER = Actor(Role.ORGANISER)
MODERATOR = Actor(Role.MODERATOR)
SECRETARY = Actor(Role.SECRETARY)
DAY = datetime(2024, 3, 5, 1, 0, tzinfo=UTC)
"""08:00 in Vietnam on 5 March 2024; the demo starts half an hour later."""

ANSWERED = {1: "ldtbxh", 4: "gddt", 5: "khdt", 7: "noi-vu", 8: "noi-vu", 10: "khdt"}
FORWARDED = {13: ("Sở Y tế", date(2024, 4, 5)), 14: ("Sở Xây dựng", date(2024, 4, 5))}
DEFERRED = (16,)


def record_commands(now: datetime = DAY) -> list[c.Command]:
    commands = demo_commands(now)
    for qid, speaker in ANSWERED.items():
        commands += [
            c.GiveFloor(MODERATOR, "tinh", qid, speaker),
            c.MarkAnswered(MODERATOR, qid),
            c.RecordAnswerSummary(SECRETARY, qid, f"Tóm tắt trả lời câu hỏi số {qid}."),
        ]
    commands.append(
        c.AddCommitment(
            SECRETARY,
            1,
            "Tổ chức ngày hội việc làm mỗi quý",
            "Sở Lao động, Thương binh và Xã hội",
            date(2024, 6, 30),
        )
    )
    for qid, (agency, deadline) in FORWARDED.items():
        commands.append(c.ForwardQuestion(MODERATOR, qid, agency, deadline))
    for qid in DEFERRED:
        commands.append(c.DeferQuestion(MODERATOR, qid, "Trả lời bằng văn bản"))
    commands.append(c.MergeQuestion(MODERATOR, 3, 20))
    commands.append(c.RejectQuestion(MODERATOR, 6, "Trùng nội dung"))
    commands.append(c.ChangePhase(ORGANISER, Phase.CLOSED))
    return commands


def record_state(now: datetime = DAY, extra: list[c.Command] | None = None) -> State:
    state = State()
    for step, command in enumerate([*record_commands(now), *(extra or [])]):
        for event in decide(state, command, now + timedelta(seconds=step)):
            apply(state, event)
    return state


def record_log(now: datetime = DAY) -> MemoryEventLog:
    log = MemoryEventLog()

    async def seed() -> None:
        session = DialogueSession(log, DEMO_DIALOGUE_ID)
        await session.load()
        for step, command in enumerate(record_commands(now)):
            await session.execute(command, now + timedelta(seconds=step))

    asyncio.run(seed())
    return log
